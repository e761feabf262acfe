// Two goroutines passing a value back and forth over unbuffered channels, with GOMAXPROCS
// at its default (every CPU): handoffs between Ps wake idle threads through futexes.
//   chan_pingpong [ITERATIONS [ROUNDS]]   prints "go_chan_pingpong_ns <median ns per round trip>"
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"
)

func arg(i int, fallback int) int {
	if len(os.Args) > i {
		if v, err := strconv.Atoi(os.Args[i]); err == nil && v > 0 {
			return v
		}
	}
	return fallback
}

func main() {
	n, rounds := arg(1, 100000), arg(2, 5)
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	var results []float64
	for r := 0; r < rounds; r++ {
		start := time.Now()
		v := 0
		for i := 0; i < n; i++ {
			ping <- v
			v = <-pong
		}
		results = append(results, float64(time.Since(start).Nanoseconds())/float64(n))
	}
	sort.Float64s(results)
	fmt.Printf("go_chan_pingpong_ns %.1f\n", results[len(results)/2])
}
