// `architecture:` (the system around the macros) and `mapping:` (what the
// mapping search optimizes and keeps).
#include <algorithm>

#include "arch/hierarchy.hpp"
#include "config/internal.hpp"

namespace cimmc::config_detail {

namespace {

void read_buffer(const MapReader& r, BufferSpec& b) {
  r.allow_only({"energy_pj_per_bit", "bandwidth_bits_per_cycle"});
  r.read("energy_pj_per_bit", b.energy_pj_per_bit, rule::kEnergyPj);
  r.read("bandwidth_bits_per_cycle", b.bandwidth_bits_per_cycle, rule::kBitsPerCycle);  // 0 = unlimited
}

}  // namespace

void read_architecture(const MapReader& r, ArchSpec& a) {
  r.allow_only({"macros", "clock_ghz", "row_settle_ns", "input_buffer", "output_buffer", "global_buffer", "dram",
                "hierarchy", "chiplets"});
  r.read("macros", a.macros, rule::kMacros);
  r.read("clock_ghz", a.clock_ghz, rule::kClockGhz);
  r.read("row_settle_ns", a.row_settle_ns, rule::kTimeOrZeroNs);
  read_buffer(r.section("input_buffer"), a.input_buffer);
  read_buffer(r.section("output_buffer"), a.output_buffer);
  read_buffer(r.section("global_buffer"), a.global_buffer);
  const MapReader dram = r.section("dram");
  dram.allow_only({"energy_pj_per_bit", "bandwidth_gbps"});
  dram.read("energy_pj_per_bit", a.dram_pj_per_bit, rule::kEnergyPj);
  dram.read("bandwidth_gbps", a.dram_bandwidth_gbps, rule::kDramGbps);
  read_hierarchy(r, a.hierarchy);
  read_chiplets(r, a.chiplets);
  // A hierarchy fixes the macro count; `macros` may then be left out. Clamped
  // into kMacros' range so check_hierarchy reports the fan-outs, not this value.
  if (!a.hierarchy.empty() && !r.has("macros"))
    a.macros = int(std::clamp<double>(hier::macro_instances(a.hierarchy), 1, double(rule::kMacros.hi)));
}

void read_mapping(const MapReader& r, MappingOptions& m) {
  r.allow_only({"objective", "keep", "duplication", "search_budget", "mapper", "mip_seconds"});
  r.read_enum<Objective>("objective", m.objective,
                         {{"energy", Objective::energy}, {"latency", Objective::latency}, {"edp", Objective::edp}});
  r.read_enum<bool>("keep", m.keep_all, {{"best", false}, {"all", true}});
  r.read("duplication", m.allow_duplication);
  r.read("search_budget", m.search_budget, rule::kSearchBudget);
  using M = MappingOptions::Mapper;
  r.read_enum<M>("mapper", m.mapper,
                 {{"auto", M::automatic}, {"exhaustive", M::exhaustive}, {"random", M::random}, {"mip", M::mip}});
  r.read("mip_seconds", m.mip_seconds, rule::kMipSeconds);
}

}  // namespace cimmc::config_detail
