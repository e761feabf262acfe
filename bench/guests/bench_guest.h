// Shared by the benchmark guests: a monotonic clock, argument parsing and the median of a
// few timed rounds. Guests print one "KEY VALUE" line so that bench/run can parse them.
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BENCH_MAX_ROUNDS 64

static inline uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// argv[i] as a positive count, or fallback.
static inline long bench_arg(int argc, char** argv, int i, long fallback) {
  if (argc <= i) return fallback;
  const long v = strtol(argv[i], NULL, 10);
  return v > 0 ? v : fallback;
}

static inline double bench_median(double* v, int n) {
  // Insertion sort: n is a handful of rounds.
  for (int i = 1; i < n; ++i) {
    const double x = v[i];
    int j = i - 1;
    for (; j >= 0 && v[j] > x; --j)
      v[j + 1] = v[j];
    v[j + 1] = x;
  }
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Runs body(iterations) `rounds` times and prints "key <median ns per iteration>". The
// median keeps one preempted round (or a slow cross-CPU wake-up streak) out of the result.
static inline void bench_report(const char* key, long iterations, int rounds,
                                void (*body)(long iterations)) {
  double per_iteration[BENCH_MAX_ROUNDS];
  if (rounds > BENCH_MAX_ROUNDS) rounds = BENCH_MAX_ROUNDS;
  for (int r = 0; r < rounds; ++r) {
    const uint64_t t0 = bench_now_ns();
    body(iterations);
    per_iteration[r] = (double)(bench_now_ns() - t0) / (double)iterations;
  }
  printf("%s %.1f\n", key, bench_median(per_iteration, rounds));
}
