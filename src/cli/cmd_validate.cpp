// `cimmc validate CONFIG`: the statistical model against sampling on the same
// tile jobs; a summary on stdout, every comparison in HDF5 with -o.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "cimmc_version.hpp"
#include "cli/commands.hpp"
#include "io/study_file.hpp"
#include "study/stat_jobs.hpp"
#include "study/validate.hpp"

namespace cimmc {

int cmd_validate(const CliArgs& a) {
  const Sweep sweep = load_study(a);
  for (const SweepPoint& p : sweep.points)
    if (const std::string why = statistical_refusal(p.config.macro); !why.empty())
      throw UsageError(sweep.path + ": point " + std::to_string(p.index) + ": " + why);
  const std::optional<OutputClaim> claim = claim_output(a);  // fail before sampling, not after
  EngineOptions opt = engine_options(a);
  std::string device;
  const std::string backend = resolve_backend(opt.backend, &device, opt.cpu_isa);
  opt.backend = backend == "cuda" ? Backend::cuda : Backend::cpu;
  const Validation v = validate_study(sweep, opt);

  std::printf("%s: %zu tile jobs, statistical vs sampled (%s); sampling %.2f s, statistical %.2f s\n",
              sweep.points.front().config.name.c_str(), v.jobs, backend.c_str(), v.seconds_sampled,
              v.seconds_statistical);
  // Per metric: the largest |z| and |relative error| over all jobs.
  struct Worst { double z = 0, rel = 0; std::size_t flagged = 0, n = 0; bool has_z = false; };
  std::map<std::string, Worst> worst;
  std::vector<std::string> order;
  for (const Comparison& c : v.rows) {
    if (!worst.count(c.metric)) order.push_back(c.metric);
    Worst& w = worst[c.metric];
    w.has_z |= !std::isnan(c.z);
    if (std::isfinite(c.z)) w.z = std::max(w.z, std::fabs(c.z));
    else if (c.flagged) w.z = INFINITY;
    if (std::isfinite(c.rel_err)) w.rel = std::max(w.rel, std::fabs(c.rel_err));
    w.flagged += c.flagged;
    ++w.n;
  }
  std::printf("  metric                     max |z|   max |rel err|   flagged\n");
  for (const std::string& m : order) {
    const Worst& w = worst[m];
    if (w.has_z)
      std::printf("  %-24s %9.2f   %12.3g%%   %3zu of %zu\n", m.c_str(), w.z, 100.0 * w.rel, w.flagged, w.n);
    else  // informational rows (the ADC full scales): no spread, never flagged
      std::printf("  %-24s %9s   %12.3g%%   %3s of %zu\n", m.c_str(), "-", 100.0 * w.rel, "-", w.n);
  }
  if (v.flagged) {
    std::printf("\n  flagged (|z| > 4): where the independence assumptions break\n");
    std::size_t shown = 0;
    for (const Comparison& c : v.rows) {
      if (!c.flagged || shown++ >= 12) continue;
      std::printf("    job %zu (%s, %dx%d) %-22s statistical %.5g vs sampled %.5g +/- %.2g (%+.2f%%, z %+.1f)\n", c.job,
                  c.layer.c_str(), c.rows_used, c.cols_used, c.metric.c_str(), c.statistical, c.sampled,
                  1.96 * c.sampled_se, 100.0 * c.rel_err, c.z);
    }
  }
  if (!v.ci_note.empty()) std::printf("\n  %s\n", v.ci_note.c_str());
  std::printf("\n  %zu of %zu comparisons flagged\n", v.flagged, v.rows.size());
  if (!a.output.empty()) {
    StudyFile meta = output_meta(sweep, a, backend, device);
    meta.ci_note = v.ci_note;
    write_validation_file(claim->target(), meta, validation_table(v));
    std::printf("  wrote %s\n", a.output.c_str());
  }
  return 0;
}

}  // namespace cimmc
