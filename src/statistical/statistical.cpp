// Assembly of the statistical model: conversion classes -> expected event
// histograms, error moments (error_model.cpp) and prices.
#include "statistical/statistical.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "engine/calibration.hpp"
#include "statistical/model.hpp"

namespace cimmc {
namespace {

Estimate exact(double x) { return {x, 0.0, x, x}; }

// The events that follow from the operand marginals alone: DAC levels, active
// rows per (input cycle, row group), and (input level, cell level) pairs.
void add_marginal_events(const JobView& v, const stat::OperandModel& om, const std::vector<stat::GroupSize>& gs,
                         std::vector<double>& hist) {
  const int A = 1 << v.dac_bits;
  // Every MVM reads each (row, physical column) once per cycle: cell pairs are
  // products of independent input and cell-level marginals.
  std::vector<double> levels(v.L, 0.0);  // expected devices per row at each level
  for (int l = 0; l < v.L; ++l) levels[l] = v.N * om.device_levels[l];
  for (int c = 0; c < v.cycles; ++c) {
    for (int a = 0; a < A; ++a) {
      hist[v.off_dac + a] += v.K * om.pa[c][a];
      for (int l = 0; l < v.L; ++l) hist[v.off_cell + a * v.L + l] += v.K * om.pa[c][a] * levels[l];
    }
    for (const stat::GroupSize& g : gs) {
      const std::vector<double> b = stat::binomial_pmf(g.rows, 1.0 - om.pa[c][0]);
      for (int k = 0; k <= g.rows; ++k) hist[v.off_row + k] += g.count * b[k];
    }
  }
}

// E[ref] and E[ref^2] of the exact dot product over K i.i.d. rows.
void set_reference(const JobView& v, const stat::OperandModel& om, StatResult& r) {
  const double xw = om.ex * om.ew;
  r.ref_mean = v.K * xw;
  r.ref_power = v.K * om.ex2 * om.ew2 + static_cast<double>(v.K) * (v.K - 1) * xw * xw;
}

// The histograms and error moments from a converted class table.
StatResult assemble(const BuiltJob& job, const stat::ClassTable& cl) {
  const JobView& v = job.view;
  StatResult r;
  r.hist.assign(v.hist_size, 0.0);
  add_marginal_events(v, cl.om, cl.gs, r.hist);

  double clipped = 0;
  const int ncode = v.code_max - v.code_min + 1;
  for (int c = 0; c < v.cycles; ++c)
    for (int q = 0; q < v.ppw; ++q)
      for (std::size_t gi = 0; gi < cl.gs.size(); ++gi) {
        const stat::ConversionStats& s = cl.at(v, c, q, static_cast<int>(gi));
        const double conv = static_cast<double>(cl.gs[gi].count) * v.N;  // per MVM
        for (int k = 0; k < ncode; ++k) r.hist[v.off_adc + k] += conv * s.adc[k];
        for (int b = 0; b < v.col_nbins; ++b) r.hist[v.off_col + b] += conv * s.col[b];
        clipped += conv * s.p_clip;
      }
  const stat::ErrorMoments em = stat::error_moments(v, cl);
  r.err_mean = em.mean;
  r.err_var_analog = em.analog;
  r.err_var_quantization = em.var[0] - em.analog;
  r.err_var_clipping = em.var[1] - em.var[0];
  r.err_var_noise = em.var[2] - em.var[1];
  r.err_var = em.var[2];
  r.mse = r.err_var + r.err_mean * r.err_mean;

  set_reference(v, cl.om, r);
  r.clip_rate = clipped / (static_cast<double>(v.cycles) * v.G * v.P);
  return r;
}

// A job's class tables: one, or with per-vector input scaling one per part of
// the inputs' law (stat::input_scales), which the results weight and rescale.
struct Tables {
  std::vector<stat::InputScale> parts;  // empty: no input scaling, one table
  std::vector<stat::ClassTable> cl;
  std::unique_ptr<stat::SliceCache> cache;  // the parts' shared bit-serial slices (on the heap: the tables point to it)
  std::unique_ptr<stat::PairMemo> pairs = std::make_unique<stat::PairMemo>();  // every table's, for every job
  double weight(std::size_t i) const { return parts.empty() ? 1.0 : parts[i].weight; }
};

Tables build_tables(const BuiltJob& job, const AdcSpec* adc = nullptr) {
  Tables t;
  t.parts = stat::input_scales(job);
  if (t.parts.empty()) {
    t.cl.push_back(stat::build_classes(job, stat::kKeptAtoms, adc));
  } else {
    t.cache = std::make_unique<stat::SliceCache>();
    const std::size_t kept = stat::kKeptAtoms / t.parts.size();  // one table's budget shared
    for (const stat::InputScale& part : t.parts)
      t.cl.push_back(stat::build_classes(job, kept, adc, &part, t.cache.get()));
  }
  for (stat::ClassTable& cl : t.cl) cl.pairs = t.pairs.get();
  return t;
}

void convert_tables(const JobView& v, Tables& t) {
  for (stat::ClassTable& cl : t.cl) stat::convert_classes(v, cl);
}

// The parts' results summed with their weights. Part i's error, in units of
// its rescaled inputs, is rescaled by m / Q; the variance of each ADC variant
// is that variant's E[e^2] (every variant sharing the real one's mean, as
// within one part) less the mixture's mean squared.
StatResult mix_parts(const BuiltJob& job, const Tables& t) {
  const JobView& v = job.view;
  StatResult r;
  r.hist.assign(v.hist_size, 0.0);
  double mean = 0, e2[4] = {};  // analog, + quantization, + clipping, + noise
  for (std::size_t i = 0; i < t.cl.size(); ++i) {
    const StatResult p = assemble(job, t.cl[i]);
    const double w = t.weight(i), g = static_cast<double>(t.parts[i].m) / v.x_scale_q;
    for (int b = 0; b < v.hist_size; ++b) r.hist[b] += w * p.hist[b];
    r.clip_rate += w * p.clip_rate;
    mean += w * g * p.err_mean;
    const double var[4] = {p.err_var_analog, p.err_var_analog + p.err_var_quantization,
                           p.err_var - p.err_var_noise, p.err_var};
    for (int k = 0; k < 4; ++k) e2[k] += w * g * g * (var[k] + p.err_mean * p.err_mean);
  }
  double var[4];
  for (int k = 0; k < 4; ++k) var[k] = std::max(0.0, e2[k] - mean * mean);
  r.err_mean = mean;
  r.err_var = var[3];
  r.err_var_analog = var[0];
  r.err_var_quantization = var[1] - var[0];
  r.err_var_clipping = var[2] - var[1];
  r.err_var_noise = var[3] - var[2];
  r.mse = r.err_var + mean * mean;
  set_reference(v, stat::operand_model(job, false), r);  // the inputs as they are, unscaled
  return r;
}

// Drift compensation's alpha differs between arrays (relative variance
// alpha_cv2, drift_compensation.cpp) and the error model takes it at its
// expectation. The error alpha' y - x.w = e + (alpha' - alpha) y gains
//   Var(alpha') E[y^2] + 2 E[(alpha' - alpha) y e]
// in its second moment: the first as alpha_cv2 E[(alpha y)^2] of the raw
// analog output, offsets included (alpha_y2; the ADC's rounding's power left
// out); the second from the output's own columns, which are in alpha'
// (alpha_own).
// Those columns also shift its mean by E[(alpha' - alpha) y] (alpha_shift),
// so the variance gains the rest. It is analog error.
void add_alpha_spread(const stat::OperandModel& om, StatResult& r) {
  const double moment = om.alpha_cv2 * om.alpha_y2 + om.alpha_own, dm = om.alpha_shift;
  const double var = moment - 2 * r.err_mean * dm - dm * dm;
  r.err_mean += dm;
  r.err_var += var, r.err_var_analog += var, r.mse += moment;
}

StatResult assemble(const BuiltJob& job, const Tables& t) {
  StatResult r = t.parts.empty() ? assemble(job, t.cl.front()) : mix_parts(job, t);
  if (t.cl.front().om.alpha_cv2 > 0) add_alpha_spread(t.cl.front().om, r);
  return r;
}

// The quantile from the classes' column-value bins.
// Of the column positions in weight slice `slice` (adc_slice_of) and input
// cycle `cycle` only, or of all of them (-1), as the per-slice and per-cycle
// pilots pool their values.
double quantile_of(const JobView& v, const Tables& t, double quantile, int slice = -1, int cycle = -1) {
  std::vector<double> col(v.col_nbins, 0.0);
  for (std::size_t i = 0; i < t.cl.size(); ++i) {
    const stat::ClassTable& cl = t.cl[i];
    for (int c = 0; c < v.cycles; ++c)
      for (int q = 0; q < v.ppw; ++q)
        for (std::size_t gi = 0; gi < cl.gs.size(); ++gi) {
          if ((slice >= 0 && adc_slice_of(v, q) != slice) || (cycle >= 0 && c != cycle)) continue;
          const stat::ConversionStats& s = cl.at(v, c, q, static_cast<int>(gi));
          const double n = t.weight(i) * cl.gs[gi].count;
          for (int b = 0; b < v.col_nbins; ++b) col[b] += n * s.col[b];
        }
  }
  // The same fold and walk as column_quantile() on the pilot histogram.
  std::vector<std::pair<double, double>> mag;
  double total = 0;
  for (int b = 0; b < v.col_nbins; ++b) {
    mag.emplace_back(std::fabs(v.col_lo + b * v.col_bw), col[b]);
    total += col[b];
  }
  std::sort(mag.begin(), mag.end());
  const double target = quantile * total;
  double cum = 0;
  for (const auto& [value, p] : mag) {
    cum += p;
    if (cum >= target * (1 - 1e-12)) return value;  // tolerate rounding in the summed probabilities
  }
  return mag.empty() ? 0.0 : mag.back().first;
}

}  // namespace

StatResult statistical_energy(const BuiltJob& job) {
  const JobView& v = job.view;
  const stat::OperandModel om = stat::operand_model(job, false);
  StatResult r;
  r.distributions = false;
  r.hist.assign(v.hist_size, 0.0);
  const std::vector<stat::InputScale> parts = stat::input_scales(job);
  if (parts.empty()) add_marginal_events(v, om, stat::group_sizes(v), r.hist);
  std::vector<double> part(v.hist_size);
  for (const stat::InputScale& s : parts) {  // per-vector input scaling: the parts' DAC levels, weighted
    std::fill(part.begin(), part.end(), 0.0);
    add_marginal_events(v, stat::operand_model(job, false, &s), stat::group_sizes(v), part);
    for (int b = 0; b < v.hist_size; ++b) r.hist[b] += s.weight * part[b];
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::fill_n(r.hist.begin() + v.off_col, v.col_nbins, nan);
  std::fill_n(r.hist.begin() + v.off_adc, v.code_max - v.code_min + 1, nan);
  r.err_mean = r.err_var = r.mse = nan;
  r.err_var_quantization = r.err_var_clipping = r.err_var_noise = r.err_var_analog = nan;
  r.clip_rate = nan;
  set_reference(v, om, r);
  return r;
}

StatResult statistical_job(const BuiltJob& job) {
  Tables t = build_tables(job);
  convert_tables(job.view, t);
  return assemble(job, t);
}

// A calibrated ADC's full scales by (input cycle c, column position q) at
// [c * ppw + q]: the quantile of the values the pilot would pool for it (all,
// the position's slice with adc.per_slice, a twin sharing its positive
// column's; the cycle's with adc.per_cycle), finished by the pilot's own rule
// (one column bin where it is 0, power-of-two rounding), as
// calibrated_full_scales() and calibrated_cycle_scales() do on pilot values.
std::vector<double> full_scales_of(const JobView& v, const Tables& cl, const AdcSpec& adc) {
  std::vector<double> fs(static_cast<std::size_t>(v.cycles) * v.ppw);
  if (!adc.per_slice && !adc.per_cycle) {
    std::fill(fs.begin(), fs.end(), calibrated_range(v, quantile_of(v, cl, adc.quantile), adc));
    return fs;
  }
  for (int c = 0; c < v.cycles; ++c)
    for (int q = 0; q < v.ppw; ++q) {
      const int s = adc.per_slice ? adc_slice_of(v, q) : 0, c0 = adc.per_cycle ? c : 0;
      double& f = fs[static_cast<std::size_t>(c) * v.ppw + q];
      if (c0 != c || s != q)  // shares an earlier (cycle, position)'s range
        f = fs[static_cast<std::size_t>(c0) * v.ppw + s];
      else
        f = calibrated_range(v, quantile_of(v, cl, adc.quantile, adc.per_slice ? s : -1, adc.per_cycle ? c : -1), adc);
    }
  return fs;
}

// Sets a view's ADC steps from full_scales_of, as the pilot's calibration does.
void set_full_scales(JobView& v, const std::vector<double>& fs, const AdcSpec& adc) {
  if (adc.per_cycle) {
    set_adc_cycle_scales(v, fs);
    return;
  }
  std::array<double, kMaxPhysPerWeight> q{};
  std::copy_n(fs.begin(), v.ppw, q.begin());
  set_adc_full_scales(v, q, adc.per_slice);
}

double statistical_quantile(const BuiltJob& job, double quantile) {
  return quantile_of(job.view, build_tables(job), quantile);
}

double statistical_full_scale(const BuiltJob& job, const AdcSpec& adc) {
  const std::vector<double> fs = full_scales_of(job.view, build_tables(job, &adc), adc);
  return *std::max_element(fs.begin(), fs.end());
}

struct StatisticalGroup::Impl {
  Tables t;
  AdcSpec adc;
  std::vector<double> fs;  // a calibrated ADC's full scales, else empty
};

StatisticalGroup::StatisticalGroup(BuiltJob& first, const AdcSpec& adc) : impl_(std::make_unique<Impl>()) {
  Impl& g = *impl_;
  g.t = build_tables(first, &adc);
  g.adc = adc;
  if (adc.range == AdcRange::calibrated) {
    g.fs = full_scales_of(first.view, g.t, adc);
    set_full_scales(first.view, g.fs, adc);
  }
  convert_tables(first.view, g.t);
}

StatisticalGroup::~StatisticalGroup() = default;

StatResult StatisticalGroup::evaluate(BuiltJob& job) const {
  if (!impl_->fs.empty()) set_full_scales(job.view, impl_->fs, impl_->adc);
  return assemble(job, impl_->t);
}

std::vector<StatResult> statistical_jobs(const std::vector<BuiltJob*>& jobs, const AdcSpec& adc) {
  const StatisticalGroup g(*jobs.front(), adc);
  std::vector<StatResult> out;
  for (BuiltJob* job : jobs) out.push_back(g.evaluate(*job));
  return out;
}

Report price_statistical(const BuiltJob& job, const StatResult& s, const EnergyTables& t) {
  const JobView& v = job.view;
  Report rep;
  // Column reads per physical column; conversions (and shift-adds) one per
  // weight when its slices are charge-combined.
  const double col_per_mvm = static_cast<double>(v.cycles) * v.G * v.P;
  const double conv_per_mvm = static_cast<double>(v.cycles) * v.G * conversion_columns(v);
  std::array<double, kComponents> e;
  if (s.distributions) {
    e = component_energy(v, s.hist.data(), 1.0, t);
  } else {
    // Energy only: one column value and one ADC code per conversion, at a
    // price that must not depend on which.
    auto constant = [](const std::vector<double>& x) {
      return !x.empty() && std::all_of(x.begin(), x.end(), [&](double y) { return y == x.front(); });
    };
    if (!constant(t.column) || !constant(t.adc))
      throw std::invalid_argument(
          "energy-only statistical model: column or ADC energy depends on the value (energy.column / energy.adc "
          "e1_pj, e2_pj or epop_pj); it needs the column-value and code distributions");
    e = component_energy(v, s.hist.data(), 1.0, t);  // column and ADC come out NaN; replaced here
    e[static_cast<int>(Component::column)] = col_per_mvm * t.column.front();
    e[static_cast<int>(Component::adc)] = conv_per_mvm * t.adc.front();
  }
  double total = 0;
  for (int c = 0; c < kComponents; ++c) {
    rep.component_pj[c] = exact(e[c]);
    total += e[c];
  }
  rep.total_pj = exact(total);
  auto events = [&](int off, int len) {
    double n = 0;
    for (int i = 0; i < len; ++i) n += s.hist[off + i];
    return n;
  };
  const int A = 1 << v.dac_bits;
  rep.events_per_mvm = {events(v.off_dac, A),
                        events(v.off_row, v.R + 1),
                        events(v.off_cell, A * v.L),
                        s.distributions ? events(v.off_col, v.col_nbins) : col_per_mvm,
                        s.distributions ? events(v.off_adc, v.code_max - v.code_min + 1) : conv_per_mvm,
                        conv_per_mvm,
                        static_cast<double>(v.cycles) * v.G * v.N,
                        1.0};
  rep.macs_per_mvm = static_cast<double>(v.K) * v.N;
  rep.pj_per_mac = total / rep.macs_per_mvm;
  rep.tops_per_w = 2.0 * rep.macs_per_mvm / total;
  rep.latency_ns = t.latency_ns;
  rep.tops = t.latency_ns > 0 ? 2.0 * rep.macs_per_mvm / (t.latency_ns * 1e3) : 0.0;

  Accuracy& a = rep.accuracy;
  a.err_mean = exact(s.err_mean);
  a.err_std = std::sqrt(std::max(0.0, s.err_var));
  a.err_rms = std::sqrt(std::max(0.0, s.mse));
  a.max_abs_err = std::numeric_limits<double>::quiet_NaN();  // a distribution tail, not predicted
  a.ref_std = std::sqrt(std::max(0.0, s.ref_power - s.ref_mean * s.ref_mean));
  a.err_rel = a.ref_std > 0 ? a.err_std / a.ref_std : 0.0;
  a.sqnr_db = std::isnan(s.mse) ? s.mse : s.mse > 0 ? 10.0 * std::log10(s.ref_power / s.mse) : std::numeric_limits<double>::infinity();
  a.clip_rate = s.clip_rate;
  if (!s.distributions) a.err_std = a.err_rms = a.err_rel = s.mse;  // NaN: not computed (std::max drops NaN)
  return rep;
}

}  // namespace cimmc
