#include "loopnest/cost.hpp"

#include <algorithm>
#include <cmath>

#include "loopnest/routes.hpp"
#include "loopnest/text.hpp"

namespace cimmc::loopnest {

namespace {

// Word width of an output transfer of `words` words (cost.hpp: final exactly
// when each output element crosses once).
double output_bits(const WordBits& b, std::int64_t words, std::int64_t output_words) {
  return words == output_words ? b.outputs : b.psums;
}

double per_instance_cycles(double bits, double bandwidth, std::int64_t instances) {
  return bandwidth > 0 && instances > 0 ? bits / (bandwidth * double(instances)) : 0.0;
}

}  // namespace

NestCost cost(const Hierarchy& h, const ConvShape& shape, const LoopNest& nest, const NestCounts& c,
              const CostParams& p) {
  const int L = h.size();
  const std::int64_t out_words = shape.words(Operand::outputs);
  NestCost r;
  std::array<double, kMaxLevels> port_bits{}, swap_bits{}, link_bits{};

  for (Operand op : kAllOperands) {
    const std::size_t o = std::size_t(op);
    const bool out = op == Operand::outputs;
    const double word = op == Operand::inputs ? p.bits.inputs : op == Operand::weights ? p.bits.weights : 0.0;

    // Storage: reads and drains at the read price, fills and updates at the write price.
    for (int i = 0; i < L; ++i) {
      const StorageLevel& lv = h.levels[std::size_t(i)];
      if (!lv.keeps(op)) continue;
      const AccessCounts& a = c.at(i, op);
      double read_bits, write_bits, swap;
      if (out) {
        const double drain_bits = double(a.drains) * output_bits(p.bits, a.drains, out_words);
        read_bits = double(a.reads) * p.bits.psums + drain_bits;
        write_bits = double(a.updates) * output_bits(p.bits, a.updates, out_words);
        swap = drain_bits;
      } else {
        read_bits = double(a.reads) * word;
        write_bits = double(a.fills) * word;
        swap = write_bits;
      }
      const PortEnergy& e = lv.energy[o];
      r.level_pj[std::size_t(i)][o] = read_bits * e.read_pj_per_bit + write_bits * e.write_pj_per_bit;
      port_bits[std::size_t(i)] += read_bits + write_bits;
      swap_bits[std::size_t(i)] += swap;
    }

    // Interconnect: the words between each holding level `par` and the next
    // one below (or the compute units) cross fan-outs par..child-1. At
    // fan-out par they number X (reads at par; outputs: updates arriving at
    // par); each fan-out j further down carries them once per j instance,
    // i.e. X times the op-irrelevant spatial factors between par and j.
    int par = 0;
    for (int child = 1; child <= L; ++child) {
      if (child < L && !h.levels[std::size_t(child)].keeps(op)) continue;
      const AccessCounts& a = c.at(par, op);
      const std::int64_t x = out ? a.updates : a.reads;
      const std::int64_t source = out ? (child < L ? c.at(child, op).drains : c.macs) : 0;
      const double bits = out ? output_bits(p.bits, source, out_words) : word;
      double copies = 1;  // irrelevant spatial factors above fan-out j
      for (int j = par; j < child; ++j) {
        const LevelLoops& lp = nest.levels[std::size_t(j)];
        std::int64_t groups = 1;
        for (int d = 0; d < kDims; ++d)
          if (relevant(op, d)) groups *= lp.spatial[std::size_t(d)];
        const double words = double(x) * copies;  // one per group per j instance
        const StorageLevel& lv = h.levels[std::size_t(j)];
        // Free links need no route walk: their energy is 0 whatever the count.
        const double links = lv.link.hop_pj_per_bit != 0 ? double(route_links(lv, lp.spatial, op)) : 0.0;
        r.link_pj[std::size_t(j)][o] = words / double(groups) * links * bits * lv.link.hop_pj_per_bit;
        link_bits[std::size_t(j)] += words * bits;
        for (int d = 0; d < kDims; ++d)
          if (!relevant(op, d)) copies *= double(lp.spatial[std::size_t(d)]);
      }
      par = child;
    }
  }

  JobFigures job{p.job_energy_pj, p.cycles_per_run};
  if (p.job_figures) {
    job = (*p.job_figures)(c.job);
    if (!(job.energy_pj >= 0) || !std::isfinite(job.energy_pj) || !(job.cycles > 0) || !std::isfinite(job.cycles))
      throw LoopNestError("cost: the tile job's figures must be a finite energy >= 0 and cycles > 0");
  }
  r.macro_pj = double(c.job.runs) * job.energy_pj;
  r.total_pj = r.macro_pj;
  for (int i = 0; i < L; ++i)
    for (int o = 0; o < kOperands; ++o)
      r.total_pj += r.level_pj[std::size_t(i)][std::size_t(o)] + r.link_pj[std::size_t(i)][std::size_t(o)];

  r.compute_cycles = double(c.time_steps) * job.cycles;
  double bound = r.compute_cycles, serial = 0;
  for (int i = 0; i < L; ++i) {
    const StorageLevel& lv = h.levels[std::size_t(i)];
    const std::int64_t inst = c.level[std::size_t(i)].instances;
    const std::size_t iu = std::size_t(i);
    r.port_cycles[iu] = per_instance_cycles(port_bits[iu], lv.bandwidth_bits_per_cycle, inst);
    r.link_cycles[iu] = per_instance_cycles(link_bits[iu], lv.link.bandwidth_bits_per_cycle, inst);
    if (i > 0 && !lv.double_buffered)
      r.swap_cycles[iu] = per_instance_cycles(swap_bits[iu], lv.bandwidth_bits_per_cycle, inst);
    bound = std::max({bound, r.port_cycles[iu], r.link_cycles[iu]});
    serial += r.swap_cycles[iu];
  }
  r.cycles = bound + serial;
  r.ns = r.cycles / h.clock_ghz;
  return r;
}

std::string cost_params_error(const Hierarchy& h, const CostParams& p) {
  using text::cat;
  const WordBits& b = p.bits;
  for (double w : {b.inputs, b.weights, b.psums, b.outputs})
    if (!(w > 0) || !std::isfinite(w)) return "cost: word widths must be positive numbers of bits";
  if (!(p.job_energy_pj >= 0) || !std::isfinite(p.job_energy_pj))
    return "cost: tile-job energy must be finite and >= 0";
  if (!(p.cycles_per_run > 0) || !std::isfinite(p.cycles_per_run))
    return "cost: cycles per tile-job run must be positive and finite";
  for (int i = 0; i < h.size(); ++i) {
    const StorageLevel& lv = h.levels[std::size_t(i)];
    if (lv.link.topology != Topology::bus && lv.fanout_instances() > kMaxRoutedChildren)
      return cat(text::level_label(h, i), ": a mesh or tree fan-out of more than ", kMaxRoutedChildren,
                 " instances is not supported");
  }
  return {};
}

}  // namespace cimmc::loopnest
