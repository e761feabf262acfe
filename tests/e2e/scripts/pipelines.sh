# Pipelines, subshells, command substitution, here-documents.
echo one two three | tr ' ' '\n' | sort -r | head -n 2
x=$(echo inner; echo second)
echo "captured: $x"
y=$( (echo a; echo b) | wc -l )
echo "subshell lines: $y"
(cd / && pwd)
pwd >/dev/null
cat <<END
here-doc line 1
value of x: $x
END
cat <<'END'
quoted $x stays
END
printf '%s\n' c b a | sort | tr '\n' ,
echo
echo "status of false|true: $(false | true; echo $?)"
echo "status of true|false: $(true | false; echo $?)"
i=0
while [ $i -lt 5 ]; do i=$((i + 1)); done
echo "loop counted to $i"
for w in alpha beta; do echo "word $w"; done
case foo in f*) echo matched ;; *) echo nope ;; esac
