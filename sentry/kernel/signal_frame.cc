#include "sentry/kernel/signal_frame.h"

#include <cstddef>
#include <cstring>
#include <vector>

#include "sentry/kernel/task.h"

namespace ms::kernel {
namespace {

// asm/sigcontext.h and asm/ucontext.h.
constexpr uint32_t kFpXstateMagic1 = 0x46505853;
constexpr uint32_t kFpXstateMagic2 = 0x46505845;
constexpr size_t kSwReservedOffset = 464;  // _fpx_sw_bytes inside the fxsave area
constexpr uint64_t kUcFpXstate = 0x1;
constexpr uint64_t kUcSigcontextSs = 0x2;
constexpr uint64_t kUcStrictRestoreSs = 0x4;
constexpr uint64_t kRedZone = 128;
constexpr size_t kMaxXsave = 16384;
// The flags a signal handler may change through sigcontext (FIX_EFLAGS).
constexpr uint64_t kFixEflags = 0x50dd5;
constexpr uint64_t kEflagsTf = 0x100;
constexpr uint64_t kEflagsDf = 0x400;
constexpr uint64_t kEflagsRf = 0x10000;
constexpr uint16_t kUserCs = 0x33;
constexpr uint16_t kUserDs = 0x2b;
constexpr int32_t kSsAutodisarm = static_cast<int32_t>(1U << 31);

struct FxSwBytes {
  uint32_t magic1;
  uint32_t extended_size;
  uint64_t xfeatures;
  uint32_t xstate_size;
  uint32_t padding[7];
};

uint64_t round_down(uint64_t v, uint64_t a) {
  return v & ~(a - 1);
}

// The state a handler starts with: x87 and SSE control words at their defaults, every
// register cleared (Linux's fpu__clear_user_states).
std::vector<std::byte> initial_fpstate(std::span<const std::byte> current) {
  std::vector<std::byte> init(current.size());
  std::memcpy(init.data() + 24 + 4, current.data() + 24 + 4, 4);  // keep mxcsr_mask
  const uint16_t fcw = 0x37f;
  const uint32_t mxcsr = 0x1f80;
  std::memcpy(init.data(), &fcw, sizeof(fcw));
  std::memcpy(init.data() + 24, &mxcsr, sizeof(mxcsr));
  std::memcpy(init.data() + kSwReservedOffset, current.data() + kSwReservedOffset, 48);
  if (init.size() >= 512 + 8) {
    const uint64_t xstate_bv = 0x3;  // x87 and SSE given explicitly, the rest in init state
    std::memcpy(init.data() + 512, &xstate_bv, sizeof(xstate_bv));
  }
  return init;
}

}  // namespace

Result<void> build_signal_frame(Task& t, int sig, const siginfo_t& info,
                                const KernelSigaction& action) {
  if ((action.flags & kSaRestorer) == 0) return fail(EFAULT);
  platform::Regs& regs = *TRY(t.thread().regs());
  std::vector<std::byte> fp(kMaxXsave);
  const size_t fp_size = TRY(t.thread().get_fpstate(fp));
  fp.resize(fp_size);

  const SignalStack& alt = t.alt_stack();
  const bool was_on_alt = t.on_alt_stack(regs.rsp);
  uint64_t sp = regs.rsp - kRedZone;
  bool on_alt = was_on_alt;
  if ((action.flags & SA_ONSTACK) != 0 && alt.size != 0 && !was_on_alt) {
    sp = alt.sp + alt.size;
    on_alt = true;
  }
  const uint64_t fp_addr = round_down(sp - (fp_size + sizeof(uint32_t)), 64);
  const uint64_t frame_addr = round_down(fp_addr - sizeof(RtSigframe), 16) - 8;
  // A frame that would run off the alternate stack is a stack overflow (SIGSEGV).
  if (on_alt && !t.on_alt_stack(frame_addr)) return fail(EFAULT);

  // The xsave area, marked as Linux marks it so that libc and rt_sigreturn accept it.
  FxSwBytes sw{};
  std::memcpy(&sw, fp.data() + kSwReservedOffset, sizeof(sw));
  sw.magic1 = kFpXstateMagic1;
  sw.extended_size = static_cast<uint32_t>(fp_size + sizeof(uint32_t));
  sw.xstate_size = static_cast<uint32_t>(fp_size);
  std::memcpy(fp.data() + kSwReservedOffset, &sw, sizeof(sw));
  const uint32_t magic2 = kFpXstateMagic2;
  TRY(t.mm().copy_out(fp_addr, fp));
  TRY(t.mm().copy_out(fp_addr + fp_size, std::as_bytes(std::span(&magic2, 1))));

  RtSigframe frame{};
  frame.pretcode = action.restorer;
  frame.uc.flags = kUcFpXstate | kUcSigcontextSs | kUcStrictRestoreSs;
  frame.uc.stack.sp = alt.sp;
  frame.uc.stack.size = alt.size;
  frame.uc.stack.flags =
      (alt.size == 0 ? SS_DISABLE : (was_on_alt ? SS_ONSTACK : 0)) | (alt.flags & kSsAutodisarm);
  SigContext& sc = frame.uc.mcontext;
  sc.r8 = regs.r8;
  sc.r9 = regs.r9;
  sc.r10 = regs.r10;
  sc.r11 = regs.r11;
  sc.r12 = regs.r12;
  sc.r13 = regs.r13;
  sc.r14 = regs.r14;
  sc.r15 = regs.r15;
  sc.rdi = regs.rdi;
  sc.rsi = regs.rsi;
  sc.rbp = regs.rbp;
  sc.rbx = regs.rbx;
  sc.rdx = regs.rdx;
  sc.rax = regs.rax;
  sc.rcx = regs.rcx;
  sc.rsp = regs.rsp;
  sc.rip = regs.rip;
  sc.eflags = regs.eflags;
  sc.cs = static_cast<uint16_t>(regs.cs);
  sc.ss = static_cast<uint16_t>(regs.ss);
  sc.fpstate = fp_addr;
  const SigSet saved = t.saved_mask.value_or(t.signal_mask());
  sc.oldmask = saved.bits();
  if (sig == SIGSEGV || sig == SIGBUS) sc.cr2 = reinterpret_cast<uint64_t>(info.si_addr);
  frame.uc.sigmask = saved.bits();
  frame.info = info;
  TRY(t.mm().copy_out(frame_addr, std::as_bytes(std::span(&frame, 1))));
  // SS_AUTODISARM: the stack is free again for nested handlers until rt_sigreturn.
  if (on_alt && !was_on_alt && (alt.flags & kSsAutodisarm) != 0) t.alt_stack() = SignalStack{};

  // The handler: handler(sig, &info, &uc) returning to sa_restorer.
  regs.rdi = static_cast<uint64_t>(sig);
  regs.rsi = frame_addr + offsetof(RtSigframe, info);
  regs.rdx = frame_addr + offsetof(RtSigframe, uc);
  regs.rax = 0;
  regs.rsp = frame_addr;
  regs.rip = action.handler;
  regs.eflags &= ~(kEflagsTf | kEflagsDf | kEflagsRf);
  regs.cs = kUserCs;
  regs.ss = kUserDs;
  regs.orig_rax = ~0ULL;
  t.thread().set_regs_dirty();
  TRY(t.thread().set_fpstate(initial_fpstate(fp)));
  t.saved_mask.reset();
  return {};
}

Result<void> restore_signal_frame(Task& t) {
  platform::Regs& regs = *TRY(t.thread().regs());
  // The handler's `ret` popped pretcode: the frame starts 8 bytes below the stack pointer.
  const uint64_t frame_addr = regs.rsp - sizeof(uint64_t);
  RtSigframe frame{};
  TRY(t.mm().copy_in(frame_addr, std::as_writable_bytes(std::span(&frame, 1))));
  const SigContext& sc = frame.uc.mcontext;

  if (sc.fpstate != 0) {
    std::vector<std::byte> current(kMaxXsave);
    const size_t size = TRY(t.thread().get_fpstate(current));
    std::vector<std::byte> fp(size);
    TRY(t.mm().copy_in(sc.fpstate, fp));
    FxSwBytes sw{};
    std::memcpy(&sw, fp.data() + kSwReservedOffset, sizeof(sw));
    uint32_t magic2 = 0;
    if (sw.magic1 == kFpXstateMagic1 && sw.xstate_size == size) {
      TRY(t.mm().copy_in(sc.fpstate + size, std::as_writable_bytes(std::span(&magic2, 1))));
    }
    if (magic2 == kFpXstateMagic2) {
      TRY(t.thread().set_fpstate(fp));
    } else {
      // A legacy (fxsave-only) area: take the x87/SSE part over the current state.
      std::memcpy(current.data(), fp.data(), 512);
      current.resize(size);
      TRY(t.thread().set_fpstate(current));
    }
  } else {
    std::vector<std::byte> current(kMaxXsave);
    const size_t size = TRY(t.thread().get_fpstate(current));
    current.resize(size);
    TRY(t.thread().set_fpstate(initial_fpstate(current)));
  }

  regs.r8 = sc.r8;
  regs.r9 = sc.r9;
  regs.r10 = sc.r10;
  regs.r11 = sc.r11;
  regs.r12 = sc.r12;
  regs.r13 = sc.r13;
  regs.r14 = sc.r14;
  regs.r15 = sc.r15;
  regs.rdi = sc.rdi;
  regs.rsi = sc.rsi;
  regs.rbp = sc.rbp;
  regs.rbx = sc.rbx;
  regs.rdx = sc.rdx;
  regs.rax = sc.rax;
  regs.rcx = sc.rcx;
  regs.rsp = sc.rsp;
  regs.rip = sc.rip;
  regs.eflags = (regs.eflags & ~kFixEflags) | (sc.eflags & kFixEflags);
  regs.cs = kUserCs;
  regs.ss = kUserDs;
  regs.orig_rax = ~0ULL;  // never restart anything on the way back
  t.thread().set_regs_dirty();
  t.set_signal_mask(SigSet(frame.uc.sigmask));

  // The alternate stack as the handler left it (errors are ignored, as restore_altstack's
  // callers do for an unchanged stack).
  const SignalStack& ss = frame.uc.stack;
  if (!t.on_alt_stack(regs.rsp)) {
    const int mode = ss.flags & ~kSsAutodisarm;
    if (mode == SS_DISABLE) {
      t.alt_stack() = SignalStack{};
    } else if ((mode == 0 || mode == SS_ONSTACK) && ss.size >= 2048) {
      t.alt_stack() =
          SignalStack{.sp = ss.sp, .flags = ss.flags & kSsAutodisarm, .pad = 0, .size = ss.size};
    }
  }
  return {};
}

}  // namespace ms::kernel
