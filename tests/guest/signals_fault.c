// Synchronous faults reach the guest's handlers: SIGSEGV after mprotect (with si_addr and
// si_code) recovered with siglongjmp, SIGFPE from a division by zero, SIGILL from ud2,
// SIGTRAP from int3, and a handler on an alternate stack.
#pragma GCC diagnostic ignored "-Warray-bounds"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "guest_test.h"

static sigjmp_buf env;
static volatile void* fault_addr;
static volatile int fault_code;
static volatile int fault_sig;
static volatile uintptr_t handler_stack;

static void on_fault(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  int local;
  handler_stack = (uintptr_t)&local;
  fault_sig = sig;
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  siglongjmp(env, 1);
}

static void install(int sig, int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | flags;
  sigaction(sig, &sa, NULL);
}

int main(void) {
  char* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  page[0] = 1;
  mprotect(page, 4096, PROT_READ);
  install(SIGSEGV, 0);
  if (sigsetjmp(env, 1) == 0) {
    page[100] = 2;
    printf("no fault\n");
  } else {
    printf("SIGSEGV caught: addr ok %d code SEGV_ACCERR %d\n", fault_addr == page + 100,
           fault_code == SEGV_ACCERR);
  }
  munmap(page, 4096);
  if (sigsetjmp(env, 1) == 0) {
    (void)*(volatile char*)page;
  } else {
    printf("unmapped: code SEGV_MAPERR %d\n", fault_code == SEGV_MAPERR);
  }
  // The mask was restored by siglongjmp(env, savemask=1): a second fault is caught too.
  if (sigsetjmp(env, 1) == 0) {
    *(volatile int*)16 = 0;
  } else {
    printf("second fault caught: addr %p\n", (void*)fault_addr);
  }

  install(SIGFPE, 0);
  volatile int zero = 0;
  if (sigsetjmp(env, 1) == 0) {
    printf("%d\n", 1 / zero);
  } else {
    printf("SIGFPE: code FPE_INTDIV %d\n", fault_code == FPE_INTDIV);
  }

  install(SIGILL, 0);
  if (sigsetjmp(env, 1) == 0) {
    __asm__ volatile("ud2");
  } else {
    printf("SIGILL: code ILL_ILLOPN %d\n", fault_code == ILL_ILLOPN);
  }

  install(SIGTRAP, 0);
  if (sigsetjmp(env, 1) == 0) {
    __asm__ volatile("int3");
  } else {
    printf("SIGTRAP caught %d\n", fault_sig == SIGTRAP);
  }

  // The alternate stack.
  size_t size = 64 * 1024;
  char* alt = malloc(size);
  stack_t ss = {.ss_sp = alt, .ss_flags = 0, .ss_size = size};
  SHOW("sigaltstack", sigaltstack(&ss, NULL));
  install(SIGSEGV, SA_ONSTACK);
  if (sigsetjmp(env, 1) == 0) {
    *(volatile int*)8 = 0;
  } else {
    printf("handler ran on the alternate stack: %d\n",
           handler_stack >= (uintptr_t)alt && handler_stack < (uintptr_t)alt + size);
  }
  stack_t cur;
  sigaltstack(NULL, &cur);
  printf("altstack flags after longjmp: %d size ok %d\n", cur.ss_flags, cur.ss_size == size);

  // A fault while the signal is blocked is fatal (checked in a child).
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    sigprocmask(SIG_BLOCK, &s, NULL);
    *(volatile int*)8 = 0;
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  printf("blocked fault kills: signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
  return 0;
}
