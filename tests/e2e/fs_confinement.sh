#!/bin/bash
# The host is changed only where the user allowed it. A --rootfs scratch tree (never the
# real /) survives `rm -rf /` and writes all over / inside the sandbox byte for byte (with
# modes, sizes, links and modification times; access times are left out because taking
# the snapshot itself reads the tree); --read-only-root and read-only binds refuse writes; a :rw bind does reach the
# host; symlinks, ".." and /proc do not lead out of a bound directory; bad mount options
# stop minisentry before the guest starts.
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A small root filesystem: busybox and its applets, a few files of each kind.
root=$work/root
mkdir -p "$root"/{bin,etc,tmp,home/user,var/log}
cp /bin/busybox "$root/bin/busybox"
for applet in sh ls rm mkdir cat echo mv cp chmod ln touch find wc sort stat readlink tr; do
  ln -s busybox "$root/bin/$applet"
done
echo "root:x:0:0:scratch root:/root:/bin/sh" >"$root/etc/passwd"
echo "log line" >"$root/var/log/messages"
chmod 640 "$root/var/log/messages"
ln -s ../etc/passwd "$root/home/user/passwd.link"
ln "$root/etc/passwd" "$root/etc/passwd.hard"
mkfifo "$root/tmp/fifo"
touch -d '2020-02-02 02:02:02' "$root/etc/passwd"

# Everything about the tree: names, types, modes, sizes, times, link targets, contents.
snapshot() {
  (cd "$1" && find . -printf '%p %y %m %s %n %T@ %C@ %l\n' | sort &&
    find . -type f -exec md5sum {} + | sort)
}
sandbox() { "$MS" --rootfs "$root" "$@" 2>&1 </dev/null; }

before=$(snapshot "$root")
out=$(sandbox /bin/sh -c '
  echo pwned >/etc/passwd && cat /etc/passwd
  mkdir -p /new/dir && touch /new/dir/f && ls /new/dir
  chmod 777 / /etc && chmod 700 /bin/busybox && chmod 600 /etc/passwd && ln -s / /loop && ln /etc/passwd /etc/third
  mv /home /moved && echo appended >>/var/log/messages && rm /etc/passwd.hard
  (echo through-fifo >/tmp/fifo &) && cat /tmp/fifo
  rm -rf /var /tmp && echo "changed: $(ls / | sort | tr "\n" " ")"
  rm -rf / 2>/dev/null
  echo "after rm:" /*')
rc=$?
[ $rc = 0 ] && pass "writes all over / and rm -rf / ran (exit 0)" || fail "sandboxed rm -rf /: exit $rc: $out"
printf '%s\n' "$out" | grep -qx "after rm: /dev /proc" && pass "rm -rf / emptied the guest's /" ||
  fail "guest's / after rm -rf: $out"
printf '%s\n' "$out" | grep -qx pwned && printf '%s\n' "$out" | grep -qx through-fifo &&
  printf '%s\n' "$out" | grep -qx "changed: bin dev etc loop moved new proc " &&
  pass "the guest sees its own writes" || fail "guest writes: $out"
[ "$(snapshot "$root")" = "$before" ] && pass "scratch root unchanged, byte for byte" ||
  fail "scratch root changed: $(diff <(printf '%s\n' "$before") <(snapshot "$root") | head)"

# A read-only root: no writable layer at all.
out=$(sandbox --read-only-root /bin/sh -c 'echo x >/tmp/f; mkdir /x; rm /etc/passwd; cat /etc/passwd')
printf '%s\n' "$out" | grep -c "Read-only file system" | grep -qx 3 &&
  printf '%s\n' "$out" | grep -q "scratch root" && pass "--read-only-root refuses writes, reads work" ||
  fail "--read-only-root: $out"
[ "$(snapshot "$root")" = "$before" ] && pass "scratch root unchanged after --read-only-root" ||
  fail "scratch root changed by --read-only-root"

# Binds: read-only by default, writable with :rw.
host=$work/host
mkdir -p "$host/sub"
echo original >"$host/file"
host_before=$(snapshot "$host")
out=$(sandbox -v "$host:/data" /bin/sh -c 'cat /data/file; echo changed >/data/file; rm /data/file; mkdir /data/x; touch /data/sub')
[ "$(printf '%s\n' "$out" | grep -c "Read-only file system")" = 4 ] &&
  printf '%s\n' "$out" | grep -qx original && pass "read-only bind: reads work, 4 writes refused" ||
  fail "read-only bind: $out"
[ "$(snapshot "$host")" = "$host_before" ] && pass "read-only bind left the host unchanged" ||
  fail "read-only bind changed the host"
out=$(sandbox -v "$host:/data:rw" /bin/sh -c 'echo written >/data/new; mkdir /data/made; echo more >>/data/file; mv /data/sub /data/moved')
[ "$(cat "$host/new" 2>/dev/null)" = written ] && [ -d "$host/made" ] && [ -d "$host/moved" ] &&
  [ "$(cat "$host/file")" = $'original\nmore' ] && pass "a :rw bind writes reach the host" ||
  fail "rw bind: $out / $(ls "$host")"

# Escapes from a bound directory.
mkdir -p "$work/secret"
echo TOPSECRET >"$work/secret/s"
ln -s "$work/secret/s" "$host/abs"
ln -s ../secret/s "$host/rel"
ln -s /proc/self/root"$work/secret/s" "$host/viaproc"
ln -s ../../../../../../../../.. "$host/up"
out=$(sandbox -v "$host:/data:rw" /bin/sh -c "
  cat /data/abs /data/rel /data/viaproc /data/../secret/s /data/up$work/secret/s
  cat /proc/self/root$work/secret/s /proc/1/cwd/../secret/s /proc/1/root/../secret/s
  ln -s $work/secret/s /data/made-inside; cat /data/made-inside
  cd /data/up && ls $work
  echo ok-ran")
printf '%s\n' "$out" | grep -q ok-ran && ! printf '%s\n' "$out" | grep -q TOPSECRET &&
  pass "symlink, .. and /proc escapes from a bind fail" || fail "escape: $out"
# The host's own pseudo filesystems never show through a bind.
out=$(sandbox -v /:/host /bin/sh -c 'ls /host/proc | wc -l; ls /host/sys | wc -l; cat /host/proc/self/environ; echo ok-ran')
[ "$(printf '%s\n' "$out" | head -2 | tr '\n' ' ')" = "0 0 " ] && printf '%s\n' "$out" | grep -q ok-ran &&
  pass "host /proc and /sys are empty through a bind of /" || fail "host proc/sys: $out"

# Mount options.
out=$(sandbox --tmpfs /mnt/scratch --workdir /home/user /bin/sh -c 'pwd; echo x >/mnt/scratch/f && cat /mnt/scratch/f; grep " /mnt/scratch " /proc/mounts | cut -d" " -f3')
[ "$out" = $'/home/user\nx\ntmpfs' ] && pass "--tmpfs and --workdir" || fail "--tmpfs/--workdir: $out"
[ "$(snapshot "$root")" = "$before" ] && pass "scratch root unchanged after mounts" ||
  fail "mountpoints were made on the host"

# bad_option LABEL EXPECTED-TEXT ARGS...: exit 2 and one line naming the problem, no guest.
bad_option() {
  local label=$1 text=$2 out rc
  shift 2
  out=$("$MS" "$@" /bin/busybox echo guest-ran 2>&1)
  rc=$?
  if [ $rc = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q -- "$text" &&
    ! printf '%s' "$out" | grep -q guest-ran; then
    pass "$label: $out"
  else
    fail "$label: exit $rc: $out"
  fi
}
bad_option "missing bind source" "/nonexistent-dir" -v /nonexistent-dir:/x
bad_option "relative guest path" "not absolute" -v "$host:data"
bad_option "bad bind mode" "neither ro nor rw" -v "$host:/data:rx"
bad_option "bind of a file" "not a directory" -v "$host/file:/data"
bad_option "missing rootfs" "rootfs" --rootfs /nonexistent-root
bad_option "missing workdir" "workdir" --workdir /nonexistent-dir
bad_option "relative tmpfs" "not absolute" --tmpfs relative/path
finish
