// Stationarity, the counts as terms, capacities and the objectives of the
// MIP (formulation.hpp COSTS); the factor choices are in formulation.cpp.
#include <algorithm>
#include <cmath>

#include "mipmap/builder.hpp"

namespace cimmc::mipmap {

namespace {

// Terms below this fraction of the scale get no tangents up front (tighten()
// adds them where a solution needs them).
constexpr double kLogSmallest = -13.8;  // log(1e-6)
constexpr int kMaxTangents = 48;
constexpr double kLog2 = 0.6931471805599453;

// A box window axis: the footprint of every (p, r) extent pair is p x r
// (loopnest.hpp), i.e. one of the two dims is 1 and the other steps by 1.
bool box_axis(std::int64_t P, std::int64_t R, std::int64_t stride, std::int64_t dilation) {
  return (R == 1 && (stride == 1 || P == 1)) || (P == 1 && dilation == 1);
}

}  // namespace

Builder::Builder(const ln::Hierarchy& h, const ln::ConvShape& s, const ln::CostParams& p, ln::Objective objective,
                 const Scales& scales, Formulation& f)
    : h_(h), s_(s), p_(p), obj_(objective), sc_(scales), f_(f), L_(h.size()) {
  log_macs_ = std::log(double(s.macs()));
  log_ow_ = std::log(double(s.words(Operand::outputs)));
  box_h_ = box_axis(s.P, s.R, s.stride_h, s.dilation_h);
  box_w_ = box_axis(s.Q, s.S, s.stride_w, s.dilation_w);
  box_reuse_ = (box_h_ || s.R == 1) && (box_w_ || s.S == 1);
  if (p.bits.psums > p.bits.outputs) psum_shift_ = std::log(p.bits.psums / p.bits.outputs);
  f_.scales = scales;
}

bool Builder::irrelevant(Operand op, int d) const {
  // Sliding windows: the order-free bound counts only the loops down to the
  // innermost G, N or C loop (formulation.hpp).
  if (op == Operand::inputs && !box_reuse_) return d != int(Dim::G) && d != int(Dim::N) && d != int(Dim::C);
  return !ln::relevant(op, d);
}

// Operands whose irrelevant dims are disjoint: at most one of them can have
// its irrelevant loops innermost at a level.
bool Builder::exclusive(Operand op) const { return op != Operand::inputs || box_reuse_; }

int Builder::stat(int j, Operand op) {
  std::vector<int>& v = stat_[std::size_t(op)];
  if (v.empty()) v.assign(std::size_t(L_), -1);
  if (v[std::size_t(j)] < 0) v[std::size_t(j)] = f_.milp.add_binary();
  return v[std::size_t(j)];
}

// 1 only if level j has no temporal loop > 1 relevant to op.
int Builder::allirr(int j, Operand op) {
  std::vector<int>& v = allirr_[std::size_t(op)];
  if (v.empty()) v.assign(std::size_t(L_), -1);
  if (v[std::size_t(j)] >= 0) return v[std::size_t(j)];
  const int a = v[std::size_t(j)] = f_.milp.add_binary();
  for (int d = 0; d < kDims; ++d) {
    if (irrelevant(op, d) || s_.size(d) == 1) continue;
    const double big = std::log(double(s_.size(d)));
    LinExpr e = ell(d, j, false);
    e.terms.emplace_back(a, big);
    f_.milp.add_row(e, 'L', big);
  }
  return a;
}

// log visits of level i's tile of op: every temporal loop above i, less the
// credited irrelevant loops: level j's, when op's irrelevant loops are
// innermost there and every level between j and i has only irrelevant loops.
LinExpr Builder::visits(int i, Operand op) {
  LinExpr v;
  for (int j = 0; j < i; ++j)
    for (int d = 0; d < kDims; ++d) v += ell(d, j, false);
  for (int j = 0; j < i; ++j) {
    bool any = false;
    for (int d = 0; d < kDims; ++d) any = any || (irrelevant(op, d) && !ell(d, j, false).terms.empty());
    if (!any) continue;
    const int c = f_.milp.add_col(0, 1, 0, false);
    LinExpr e;
    e.terms = {{c, 1.0}, {stat(j, op), -1.0}};
    f_.milp.add_row(e, 'L', 0);
    for (int k = j + 1; k < i; ++k) {
      e.terms = {{c, 1.0}, {allirr(k, op), -1.0}};
      f_.milp.add_row(e, 'L', 0);
    }
    for (int d = 0; d < kDims; ++d) {
      if (!irrelevant(op, d) || ell(d, j, false).terms.empty()) continue;
      const double big = std::log(double(s_.size(d)));
      const int u = f_.milp.add_col(0, big, 0, false);
      LinExpr r = ell(d, j, false);
      for (auto& t : r.terms) t.second = -t.second;
      r.terms.emplace_back(u, 1.0);
      f_.milp.add_row(r, 'L', 0);
      e.terms = {{u, 1.0}, {c, -big}};
      f_.milp.add_row(e, 'L', 0);
      v.terms.emplace_back(u, -1.0);
      auto& cr = credit_[std::size_t(op)];
      if (cr.empty()) cr.resize(std::size_t(L_));
      cr[std::size_t(j)][std::size_t(d)].push_back(u);
    }
  }
  v.lo = 0;
  v.hi = log_macs_;
  return v;
}

// A level's RMW reads + drains of outputs, in log words at the psum width,
// from its log updates z and its drains' final flag: reads = updates -
// drains (analysis), so (U - D) x psums + D x w = U x psums where the drains
// are partial sums, and U x psums - OW x (psums - outputs) where they are
// final (D = OW). The latter is at least U x (psums - (psums - outputs) /
// (m - 1/2)) where U > (m - 1/2) x OW: binaries forced to 1 as U passes each m = 2, 4,
// 8, ... (only with final drains) add the steps from U x outputs (m = 1).
// Energy (EDP) and port bits; the energy objective keeps its exact linear form.
LinExpr Builder::rmw(const LinExpr& z, int fin) {
  if (fin < 0) return z;  // psums no wider than outputs: U x psums is a lower bound
  const double ps = p_.bits.psums, ow_bits = p_.bits.outputs;
  LinExpr e = shifted(z, fin);
  double last = ow_bits;  // the width bound so far
  for (double m = 2; m <= 1024; m *= 2) {
    const double at = log_ow_ + std::log(m - 0.5);
    if (z.hi <= at) break;
    const int g = f_.milp.add_binary();
    LinExpr only;  // g <= fin
    only.terms = {{g, 1.0}, {fin, -1.0}};
    f_.milp.add_row(only, 'L', 0);
    const double big = z.hi - at;  // z <= at unless g or not final
    LinExpr force = z;
    force.terms.emplace_back(g, -big);
    force.terms.emplace_back(fin, big);
    f_.milp.add_row(force, 'L', at + big);
    const double width = ps - (ps - ow_bits) / (m - 0.5);
    e.terms.emplace_back(g, std::log(width / last));
    last = width;
  }
  return e;
}

// Binary "this output transfer is final": allowed only when its log count is
// that of the output tensor (a count is a whole multiple of it, so
// log OW + 0.5 separates them). -1 when widths do not differ.
int Builder::final_flag(const LinExpr& z) {
  if (psum_shift_ == 0) return -1;
  const int f = f_.milp.add_binary();
  const double big = std::max(0.0, z.hi - log_ow_);
  LinExpr e = z;
  e.terms.emplace_back(f, big);
  f_.milp.add_row(e, 'L', log_ow_ + 0.5 + big);
  return f;
}

LinExpr Builder::shifted(const LinExpr& z, int final_col) const {
  LinExpr e = z;
  if (final_col >= 0) {
    e.terms.emplace_back(final_col, -psum_shift_);
    e.lo -= psum_shift_;
  }
  return e;
}

void Builder::add_term(LinExpr z, double coef, Formulation::Sum& into, bool column) {
  if (!(coef > 0)) return;
  const double c = std::log(coef);
  z.constant += c;
  z.lo += c;
  z.hi += c;
  Term t{z, -1};
  if (column) {
    t.col = f_.milp.add_col(0, 1e30, 0, false);
    const double hi = z.hi, lo = std::max(z.lo, kLogSmallest);
    int n = 0;
    for (double a = hi; a >= lo - kLog2 && n < kMaxTangents; a -= kLog2 / 2, ++n) {
      const double ea = std::exp(a);
      LinExpr r;
      r.terms.emplace_back(t.col, 1.0);
      for (auto [col, k] : z.terms) r.terms.emplace_back(col, -ea * k);
      r.constant = -ea * z.constant;
      f_.milp.add_row(r, 'G', ea * (1 - a));
    }
  }
  into.terms.push_back(int(f_.terms.size()));
  f_.terms.push_back(std::move(t));
}

void Builder::energy(const LinExpr& z, double pj) {
  if (wants_energy()) add_term(z, pj / sc_.energy_pj, f_.energy, obj_ == ln::Objective::energy);
}
void Builder::latency(Formulation::Sum& into, const LinExpr& z, double cycles) {
  if (wants_latency()) add_term(z, cycles / h_.clock_ghz / sc_.latency_ns, into, obj_ == ln::Objective::latency);
}

void Builder::capacities() {
  for (int i = 1; i < L_; ++i) {
    const ln::StorageLevel& lv = h_.levels[std::size_t(i)];
    const double copies = double(ln::tile_copies(lv));
    if (lv.capacity.kind == ln::CapacityKind::unbounded) continue;
    Formulation::Sum shared;
    for (Operand op : ln::kAllOperands) {
      if (!lv.keeps(op)) continue;
      if (lv.capacity.kind == ln::CapacityKind::per_operand)
        f_.milp.add_row(tile(i, op), 'L',
                        std::log(double(lv.capacity.operand_words[std::size_t(op)]) / copies) + kLogTol);
      else
        add_term(tile(i, op), copies / double(lv.capacity.shared_words), shared, true);
    }
    if (shared.terms.empty()) continue;
    LinExpr e;
    for (int k : shared.terms) e.terms.emplace_back(f_.terms[std::size_t(k)].col, 1.0);
    f_.milp.add_row(e, 'L', 1 + 1e-9);
  }
}

// The counts of one operand down its chain of holding levels (loopnest.hpp):
// per child, words per instance = visits x tile; fills (drains) at the child,
// reads (updates) at the parent, the words on every fan-out in between, and
// the compute units' reads (products) below the last holding level.
void Builder::chain(Operand op) {
  const ln::WordBits& b = p_.bits;
  const bool out = op == Operand::outputs;
  const std::size_t o = std::size_t(op);
  const double word = op == Operand::inputs ? b.inputs : b.weights;
  const bool exact = obj_ == ln::Objective::energy;  // else energy without negative parts (EDP's cuts)
  auto rd = [&](int i) { return h_.levels[std::size_t(i)].energy[o].read_pj_per_bit; };
  auto wr = [&](int i) { return h_.levels[std::size_t(i)].energy[o].write_pj_per_bit; };
  auto bw = [&](int i) { return h_.levels[std::size_t(i)].bandwidth_bits_per_cycle; };
  auto port = [&](int i, const LinExpr& z, double bits) {
    if (bw(i) > 0) latency(port_[std::size_t(i)], z - inst(i), bits / bw(i));
  };
  int par = 0, fin_par = -1;
  for (int child = 1; child <= L_; ++child) {
    if (child < L_ && !h_.levels[std::size_t(child)].keeps(op)) continue;
    LinExpr z_par, z_child;
    if (child < L_) {
      // Sliding windows: the order-free visits bound misses the rows each
      // step of P brings; every instance is still filled with all it reads.
      LinExpr per = visits(child, op) + tile(child, op);
      if (op == Operand::inputs && !box_reuse_) per = at_least(per, footprint(child));
      z_child = per + inst(child);
      z_par = per + inst(par) + spatial(par, child, op, true);
    } else {
      z_par = steps() + inst(par) + spatial(par, L_, op, true);
    }
    const bool swaps = child < L_ && !h_.levels[std::size_t(child)].double_buffered && bw(child) > 0;
    int fin_child = -1;
    double link_bits = word;
    if (out) {
      const int fin_u = final_flag(z_par);
      energy(shifted(z_par, fin_u), b.psums * wr(par));
      port(par, shifted(z_par, fin_u), b.psums);
      // RMW reads + drains: exact as updates x psum width + the final
      // drains' narrowing (linear); else bounded by rmw().
      if (exact) {
        energy(z_par, b.psums * rd(par));
        const double ow = double(s_.words(Operand::outputs));
        if (par == 0)
          f_.energy.linear.constant -= ow * b.psums * rd(0) / sc_.energy_pj;
        else if (fin_par >= 0)
          f_.energy.linear.terms.emplace_back(fin_par, ow * rd(par) * (b.outputs - b.psums) / sc_.energy_pj);
      }
      if (par > 0 && (!exact || wants_latency())) {
        const LinExpr e = rmw(z_par, fin_par);
        if (!exact) energy(e, b.psums * rd(par));
        port(par, e, b.psums);
      }
      if (child < L_) {
        fin_child = final_flag(z_child);
        if (swaps) latency(swap_, shifted(z_child, fin_child) - inst(child), b.psums / bw(child));
      }
      link_bits = b.psums;
      if (child == L_ && s_.macs() == s_.words(Operand::outputs)) link_bits = b.outputs;
    } else {
      if (child < L_) {
        energy(z_child, word * wr(child));
        port(child, z_child, word);
        if (swaps) latency(swap_, z_child - inst(child), word / bw(child));
      }
      energy(z_par, word * rd(par));
      port(par, z_par, word);
    }
    for (int j = par; j < child; ++j) {
      const ln::StorageLevel& lv = h_.levels[std::size_t(j)];
      const LinExpr words = shifted(z_par + spatial(par, j, op, false), out ? fin_child : -1);
      // Each multicast/reduction group takes at least one link (a bus: exactly one).
      if (lv.link.topology == ln::Topology::bus || lv.fanout_instances() > 1)
        energy(words, link_bits * lv.link.hop_pj_per_bit);
      if (lv.link.bandwidth_bits_per_cycle > 0)
        latency(link_[std::size_t(j)], words - inst(j), link_bits / lv.link.bandwidth_bits_per_cycle);
    }
    par = child;
    fin_par = fin_child;
  }
}

// The macro: runs x energy per run = MACs / shape x energy(shape), and
// compute cycles = time steps x cycles per run(shape), by the shape choice.
void Builder::macro() {
  const double macs = double(s_.macs());
  LinExpr cyc = steps(), e;
  double lo = 1e300, hi = -1e300;
  for (std::size_t c = 0; c < shapes_.size(); ++c) {
    double n = 1;
    for (std::int64_t v : shapes_[c]) n *= double(v);
    const double pj = macs / n * figures_[c].energy_pj / sc_.energy_pj;
    if (obj_ == ln::Objective::energy) f_.energy.linear.terms.emplace_back(shape_cols_[c], pj);
    const double lpj = std::log(std::max(pj, 1e-300));
    e.terms.emplace_back(shape_cols_[c], lpj);
    lo = std::min(lo, lpj);
    hi = std::max(hi, lpj);
    cyc.terms.emplace_back(shape_cols_[c], std::log(figures_[c].cycles));
  }
  e.lo = lo;
  e.hi = hi;
  if (obj_ == ln::Objective::edp) add_term(e, 1.0, f_.energy, false);
  double clo = 1e300, chi = -1e300;
  for (const ln::JobFigures& fg : figures_) {
    clo = std::min(clo, std::log(fg.cycles));
    chi = std::max(chi, std::log(fg.cycles));
  }
  cyc.lo += clo;
  cyc.hi += chi;
  latency(compute_, cyc, 1.0);
}

// Sliding-window inputs may credit (visits()) M, P and Q loops of level j
// only where they run below its C loop, outputs their C loop only below its
// M, P and Q loops: where the level has both kinds of loop, one of the two
// credits is zero (binaries a and b), for every loop order, so the program
// stays a bound. (Box inputs share the exclusive row above instead.)
void Builder::windows_and_outputs(int j) {
  const auto& ci = credit_[std::size_t(Operand::inputs)];
  const auto& co = credit_[std::size_t(Operand::outputs)];
  if (ci.empty() || co.empty()) return;
  Milp& m = f_.milp;
  // A binary that must be 1 wherever op credits a loop of these dims at level j; -1: none credited.
  const auto any = [&](const std::vector<std::array<std::vector<int>, kDims>>& cr, std::initializer_list<Dim> dims) {
    int a = -1;
    for (Dim d : dims)
      for (int u : cr[std::size_t(j)][std::size_t(d)]) {
        if (a < 0) a = m.add_binary();
        LinExpr e;
        e.terms = {{u, 1.0}, {a, -std::log(double(s_.size(int(d))))}};
        m.add_row(e, 'L', 0);
      }
    return a;
  };
  const int a = any(ci, {Dim::M, Dim::P, Dim::Q});
  if (a < 0) return;
  const int b = any(co, {Dim::C});
  if (b < 0) return;
  LinExpr e;
  e.terms = {{a, 1.0}, {b, 1.0}};
  m.add_row(e, 'L', 1);
}

void Builder::finish() {
  Milp& m = f_.milp;
  for (int j = 0; j < L_; ++j) {
    LinExpr e;
    for (Operand op : ln::kAllOperands)
      if (exclusive(op) && !stat_[std::size_t(op)].empty() && stat_[std::size_t(op)][std::size_t(j)] >= 0)
        e.terms.emplace_back(stat_[std::size_t(op)][std::size_t(j)], 1.0);
    if (e.terms.size() > 1) m.add_row(e, 'L', 1);
    if (!exclusive(Operand::inputs)) windows_and_outputs(j);
  }
  if (wants_latency()) {
    f_.latency_bounds.push_back(compute_);
    for (int j = 0; j < L_; ++j) {
      if (!port_[std::size_t(j)].terms.empty()) f_.latency_bounds.push_back(port_[std::size_t(j)]);
      if (!link_[std::size_t(j)].terms.empty()) f_.latency_bounds.push_back(link_[std::size_t(j)]);
    }
  }
  f_.latency_serial = swap_;
  switch (obj_) {
    case ln::Objective::energy:
      for (int k : f_.energy.terms) m.obj[std::size_t(f_.terms[std::size_t(k)].col)] = 1;
      for (auto [c, v] : f_.energy.linear.terms) m.obj[std::size_t(c)] += v;
      m.obj_constant = f_.energy.linear.constant;
      break;
    case ln::Objective::latency: {
      const int t = m.add_col(0, 1e30, 1, false);
      for (const Formulation::Sum& s : f_.latency_bounds) {
        LinExpr e;
        e.terms.emplace_back(t, 1.0);
        for (int k : s.terms) e.terms.emplace_back(f_.terms[std::size_t(k)].col, -1.0);
        m.add_row(e, 'G', 0);
      }
      for (int k : swap_.terms) m.obj[std::size_t(f_.terms[std::size_t(k)].col)] = 1;
      break;
    }
    case ln::Objective::edp: {
      // Columns in log units of the scales: a lower bound far below any
      // term's (|z| is tens at most) keeps them finite for the solver.
      constexpr double kLogFloor = -60;
      if (!f_.energy.linear.terms.empty() || f_.energy.linear.constant != 0)
        throw MipError("mip mapper: internal: EDP energy with a linear part");
      f_.log_sums.push_back({m.add_col(kLogFloor, 1e30, 1, false), f_.energy.terms});
      const int t = m.add_col(kLogFloor, 1e30, 1, false);
      for (const Formulation::Sum& s : f_.latency_bounds) {
        Formulation::LogSum g{t, s.terms};
        g.terms.insert(g.terms.end(), swap_.terms.begin(), swap_.terms.end());
        f_.log_sums.push_back(std::move(g));
      }
      add_log_sum_rows(f_);
      break;
    }
  }
}

void Builder::build() {
  make_choices();
  make_shapes();
  capacities();
  for (Operand op : ln::kAllOperands) chain(op);
  macro();
  finish();
}

}  // namespace cimmc::mipmap
