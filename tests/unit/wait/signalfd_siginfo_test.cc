#include <gtest/gtest.h>

#include "sentry/kernel/signalfd.h"

namespace ms::kernel {
namespace {

siginfo_t info(int sig, int code) {
  siginfo_t i{};
  i.si_signo = sig;
  i.si_code = code;
  return i;
}

TEST(SignalfdSiginfo, KillReportsSender) {
  siginfo_t i = info(SIGUSR1, SI_USER);
  i.si_pid = 12;
  i.si_uid = 1000;
  const auto s = to_signalfd_siginfo(i);
  EXPECT_EQ(s.ssi_signo, static_cast<uint32_t>(SIGUSR1));
  EXPECT_EQ(s.ssi_code, SI_USER);
  EXPECT_EQ(s.ssi_pid, 12U);
  EXPECT_EQ(s.ssi_uid, 1000U);
  EXPECT_EQ(s.ssi_ptr, 0U);
}

TEST(SignalfdSiginfo, QueuedSignalsCarryTheirValue) {
  siginfo_t i = info(SIGRTMIN + 1, SI_QUEUE);
  i.si_pid = 3;
  i.si_value.sival_int = 77;
  const auto s = to_signalfd_siginfo(i);
  EXPECT_EQ(s.ssi_pid, 3U);
  EXPECT_EQ(s.ssi_int, 77);
}

TEST(SignalfdSiginfo, ChildReportsStatus) {
  siginfo_t i = info(SIGCHLD, CLD_EXITED);
  i.si_pid = 9;
  i.si_status = 4;
  const auto s = to_signalfd_siginfo(i);
  EXPECT_EQ(s.ssi_pid, 9U);
  EXPECT_EQ(s.ssi_status, 4);
}

TEST(SignalfdSiginfo, FaultsReportTheAddress) {
  siginfo_t i = info(SIGSEGV, SEGV_MAPERR);
  i.si_addr = reinterpret_cast<void*>(0x1234);
  const auto s = to_signalfd_siginfo(i);
  EXPECT_EQ(s.ssi_addr, 0x1234U);
  EXPECT_EQ(s.ssi_pid, 0U) << "the pid field of a fault is not meaningful";
}

TEST(SignalfdSiginfo, KernelCodesBeyondASignalsOwnArePollOrKill) {
  siginfo_t i = info(SIGUSR2, POLL_IN);
  i.si_band = 5;
  i.si_fd = 6;
  const auto s = to_signalfd_siginfo(i);
  EXPECT_EQ(s.ssi_band, 5U);
  EXPECT_EQ(s.ssi_fd, 6);
  EXPECT_EQ(to_signalfd_siginfo(info(SIGUSR2, SI_KERNEL)).ssi_fd, 0);
}

}  // namespace
}  // namespace ms::kernel
