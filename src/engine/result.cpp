#include "engine/result.hpp"

#include <algorithm>

namespace cimmc {

JobResult result_shell(const JobView& v, const std::string& backend) {
  JobResult r;
  r.view = v;
  r.view.x_dist = AliasView{};
  r.view.w_dist = AliasView{};
  r.view.normal_table = nullptr;
  r.view.x_z = nullptr;
  r.view.x_pixels = nullptr;
  r.view.x_lut = nullptr;
  r.view.w_given = nullptr;
  r.view.x_given = nullptr;
  r.view.y_out = nullptr;
  r.view.col_capture = nullptr;
  r.adc_full_scale = v.adc_delta * v.code_max;
  r.dac_levels = 1 << v.dac_bits;
  r.cell_levels = v.L;
  r.row_bins = v.R + 1;
  r.adc_codes = v.code_max - v.code_min + 1;
  r.backend = backend;
  return r;
}

int JobResult::offset(Hist h) const {
  switch (h) {
    case Hist::dac: return view.off_dac;
    case Hist::row: return view.off_row;
    case Hist::cell: return view.off_cell;
    case Hist::adc: return view.off_adc;
    case Hist::col: return view.off_col;
    default: return 0;
  }
}

int JobResult::length(Hist h) const {
  switch (h) {
    case Hist::dac: return dac_levels;
    case Hist::row: return row_bins;
    case Hist::cell: return dac_levels * cell_levels;
    case Hist::adc: return adc_codes;
    case Hist::col: return view.col_nbins;
    default: return 0;
  }
}

std::vector<std::uint64_t> JobResult::total(Hist h) const {
  std::vector<std::uint64_t> t(length(h), 0);
  for (int g = 0; g < kBatchGroups; ++g) {
    const std::uint64_t* b = hist.data() + static_cast<std::size_t>(g) * view.hist_size + offset(h);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] += b[i];
  }
  return t;
}

std::vector<std::uint64_t> JobResult::toggles() const {
  std::vector<std::uint64_t> t(static_cast<std::size_t>(view.tog_len), 0);
  for (int g = 0; g < kBatchGroups; ++g) {
    const std::uint64_t* b = hist.data() + static_cast<std::size_t>(g) * view.hist_size + view.off_tog;
    for (std::size_t i = 0; i < t.size(); ++i) t[i] += b[i];
  }
  return t;
}

GroupMoments JobResult::totals() const {
  GroupMoments s;
  for (const GroupMoments& g : groups) {
    s.samples += g.samples;
    s.outputs += g.outputs;
    s.sum_err += g.sum_err;
    s.sum_err2 += g.sum_err2;
    s.sum_ref += g.sum_ref;
    s.sum_ref2 += g.sum_ref2;
    s.max_abs_err = std::max(s.max_abs_err, g.max_abs_err);
    s.clipped += g.clipped;
    s.conversions += g.conversions;
  }
  return s;
}

}  // namespace cimmc
