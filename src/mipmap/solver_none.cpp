// The MIP solver in a build without COIN-OR CBC (CMakeLists.txt compiles this
// file instead of solver_cbc.cpp): the mapper refuses with the reason.
#include "mipmap/milp.hpp"

namespace cimmc::mipmap {

bool solver_available() { return false; }

SolveResult solve(const Milp&, const SolveLimits&) {
  throw MipError(
      "--mapper mip: this cimmc was built without COIN-OR CBC (install coinor-libcbc-dev, e.g. "
      "scripts/setup-debian.sh, and rebuild); use --mapper exhaustive or random");
}

}  // namespace cimmc::mipmap
