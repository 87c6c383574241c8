// The conversion classes of a job and their statistics, in two passes over
// the same atoms: column-value bins first (a calibrated ADC takes its range
// from them), then the ADC transfer. The atoms are generated once and kept
// between the passes, up to a budget per table; a source beyond it is
// generated again for the second pass, with the same result.
#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/calibration.hpp"
#include "statistical/model.hpp"

namespace cimmc::stat {

std::vector<GroupSize> group_sizes(const JobView& v) {
  const int last = v.K - (v.G - 1) * v.R;
  if (last == v.R) return {{v.R, v.G}};
  std::vector<GroupSize> gs;
  if (v.G > 1) gs.push_back({v.R, v.G - 1});
  gs.push_back({last, 1});
  return gs;
}

namespace {

constexpr double kSliceFloor = 1e-18;  // column_distribution.cpp's kTiny

// Calls f with each slice of the source's atoms: the kept ones, else freshly generated.
void for_each_slice(const JobView& v, const OperandModel& om, const AtomSource& s,
                    const std::function<void(std::span<const Atom>)>& f) {
  if (s.kept) {
    std::size_t begin = 0;
    for (std::size_t end : s.ends) {
      f(std::span<const Atom>(s.atoms).subspan(begin, end - begin));
      begin = end;
    }
  } else if (s.w.empty()) {
    f(column_distribution(v, om.pa[s.c], om.cell[s.q], s.rows).atoms);
  } else {
    column_slices(v, om.cell[s.q], s.rows, s.w_max, f);
  }
}

// One pass over a source into its classes' statistics. Bit-serial classes of
// one column and row count differ only in P(O = o) and, with per-slice or
// per-cycle ranges, in their ADC step: each slice is converted once (per
// distinct step in the ADC pass) and added to every class with its weight.
// With a cache, slices another table converted are only added, and those
// converted here are kept for the others. Returns whether the cache served
// the whole pass (no atoms were generated).
bool run_pass(const JobView& v, const OperandModel& om, const AtomSource& s, Pass pass,
              std::vector<ConversionStats>& stats, SliceCache* cache,
              const std::function<void(std::span<const Atom>)>& also = {}) {
  if (s.w.empty()) {
    for_each_slice(v, om, s, [&](std::span<const Atom> atoms) {
      if (also) also(atoms);
      convert(v, adc_step(v, s.c, s.q), atoms, pass, stats[s.classes.front()]);
    });
    return false;
  }
  std::vector<ConversionStats*> out;
  std::vector<double> step;  // per member; one shared value in the bins pass, which needs none
  for (std::size_t j = 0; j < s.classes.size(); ++j) {
    out.push_back(&stats[s.classes[j]]);
    reset(stats[s.classes[j]], v, pass, 0, s.rows + 1);
    step.push_back(pass == Pass::adc ? adc_step(v, s.at[j].first, s.at[j].second) : 0.0);
  }
  std::vector<double> steps = step;
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  std::vector<double> wo(s.classes.size());
  // Tables sharing a cache keep every slice (w_max = 1); a class leaves out
  // those it weights by at most kTiny, as column_slices drops such atoms
  // from its own tables (the slices' other weights: P(O = o)).
  const double floor = cache ? kSliceFloor : 0.0;
  auto add = [&](const ConversionStats& part, int o, double d) {  // to the classes at step d
    for (std::size_t j = 0; j < s.classes.size(); ++j) wo[j] = step[j] == d && s.w[j][o] > floor ? s.w[j][o] : 0.0;
    accumulate(part, out, wo);
  };
  auto key_of = [&](double d) {
    std::vector<double> k{pass == Pass::bins ? 0.0 : 1.0, d};
    k.insert(k.end(), s.key.begin(), s.key.end());
    return k;
  };
  if (cache) {
    std::vector<const std::vector<SliceCache::Slice>*> hit;
    for (double d : steps) {
      const auto it = cache->by_key.find(key_of(d));
      if (it == cache->by_key.end()) break;
      hit.push_back(&it->second);
    }
    if (hit.size() == steps.size()) {
      for (std::size_t i = 0; i < hit.front()->size(); ++i)
        for (std::size_t k = 0; k < steps.size(); ++k) add((*hit[k])[i].stats, (*hit[k])[i].o, steps[k]);
      return true;
    }
  }
  std::vector<std::vector<SliceCache::Slice>> made(cache ? steps.size() : 0);
  ConversionStats part;
  for_each_slice(v, om, s, [&](std::span<const Atom> slice) {
    if (also) also(slice);
    for (std::size_t k = 0; k < steps.size(); ++k) {
      convert(v, steps[k], slice, pass, part);
      add(part, slice.front().o, steps[k]);
      if (cache) made[k].push_back({slice.front().o, part});
    }
  });
  for (std::size_t k = 0; k < made.size(); ++k) {
    std::vector<double> key = key_of(steps[k]);
    if (cache->by_key.count(key)) continue;  // another step's miss made this pass run
    std::size_t n = 0;
    for (const SliceCache::Slice& sl : made[k])
      n += sl.stats.col.size() + sl.stats.adc.size() + 6 * sl.stats.po.size();
    if (cache->doubles + n > kSliceCacheDoubles) break;
    cache->doubles += n;
    cache->by_key.emplace(std::move(key), std::move(made[k]));
  }
  return false;
}

}  // namespace

ClassTable build_classes(const BuiltJob& job, std::size_t max_kept_atoms, const AdcSpec* adc,
                         const InputScale* scale, SliceCache* cache) {
  const JobView& v = job.view;
  // Column values under IR drop or charge-combined slices are not modelled
  // (statistical_refusal says so before a run); energy alone is (statistical_energy).
  if (v.ir_rho > 0 || v.slice_combine)
    throw std::invalid_argument(std::string("the statistical model does not model ") +
                                (v.ir_rho > 0 ? "IR drop" : "slice_combine charge (one conversion of combined columns)") +
                                "; sample it, or price energy alone with --energy-only");
  ClassTable cl;
  cl.om = operand_model(job, true, scale);
  cl.cache = cache;
  cl.gs = group_sizes(v);
  // A view already in per_cycle mode (no AdcSpec to say) may also step by slice: both kept apart.
  const bool by_cycle = (adc && adc->per_cycle) || v.adc_mode == AdcMode::per_cycle;
  const bool by_slice = (adc && adc->per_slice) || v.adc_mode == AdcMode::per_slice || by_cycle;
  auto column_key = [&](int q, int rows) {  // what a class's atoms take from its column and row group
    std::vector<double> key{1.0 * rows};
    for (const CellOutcome& o : cl.om.cell[q]) key.insert(key.end(), {1.0 * o.s, 1.0 * o.l, o.p, o.g_mean, o.g_var, o.n2});
    return key;
  };
  // A class is fixed by its per-row distributions, row count and ADC step;
  // everything computed from it (statistics, regression slopes) is shared
  // exactly. Bit-serial classes of one column and row count share one source.
  std::map<std::vector<double>, int> seen, columns;
  for (int c = 0; c < v.cycles; ++c)
    for (int q = 0; q < v.ppw; ++q)
      for (const GroupSize& g : cl.gs) {
        const std::vector<double> column = column_key(q, g.rows);
        std::vector<double> key = cl.om.pa[c];
        key.insert(key.end(), column.begin(), column.end());
        key.push_back(by_cycle ? c : -1);
        key.push_back(by_slice ? adc_slice_of(v, q) : -1);
        const int next = static_cast<int>(cl.stats.size());
        auto [it, fresh] = seen.emplace(std::move(key), next);
        cl.index.push_back(it->second);
        if (!fresh) continue;
        cl.stats.emplace_back();
        int src = static_cast<int>(cl.sources.size());
        if (bit_serial(v)) src = columns.emplace(column, src).first->second;
        if (src == static_cast<int>(cl.sources.size())) cl.sources.emplace_back();
        AtomSource& s = cl.sources[src];
        s.c = c, s.q = q, s.rows = g.rows;  // a shared source's classes agree on what it uses
        if (bit_serial(v)) s.key = column;
        s.classes.push_back(next);
        s.at.emplace_back(c, q);
        if (bit_serial(v)) s.w.push_back(active_rows_pmf(cl.om.pa[c], g.rows));
      }
  std::size_t kept = 0;
  for (AtomSource& s : cl.sources) {
    if (!s.w.empty()) {
      s.w_max.assign(s.rows + 1, cache ? 1.0 : 0.0);  // shared slices: the same atoms for every table
      for (const std::vector<double>& w : s.w)
        for (int o = 0; o <= s.rows; ++o) s.w_max[o] = std::max(s.w_max[o], w[o]);
    }
    const bool served = run_pass(v, cl.om, s, Pass::bins, cl.stats, cache, [&](std::span<const Atom> slice) {
      s.atoms.insert(s.atoms.end(), slice.begin(), slice.end());
      s.ends.push_back(s.atoms.size());
    });
    s.kept = !served && kept + s.atoms.size() <= max_kept_atoms;
    if (s.kept) {
      kept += s.atoms.size();
    } else {
      s.atoms = {};
      s.ends = {};
    }
  }
  return cl;
}

void convert_classes(const JobView& v, ClassTable& cl) {
  for (const AtomSource& s : cl.sources) run_pass(v, cl.om, s, Pass::adc, cl.stats, cl.cache);
  cl.sources = {};
}

}  // namespace cimmc::stat
