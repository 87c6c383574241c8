#include "io/run_layout.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "io/hdf5_file.hpp"

namespace cimmc::io_detail {

HistSlot hist_slot(const JobResult& r, int h) {
  const JobView& v = r.view;
  switch (static_cast<Hist>(h)) {
    case Hist::dac: return {v.off_dac, r.dac_levels, {kGroups, hsize_t(r.dac_levels)}};
    case Hist::row: return {v.off_row, r.row_bins, {kGroups, hsize_t(r.row_bins)}};
    case Hist::cell:
      return {v.off_cell, r.dac_levels * r.cell_levels,
              {kGroups, hsize_t(r.dac_levels), hsize_t(r.cell_levels)}};
    case Hist::adc: return {v.off_adc, r.adc_codes, {kGroups, hsize_t(r.adc_codes)}};
    default: return {v.off_col, v.col_nbins, {kGroups, hsize_t(v.col_nbins)}};
  }
}

// ---- consistency checks (refuse before creating anything)

void check_layout(const JobResult& r) {
  const JobView& v = r.view;
  if (v.ppw < 1 || v.ppw > kMaxPhysPerWeight)
    throw IoError("job ppw must be in 1.." + std::to_string(kMaxPhysPerWeight));
  if (v.cycles < 1 || v.cycles > kMaxCycles)
    throw IoError("job cycles must be in 1.." + std::to_string(kMaxCycles));
  if (v.hist_size < 1) throw IoError("job hist_size must be positive");
  std::vector<std::pair<int, int>> ranges;
  for (int h = 0; h < static_cast<int>(Hist::count); ++h) {
    const HistSlot s = hist_slot(r, h);
    if (s.length < 1 || s.offset < 0 || s.offset + s.length > v.hist_size)
      throw IoError(std::string("histogram '") + kHistNames[h] +
                    "' does not fit in the job's hist_size block");
    ranges.emplace_back(s.offset, s.offset + s.length);
  }
  if (v.tog_len < 0 || (v.digital && (v.tree_stages < 0 || v.tree_stages > kMaxTreeStages ||
                                      v.tog_len != kTogStage1 + v.tree_stages + 2)))
    throw IoError("job toggle counters (tog_len) do not match tree_stages");
  if (v.tog_len > 0) {
    if (v.off_tog < 0 || v.off_tog + v.tog_len > v.hist_size)
      throw IoError("the job's toggle counters do not fit in its hist_size block");
    ranges.emplace_back(v.off_tog, v.off_tog + v.tog_len);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) throw IoError("histogram ranges overlap");
}

void check_result(const JobResult& r) {
  check_layout(r);
  const auto hs = static_cast<std::size_t>(r.view.hist_size);
  if (r.hist.size() != kGroups * hs)
    throw IoError("result has " + std::to_string(r.hist.size()) + " histogram counters, expected " +
                  std::to_string(kGroups * hs) + " (32 x hist_size)");
  if (r.groups.size() != kGroups)
    throw IoError("result has " + std::to_string(r.groups.size()) + " moment groups, expected 32");
  // Counters outside the five histograms would be silently lost by the file.
  std::vector<bool> covered(hs, false);
  for (int h = 0; h < static_cast<int>(Hist::count); ++h) {
    const HistSlot s = hist_slot(r, h);
    std::fill_n(covered.begin() + s.offset, s.length, true);
  }
  std::fill_n(covered.begin() + r.view.off_tog, r.view.tog_len, true);
  for (std::size_t i = 0; i < r.hist.size(); ++i)
    if (!covered[i % hs] && r.hist[i] != 0)
      throw IoError("result has counts outside its histogram ranges");
}

void check_tables(const JobResult& r, const EnergyTables& t) {
  const auto want = [](const char* name, std::size_t got, long expect) {
    if (static_cast<long>(got) != expect)
      throw IoError(std::string("energy table '") + name + "' has " + std::to_string(got) +
                    " entries, expected " + std::to_string(expect));
  };
  want("dac", t.dac.size(), r.dac_levels);
  want("row_driver", t.row_driver.size(), r.row_bins);
  want("cell", t.cell.size(), static_cast<long>(r.dac_levels) * r.cell_levels);
  want("column", t.column.size(), r.view.col_nbins);
  want("adc", t.adc.size(), r.adc_codes);
}

}  // namespace cimmc::io_detail
