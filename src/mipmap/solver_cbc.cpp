// The MIP solver: COIN-OR CBC, compiled only when CMake finds CBC
// (pkg-config `cbc`). Through CBC's own driver (CbcMain0/CbcMain1: its
// preprocessing, root cuts and heuristics), not a bare CbcModel::branchAndBound:
// the bare search called non-optimal solutions of the EDP program optimal
// (GEMM 9x4x4: "optimal" at -2.4814 where the stand-alone solver finds
// -2.5317 on the same MPS file, and its objective fell as rows were added),
// so the mapper "proved" mappings 5-30% worse than enumeration's best
// (tests/test_mip_edp.cpp). The driver costs more per call (about 0.2 s of
// CPU on the small test layers).
//
// NOT THREAD-SAFE IN ONE PROCESS: CBC 2.10's driver reads its arguments
// through process-wide globals (Debian 2.10.8's libCbcSolver exports
// CbcOrClpRead_mode, the index of the next argv entry to parse,
// CbcOrClpReadCommand, CbcOrClpEnvironmentIndex, alternativeEnvironment and
// cbcPreProcessPointer; `nm -D --defined-only`), and CbcSolver.cpp says of
// them "These will need to be moved into an object of some sort in order to
// make this set of calls thread-safe"; two threads in CbcMain1 parse each
// other's arguments (coin-or/Cbc issue #332, "CbcMain not thread safe", open;
// four concurrent in-process solves came back with status error in 5 of 5
// runs). Every CBC call here is made in a child process of its own (below),
// whose globals are its own copy: solves from several threads run in
// parallel, and this process never calls CBC, so it needs no lock.
//
// ABORTS on some programs: Debian's 2.10.8 keeps its asserts, and MobileNetV3's
// layers 07, 38, 50 and 51 on configs/arch-miredo-dcim.yaml (EDP) fail
// CbcBranchDynamic.cpp:541 `distance >= 0.0` (coin-or/Cbc issue #713, fixed
// upstream after 2.10.8). An abort cannot be caught, so every solve runs in a
// forked child that sends its result back through a pipe: an abort ends the
// child, and the caller gets status error (the mapper then solves again with
// strong branching off, SolveLimits::strong_branching, which avoids that
// assertion; if that fails too it keeps the best mapping its search found).
// A fork costs about a millisecond; a solve, tenths of a second or more.
#include <CbcModel.hpp>
#include <CbcSolver.hpp>
#include <CoinError.hpp>
#include <CoinPackedMatrix.hpp>
#include <CoinPackedVector.hpp>
#include <OsiClpSolverInterface.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "mipmap/milp.hpp"

namespace cimmc::mipmap {

bool solver_available() { return true; }

namespace {

// This process's CPU time (the solve runs alone in a child process).
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// A program without integer columns: Clp's simplex alone. CBC's driver on
// an LP costs its setup per call (tens of ms on ResNet-18's programs), and
// the mapper solves hundreds of relaxations (root cuts, a bound per tile shape).
SolveResult solve_lp(OsiClpSolverInterface& lp, const Milp& m) {
  lp.initialSolve();
  SolveResult out;
  if (lp.isProvenOptimal()) {
    out.status = SolveStatus::optimal;
    const double* x = lp.getColSolution();
    out.x.assign(x, x + m.cols());
    out.has_solution = true;
    out.objective = out.bound = lp.getObjValue() + m.obj_constant;
  } else if (lp.isProvenPrimalInfeasible()) {
    out.status = SolveStatus::infeasible;
  } else {
    out.status = SolveStatus::error;
  }
  return out;
}

SolveResult solve_cbc(const Milp& m, const SolveLimits& limits) {
  const double inf = std::numeric_limits<double>::max();
  CoinPackedMatrix a(false, 0, 0);
  a.setDimensions(0, m.cols());
  std::vector<double> rlo, rhi;
  for (const Milp::Row& r : m.rows) {
    a.appendRow(CoinPackedVector(int(r.cols.size()), r.cols.data(), r.coefs.data()));
    rlo.push_back(r.sense == 'L' ? -inf : r.rhs);
    rhi.push_back(r.sense == 'G' ? inf : r.rhs);
  }
  OsiClpSolverInterface lp;
  lp.messageHandler()->setLogLevel(0);
  lp.loadProblem(a, m.lb.data(), m.ub.data(), m.obj.data(), rlo.data(), rhi.data());
  for (int j = 0; j < m.cols(); ++j)
    if (m.integer[std::size_t(j)]) lp.setInteger(j);

  if (std::none_of(m.integer.begin(), m.integer.end(), [](char c) { return c != 0; })) return solve_lp(lp, m);
  CbcModel model(lp);
  CbcMain0(model);
  model.setLogLevel(0);
  model.messageHandler()->setLogLevel(0);
  // Gaps of zero: the mapper proves optimality by comparing the bound with
  // re-evaluated costs (mapper.hpp) and needs the solver's true bound.
  // A cutoff increment of 0: CBC's default (1e-5, absolute) prunes every node
  // within 1e-5 of the incumbent: on a program whose optimum is 2.5e-6 (an EDP
  // in units of a poor mapping's) the first solution was reported "optimal"
  // (ResNet-18 conv2_2: 5.06e14 claimed against 2.2e14 found by random search).
  std::vector<std::string> args = {"cimmc", "-log", "0", "-ratioGap", "0", "-allowableGap", "0", "-increment", "0"};
  const auto number = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return std::string(buf);
  };
  if (!limits.cuts) args.insert(args.end(), {"-cuts", "off"});
  if (!limits.strong_branching) args.insert(args.end(), {"-strong", "0", "-trust", "0"});
  if (limits.max_nodes >= 0) args.insert(args.end(), {"-maxNodes", std::to_string(limits.max_nodes)});
  if (limits.max_seconds > 0) args.insert(args.end(), {"-seconds", number(limits.max_seconds)});
  // CBC's cutoff is on the objective without the program's constant.
  if (std::isfinite(limits.cutoff)) args.insert(args.end(), {"-cutoff", number(limits.cutoff - m.obj_constant)});
  args.insert(args.end(), limits.solver_args.begin(), limits.solver_args.end());
  args.insert(args.end(), {"-solve", "-quit"});
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  const double started = cpu_seconds();
  CbcMain1(int(argv.size()), argv.data(), model);
  // CBC 2.10.8 stopped by its time limit before branching (in preprocessing
  // or the root's cuts) can report the program infeasible (status 0,
  // secondary status 1, no nodes) although solutions below the cutoff exist:
  // 16% of the solves of a 70-item knapsack under 0.2-1 ms limits
  // (MipSolver.TimeLimitNeverProvesTooMuch). A solve that used its whole time
  // proves nothing; its bound (the root's) still holds.
  const bool out_of_time = limits.max_seconds > 0 && cpu_seconds() - started >= limits.max_seconds;
  SolveResult out;
  if (out_of_time)
    out.status = SolveStatus::limit;
  else if (model.isProvenOptimal())
    out.status = SolveStatus::optimal;
  else if (model.isProvenInfeasible())
    out.status = SolveStatus::infeasible;
  else if (model.isNodeLimitReached() || model.isSecondsLimitReached())
    out.status = SolveStatus::limit;
  else
    out.status = SolveStatus::error;
  out.nodes = model.getNodeCount();
  if (const double* x = model.bestSolution(); x && out.status != SolveStatus::infeasible) {
    out.x.assign(x, x + m.cols());
    out.has_solution = true;
    out.objective = model.getObjValue() + m.obj_constant;
  }
  out.bound = (out.status == SolveStatus::optimal ? model.getObjValue() : model.getBestPossibleObjValue()) +
              m.obj_constant;
  if (out.has_solution) out.bound = std::min(out.bound, out.objective);  // a stopped solve's bound, not past its own solution
  return out;
}

// The child's answer on the pipe: a fixed header, then x, then an error text.
struct Wire {
  std::int32_t status;
  std::int32_t has_solution;
  double objective, bound;
  std::int64_t nodes;
  std::uint64_t nx, nerror;
};

// Moves all n bytes through read(2) or write(2), retrying short and interrupted calls.
template <typename Io, typename Byte>
bool all(Io io, int fd, Byte* c, std::size_t n) {
  while (n > 0) {
    const ssize_t k = io(fd, c, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    c += k, n -= std::size_t(k);
  }
  return true;
}
bool write_all(int fd, const void* p, std::size_t n) { return all(::write, fd, static_cast<const char*>(p), n); }
bool read_all(int fd, void* p, std::size_t n) { return all(::read, fd, static_cast<char*>(p), n); }

[[noreturn]] void child(int fd, const Milp& m, const SolveLimits& limits) {
  SolveResult r;
  std::string error;
  try {
    r = solve_cbc(m, limits);
  } catch (const CoinError& e) {  // not a std::exception
    error = "mip mapper: CBC failed: " + e.className() + "::" + e.methodName() + ": " + e.message();
  } catch (const std::exception& e) {
    error = std::string("mip mapper: CBC failed: ") + e.what();
  }
  const Wire w{std::int32_t(r.status), r.has_solution, r.objective, r.bound, r.nodes, r.x.size(), error.size()};
  const bool ok = write_all(fd, &w, sizeof w) && write_all(fd, r.x.data(), r.x.size() * sizeof(double)) &&
                  write_all(fd, error.data(), error.size());
  ::_exit(ok ? 0 : 1);  // no atexit handlers or static destructors of the parent's state
}

SolveResult solve_in_child(const Milp& m, const SolveLimits& limits) {
  int fd[2];
  if (::pipe(fd) != 0) throw MipError(std::string("mip mapper: pipe: ") + std::strerror(errno));
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd[0]), ::close(fd[1]);
    throw MipError(std::string("mip mapper: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Only its own pipe's write end: a copy of another thread's (a solve
    // started at the same time) would keep that solve's reader waiting for
    // end-of-file after its child died, until this child ends too.
    const int w = fd[1];
    ::close_range(3, unsigned(w) - 1, 0);
    ::close_range(unsigned(w) + 1, ~0u, 0);
    child(w, m, limits);
  }
  ::close(fd[1]);
  SolveResult out;
  Wire w{};
  bool ok = read_all(fd[0], &w, sizeof w);
  std::string error;
  if (ok) {
    out.x.resize(w.nx);
    error.resize(w.nerror);
    ok = read_all(fd[0], out.x.data(), w.nx * sizeof(double)) && read_all(fd[0], error.data(), w.nerror);
  }
  ::close(fd[0]);
  int st = 0;
  rusage ru{};
  while (::wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {
  }
  out.cpu_seconds = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  if (!ok || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {  // killed (an assertion's abort) or cut short
    SolveResult failed;
    failed.status = SolveStatus::error;
    failed.cpu_seconds = out.cpu_seconds;
    return failed;
  }
  if (!error.empty()) throw MipError(error);
  out.status = SolveStatus(w.status);
  out.has_solution = w.has_solution != 0;
  out.objective = w.objective;
  out.bound = w.bound;
  out.nodes = w.nodes;
  return out;
}

}  // namespace

SolveResult solve(const Milp& m, const SolveLimits& limits) { return solve_in_child(m, limits); }

}  // namespace cimmc::mipmap
