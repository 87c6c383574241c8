// Scratch of the noise-free fixed-column conversion on one CPU lane
// (convert.hpp, convert_level_sums): there a column's value is its integer
// level sum plus the set's g_off offset, so columns are counted per sum and
// each sum that occurs is converted once.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hd.hpp"
#include "job_view.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// Interleaved counters per level sum: column p counts into copy p % kSumCopies,
// so neighbouring columns with the same sum (most columns of a sparse input
// cycle hold 0) do not wait on each other's increments.
constexpr int kSumCopies = 4;

// Counts column p's level sum a into its copy: count is [sum][copy].
CIMMC_HD void count_level_sum(std::uint32_t* CIMMC_RESTRICT count, int a, int p) {
  ++count[a * kSumCopies + (p & (kSumCopies - 1))];
}

// Level sums a row group can reach: 0 .. (L - 1) x R.
CIMMC_HD std::size_t level_sum_entries(const JobView& v) {
  return static_cast<std::size_t>(v.L - 1) * static_cast<std::size_t>(v.R) + 1;
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc
