#include "study/validate.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "study/plan.hpp"
#include "study/rollup.hpp"
#include "study/stat_jobs.hpp"

namespace cimmc {
namespace {

// Batch-means standard error of a per-group ratio sum_x / sum_n.
double ratio_se(const std::vector<double>& x, const std::vector<double>& n) {
  return ratio_estimate(x.data(), n.data(), static_cast<int>(x.size())).se;
}

void compare(Validation& out, Comparison c) {
  const double diff = c.statistical - c.sampled;
  c.rel_err = c.sampled != 0 ? diff / std::fabs(c.sampled) : (diff == 0 ? 0.0 : std::copysign(INFINITY, diff));
  // No standard error (one array instance): nothing to compare against.
  if (std::isnan(c.sampled_se)) {
    c.z = std::numeric_limits<double>::quiet_NaN();
    c.flagged = false;
  } else if (c.sampled_se > 1e-9 * std::fabs(c.sampled)) {  // a spread below rounding is no spread at all
    c.z = diff / c.sampled_se;
    c.flagged = std::fabs(c.z) > 4.0;
  } else {  // no spread to compare against: agreement to rounding passes
    c.z = diff == 0 ? 0.0 : std::copysign(INFINITY, diff);
    c.flagged = std::fabs(c.rel_err) > 1e-9;
  }
  out.flagged += c.flagged;
  out.rows.push_back(std::move(c));
}

}  // namespace

Validation validate_study(const Sweep& sweep, const EngineOptions& opt) {
  std::vector<const Config*> points;
  for (const SweepPoint& p : sweep.points) {
    refuse_digital(p.config);
    points.push_back(&p.config);
  }
  const StudyPlan plan = make_plan(points, 0, points.size());
  // The first layer that uses each job, for labels.
  std::vector<std::string> name_of(plan.jobs.size());
  for (const PointPlan& pp : plan.points)
    for (const LayerPlan& lp : pp.layers)
      for (const auto& ids : lp.jobs)
        for (std::size_t j : ids)
          if (name_of[j].empty()) name_of[j] = lp.name;

  Validation v;
  v.jobs = plan.jobs.size();
  std::vector<const Config*> cfgs;
  for (const Config& c : plan.jobs) cfgs.push_back(&c);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<JobResult> sampled = run_jobs(cfgs, plan.job_ids, opt);
  const auto t1 = std::chrono::steady_clock::now();
  for (std::size_t j = 0; j < plan.jobs.size(); ++j) {
    // A calibrated ADC: the sampler's pilot and the model's predicted quantile
    // set slightly different full scales, which alone moves the clip rate by
    // tens of percent near a 0.999 quantile. The difference is reported on its
    // own row; the other metrics compare both models on the pilot's ADC.
    const AdcSpec& adc = plan.jobs[j].macro.adc;
    const bool calibrated = adc.range == AdcRange::calibrated;
    const auto ts = std::chrono::steady_clock::now();
    const StatJob sj = calibrated
                           ? evaluate_statistical_at(plan.jobs[j], plan.job_ids[j], sampled[j].view)
                           : evaluate_statistical(plan.jobs[j], plan.job_ids[j]);
    const double fs_model = calibrated ? statistical_full_scale(*sj.job, adc) : 0.0;
    v.seconds_statistical += std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
    // Price both on the job's own config (the first point that uses it; it
    // already carries the layer's operands).
    const Config& tc = plan.jobs[j];
    const JobCost s = statistical_job_cost(tc, nullptr, sj);
    const JobCost m = sampled_job_cost(tc, nullptr, sampled[j]);
    if (v.ci_note.empty() && !m.rep.ci_note.empty()) v.ci_note = m.rep.ci_note + "; z is n/a where it needs one";
    Comparison base;
    base.job = j;
    base.layer = name_of[j];
    base.rows_used = tc.tile.rows_used;
    base.cols_used = tc.tile.cols_used;
    if (calibrated) {  // informational: the pilot's quantile has no standard error here
      Comparison fs = base;
      fs.metric = "adc_full_scale";
      fs.units = "column value";
      fs.statistical = fs_model;
      fs.sampled = sampled[j].adc_full_scale;
      fs.rel_err = fs.sampled != 0 ? (fs.statistical - fs.sampled) / std::fabs(fs.sampled) : 0.0;
      fs.z = std::numeric_limits<double>::quiet_NaN();
      v.rows.push_back(fs);
    }
    for (int c = 0; c < kComponents; ++c) {
      Comparison k = base;
      k.metric = std::string(kComponentNames[c]) + "_pj_per_mvm";
      k.units = "pJ";
      k.statistical = s.rep.component_pj[c].mean;
      k.sampled = m.rep.component_pj[c].mean;
      k.sampled_se = m.rep.component_pj[c].se;
      compare(v, k);
    }
    Comparison t = base;
    t.metric = "total_pj_per_mvm";
    t.units = "pJ";
    t.statistical = s.rep.total_pj.mean;
    t.sampled = m.rep.total_pj.mean;
    t.sampled_se = m.rep.total_pj.se;
    compare(v, t);
    // Output error and clipping, with batch-group standard errors.
    std::vector<double> e2, outs, clip, conv;
    for (const GroupMoments& g : sampled[j].groups) {
      e2.push_back(g.sum_err2);
      outs.push_back(g.outputs);
      clip.push_back(static_cast<double>(g.clipped));
      conv.push_back(static_cast<double>(g.conversions));
    }
    Comparison mse = base;
    mse.metric = "mse_lsb2";
    mse.units = "LSB^2";
    mse.statistical = s.mse;
    mse.sampled = m.mse;
    mse.sampled_se = ratio_se(e2, outs);
    compare(v, mse);
    Comparison cr = base;
    cr.metric = "clip_rate";
    cr.units = "1";
    cr.statistical = s.clip_rate;
    cr.sampled = m.clip_rate;
    // With few or no clips the batch spread says little: never let the
    // standard error fall below the binomial one of the predicted rate.
    double nconv = 0;
    for (double c : conv) nconv += c;
    const double p = std::min(std::max(s.clip_rate, 0.0), 1.0);
    const double binom = nconv > 0 ? std::sqrt(p * (1.0 - p) / nconv) : 0.0;
    const double batch = ratio_se(clip, conv);
    cr.sampled_se = std::isnan(batch) ? binom : std::max(batch, binom);
    compare(v, cr);
  }
  v.seconds_sampled = std::chrono::duration<double>(t1 - t0).count();
  return v;
}

Table validation_table(const Validation& v) {
  Table t;
  for (const Comparison& c : v.rows) {
    t.put("job", static_cast<std::int64_t>(c.job), "1", "unique tile job index");
    t.put("layer", c.layer, "1", "first layer using the job");
    t.put("rows_used", static_cast<std::int64_t>(c.rows_used), "1", "active rows of the tile");
    t.put("cols_used", static_cast<std::int64_t>(c.cols_used), "1", "logical weight columns of the tile");
    t.put("metric", c.metric, "1", "compared quantity; its units are in the units column");
    t.put("units", c.units, "1", "units of statistical, sampled and sampled_se");
    t.put("statistical", c.statistical, "see units", "statistical (independence) model value");
    t.put("sampled", c.sampled, "see units", "Monte Carlo mean");
    t.put("sampled_se", c.sampled_se, "see units",
          "standard error of the Monte Carlo mean (batch groups); NaN when the file's ci_note says why");
    t.put("rel_err", c.rel_err, "1", "(statistical - sampled) / |sampled|");
    t.put("z", c.z, "1",
          "(statistical - sampled) / sampled_se; NaN for adc_full_scale rows and where sampled_se is NaN");
    t.put("flagged", static_cast<std::int64_t>(c.flagged), "1", "1 when |z| > 4 (or any difference without spread)");
  }
  return t;
}

}  // namespace cimmc
