// The MPI transport: every MPI call in cimmc is in this file. Only the main
// thread calls MPI (MPI_THREAD_FUNNELED); OpenMP threads sample in between.
#if defined(CIMMC_HAVE_MPI)
// The C API only: MPI's deprecated C++ bindings would need their own library.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <cstdint>
#include <stdexcept>

#include "cluster/ranks.hpp"

namespace cimmc::cluster {
namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw std::runtime_error(std::string(what) + ": " + std::string(text, len));
}

int as_count(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX))
    throw std::runtime_error("an MPI message of " + std::to_string(n) +
                             " bytes exceeds 2 GiB (use fewer --chunk-points per rank)");
  return static_cast<int>(n);
}

class MpiRanks final : public Ranks {
 public:
  MpiRanks() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
          "MPI_Comm_split_type");
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_free(&local);
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    MPI_Get_processor_name(name, &len);
    host_.assign(name, len);
  }
  ~MpiRanks() override { MPI_Finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string host() const override { return host_; }

  std::vector<std::string> gather(const std::string& mine) override {
    const int n = as_count(mine.size());
    std::vector<int> counts(rank_ == 0 ? size_ : 0), displs(counts.size());
    check(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
    std::string all;
    if (rank_ == 0) {
      std::size_t total = 0;
      for (int r = 0; r < size_; ++r) {
        displs[r] = as_count(total);
        total += static_cast<std::size_t>(counts[r]);
      }
      as_count(total);
      all.resize(total);
    }
    check(MPI_Gatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, 0,
                      MPI_COMM_WORLD),
          "MPI_Gatherv");
    std::vector<std::string> out;
    for (int r = 0; r < static_cast<int>(counts.size()); ++r) out.push_back(all.substr(displs[r], counts[r]));
    return out;
  }

  std::string broadcast(const std::string& data) override {
    std::uint64_t n = rank_ == 0 ? data.size() : 0;
    check(MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
    std::string out = rank_ == 0 ? data : std::string(n, '\0');
    check(MPI_Bcast(out.data(), as_count(n), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
    return out;
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::string host_;
};

}  // namespace

std::unique_ptr<Ranks> join_ranks() {
  if (launcher_world_size() == 0) return nullptr;
  return std::make_unique<MpiRanks>();
}

}  // namespace cimmc::cluster
#endif
