#include "loopnest/simulate.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "loopnest/sim_content.hpp"

namespace cimmc::loopnest {

namespace {

using sim::Coord;
using sim::Held;
using sim::Instance;
using sim::Tensor;
using Request = std::pair<std::int64_t, std::int64_t>;  // (destination key, element)

struct Loop {
  int dim = 0;
  std::int64_t bound = 1;
  int level = 0;  // temporal loop of level `level`, or spatial loop of the fan-out below it
  bool spatial = false;
  std::int64_t stride = 1;  // coordinate step of `dim` per index step
};

class Simulator {
 public:
  Simulator(const Hierarchy& h, const ConvShape& s, const LoopNest& nest) : h_(h), s_(s), L_(h.size()) {
    for (Operand op : kAllOperands) size_[std::size_t(op)] = sim::tensor_size(s, op);
    for (int i = 0; i < L_; ++i) {
      const LevelLoops& l = nest.levels[std::size_t(i)];
      for (Dim d : l.order) loops_.push_back({int(d), l.temporal[std::size_t(d)], i, false, 1});
      for (int d = 0; d < kDims; ++d) loops_.push_back({d, l.spatial[std::size_t(d)], i, true, 1});
    }
    // A loop's stride is the product of the bounds of the same dimension's
    // loops inside it: coordinates are mixed-radix numbers, outermost digit first.
    for (std::size_t j = loops_.size(); j-- > 0;) {
      std::int64_t st = 1;
      for (std::size_t k = j + 1; k < loops_.size(); ++k)
        if (loops_[k].dim == loops_[j].dim) st *= loops_[k].bound;
      loops_[j].stride = st;
    }
    // Level i (i = L: the compute units) has one instance per combination of
    // the spatial loops above it, numbered mixed-radix in nest order, so an
    // ancestor's number is a prefix: id / (instances[c] / instances[a]).
    instances_.assign(std::size_t(L_) + 1, 1);
    extent_.assign(std::size_t(L_) + 1, kUnitFactors);
    for (int i = 0; i <= L_; ++i)
      for (const Loop& lp : loops_) {
        if (lp.level < i && lp.spatial) instances_[std::size_t(i)] *= lp.bound;
        if (lp.level >= i) extent_[std::size_t(i)][std::size_t(lp.dim)] *= lp.bound;
      }
    idx_.assign(loops_.size(), 0);
    state_.resize(std::size_t(L_));
    for (auto& p : pending_) p.resize(std::size_t(L_));
    for (int i = 0; i < L_; ++i) {
      state_[std::size_t(i)].resize(std::size_t(instances_[std::size_t(i)]));
      for (auto& p : pending_) p[std::size_t(i)].resize(std::size_t(instances_[std::size_t(i)]));
      if (h.levels[std::size_t(i)].keeps(Operand::outputs))
        for (Instance& x : state_[std::size_t(i)]) x.written.assign(std::size_t(s.words(Operand::outputs)), 0);
    }
    for (Operand op : kAllOperands) {  // level 0 holds the whole tensor from the start
      Coord all{};
      for (int d = 0; d < kDims; ++d) all[std::size_t(d)] = s.size(d);
      Held& top = state_[0][0].held[std::size_t(op)];
      top = sim::footprint(s, op, Coord{}, all);
      note_tile(0, op, top);
    }
    macs_seen_.assign(std::size_t(s.macs()), 0);
    r_.levels = L_;
    r_.macs = s.macs();
  }

  // Times the walk too (simulate_cycles): every word through a level's port
  // is `word_bits` bits; a compute step takes `cycles_per_run`.
  void time_with(double word_bits, double cycles_per_run) {
    timed_ = true;
    word_bits_ = word_bits;
    cycles_per_run_ = cycles_per_run;
    for (auto* v : {&port_, &swap_}) {
      v->resize(std::size_t(L_));
      for (int i = 0; i < L_; ++i) (*v)[std::size_t(i)].assign(std::size_t(instances_[std::size_t(i)]), 0);
    }
  }
  double cycles() const { return cycles_; }

  NestCounts run() {
    std::vector<std::size_t> temporal;
    for (std::size_t j = 0; j < loops_.size(); ++j)
      if (!loops_[j].spatial) temporal.push_back(j);
    for (bool more = true; more;) {
      step();
      ++r_.time_steps;
      more = false;  // odometer: the innermost temporal loop turns fastest
      for (std::size_t t = temporal.size(); t-- > 0;) {
        Loop& lp = loops_[temporal[t]];
        if (++idx_[temporal[t]] < lp.bound) {
          more = true;
          break;
        }
        idx_[temporal[t]] = 0;
      }
      if (more) close_step();
    }
    for (int c = L_ - 1; c >= 1; --c) drain_level(c, true);  // final write-back, inside out
    close_step();  // the last step carries the write-back
    for (char n : macs_seen_)
      if (n != 1) throw LoopNestError("simulate: the loop nest does not run every MAC exactly once");
    for (int i = 0; i < L_; ++i) r_.level[std::size_t(i)].instances = instances_[std::size_t(i)];
    return r_;
  }

 private:
  int holder_above(int i, Operand op) const {
    int a = i - 1;
    while (!h_.levels[std::size_t(a)].keeps(op)) --a;  // level 0 keeps everything
    return a;
  }
  std::int64_t ancestor(int c, std::int64_t x, int a) const {
    return x / (instances_[std::size_t(c)] / instances_[std::size_t(a)]);
  }
  // Requests reaching level a's instance from instance x of level c (c = L: a
  // compute unit) are keyed by the child's indices along the spatial loops in
  // between that are relevant to op: siblings that differ only in irrelevant
  // dimensions are one destination (multicast; outputs: reduced), all others
  // are served separately even where their windows overlap (loopnest.hpp).
  std::int64_t destination(int c, std::int64_t x, int a, Operand op) const {
    std::int64_t key = 0, rest = x;  // least significant digit: the innermost spatial loop above c
    for (std::size_t j = loops_.size(); j-- > 0;) {
      const Loop& lp = loops_[j];
      if (lp.level < a) break;
      if (!lp.spatial || lp.level >= c) continue;
      const std::int64_t k = rest % lp.bound;
      rest /= lp.bound;
      if (relevant(op, lp.dim)) key = key * lp.bound + k;
    }
    return key;
  }
  Request request(int c, std::int64_t x, int a, Operand op, const Tensor& t) const {
    return {destination(c, x, a, op), sim::element(size_[std::size_t(op)], t)};
  }

  // Origin of level i's tile (i = L: a compute unit's MAC) for instance x now.
  Coord origin(int i, std::int64_t x) const {
    Coord c{};
    std::int64_t rest = x;  // least significant digit is the innermost spatial loop above i
    for (std::size_t j = loops_.size(); j-- > 0;) {
      const Loop& lp = loops_[j];
      if (lp.level >= i) continue;
      std::int64_t k = idx_[j];
      if (lp.spatial) {
        k = rest % lp.bound;
        rest /= lp.bound;
      }
      c[std::size_t(lp.dim)] += k * lp.stride;
    }
    return c;
  }
  Held required(int i, std::int64_t x, Operand op) const {
    const Coord lo = origin(i, x);
    Coord hi;
    for (int d = 0; d < kDims; ++d) hi[std::size_t(d)] = lo[std::size_t(d)] + extent_[std::size_t(i)][std::size_t(d)];
    return sim::footprint(s_, op, lo, hi);
  }
  // Words through instance x's port of level i this step; swap words are
  // its fills and drains (what a level without double buffering cannot
  // overlap with compute).
  void tally(int i, std::int64_t x, std::int64_t words, bool swap) {
    if (!timed_) return;
    port_[std::size_t(i)][std::size_t(x)] += words;
    if (swap) swap_[std::size_t(i)][std::size_t(x)] += words;
  }
  // Lockstep timing (simulate.hpp): the step lasts as long as its compute or
  // its busiest port, plus the busiest swap of every level that is not
  // double-buffered.
  void close_step() {
    if (!timed_) return;
    double bound = cycles_per_run_, serial = 0;
    for (int i = 0; i < L_; ++i) {
      const StorageLevel& lv = h_.levels[std::size_t(i)];
      auto& port = port_[std::size_t(i)];
      auto& swap = swap_[std::size_t(i)];
      if (lv.bandwidth_bits_per_cycle > 0) {
        const double per_word = word_bits_ / lv.bandwidth_bits_per_cycle;
        bound = std::max(bound, double(*std::max_element(port.begin(), port.end())) * per_word);
        if (i > 0 && !lv.double_buffered) serial += double(*std::max_element(swap.begin(), swap.end())) * per_word;
      }
      std::fill(port.begin(), port.end(), 0);
      std::fill(swap.begin(), swap.end(), 0);
    }
    cycles_ += bound + serial;
  }

  void note_tile(int i, Operand op, const Held& t) {
    auto& peak = r_.level[std::size_t(i)].tile_words[std::size_t(op)];
    peak = std::max(peak, sim::words(t));
  }

  // Partial sums gathered for level a this step: one update per distinct
  // element per instance (siblings' copies were reduced on the way up).
  void apply_updates(int a) {
    AccessCounts& cnt = r_.level[std::size_t(a)].op[std::size_t(Operand::outputs)];
    auto& level = pending_[std::size_t(Operand::outputs)][std::size_t(a)];
    for (std::size_t y = 0; y < level.size(); ++y) {
      std::vector<Request>& p = level[y];
      std::sort(p.begin(), p.end());
      p.erase(std::unique(p.begin(), p.end()), p.end());
      Instance& in = state_[std::size_t(a)][y];
      for (auto [key, e] : p) {
        if (!sim::inside(in.held[std::size_t(Operand::outputs)], sim::coordinates(size_[std::size_t(Operand::outputs)], e)))
          throw std::logic_error("simulate: an output update reached a level that does not hold it");
        ++cnt.updates;
        tally(a, std::int64_t(y), 1, false);
        if (in.written[std::size_t(e)]) {
          ++cnt.reads;
          tally(a, std::int64_t(y), 1, false);
        } else {
          in.written[std::size_t(e)] = 1;
          in.written_list.push_back(e);
        }
      }
      p.clear();
    }
  }
  // Reads one parent level serves this step: one per distinct request per instance.
  void apply_reads(int a, Operand op) {
    auto& level = pending_[std::size_t(op)][std::size_t(a)];
    for (std::size_t y = 0; y < level.size(); ++y) {
      std::vector<Request>& p = level[y];
      std::sort(p.begin(), p.end());
      const std::int64_t n = std::unique(p.begin(), p.end()) - p.begin();
      r_.level[std::size_t(a)].op[std::size_t(op)].reads += n;
      tally(a, std::int64_t(y), n, false);
      p.clear();
    }
  }

  // Level c evicts every output tile that changes now (all of them when
  // `flush`): its written elements go up to the holder above, then the new
  // tile starts empty.
  void drain_level(int c, bool flush) {
    if (!h_.levels[std::size_t(c)].keeps(Operand::outputs)) return;
    const int a = holder_above(c, Operand::outputs);
    AccessCounts& cnt = r_.level[std::size_t(c)].op[std::size_t(Operand::outputs)];
    for (std::int64_t x = 0; x < instances_[std::size_t(c)]; ++x) {
      Instance& in = state_[std::size_t(c)][std::size_t(x)];
      Held& held = in.held[std::size_t(Operand::outputs)];
      const Held want = flush ? Held{} : required(c, x, Operand::outputs);
      if (!flush && held == want) continue;
      const std::int64_t key = destination(c, x, a, Operand::outputs);
      for (std::int64_t e : in.written_list) {
        ++cnt.drains;
        tally(c, x, 1, true);
        pending_[std::size_t(Operand::outputs)][std::size_t(a)][std::size_t(ancestor(c, x, a))].push_back({key, e});
        in.written[std::size_t(e)] = 0;
      }
      in.written_list.clear();
      held = want;
      if (!flush) note_tile(c, Operand::outputs, want);
    }
    apply_updates(a);
  }

  // Level i fetches the elements of its new tile of op that it lacks.
  void fill_level(int i, Operand op) {
    if (!h_.levels[std::size_t(i)].keeps(op)) return;
    const int a = holder_above(i, op);
    AccessCounts& cnt = r_.level[std::size_t(i)].op[std::size_t(op)];
    for (std::int64_t x = 0; x < instances_[std::size_t(i)]; ++x) {
      Held& held = state_[std::size_t(i)][std::size_t(x)].held[std::size_t(op)];
      const Held want = required(i, x, op);
      if (held == want) continue;
      const std::int64_t y = ancestor(i, x, a);
      const Held& source = state_[std::size_t(a)][std::size_t(y)].held[std::size_t(op)];
      sim::for_each(want, [&](const Tensor& c) {
        if (sim::inside(held, c)) return;
        if (!sim::inside(source, c)) throw std::logic_error("simulate: a fill asked a level for data it does not hold");
        ++cnt.fills;
        tally(i, x, 1, true);
        pending_[std::size_t(op)][std::size_t(a)][std::size_t(y)].push_back(request(i, x, a, op, c));
      });
      held = want;
      note_tile(i, op, want);
    }
    apply_reads(a, op);
  }

  void step() {
    for (int c = L_ - 1; c >= 1; --c) drain_level(c, false);  // inside out: children drain into old tiles
    for (int i = 1; i < L_; ++i)                               // outside in: parents hold the new data first
      for (Operand op : {Operand::inputs, Operand::weights}) fill_level(i, op);
    compute();
  }

  // Every compute unit does one MAC: reads its input and weight from the
  // innermost level keeping each, sends its product to the innermost level
  // keeping outputs.
  void compute() {
    const int inner = L_ - 1;
    const std::int64_t per_job = instances_[std::size_t(L_)] / instances_[std::size_t(inner)];
    const int hin = holder_above(L_, Operand::inputs), hw = holder_above(L_, Operand::weights),
              ho = holder_above(L_, Operand::outputs);
    for (std::int64_t job = 0; job < instances_[std::size_t(inner)]; ++job) {
      std::array<std::vector<std::int64_t>, kDims> seen;  // coordinates this tile job touches
      for (std::int64_t u = job * per_job; u < (job + 1) * per_job; ++u) {
        const Coord c = origin(L_, u);
        std::int64_t mac = 0;
        for (int d = 0; d < kDims; ++d) {
          mac = mac * s_.size(d) + c[std::size_t(d)];
          seen[std::size_t(d)].push_back(c[std::size_t(d)]);
        }
        ++macs_seen_[std::size_t(mac)];
        Coord one = c;
        for (std::int64_t& k : one) ++k;
        const std::pair<int, Operand> uses[] = {{hin, Operand::inputs}, {hw, Operand::weights}, {ho, Operand::outputs}};
        for (auto [lvl, op] : uses) {
          const std::int64_t y = ancestor(L_, u, lvl);
          const Tensor t = sim::footprint(s_, op, c, one).lo;  // a MAC's window is one element
          if (!sim::inside(state_[std::size_t(lvl)][std::size_t(y)].held[std::size_t(op)], t))
            throw std::logic_error("simulate: a MAC needs data its level does not hold");
          pending_[std::size_t(op)][std::size_t(lvl)][std::size_t(y)].push_back(request(L_, u, lvl, op, t));
        }
      }
      TileJob shape;
      for (int d = 0; d < kDims; ++d) {
        auto& v = seen[std::size_t(d)];
        std::sort(v.begin(), v.end());
        shape.shape[std::size_t(d)] = std::unique(v.begin(), v.end()) - v.begin();
      }
      if (r_.job.runs > 0 && shape.shape != r_.job.shape)
        throw std::logic_error("simulate: tile jobs of different shapes");
      r_.job.shape = shape.shape;
      ++r_.job.runs;
    }
    apply_reads(hin, Operand::inputs);
    apply_reads(hw, Operand::weights);
    apply_updates(ho);
  }

  const Hierarchy& h_;
  ConvShape s_;
  std::array<Tensor, kOperands> size_{};  // tensor sizes, by Operand
  int L_;
  std::vector<Loop> loops_;
  std::vector<std::int64_t> instances_;  // by level, 0..L
  std::vector<Coord> extent_;           // tile extent by level, 0..L
  std::vector<std::int64_t> idx_;        // current index of every loop (spatial ones unused)
  std::vector<std::vector<Instance>> state_;
  // [operand][level][instance]: elements asked for (inputs, weights) or sent up
  // (outputs) this step, tallied once per distinct element.
  std::array<std::vector<std::vector<std::vector<Request>>>, kOperands> pending_;
  std::vector<char> macs_seen_;
  NestCounts r_;
  bool timed_ = false;
  double word_bits_ = 0, cycles_per_run_ = 0, cycles_ = 0;
  std::vector<std::vector<std::int64_t>> port_, swap_;  // [level][instance]: words this step
};

void check_walkable(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest, std::int64_t max_macs) {
  if (std::string e = hierarchy_error(h); !e.empty()) throw LoopNestError(e);
  if (std::string e = shape_error(shape); !e.empty()) throw LoopNestError(e);
  if (nest.levels.size() != h.levels.size())
    throw LoopNestError("simulate: the loop nest and the hierarchy have different numbers of levels");
  for (const LevelLoops& l : nest.levels)
    for (int d = 0; d < kDims; ++d)
      if (l.temporal[std::size_t(d)] < 1 || l.spatial[std::size_t(d)] < 1)
        throw LoopNestError("simulate: loop factors must be at least 1");
  if (shape.macs() > max_macs || shape.words(Operand::inputs) > max_macs)
    throw LoopNestError("simulate: the layer is too large to walk");
  // Without this a nest covering more than the layer would index past the tensors.
  for (int d = 0; d < kDims; ++d) {
    double p = 1;
    for (const LevelLoops& l : nest.levels) p *= double(l.temporal[std::size_t(d)]) * double(l.spatial[std::size_t(d)]);
    if (p != double(shape.size(d)))
      throw LoopNestError(std::string("simulate: the ") + dim_name(d) + " loops do not cover the layer");
  }
}

}  // namespace

NestCounts simulate(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest, std::int64_t max_macs) {
  check_walkable(h, shape, nest, max_macs);
  return Simulator(h, shape, nest).run();
}

double simulate_cycles(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest, double word_bits,
                       double cycles_per_run, std::int64_t max_macs) {
  check_walkable(h, shape, nest, max_macs);
  if (!(word_bits > 0) || !(cycles_per_run > 0))
    throw LoopNestError("simulate: word bits and cycles per run must be positive");
  Simulator sim(h, shape, nest);
  sim.time_with(word_bits, cycles_per_run);
  sim.run();
  return sim.cycles();
}


}  // namespace cimmc::loopnest
