// Progress output of a long run: a line redrawn in place on a terminal, plain
// lines (no carriage returns) in a log. The terminal is a pseudo-terminal made
// by util-linux's `script`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "shell_util.hpp"

namespace {

// What the command sends to stdout: the redirections below choose it.
std::string capture(const std::string& cmd) { return cimmc::test::shell_stdout(cmd).out; }

// ResNet-18 on one thread with 3,000 samples per job: a few seconds, so the
// progress (shown after one second) appears.
const std::string kRun = std::string(CIMMC_BINARY) + " run " + CIMMC_SOURCE_DIR +
                         "/configs/resnet18.yaml --samples 3000 --threads 1 --seed 3";

}  // namespace

TEST(Progress, LogGetsPlainLinesWithoutCarriageReturns) {
  const std::string err = capture(kRun + " 2>&1 >/dev/null");
  EXPECT_EQ(err.find('\r'), std::string::npos) << err;
  const auto lines = std::count(err.begin(), err.end(), '\n');
  EXPECT_NE(err.find("study "), std::string::npos) << err;
  EXPECT_GE(lines, 2);
  EXPECT_LE(lines, 15) << err;  // about one per tenth of the run
}

TEST(Progress, TerminalGetsOneLineRedrawnInPlace) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "util-linux script not installed";
  const std::string out = capture("script -qec '" + kRun + " >/dev/null' /dev/null");
  EXPECT_NE(out.find("\rstudy "), std::string::npos) << out;
}
