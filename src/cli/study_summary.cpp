#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "cli/summary.hpp"

namespace cimmc {
namespace {

const std::vector<double>& num(const Table& t, const std::string& name) {
  static const std::vector<double> empty;
  const Column* c = t.find(name);
  return c ? std::get<std::vector<double>>(c->data) : empty;
}

std::string cell(double v, const char* f = "%.4g") {
  char b[48];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string or_na(double v, const char* f) { return std::isnan(v) ? std::string("n/a") : cell(v, f); }

}  // namespace

void print_study_summary(std::ostream& os, const std::vector<std::string>& keys, std::size_t layers,
                         const ParamsOf& params_of, const StudyFile& f, const StudyStats& st) {
  os << f.name << ": " << st.points << " hardware point(s) x " << layers << " layer(s); " << st.mappings
     << " feasible mappings (" << st.pruned << " pruned); " << st.layer_rows << " layer rows kept\n";
  const std::size_t unique = st.jobs_statistical ? st.jobs_statistical : st.jobs_sampled;
  os << "  tile jobs: " << st.job_refs << " uses, " << unique << " unique";
  if (st.job_refs > 0)
    os << " (dedupe saves " << cell(100.0 * (1.0 - static_cast<double>(unique) / st.job_refs), "%.1f") << "%)";
  if (st.jobs_statistical) os << ", evaluated statistically";
  if (st.points_refined) os << "; " << st.points_refined << " best points re-run sampled (" << st.jobs_sampled << " jobs)";
  if (st.points_resumed) os << "; resumed after " << st.points_resumed << " points";
  os << "\n  time: " << cell(st.seconds, "%.2f") << " s (" << cell(st.sampling_seconds, "%.2f") << " s in tile jobs";
  if (const EngineTimes& e = st.engine; e.total() > 0)
    os << ": building " << cell(e.build, "%.2f") << ", pilots " << cell(e.pilots, "%.2f") << ", calibration "
       << cell(e.calibration, "%.2f") << ", sampling " << cell(e.sampling, "%.2f") << ", results "
       << cell(e.assembly, "%.2f");
  if (const LaunchTimes& g = st.engine.gpu; g.kernel > 0)
    os << "; GPU launches: setup " << cell(g.setup, "%.2f") << ", kernels " << cell(g.kernel, "%.2f") << ", copy back "
       << cell(g.copy_back, "%.2f");
  os << ")\n\n";

  const Table& n = f.network;
  const auto& e = num(n, "total_pj");
  const auto& ci = num(n, "total_pj_ci95");
  const auto& lat = num(n, "latency_ns");
  const auto& tw = num(n, "tops_per_w");
  const auto& sq = num(n, "sqnr_db");
  const auto& sqmin = num(n, "sqnr_db_min");
  const auto& clip = num(n, "clip_rate");
  // Area and clock: the provisioned macros' area, throughput over it, and the
  // macro's clock period (NaN, shown n/a, where a table lacks the column).
  const auto& area = num(n, "cim_area_mm2");
  const auto& tpa = num(n, "tops_per_mm2");
  const auto& clk = num(n, "clock_ns");
  const auto at = [](const std::vector<double>& c, std::size_t i) {
    return i < c.size() ? c[i] : std::numeric_limits<double>::quiet_NaN();
  };
  // Rows are points in sweep order; a shard's start after the first point.
  const Column* pc = n.find("point");
  const auto point_of = [&](std::size_t row) {
    return pc ? static_cast<std::size_t>(std::get<std::vector<std::int64_t>>(pc->data)[row]) : row;
  };
  std::vector<std::size_t> show;
  if (e.size() <= 12 && e.size() == st.points) {
    for (std::size_t i = 0; i < e.size(); ++i) show.push_back(i);
  } else {  // the extremes: lowest energy, lowest latency, best SQNR
    std::size_t be = 0, bl = 0, bs = 0;
    for (std::size_t i = 1; i < e.size(); ++i) {
      if (e[i] < e[be]) be = i;
      if (lat[i] < lat[bl]) bl = i;
      if (sq[i] > sq[bs]) bs = i;
    }
    show = {be, bl, bs};
    os << "  rows shown: lowest energy, lowest latency, best SQNR (of " << st.points << ")\n";
  }
  os << "  point   energy [uJ]   +/-95%      latency [us]   TOPS/W    SQNR [dB]  worst layer   clip rate"
        "   area [mm2]   TOPS/mm2  clock [ns]";
  for (const std::string& k : keys) os << "   " << k;
  os << "\n";
  for (std::size_t i : show) {
    char line[320];
    // NaN is shown as n/a: no CI (the file's ci_note, printed below, says why), or
    // accuracy not predicted (--energy-only).
    std::snprintf(line, sizeof line, "  %5zu  %12.4f  %9s  %14.3f  %8.3f  %10s  %11s  %10s  %11s  %9s  %10s", point_of(i),
                  e[i] * 1e-6, or_na(ci[i] * 1e-6, "%.4f").c_str(), lat[i] * 1e-3, tw[i], or_na(sq[i], "%.2f").c_str(),
                  or_na(sqmin[i], "%.2f").c_str(), or_na(clip[i], "%.3g").c_str(), or_na(at(area, i), "%.4f").c_str(),
                  or_na(at(tpa, i), "%.3f").c_str(), or_na(at(clk, i), "%.3f").c_str());
    os << line;
    for (const auto& kv : params_of(point_of(i))) os << "   " << kv.second;
    os << "\n";
  }
  if (!f.ci_note.empty()) os << "  " << f.ci_note << "\n";
}

}  // namespace cimmc
