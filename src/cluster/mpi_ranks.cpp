// The MPI transport: every MPI call in cimmc is in this file. Only the main
// thread calls MPI (MPI_THREAD_FUNNELED); OpenMP threads sample in between.
#if defined(CIMMC_HAVE_MPI)
// The C API only: MPI's deprecated C++ bindings would need their own library.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <thread>

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

// Waits for a nonblocking collective by testing it every 200 us. A blocking
// one spins a core while this rank waits for the others (rank 0 rolling up
// and checkpointing, a rank with a longer share): on a node whose cores are
// all ranks, or shared with other jobs, that spinning takes the CPU the
// working ranks need. 200 us per chunk is nothing against a chunk's sampling.
void wait(MPI_Request& req, const char* what) {
  int done = 0;
  for (;;) {
    check(MPI_Test(&req, &done, MPI_STATUS_IGNORE), what);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
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
    MPI_Request req;
    check(MPI_Igather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD, &req), "MPI_Igather");
    wait(req, "MPI_Igather");
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
    check(MPI_Igatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, 0,
                       MPI_COMM_WORLD, &req),
          "MPI_Igatherv");
    wait(req, "MPI_Igatherv");
    std::vector<std::string> out;
    for (int r = 0; r < static_cast<int>(counts.size()); ++r) out.push_back(all.substr(displs[r], counts[r]));
    return out;
  }

  std::string broadcast(const std::string& data) override {
    std::uint64_t n = rank_ == 0 ? data.size() : 0;
    MPI_Request req;
    check(MPI_Ibcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &req), "MPI_Ibcast");
    wait(req, "MPI_Ibcast");
    std::string out = rank_ == 0 ? data : std::string(n, '\0');
    check(MPI_Ibcast(out.data(), as_count(n), MPI_BYTE, 0, MPI_COMM_WORLD, &req), "MPI_Ibcast");
    wait(req, "MPI_Ibcast");
    return out;
  }

  void send_to_root(std::string data, std::size_t in_flight) override {
    while (!sent_.empty() && sent_.size() >= in_flight) finish_oldest();
    auto msg = std::make_unique<Sent>();
    msg->data = std::move(data);
    check(MPI_Isend(msg->data.data(), as_count(msg->data.size()), MPI_BYTE, 0, kResultTag, MPI_COMM_WORLD, &msg->req),
          "MPI_Isend");
    sent_.push_back(std::move(msg));
  }

  std::string receive_from(int from) override {
    // Probe by polling, as wait() does, then receive the size it found.
    MPI_Status st;
    for (int found = 0;;) {
      check(MPI_Iprobe(from, kResultTag, MPI_COMM_WORLD, &found, &st), "MPI_Iprobe");
      if (found) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    int n = 0;
    MPI_Get_count(&st, MPI_BYTE, &n);
    std::string out(static_cast<std::size_t>(n), '\0');
    check(MPI_Recv(out.data(), n, MPI_BYTE, from, kResultTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    return out;
  }

  void finish_sends() override {
    while (!sent_.empty()) finish_oldest();
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  // Results sent to rank 0 travel under their own tag, apart from collectives.
  static constexpr int kResultTag = 17;
  // A message in flight: its bytes must live until MPI has sent them (held by
  // pointer: moving a short std::string would move its bytes).
  struct Sent {
    std::string data;
    MPI_Request req;
  };
  void finish_oldest() {
    wait(sent_.front()->req, "MPI_Isend");
    sent_.pop_front();
  }

  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::string host_;
  std::deque<std::unique_ptr<Sent>> sent_;
};

}  // namespace

std::unique_ptr<Ranks> join_ranks() {
  if (launcher_world_size() == 0) return nullptr;
  return std::make_unique<MpiRanks>();
}

}  // namespace cimmc::cluster
#endif
