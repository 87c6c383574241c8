// Assembly of the statistical model: conversion classes -> expected event
// histograms, error moments (error_model.cpp) and prices.
#include "statistical/statistical.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "statistical/model.hpp"

namespace cimmc {
namespace stat {
namespace {

std::vector<GroupSize> group_sizes(const JobView& v) {
  const int last = v.K - (v.G - 1) * v.R;
  if (last == v.R) return {{v.R, v.G}};
  std::vector<GroupSize> gs;
  if (v.G > 1) gs.push_back({v.R, v.G - 1});
  gs.push_back({last, 1});
  return gs;
}

// Cycle c, physical column q, row count.
struct ClassSpec {
  int c, q, rows;
};

// Bit-serial classes of one column and row count differ only in P(O = o):
// the atoms given O are converted once, slice by slice, and added to each
// class's statistics (out) with its weight.
void convert_sliced(const JobView& v, const OperandModel& om, const std::vector<ClassSpec>& group, bool with_adc,
                    const std::vector<ConversionStats*>& out) {
  const int n = group.front().rows;
  std::vector<std::vector<double>> w;  // [class][o]
  std::vector<double> w_max(n + 1, 0.0);
  for (std::size_t j = 0; j < group.size(); ++j) {
    w.push_back(active_rows_pmf(om.pa[group[j].c], n));
    for (int o = 0; o <= n; ++o) w_max[o] = std::max(w_max[o], w[j][o]);
    reset(*out[j], v, with_adc, 0, n + 1);
  }
  ConversionStats part;
  std::vector<double> wo(group.size());
  column_slices(v, om.cell[group.front().q], n, w_max, [&](std::span<const Atom> slice) {
    convert(v, slice, with_adc, part);
    for (std::size_t j = 0; j < group.size(); ++j) wo[j] = w[j][slice.front().o];
    accumulate(part, out, wo);
  });
}

}  // namespace

ClassTable build_classes(const BuiltJob& job, bool with_adc) {
  const JobView& v = job.view;
  ClassTable cl;
  cl.om = operand_model(job);
  cl.gs = group_sizes(v);
  auto column_key = [&](int q, int rows) {  // what a class takes from its column and row group
    std::vector<double> key{1.0 * rows};
    for (const CellOutcome& o : cl.om.cell[q]) key.insert(key.end(), {1.0 * o.s, 1.0 * o.l, o.p});
    return key;
  };
  // A class is fixed by its per-row distributions and row count; everything
  // computed from it (statistics, regression slopes) is shared exactly.
  std::map<std::vector<double>, int> seen;
  std::vector<ClassSpec> classes;
  for (int c = 0; c < v.cycles; ++c)
    for (int q = 0; q < v.ppw; ++q)
      for (const GroupSize& g : cl.gs) {
        std::vector<double> key = cl.om.pa[c];
        const std::vector<double> column = column_key(q, g.rows);
        key.insert(key.end(), column.begin(), column.end());
        auto [it, fresh] = seen.emplace(std::move(key), static_cast<int>(classes.size()));
        if (fresh) classes.push_back({c, q, g.rows});
        cl.index.push_back(it->second);
      }
  cl.stats.resize(classes.size());
  if (!bit_serial(v)) {
    for (std::size_t i = 0; i < classes.size(); ++i) {
      const ClassSpec& k = classes[i];
      cl.stats[i] = convert(v, column_distribution(v, cl.om.pa[k.c], cl.om.cell[k.q], k.rows).atoms, with_adc);
    }
    return cl;
  }
  std::map<std::vector<double>, std::vector<int>> columns;  // column key -> classes
  for (std::size_t i = 0; i < classes.size(); ++i)
    columns[column_key(classes[i].q, classes[i].rows)].push_back(static_cast<int>(i));
  for (const auto& [key, members] : columns) {
    std::vector<ClassSpec> group;
    std::vector<ConversionStats*> out;
    for (int i : members) group.push_back(classes[i]), out.push_back(&cl.stats[i]);
    convert_sliced(v, cl.om, group, with_adc, out);
  }
  return cl;
}

}  // namespace stat

namespace {

Estimate exact(double x) { return {x, 0.0, x, x}; }

}  // namespace

StatResult statistical_job(const BuiltJob& job) {
  const JobView& v = job.view;
  const stat::ClassTable cl = stat::build_classes(job, true);
  const stat::OperandModel& om = cl.om;
  StatResult r;
  r.hist.assign(v.hist_size, 0.0);
  const int A = 1 << v.dac_bits;

  // Every MVM reads each (row, physical column) once per cycle: cell pairs are
  // products of independent input and cell-level marginals.
  std::vector<double> levels(v.L, 0.0);  // expected physical columns per row at each level
  for (int q = 0; q < v.ppw; ++q)
    for (const stat::CellOutcome& o : om.cell[q]) levels[o.l] += v.N * o.p;
  for (int c = 0; c < v.cycles; ++c) {
    for (int a = 0; a < A; ++a) {
      r.hist[v.off_dac + a] += v.K * om.pa[c][a];
      for (int l = 0; l < v.L; ++l) r.hist[v.off_cell + a * v.L + l] += v.K * om.pa[c][a] * levels[l];
    }
    for (const stat::GroupSize& g : cl.gs) {
      const std::vector<double> b = stat::binomial_pmf(g.rows, 1.0 - om.pa[c][0]);
      for (int k = 0; k <= g.rows; ++k) r.hist[v.off_row + k] += g.count * b[k];
    }
  }

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

  const double xw = om.ex * om.ew;
  r.ref_mean = v.K * xw;
  r.ref_power = v.K * om.ex2 * om.ew2 + static_cast<double>(v.K) * (v.K - 1) * xw * xw;
  r.clip_rate = clipped / (static_cast<double>(v.cycles) * v.G * v.P);
  return r;
}

double statistical_quantile(const BuiltJob& job, double quantile) {
  const JobView& v = job.view;
  const stat::ClassTable cl = stat::build_classes(job, false);
  std::vector<double> col(v.col_nbins, 0.0);
  for (int c = 0; c < v.cycles; ++c)
    for (int q = 0; q < v.ppw; ++q)
      for (std::size_t gi = 0; gi < cl.gs.size(); ++gi) {
        const stat::ConversionStats& s = cl.at(v, c, q, static_cast<int>(gi));
        for (int b = 0; b < v.col_nbins; ++b) col[b] += cl.gs[gi].count * s.col[b];
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

Report price_statistical(const BuiltJob& job, const StatResult& s, const EnergyTables& t) {
  const JobView& v = job.view;
  Report rep;
  const std::array<double, kComponents> e = component_energy(v, s.hist.data(), 1.0, t);
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
  const double conv_per_mvm = static_cast<double>(v.cycles) * v.G * v.P;
  rep.events_per_mvm = {events(v.off_dac, A),
                        events(v.off_row, v.R + 1),
                        events(v.off_cell, A * v.L),
                        events(v.off_col, v.col_nbins),
                        events(v.off_adc, v.code_max - v.code_min + 1),
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
  a.sqnr_db = s.mse > 0 ? 10.0 * std::log10(s.ref_power / s.mse) : std::numeric_limits<double>::infinity();
  a.clip_rate = s.clip_rate;
  return rep;
}

}  // namespace cimmc
