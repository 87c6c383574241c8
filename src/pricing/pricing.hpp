// Pricing: event histograms x per-event energy tables -> energy per MVM, with
// batch-means standard errors and 95% confidence intervals. Re-pricing with
// other energy parameters reuses the histograms; nothing is resampled.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "engine/result.hpp"
#include "spec/spec.hpp"

namespace cimmc {

enum class Component : int { dac, row_driver, cell, column, adc, shift_add, accumulator, leakage, count };
inline constexpr int kComponents = static_cast<int>(Component::count);
inline constexpr std::array<const char*, kComponents> kComponentNames = {
    "dac", "row_driver", "cell", "column", "adc", "shift_add", "accumulator", "leakage"};

// Mean with its standard error and a 95% confidence interval (Student t over batch groups).
struct Estimate {
  double mean = 0, se = 0, ci_lo = 0, ci_hi = 0;
};

// Energy of one event of each kind, indexed like the histogram it prices [pJ].
struct EnergyTables {
  std::vector<double> dac;          // by DAC level
  std::vector<double> row_driver;   // by active rows of one (input cycle, row group)
  std::vector<double> cell;         // by (DAC level, cell level), row-major
  std::vector<double> column;       // by column-value bin
  std::vector<double> adc;          // by code (index = code - code_min)
  double shift_add = 0;             // per conversion
  double accumulator = 0;           // per (cycle, row group, output)
  // Digital macros: energy of one toggle of each counter of the job's toggle
  // section (kTogInput, kTogMult, kTogStage1 ... in job_view.hpp) and the
  // component it is charged to. Empty for analog jobs.
  std::vector<double> toggle;
  std::vector<Component> toggle_component;
  // Cell energy per MVM that no histogram counts: a digital cell group's
  // local bitline read by every evaluation (digital_energy.cpp).
  double cell_per_mvm = 0;
  double cell_reads_per_mvm = 0;
  // Row-driver energy per MVM that no histogram counts: a Booth macro's
  // encoders, one per row per cycle (digital_energy.cpp).
  double booth_per_mvm = 0;
  double booth_encodes_per_mvm = 0;
  double leakage_per_mvm = 0;       // leakage power x MVM latency
  double latency_ns = 0;            // one MVM of the tile
};

EnergyTables make_energy_tables(const Config& cfg, const JobResult& r);

// E(v) = e0 + e1 v + e2 v^2 + epop popcount(v) [pJ]; resolve() lets a config's
// EventEnergy override a default's coefficients.
struct Poly {
  double e0 = 0, e1 = 0, e2 = 0, epop = 0;
  double operator()(double v) const;
};
Poly resolve(const EventEnergy& e, Poly d);

// The setting that makes an analog conversion's column or ADC energy depend on
// its value, as "key = value" ("" when none): energy.column / energy.adc
// e1_pj, e2_pj or epop_pj, or macro.cell sram (its bitline energy is linear in
// the column value unless energy.column.e1_pj is written). A model that
// prices one column value and ADC code per conversion (the energy-only
// statistical model) cannot price it.
std::string value_dependent_conversion(const Config& cfg);

// A digital job's tables (digital_energy.cpp): the analog tables at zero
// (the sizes the histograms need) and the per-toggle energies.
void digital_energy_tables(const Config& cfg, const JobResult& r, EnergyTables& t);

struct Accuracy {
  Estimate err_mean;         // mean MVM error [output LSB = one unit of the integer dot product]
  double err_std = 0;        // standard deviation of the error [output LSB]
  double err_rms = 0;        // root mean square error [output LSB]
  double max_abs_err = 0;    // [output LSB]
  double ref_std = 0;        // spread of the exact outputs [output LSB]
  double err_rel = 0;        // err_std / ref_std
  double sqnr_db = 0;        // 10 log10(sum ref^2 / sum err^2); +inf when lossless
  double clip_rate = 0;      // clipped conversions / conversions
};

struct Report {
  std::array<Estimate, kComponents> component_pj{};  // per MVM
  Estimate total_pj;                                 // per MVM
  std::array<double, kComponents> events_per_mvm{};
  double macs_per_mvm = 0;
  double pj_per_mac = 0;
  double tops_per_w = 0;     // 2 ops per MAC
  double latency_ns = 0;
  double tops = 0;           // one macro, back-to-back MVMs
  Accuracy accuracy;
  // Why the standard errors and CIs are NaN; empty when they exist.
  std::string ci_note;
};

Report price(const JobResult& r, const EnergyTables& t);

// Energy of each component for `mvms` MVMs whose events are `hist` (one batch
// group's block in the sampler's layout, as doubles). price() feeds it one group's
// counts; the statistical model feeds it expected events of one MVM (mvms = 1).
std::array<double, kComponents> component_energy(const JobView& v, const double* hist, double mvms,
                                                 const EnergyTables& t);

// Ratio (batch-means) estimator over batch groups: mean = sum(x_g) / sum(n_g)
// over groups with n_g > 0, its standard error from the spread of the group
// ratios, and a Student-t 95% interval; se is NaN with fewer than 2 groups.
Estimate ratio_estimate(const double* x, const double* n, int groups);

// The explanation that comes with a NaN CI: batch means need samples in at
// least 2 batch groups, so at least 2 array instances. `samples` MVMs with
// `per_instance` inputs per instance; empty when there are 2 instances or more.
std::string no_ci_note(std::uint64_t samples, int per_instance);

// 97.5% quantile of Student's t with df degrees of freedom.
double student_t975(int df);

}  // namespace cimmc
