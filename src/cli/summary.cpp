#include "cli/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "physical/area_clock.hpp"

namespace cimmc {

std::string fmt(const char* f, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a);
  return buf;
}

namespace {

// A CI half-width, or "n/a" when there is none (Report::ci_note says why).
std::string half_width(const Estimate& e) {
  return std::isnan(e.ci_hi) ? std::string(11, ' ') + "n/a" : fmt("%14.3f", e.ci_hi - e.mean);
}

// What the components count on a digital macro, and the adder tree's toggles by stage.
void print_digital_events(std::ostream& os, const JobResult& r) {
  os << "  (digital: events are bit toggles; row_driver = input lines, cell = multipliers, column = adder\n"
        "  tree, accumulator = accumulator registers, shift_add = output registers)\n";
  const std::vector<std::uint64_t> t = r.toggles();
  const double n = static_cast<double>(r.samples());
  os << "  adder-tree toggles/MVM by stage:";
  for (int s = 1; s <= r.view.tree_stages; ++s) os << fmt(" %.0f", n > 0 ? t[kTogStage1 + s - 1] / n : 0.0);
  os << "\n";
}

// The ADC's full scale, one per weight slice when calibrated per slice, and
// what an ideal ADC's codes stand for.
std::string adc_scales(const JobResult& r) {
  const JobView& v = r.view;
  if (v.adc_mode == AdcMode::ideal) return fmt(" (no quantization; codes counted at full scale %.1f)", r.adc_full_scale);
  if (v.adc_mode == AdcMode::per_cycle) {  // the largest of each cycle's positions
    std::string s = " (full scale per input cycle:";
    for (int c = 0; c < v.cycles; ++c) {
      double top = 0;
      for (int q = 0; q < v.ppw; ++q) top = std::max(top, v.adc_delta_cq[c * v.ppw + q] * v.code_max);
      s += fmt(" %.1f", top);
    }
    return s + ")";
  }
  if (v.adc_mode != AdcMode::per_slice) return fmt(" (full scale %.1f)", r.adc_full_scale);
  std::string s = " (full scale per column of a weight:";
  for (int q = 0; q < v.ppw; ++q) s += fmt(" %.1f", v.adc_delta_q[q] * v.code_max);
  return s + ")";
}

}  // namespace

void print_summary(std::ostream& os, const Config& cfg, const JobResult& r, const Report& rep) {
  const JobView& v = r.view;
  os << cfg.name << ": " << cfg.macro.rows << "x" << cfg.macro.cols << " macro, tile " << v.K << " rows x "
     << v.N << " weights (" << v.P << (v.pair ? " column pairs), " : " columns), ") << r.samples() << " MVMs, " << r.backend << ", "
     << fmt("%.2f s", r.wall_seconds) << "\n";
  os << "  inputs " << cfg.tile.inputs.bits << "b " << to_string(cfg.macro.input_encoding)
     << (v.x_scale_q > 0 ? " scaled per vector (abs_max)" : "") << ", " << v.cycles
     << " cycles x " << v.dac_bits << " DAC bits; weights " << cfg.tile.weights.bits << "b "
     << to_string(cfg.macro.weight_encoding) << ", " << v.bpc << " bits/cell; ";
  if (v.digital)
    os << "digital: "
       << (v.dac_bits > 1 && !v.tree_cycle_leaves && !v.tree_booth ? std::to_string(v.dac_bits) + " adder trees" : std::string("adder tree"))
       << " of " << v.R << " rows (" << v.tree_stages << " stages) "
       << (v.tree_per_weight ? "per weight (" + std::to_string(v.leaf_bits) + "-bit products" +
                                   (v.tree_booth ? ", radix-4 Booth digits)" : ")")
                             : std::string("per column"))
       << (v.tree_cycle_leaves ? " of " + std::to_string(v.leaf_bits) + "-bit leaves (a cycle's input bits)" : std::string())
       << (v.cell_group > 1 ? ", cell groups of " + std::to_string(v.cell_group) : std::string())
       << (v.cycles_inside ? ", cycles inside row groups" : "") << ", no ADC\n\n";
  else
    os << "ADC " << cfg.macro.adc.bits << "b " << to_string(cfg.macro.adc.range) << adc_scales(r)
       << (v.slice_combine ? ", one per weight (slices charge-combined)" : "") << "\n\n";
  os << "  component      pJ/MVM    95% CI +/-   share   events/MVM\n";
  const double total = rep.total_pj.mean;
  for (int c = 0; c < kComponents; ++c) {
    const Estimate& e = rep.component_pj[c];
    const std::string name = kComponentNames[c];
    os << "  " << name << std::string(12 - name.size(), ' ') << fmt("%10.3f", e.mean)
       << half_width(e) << fmt("%7.1f%%", total > 0 ? 100.0 * e.mean / total : 0.0)
       << fmt("%13.0f", rep.events_per_mvm[c]) << "\n";
  }
  os << "  total       " << fmt("%10.3f", total) << half_width(rep.total_pj) << "\n";
  if (!rep.ci_note.empty()) os << "  " << rep.ci_note << "\n";
  if (v.digital) print_digital_events(os, r);
  os << "\n";
  os << "  " << fmt("%.4f pJ/MAC", rep.pj_per_mac) << fmt(" | %.2f TOPS/W", rep.tops_per_w)
     << fmt(" | %.1f ns/MVM", rep.latency_ns) << fmt(" | %.3f TOPS per macro", rep.tops) << "\n";
  const AreaClock ac = area_clock(macro_geometry(cfg));
  os << "  area " << fmt("%.4f mm^2", ac.area_mm2) << fmt(" | %.2f TOPS/mm^2", ac.area_mm2 > 0 ? rep.tops / ac.area_mm2 : 0.0)
     << fmt(" | clock %.3f ns per cycle", ac.clock_ns) << " (" << cfg.energy.node_nm << " nm)\n";
  const Accuracy& a = rep.accuracy;
  os << "  MVM error [output LSB]: mean " << fmt("%.3g", a.err_mean.mean) << fmt(", std %.4g", a.err_std)
     << fmt(", max |e| %.4g", a.max_abs_err) << fmt(" (%.3g of the output std)", a.err_rel) << "\n";
  os << "  SQNR " << (std::isinf(a.sqnr_db) ? std::string("inf (lossless)") : fmt("%.2f dB", a.sqnr_db))
     << fmt(" | ADC clip rate %.3g", a.clip_rate) << "\n";
}

}  // namespace cimmc
