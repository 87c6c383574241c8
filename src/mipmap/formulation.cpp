#include "mipmap/formulation.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "loopnest/mapspace.hpp"
#include "mipmap/builder.hpp"

namespace cimmc::mipmap {

namespace {

std::vector<std::int64_t> divisors(std::int64_t n) {
  std::vector<std::int64_t> v;
  for (std::int64_t k = 1; k * k <= n; ++k)
    if (n % k == 0) {
      v.push_back(k);
      if (k != n / k) v.push_back(n / k);
    }
  std::sort(v.begin(), v.end());
  return v;
}

int exponent(std::int64_t v, std::int64_t p) {
  int e = 0;
  for (; v % p == 0; v /= p) ++e;
  return e;
}

}  // namespace

void Builder::make_choices() {
  const ln::Mapspace ms(h_, s_);
  for (int d = 0; d < kDims; ++d) {
    ell_[std::size_t(d)].assign(std::size_t(L_), {});
    const std::int64_t n = s_.size(d);
    if (n == 1) continue;
    const std::vector<std::int64_t> divs = divisors(n);
    std::vector<int> choice_ids;
    for (const ln::Mapspace::Slot& sl : ms.slot_list(d)) {
      Formulation::Choice c{d, sl.level, sl.spatial, {}, {}};
      std::int64_t cap = n;
      if (sl.spatial) {
        const ln::StorageLevel& lv = h_.levels[std::size_t(sl.level)];
        cap = lv.fanout[std::size_t(ln::spatial_axis(lv, d))].size;
      }
      LinExpr& e = ell_[std::size_t(d)][std::size_t(sl.level)][sl.spatial ? 1 : 0];
      LinExpr one;
      for (std::int64_t v : divs) {
        if (v > cap) break;
        const int col = f_.milp.add_binary();
        c.cols.push_back(col);
        c.values.push_back(v);
        one.terms.emplace_back(col, 1.0);
        if (v > 1) e.terms.emplace_back(col, std::log(double(v)));
      }
      e.hi = std::log(double(std::min(cap, n)));
      f_.milp.add_row(one, 'E', 1);
      choice_ids.push_back(int(f_.choices.size()));
      f_.choices.push_back(std::move(c));
    }
    for (const ln::Mapspace::Prime& pr : ms.primes(d)) {
      LinExpr e;
      for (int id : choice_ids) {
        const Formulation::Choice& c = f_.choices[std::size_t(id)];
        for (std::size_t k = 0; k < c.cols.size(); ++k)
          if (int x = exponent(c.values[k], pr.p)) e.terms.emplace_back(c.cols[k], double(x));
      }
      f_.milp.add_row(e, 'E', pr.e);
    }
  }
  // Fan-out axes: the log factors on an axis sum to at most its log size.
  for (int i = 0; i < L_; ++i) {
    const ln::StorageLevel& lv = h_.levels[std::size_t(i)];
    for (int a = 0; a < 2; ++a) {
      LinExpr e;
      for (int d = 0; d < kDims; ++d)
        if (ln::spatial_axis(lv, d) == a) e += ell(d, i, true);
      if (!e.terms.empty()) f_.milp.add_row(e, 'L', std::log(double(lv.fanout[std::size_t(a)].size)) + kLogTol);
    }
  }
}

// Every shape of the innermost fan-out that fits its axes, as one one-hot
// choice linked to that fan-out's factor choices.
void Builder::make_shapes() {
  const ln::StorageLevel& lv = h_.levels[std::size_t(L_ - 1)];
  std::vector<int> dims;
  for (int d = 0; d < kDims; ++d)
    if (s_.size(d) > 1 && ln::spatial_axis(lv, d) >= 0) dims.push_back(d);
  std::array<std::int64_t, kDims> cur = ln::kUnitFactors;
  std::array<std::int64_t, 2> used{1, 1};
  std::function<void(std::size_t)> walk = [&](std::size_t k) {
    if (k == dims.size()) {
      if (shapes_.size() >= kMaxShapes)
        throw MipError("mip mapper: the innermost fan-out admits more than " + std::to_string(kMaxShapes) +
                       " tile shapes for this layer");
      shapes_.push_back(cur);
      return;
    }
    const int d = dims[k];
    const int a = ln::spatial_axis(lv, d);
    for (std::int64_t v : divisors(s_.size(d))) {
      if (used[std::size_t(a)] * v > lv.fanout[std::size_t(a)].size) break;
      used[std::size_t(a)] *= v;
      cur[std::size_t(d)] = v;
      walk(k + 1);
      used[std::size_t(a)] /= v;
    }
    cur[std::size_t(d)] = 1;
  };
  walk(0);
  LinExpr one;
  for (std::size_t c = 0; c < shapes_.size(); ++c) {
    shape_cols_.push_back(f_.milp.add_binary());
    one.terms.emplace_back(shape_cols_.back(), 1.0);
    ln::TileJob job;
    job.shape = shapes_[c];
    ln::JobFigures fig{p_.job_energy_pj, p_.cycles_per_run};
    if (p_.job_figures) fig = (*p_.job_figures)(job);
    if (!(fig.energy_pj >= 0) || !std::isfinite(fig.energy_pj) || !(fig.cycles > 0) || !std::isfinite(fig.cycles))
      throw ln::LoopNestError("cost: the tile job's figures must be a finite energy >= 0 and cycles > 0");
    figures_.push_back(fig);
  }
  f_.milp.add_row(one, 'E', 1);
  f_.shape_cols = shape_cols_;
  for (const Formulation::Choice& ch : f_.choices) {
    if (ch.level != L_ - 1 || !ch.spatial) continue;
    for (std::size_t k = 0; k < ch.cols.size(); ++k) {
      LinExpr e;
      e.terms.emplace_back(ch.cols[k], 1.0);
      for (std::size_t c = 0; c < shapes_.size(); ++c)
        if (shapes_[c][std::size_t(ch.dim)] == ch.values[k]) e.terms.emplace_back(shape_cols_[c], -1.0);
      f_.milp.add_row(e, 'E', 0);
    }
  }
}

LinExpr Builder::ext(int i, int d) const {
  LinExpr e;
  for (int j = i; j < L_; ++j) e += ell(d, j, false) + ell(d, j, true);
  e.lo = 0;
  e.hi = std::log(double(s_.size(d)));
  return e;
}

LinExpr Builder::inst(int i) const {
  LinExpr e;
  for (int j = 0; j < i; ++j)
    for (int d = 0; d < kDims; ++d) e += ell(d, j, true);
  e.lo = 0;
  e.hi = std::min(e.hi, log_macs_);
  return e;
}

LinExpr Builder::steps() const {
  LinExpr e;
  for (int j = 0; j < L_; ++j)
    for (int d = 0; d < kDims; ++d) e += ell(d, j, false);
  e.lo = 0;
  e.hi = log_macs_;
  return e;
}

// Spatial factors at levels [a, b) of the dims relevant (or irrelevant) to op.
LinExpr Builder::spatial(int a, int b, Operand op, bool rel) const {
  LinExpr e;
  for (int j = a; j < b; ++j)
    for (int d = 0; d < kDims; ++d)
      if (ln::relevant(op, d) == rel) e += ell(d, j, true);
  e.lo = 0;
  e.hi = std::min(e.hi, log_macs_);
  return e;
}

// One sliding-window axis (rows: P with R; columns: Q with S) of level i's
// input tile, in log words: exact on boxes, else (p - 1) x stride +
// (r - 1) x dilation + 1 rows, exact as a choice among the extents' divisor
// pairs (rows()).
LinExpr Builder::window(int i, Dim p, Dim r, bool box) {
  LinExpr ep = ext(i, int(p)), er = ext(i, int(r));
  if (box) return ep + er;
  const bool h = p == Dim::P;
  return rows(ep, s_.size(int(p)), er, s_.size(int(r)), h ? s_.stride_h : s_.stride_w,
              h ? s_.dilation_h : s_.dilation_w);
}

// A column bounded below by both expressions (their max, where it is minimised).
LinExpr Builder::at_least(const LinExpr& a, const LinExpr& b) {
  const double hi = std::max(a.hi, b.hi);
  LinExpr w;
  w.terms.emplace_back(f_.milp.add_col(std::min(a.lo, b.lo), hi, 0, false), 1.0);
  w.lo = std::max(a.lo, b.lo);
  w.hi = hi;
  f_.milp.add_row(w - a, 'G', 0);
  f_.milp.add_row(w - b, 'G', 0);
  return w;
}

// Log words of every input an instance of level i ever holds (each is filled
// at least once): the dims' extents there with the spatial factors above i
// left out, the rows at least P's + R's - 1, columns alike.
LinExpr Builder::footprint(int i) {
  const auto whole = [&](Dim d) {
    LinExpr e = ext(i, int(d));
    for (int j = 0; j < i; ++j) e += ell(int(d), j, false);
    return e;
  };
  // Stride and dilation 1: the rows p x stride + r x dilation an instance
  // reads form a sumset of integer sets of p and r elements, so at least
  // p + r - 1 of them, whatever the sets.
  return whole(Dim::G) + whole(Dim::N) + whole(Dim::C) + rows(whole(Dim::P), s_.P, whole(Dim::R), s_.R, 1, 1) +
         rows(whole(Dim::Q), s_.Q, whole(Dim::S), s_.S, 1, 1);
}

// Log rows (p - 1) x stride + (r - 1) x dilation + 1 for log extents a and b
// (divisors of n_a and n_b), exact as one choice among the divisor pairs
// (not convex in the logs: no tangents would bound it).
LinExpr Builder::rows(const LinExpr& a, std::int64_t n_a, const LinExpr& b, std::int64_t n_b, std::int64_t stride,
                      std::int64_t dilation) {
  const auto count = [&](std::int64_t v, std::int64_t w) { return double((v - 1) * stride + (w - 1) * dilation + 1); };
  LinExpr one, la = a, lb = b, out;
  for (LinExpr* e : {&la, &lb}) {
    for (auto& t : e->terms) t.second = -t.second;
    e->constant = -e->constant;
  }
  for (std::int64_t v : divisors(n_a))
    for (std::int64_t w : divisors(n_b)) {
      const int y = f_.milp.add_binary();
      one.terms.emplace_back(y, 1.0);
      la.terms.emplace_back(y, std::log(double(v)));
      lb.terms.emplace_back(y, std::log(double(w)));
      out.terms.emplace_back(y, std::log(count(v, w)));
    }
  f_.milp.add_row(one, 'E', 1);
  f_.milp.add_row(la, 'E', 0);
  f_.milp.add_row(lb, 'E', 0);
  out.lo = 0;
  out.hi = std::log(count(n_a, n_b));
  return out;
}

LinExpr Builder::tile(int i, Operand op) {
  const std::size_t a = std::size_t(i), o = std::size_t(op);
  if (tile_done_[a][o]) return tile_cache_[a][o];
  LinExpr e;
  if (op != Operand::inputs) {
    for (int d = 0; d < kDims; ++d)
      if (ln::relevant(op, d)) e += ext(i, d);
  } else {
    e = ext(i, int(Dim::G)) + ext(i, int(Dim::N)) + ext(i, int(Dim::C)) + window(i, Dim::P, Dim::R, box_h_) +
        window(i, Dim::Q, Dim::S, box_w_);
  }
  tile_done_[a][o] = true;
  return tile_cache_[a][o] = e;
}

}  // namespace cimmc::mipmap

namespace cimmc::mipmap {

Formulation formulate(const ln::Hierarchy& h, const ln::ConvShape& shape, const ln::CostParams& p, ln::Objective objective,
                      const Scales& scales) {
  Formulation f;
  Builder(h, shape, p, objective, scales, f).build();
  return f;
}

std::vector<double> rounded(const Formulation& f, const std::vector<double>& x) {
  std::vector<double> r = x;
  for (std::size_t j = 0; j < r.size(); ++j)
    if (f.milp.integer[j]) r[j] = std::round(r[j]);
  return r;
}

ln::LoopNest decode(const Formulation& f, const std::vector<double>& x, int levels) {
  ln::LoopNest n;
  n.levels.resize(std::size_t(levels));
  for (const Formulation::Choice& c : f.choices)
    for (std::size_t k = 0; k < c.cols.size(); ++k)
      if (x[std::size_t(c.cols[k])] > 0.5) {
        ln::LevelLoops& l = n.levels[std::size_t(c.level)];
        (c.spatial ? l.spatial : l.temporal)[std::size_t(c.dim)] = c.values[k];
      }
  return n;
}

int tighten(Formulation& f, const std::vector<double>& x, double tol, bool round) {
  const std::vector<double> r = round ? rounded(f, x) : x;
  int added = 0;
  for (const Term& t : f.terms) {
    if (t.col < 0) continue;
    const double a = t.z.value(r), ea = std::exp(a);
    if (x[std::size_t(t.col)] >= ea - tol) continue;
    LinExpr row;
    row.terms.emplace_back(t.col, 1.0);
    for (auto [col, k] : t.z.terms) row.terms.emplace_back(col, -ea * k);
    row.constant = -ea * t.z.constant;
    f.milp.add_row(row, 'G', ea * (1 - a));
    ++added;
  }
  return added;
}

void exclude(Formulation& f, const std::vector<double>& x) {
  LinExpr e;
  for (const Formulation::Choice& c : f.choices)
    for (std::size_t k = 0; k < c.cols.size(); ++k)
      if (x[std::size_t(c.cols[k])] > 0.5) e.terms.emplace_back(c.cols[k], 1.0);
  f.milp.add_row(e, 'L', double(e.terms.size()) - 1);
}

double sum_value(const Formulation& f, const Formulation::Sum& s, const std::vector<double>& x) {
  const std::vector<double> r = rounded(f, x);
  double v = s.linear.value(r);
  for (int k : s.terms) v += std::exp(f.terms[std::size_t(k)].z.value(r));
  return v;
}

}  // namespace cimmc::mipmap
