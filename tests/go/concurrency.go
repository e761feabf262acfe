// Goroutines on all cores: a worker pool over channels with sync.WaitGroup, a mutex-guarded
// map, select with timers and tickers, and time.Sleep. Output is deterministic.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"
)

func main() {
	runtime.GOMAXPROCS(8)
	fmt.Println("GOMAXPROCS", runtime.GOMAXPROCS(0))

	jobs := make(chan int, 100)
	results := make(chan int, 100)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sum := 0
				for i := 0; i < 200000; i++ {
					sum += i % (j + 1)
				}
				results <- sum
			}
		}()
	}
	for j := 0; j < 64; j++ {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	close(results)
	total := 0
	for r := range results {
		total += r
	}
	fmt.Println("worker pool total", total)

	var mu sync.Mutex
	counts := map[int]int{}
	var wg2 sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg2.Add(1)
		go func(g int) {
			defer wg2.Done()
			for i := 0; i < 1000; i++ {
				mu.Lock()
				counts[i%10]++
				mu.Unlock()
				if i%100 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg2.Wait()
	keys := make([]int, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		fmt.Printf("count[%d]=%d ", k, counts[k])
	}
	fmt.Println()

	start := time.Now()
	time.Sleep(30 * time.Millisecond)
	fmt.Println("slept at least 30ms:", time.Since(start) >= 30*time.Millisecond)

	ticker := time.NewTicker(5 * time.Millisecond)
	timer := time.NewTimer(60 * time.Millisecond)
	ticks := 0
loop:
	for {
		select {
		case <-ticker.C:
			ticks++
		case <-timer.C:
			break loop
		}
	}
	ticker.Stop()
	fmt.Println("ticker ticked several times:", ticks >= 3)

	done := make(chan struct{})
	go func() {
		time.Sleep(10 * time.Millisecond)
		close(done)
	}()
	select {
	case <-done:
		fmt.Println("goroutine signalled completion")
	case <-time.After(5 * time.Second):
		fmt.Println("timed out")
	}
	fmt.Println("ping-pong", pingPong(10000))
}

func pingPong(n int) int {
	a, b := make(chan int), make(chan int)
	go func() {
		for v := range a {
			b <- v + 1
		}
		close(b)
	}()
	v := 0
	for i := 0; i < n; i++ {
		a <- v
		v = <-b
	}
	close(a)
	return v
}
