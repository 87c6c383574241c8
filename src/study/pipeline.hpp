// The schedule of an MPI run's sampling, as a clock. Rounds of tile jobs (one
// per chunk of points, or per memory-budget batch of it) are dealt to the
// ranks onto their loads so far (deal_lpt, study/partition.hpp). A rank other
// than 0 samples its share of each round and sends it to rank 0 without
// waiting for rank 0 to take it, then goes on to its share of the next round:
// there is no barrier per chunk. Rank 0 samples its own share of a round,
// takes the others' shares of it (in rank order), rolls up and checkpoints.
// Only the pipeline's depth holds a rank back: it keeps at most kRoundsAhead
// results sent and not yet taken, so its memory stays bounded.
//
// The run (study/spread.cpp) and `cimmc plan --ranks` (rank_load) use the same
// deal, and this clock replays the run's waits on the deal's costs, so the
// plan predicts the schedule the run uses.
#pragma once
#include <cstddef>
#include <vector>

namespace cimmc {

// How many rounds' results a rank may have sent that rank 0 has not taken.
inline constexpr std::size_t kRoundsAhead = 4;

class PipelineClock {
 public:
  explicit PipelineClock(std::size_t ranks, std::size_t ahead = kRoundsAhead);
  // One round: each rank's cost (seconds, or any unit of work) and whether it
  // has a share at all (a rank with none sends nothing and does not wait).
  void round(const std::vector<double>& cost, const std::vector<std::size_t>& jobs);
  // When rank 0 has taken the last round so far (0 before any round).
  double wall() const { return taken_.empty() ? 0.0 : taken_.back(); }

 private:
  std::size_t ranks_, ahead_;
  std::vector<double> free_;             // per rank: when it can start its next share
  std::vector<double> taken_;            // per round: when rank 0 has taken every share of it
  std::vector<std::size_t> in_flight_;   // per rank, a ring of `ahead_` round numbers
  std::vector<std::size_t> head_, count_;
};

}  // namespace cimmc
