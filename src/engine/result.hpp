// What the sampler returns for one tile job: exact event histograms and raw
// error moments, both per batch group (instance i belongs to group i % 32), so
// pricing can form batch-means confidence intervals and files can be merged.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "job_view.hpp"

namespace cimmc {

// Event histograms, in the order they are stored.
enum class Hist : int { dac, row, cell, adc, col, count };
inline constexpr std::array<const char*, 5> kHistNames = {"dac_level", "active_rows",
                                                          "cell_level_pair", "adc_code",
                                                          "column_value"};

struct GroupMoments {
  std::uint64_t samples = 0;       // MVMs (input vectors) in this group
  double outputs = 0;              // logical outputs compared (samples * N)
  double sum_err = 0, sum_err2 = 0, max_abs_err = 0, sum_ref = 0, sum_ref2 = 0;
  std::uint64_t clipped = 0, conversions = 0;
};

struct JobResult;
// A result with a job's parameters and histogram sizes but no counts yet (the
// alias-table pointers cleared): what the engine fills and what pricing needs.
JobResult result_shell(const JobView& v, const std::string& backend);

struct JobResult {
  JobView view;                    // the job as sampled (pointers cleared)
  double adc_full_scale = 0;       // column value at the top code
  int dac_levels = 0;              // 2^dac_bits
  int cell_levels = 0;             // L
  int row_bins = 0;                // R + 1
  int adc_codes = 0;
  std::vector<std::uint64_t> hist;      // kBatchGroups x view.hist_size
  std::vector<GroupMoments> groups;     // kBatchGroups
  double wall_seconds = 0;
  std::string backend;             // "cpu" or "cuda"

  // Counters of one histogram summed over all groups.
  std::vector<std::uint64_t> total(Hist h) const;
  // Offset and length of a histogram inside one group's block.
  int offset(Hist h) const;
  int length(Hist h) const;
  // Digital macros: the toggle counters (kTogInput, kTogMult, kTogStage1 ...
  // in job_view.hpp) summed over all groups; empty for analog jobs.
  std::vector<std::uint64_t> toggles() const;
  // Moments summed over all groups (max_abs_err: the largest).
  GroupMoments totals() const;
  std::uint64_t samples() const { return totals().samples; }
  std::uint64_t conversions() const { return totals().conversions; }
};

}  // namespace cimmc
