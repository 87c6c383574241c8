#include "pricing/pricing.hpp"

#include <cmath>
#include <limits>

namespace cimmc {

double student_t975(int df) {
  static const double t[] = {0,      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                             2.262,  2.228,  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110,
                             2.101,  2.093,  2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
                             2.052,  2.048,  2.045, 2.042, 2.040};
  if (df < 1) return std::numeric_limits<double>::quiet_NaN();
  if (df <= 31) return t[df];
  return 1.95996 + 2.4 / df;  // asymptotic expansion, < 0.1% off beyond 31
}

std::string no_ci_note(std::uint64_t samples, int per_instance) {
  if (per_instance <= 0 || samples > static_cast<std::uint64_t>(per_instance)) return "";
  return "no CI: all " + std::to_string(samples) + " samples are in one array instance (run.inputs_per_instance = " +
         std::to_string(per_instance) + "); a confidence interval needs 2 or more: lower run.inputs_per_instance " +
         "or raise run.samples";
}

Estimate ratio_estimate(const double* x, const double* n, int groups) {
  double sx = 0, sn = 0;
  int used = 0;
  for (int g = 0; g < groups; ++g) {
    if (n[g] <= 0) continue;
    sx += x[g];
    sn += n[g];
    ++used;
  }
  Estimate e;
  e.mean = sn > 0 ? sx / sn : 0.0;
  if (used < 2) {
    e.se = std::numeric_limits<double>::quiet_NaN();
    e.ci_lo = e.ci_hi = e.se;
    return e;
  }
  const double nbar = sn / used;
  double ss = 0;
  for (int g = 0; g < groups; ++g) {
    if (n[g] <= 0) continue;
    const double d = (x[g] - e.mean * n[g]) / nbar;
    ss += d * d;
  }
  e.se = std::sqrt(ss / (used * (used - 1.0)));
  const double h = student_t975(used - 1) * e.se;
  e.ci_lo = e.mean - h;
  e.ci_hi = e.mean + h;
  return e;
}

namespace {

double dot(const double* h, const std::vector<double>& table) {
  double s = 0;
  for (std::size_t i = 0; i < table.size(); ++i) s += h[i] * table[i];
  return s;
}

}  // namespace

std::array<double, kComponents> component_energy(const JobView& v, const double* hist, double mvms,
                                                 const EnergyTables& t) {
  const double conv_per_mvm = static_cast<double>(v.cycles) * v.G * conversion_columns(v);
  const double acc_per_mvm = static_cast<double>(v.cycles) * v.G * v.N;
  std::array<double, kComponents> e = {dot(hist + v.off_dac, t.dac),        dot(hist + v.off_row, t.row_driver),
                                       dot(hist + v.off_cell, t.cell),      dot(hist + v.off_col, t.column),
                                       dot(hist + v.off_adc, t.adc),        mvms * conv_per_mvm * t.shift_add,
                                       mvms * acc_per_mvm * t.accumulator, mvms * t.leakage_per_mvm};
  e[static_cast<int>(Component::cell)] += mvms * t.cell_per_mvm;
  e[static_cast<int>(Component::row_driver)] += mvms * t.booth_per_mvm;
  for (std::size_t i = 0; i < t.toggle.size(); ++i)
    e[static_cast<int>(t.toggle_component[i])] += hist[v.off_tog + i] * t.toggle[i];
  return e;
}

Report price(const JobResult& r, const EnergyTables& t) {
  const JobView& v = r.view;
  constexpr int G = kBatchGroups;
  double e[kComponents][G] = {}, total[G] = {}, n[G] = {};
  const double conv_per_mvm = static_cast<double>(v.cycles) * v.G * conversion_columns(v);
  const double acc_per_mvm = static_cast<double>(v.cycles) * v.G * v.N;
  std::vector<double> h(static_cast<std::size_t>(v.hist_size));  // counts < 2^53 convert exactly
  for (int g = 0; g < G; ++g) {
    const std::uint64_t* hg = r.hist.data() + static_cast<std::size_t>(g) * v.hist_size;
    for (int i = 0; i < v.hist_size; ++i) h[i] = static_cast<double>(hg[i]);
    n[g] = static_cast<double>(r.groups[g].samples);
    const std::array<double, kComponents> eg = component_energy(v, h.data(), n[g], t);
    for (int c = 0; c < kComponents; ++c) {
      e[c][g] = eg[c];
      total[g] += e[c][g];
    }
  }
  Report rep;
  for (int c = 0; c < kComponents; ++c) rep.component_pj[c] = ratio_estimate(e[c], n, G);
  rep.total_pj = ratio_estimate(total, n, G);
  if (std::isnan(rep.total_pj.se)) rep.ci_note = no_ci_note(r.samples(), v.per_instance);

  const double samples = static_cast<double>(r.samples());
  auto events = [&](Hist h) {
    double s = 0;
    for (auto c : r.total(h)) s += static_cast<double>(c);
    return samples > 0 ? s / samples : 0.0;
  };
  rep.events_per_mvm = {events(Hist::dac), events(Hist::row),
                        events(Hist::cell), events(Hist::col), events(Hist::adc), conv_per_mvm,
                        acc_per_mvm, 1.0};
  if (v.digital) {  // the priced events are toggles; no DAC, no ADC
    rep.events_per_mvm.fill(0.0);
    rep.events_per_mvm[static_cast<int>(Component::leakage)] = 1.0;
    rep.events_per_mvm[static_cast<int>(Component::cell)] = t.cell_reads_per_mvm;
    rep.events_per_mvm[static_cast<int>(Component::row_driver)] = t.booth_encodes_per_mvm;
    const std::vector<std::uint64_t> tog = r.toggles();
    for (std::size_t i = 0; i < tog.size(); ++i)
      rep.events_per_mvm[static_cast<int>(t.toggle_component[i])] += samples > 0 ? static_cast<double>(tog[i]) / samples : 0.0;
  }
  rep.macs_per_mvm = static_cast<double>(v.K) * v.N;
  rep.pj_per_mac = rep.total_pj.mean / rep.macs_per_mvm;
  rep.tops_per_w = 2.0 * rep.macs_per_mvm / rep.total_pj.mean;
  rep.latency_ns = t.latency_ns;
  rep.tops = t.latency_ns > 0 ? 2.0 * rep.macs_per_mvm / (t.latency_ns * 1e3) : 0.0;

  Accuracy& a = rep.accuracy;
  double se[G], on[G], outputs = 0, s1 = 0, s2 = 0, r1 = 0, r2 = 0;
  std::uint64_t clipped = 0, conv = 0;
  for (int g = 0; g < G; ++g) {
    const GroupMoments& m = r.groups[g];
    se[g] = m.sum_err;
    on[g] = m.outputs;
    outputs += m.outputs;
    s1 += m.sum_err;
    s2 += m.sum_err2;
    r1 += m.sum_ref;
    r2 += m.sum_ref2;
    a.max_abs_err = std::max(a.max_abs_err, m.max_abs_err);
    clipped += m.clipped;
    conv += m.conversions;
  }
  a.err_mean = ratio_estimate(se, on, G);
  if (outputs > 0) {
    const double mean = s1 / outputs, rmean = r1 / outputs;
    a.err_std = std::sqrt(std::max(0.0, s2 / outputs - mean * mean));
    a.err_rms = std::sqrt(s2 / outputs);
    a.ref_std = std::sqrt(std::max(0.0, r2 / outputs - rmean * rmean));
    a.err_rel = a.ref_std > 0 ? a.err_std / a.ref_std : 0.0;
    a.sqnr_db = s2 > 0 ? 10.0 * std::log10(r2 / s2) : std::numeric_limits<double>::infinity();
  }
  a.clip_rate = conv > 0 ? static_cast<double>(clipped) / conv : 0.0;
  return rep;
}

}  // namespace cimmc
