#include "study/pipeline.hpp"

#include <algorithm>
#include <stdexcept>

namespace cimmc {

PipelineClock::PipelineClock(std::size_t ranks, std::size_t ahead)
    : ranks_(ranks), ahead_(ahead), free_(ranks, 0.0), in_flight_(ranks * ahead, 0), head_(ranks, 0),
      count_(ranks, 0) {
  if (ranks == 0 || ahead == 0) throw std::invalid_argument("a pipeline needs at least one rank and one round ahead");
}

void PipelineClock::round(const std::vector<double>& cost, const std::vector<std::size_t>& jobs) {
  const std::size_t k = taken_.size();
  const double before = k == 0 ? 0.0 : taken_.back();
  // Rank 0 starts its share once it has taken the previous round.
  double taken = before + (jobs[0] > 0 ? cost[0] : 0.0);
  for (std::size_t r = 1; r < ranks_; ++r) {
    if (jobs[r] == 0) continue;
    double post = free_[r] + cost[r];
    std::size_t* ring = &in_flight_[r * ahead_];
    if (count_[r] == ahead_) {  // wait until rank 0 took the oldest result still in flight
      post = std::max(post, taken_[ring[head_[r]]]);
      head_[r] = (head_[r] + 1) % ahead_;
      --count_[r];
    }
    ring[(head_[r] + count_[r]) % ahead_] = k;
    ++count_[r];
    free_[r] = post;
    taken = std::max(taken, post);
  }
  taken_.push_back(taken);
}

}  // namespace cimmc
