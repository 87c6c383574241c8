#include <cstdlib>
#include <string>

#include "cluster/ranks.hpp"

namespace cimmc::cluster {

int launcher_world_size() {
  // Open MPI's mpirun, PMIx (Open MPI 4+, srun --mpi=pmix) and PMI-1/2
  // (MPICH's hydra, srun --mpi=pmi2) each export the job's size.
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"})
    if (const char* v = std::getenv(var); v && std::atoi(v) >= 1) return std::atoi(v);
  return 0;
}

}  // namespace cimmc::cluster
