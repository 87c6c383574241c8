#include "mipmap/milp.hpp"

namespace cimmc::mipmap {

const char* to_string(SolveStatus s) {
  switch (s) {
    case SolveStatus::optimal: return "optimal";
    case SolveStatus::infeasible: return "infeasible";
    case SolveStatus::limit: return "limit";
    case SolveStatus::error: break;
  }
  return "error";
}

}  // namespace cimmc::mipmap
