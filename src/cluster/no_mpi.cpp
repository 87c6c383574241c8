// Without MPI in the build, a process is always alone.
#if !defined(CIMMC_HAVE_MPI)
#include <stdexcept>

#include "cluster/ranks.hpp"

namespace cimmc::cluster {

std::unique_ptr<Ranks> join_ranks() {
  if (launcher_world_size() > 1)
    throw std::runtime_error(
        "launched as one of several MPI ranks, but this cimmc was built without MPI (install libopenmpi-dev "
        "and rebuild, or run it without mpirun)");
  return nullptr;
}

}  // namespace cimmc::cluster
#endif
