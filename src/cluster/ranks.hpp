// The processes of one run: a single process, or the ranks of an MPI job
// (`mpirun -np N cimmc run ...`). This is the only interface the rest of
// cimmc sees of MPI; every MPI call lives in mpi_ranks.cpp. Messages are byte
// strings: what they hold (tile-job results, checkpoint positions) is the
// study runner's business, not the transport's.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace cimmc::cluster {

class Ranks {
 public:
  virtual ~Ranks() = default;
  virtual int rank() const = 0;        // 0 .. size()-1; rank 0 writes the files
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // rank among those on this host: picks the GPU
  virtual std::string host() const = 0;
  // Rank 0 gets every rank's `mine`, in rank order; the others get nothing.
  virtual std::vector<std::string> gather(const std::string& mine) = 0;
  // Every rank gets rank 0's `data` (the others' argument is ignored).
  virtual std::string broadcast(const std::string& data) = 0;
  // A rank other than 0 hands `data` to rank 0 and returns without waiting
  // for rank 0 to take it, so it can go on working; at most `in_flight` such
  // messages stay untaken (beyond that, this waits for the oldest), which
  // bounds the memory a rank running ahead holds.
  virtual void send_to_root(std::string data, std::size_t in_flight) = 0;
  // Rank 0: the next message rank `from` sent with send_to_root (one rank's
  // messages arrive in the order it sent them).
  virtual std::string receive_from(int from) = 0;
  // Waits until rank 0 has taken every message this rank sent.
  virtual void finish_sends() = 0;
  // Ends every rank of the job with `code` (an error on one rank would
  // otherwise leave the others waiting for it forever).
  [[noreturn]] virtual void abort(int code) = 0;
};

// The size of the MPI job a launcher (mpirun, srun) started this process in,
// which it exports before main; 0 when no launcher did.
int launcher_world_size();

// Joins the MPI job this process was launched into, or returns null when no
// launcher started it. Throws std::runtime_error when launched as ranks by a
// binary built without MPI: N copies of one run would each write the file.
std::unique_ptr<Ranks> join_ranks();

}  // namespace cimmc::cluster
