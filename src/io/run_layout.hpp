// The run file's field lists and histogram layout, shared by the writer and
// the reader (hdf5_file.cpp) so a field cannot be written under one name and
// read under another. Private to src/io.
#pragma once
#include <H5Cpp.h>

#include <array>
#include <type_traits>
#include <vector>

#include "engine/result.hpp"
#include "pricing/pricing.hpp"

namespace cimmc::io_detail {

constexpr hsize_t kGroups = kBatchGroups;

// ---- field lists

// Every scalar of /job: JobView's fields (minus the alias-table pointers) and
// JobResult's derived sizes. View/Result may be const (writing) or not (reading).
template <class View, class Result, class F>
void visit_job_scalars(View& v, Result& r, F&& f) {
  f("K", v.K), f("N", v.N), f("R", v.R), f("G", v.G), f("wpg", v.wpg), f("P", v.P);
  f("ppw", v.ppw), f("w_bits", v.w_bits), f("bpc", v.bpc), f("L", v.L);
  f("w_offset", v.w_offset), f("w_mask", v.w_mask), f("signed_cols", v.signed_cols);
  f("in_bits", v.in_bits), f("in_enc", v.in_enc), f("dac_bits", v.dac_bits);
  f("cycles", v.cycles), f("x_offset", v.x_offset);
  f("r_off", v.r_off), f("prog_abs", v.prog_abs), f("prog_rel", v.prog_rel);
  f("read_abs", v.read_abs), f("read_rel", v.read_rel);
  f("stuck_off_u32", v.stuck_off_u32), f("stuck_on_u32", v.stuck_on_u32);
  f("float_path", v.float_path), f("noisy", v.noisy), f("x_rho", v.x_rho);
  f("adc_delta", v.adc_delta), f("adc_noise", v.adc_noise);
  f("code_min", v.code_min), f("code_max", v.code_max);
  f("col_lo", v.col_lo), f("col_bw", v.col_bw), f("col_nbins", v.col_nbins);
  f("off_dac", v.off_dac), f("off_row", v.off_row), f("off_cell", v.off_cell);
  f("off_adc", v.off_adc), f("off_col", v.off_col), f("hist_size", v.hist_size);
  f("seed", v.seed), f("job_id_lo", v.job_id.lo), f("job_id_hi", v.job_id.hi), f("stream_base", v.stream_base);
  f("samples", v.samples), f("per_instance", v.per_instance), f("instances", v.instances);
  f("adc_full_scale", r.adc_full_scale), f("dac_levels", r.dac_levels);
  f("cell_levels", r.cell_levels), f("row_bins", r.row_bins), f("adc_codes", r.adc_codes);
  f("wall_seconds", r.wall_seconds);
}

// The digital tree's /job attributes (present only on digital jobs).
template <class View, class F>
void visit_digital_scalars(View& v, F&& f) {
  f("tree_stages", v.tree_stages), f("acc_bits", v.acc_bits), f("out_bits", v.out_bits);
  f("off_tog", v.off_tog), f("tog_len", v.tog_len);
}

inline constexpr const char* kToggleDescription =
    "digital macro bit toggles between consecutive evaluations of the same hardware (zero state after "
    "programming), by counter: [input lines, multiplier outputs, adder-tree stage 1..tree_stages outputs, "
    "accumulator registers, output registers]";

// /job/moments: one dataset of kBatchGroups values per GroupMoments field.
template <class F>
void visit_moments(F&& f) {
  f("samples", "MVM", "MVMs (input vectors) sampled in the batch group", &GroupMoments::samples);
  f("outputs", "output", "logical outputs compared with the exact dot product (samples x N)",
    &GroupMoments::outputs);
  f("sum_err", "LSB", "sum over outputs of (MVM output - exact integer dot product)",
    &GroupMoments::sum_err);
  f("sum_err2", "LSB^2", "sum over outputs of the squared error", &GroupMoments::sum_err2);
  f("max_abs_err", "LSB", "largest |error| of any output in the group",
    &GroupMoments::max_abs_err);
  f("sum_ref", "LSB", "sum over outputs of the exact integer dot product",
    &GroupMoments::sum_ref);
  f("sum_ref2", "LSB^2", "sum over outputs of the squared exact dot product",
    &GroupMoments::sum_ref2);
  f("clipped", "conversion", "ADC conversions whose input fell outside [code_min, code_max]",
    &GroupMoments::clipped);
  f("conversions", "conversion", "ADC conversions (physical column x cycle x row group)",
    &GroupMoments::conversions);
}

// WPart enumerators in value order.
constexpr std::array<const char*, 5> kWPartNames = {"plain", "pos", "neg", "sign_bit",
                                                    "signed_mag"};
static_assert(static_cast<int>(WPart::signed_mag) + 1 == kWPartNames.size());
// /job attribute adc_mode (format 2.4): AdcMode as a word.
constexpr std::array<const char*, 4> kAdcModeNames = {"shared", "per_slice", "ideal", "per_cycle"};
static_assert(static_cast<int>(AdcMode::per_cycle) + 1 == kAdcModeNames.size());

// What one event of each histogram is and what its bins mean, in kHistNames order.
constexpr std::array<const char*, 5> kHistDescriptions = {
    "DAC drives: one row in one input cycle of one MVM; bin = DAC level 0..dac_levels-1",
    "conversion row groups: one (input cycle, row group) of one MVM; bin = rows in the group "
    "driven with a non-zero DAC level, 0..R",
    "cell reads: one (row, physical column, input cycle) of one MVM; index [DAC level, cell "
    "level]",
    "ADC conversions: one (physical column, input cycle, row group) of one MVM; bin = output "
    "code - code_min",
    "ADC conversions by noise-free column value (cell-level x DAC-level units); bin centre = "
    "col_lo + bin * col_bw, values beyond the ends counted in the end bins"};

// Where histogram h sits inside one group's block, and its dataset shape.
struct HistSlot {
  int offset = 0, length = 0;
  std::vector<hsize_t> dims;
};
HistSlot hist_slot(const JobResult& r, int h);

// Consistency checks, all throwing IoError. check_layout bounds ppw, cycles and
// the five histogram ranges (inside hist_size, not overlapping); check_result
// adds the vector sizes and that no count sits outside the ranges (the file
// would lose it); check_tables matches the energy tables to the histograms.
void check_layout(const JobResult& r);
void check_result(const JobResult& r);
void check_tables(const JobResult& r, const EnergyTables& t);

}  // namespace cimmc::io_detail
