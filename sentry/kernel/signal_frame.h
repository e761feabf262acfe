// The x86-64 signal frame (struct rt_sigframe) as Linux lays it out on the guest's stack,
// and the two directions: building it for a handler, restoring from it in rt_sigreturn.
#pragma once

#include <signal.h>

#include <cstdint>

#include "base/result.h"
#include "sentry/kernel/signal_state.h"

namespace ms::kernel {

class Task;

// struct sigcontext (64-bit).
struct SigContext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
  uint64_t eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // address of the xsave area, 0 when there is none
  uint64_t reserved1[8];
};
static_assert(sizeof(SigContext) == 256);

// The kernel's struct ucontext.
struct KernelUcontext {
  uint64_t flags;
  uint64_t link;
  SignalStack stack;
  SigContext mcontext;
  uint64_t sigmask;
};

struct RtSigframe {
  uint64_t pretcode;  // the handler returns here: sa_restorer
  KernelUcontext uc;
  siginfo_t info;
};
static_assert(sizeof(RtSigframe) == 440);

// Builds the frame for sig's handler on t's stack (or alternate stack) and points t's
// registers at the handler. The mask saved in the frame is t's saved mask if a
// sigsuspend-like call left one, else its current mask. EFAULT when the frame does not fit
// or cannot be written (the caller then forces SIGSEGV).
Result<void> build_signal_frame(Task& t, int sig, const siginfo_t& info,
                                const KernelSigaction& action);

// rt_sigreturn: restores registers, FPU state, mask and alternate stack from the frame
// at the task's stack pointer. EFAULT for a frame that cannot be read or is invalid.
Result<void> restore_signal_frame(Task& t);

}  // namespace ms::kernel
