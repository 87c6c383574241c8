// `architecture.chiplets:` (chiplet/chiplet_spec.hpp): a SIAM-like system of
// chiplets of tiles of macros, with its NoC, NoP and per-component areas.
#include "config/internal.hpp"

namespace cimmc::config_detail {

namespace {

// Chiplets on one package: up to 4096 (a 64 x 64 mesh; SIAM studies up to ~100).
constexpr IntRule kChiplets{1, 4096};
// Tiles per chiplet, macros per tile, flit width: up to 65536 each.
constexpr IntRule kChipletCount{1, 65536};
// Flits per cycle per link: one per thousand cycles up to 10^6.
constexpr NumRule kFlitsPerCycle{1e-3, 1e6};
// Router + link latency per hop in cycles: 0 (not modelled) up to 10^6.
constexpr NumRule kHopCycles{0.0, 1e6};
// Component areas [mm^2]: 0 (not given) up to 10^6 mm^2 (a square metre: beyond any package).
constexpr NumRule kAreaMm2{0.0, 1e6};
// Buffer capacity [KiB]: 0 (not given) up to 2^30 KiB (1 TiB: beyond any on-package SRAM).
constexpr NumRule kBufferKib{0.0, 1073741824.0};
// Wafer price [USD]: 0 up to 10^6 (the dearest wafers, EUV 3 nm, cost ~2 x 10^4).
constexpr NumRule kWaferUsd{0.0, 1e6};
// Wafer diameter [mm]: 25 (one inch, the first wafers) up to 450 (the largest ever specified).
constexpr NumRule kWaferMm{25.0, 450.0};
// Edge loss and scribe lane [mm]: 0 up to 50 (beyond that no die is left on a 450 mm wafer's rim).
constexpr NumRule kWaferMarginMm{0.0, 50.0};
// Defect density [1/cm^2]: 0 (perfect) up to 100 (every 1 mm^2 die has a defect).
constexpr NumRule kDefects{0.0, 100.0};
// Clustering alpha: 0.01 (extreme clustering) up to 10^6 (Poisson, no clustering).
constexpr NumRule kClustering{0.01, 1e6};
// Bonding cost [USD/mm^2]: 0 up to 100.
constexpr NumRule kBondUsd{0.0, 100.0};
// Bonding yield per die: above 0 (a bond that never works has no cost) up to 1.
constexpr NumRule kBondYield{1e-6, 1.0};

}  // namespace

void read_chiplets(const MapReader& arch_reader, chiplet::ChipletSpec& s) {
  if (!arch_reader.has("chiplets") || arch_reader.get("chiplets").IsNull()) return;
  const MapReader r = arch_reader.section("chiplets");
  s.enabled = true;
  r.allow_only({"chiplets", "tiles_per_chiplet", "macros_per_tile", "noc", "nop", "area", "cost"});
  if (r.has("chiplets") && r.get("chiplets").IsScalar() && r.get("chiplets").Scalar() == "auto")
    s.chiplets = 0;
  else
    r.read("chiplets", s.chiplets, kChiplets);
  r.read("tiles_per_chiplet", s.tiles_per_chiplet, kChipletCount);
  r.read("macros_per_tile", s.macros_per_tile, kChipletCount);
  const MapReader noc = r.section("noc");
  noc.allow_only({"flit_bits", "hop_pj_per_flit", "flits_per_cycle", "hop_cycles"});
  noc.read("flit_bits", s.noc.flit_bits, kChipletCount);
  noc.read("hop_pj_per_flit", s.noc.hop_pj_per_flit, rule::kEnergyPj);
  noc.read("flits_per_cycle", s.noc.flits_per_cycle, kFlitsPerCycle);
  noc.read("hop_cycles", s.noc.hop_cycles, kHopCycles);
  const MapReader nop = r.section("nop");
  nop.allow_only({"pj_per_bit", "bandwidth_gbps", "hop_ns"});
  nop.read("pj_per_bit", s.nop.pj_per_bit, rule::kEnergyPj);
  nop.read("bandwidth_gbps", s.nop.bandwidth_gbps, rule::kDramGbps);
  nop.read("hop_ns", s.nop.hop_ns, rule::kTimeOrZeroNs);
  const MapReader area = r.section("area");
  area.allow_only({"macro_mm2", "cell_array_mm2", "tile_mm2", "router_mm2", "nop_mm2", "global_buffer_mm2",
                   "tile_buffer_kib", "global_buffer_kib"});
  // `model` (the default): computed by chiplet/area.hpp; a number: that area as written.
  auto model_or_mm2 = [&](const char* key, double& v) {
    if (area.has(key) && area.get(key).IsScalar() && area.get(key).Scalar() == "model")
      v = chiplet::kFromModel;
    else
      area.read(key, v, kAreaMm2);
  };
  model_or_mm2("macro_mm2", s.area.macro_mm2);
  area.read("cell_array_mm2", s.area.cell_array_mm2, kAreaMm2);
  area.read("tile_mm2", s.area.tile_mm2, kAreaMm2);
  model_or_mm2("router_mm2", s.area.router_mm2);
  area.read("nop_mm2", s.area.nop_mm2, kAreaMm2);
  area.read("global_buffer_mm2", s.area.global_buffer_mm2, kAreaMm2);
  area.read("tile_buffer_kib", s.area.tile_buffer_kib, kBufferKib);
  area.read("global_buffer_kib", s.area.global_buffer_kib, kBufferKib);
  const MapReader cost = r.section("cost");
  cost.allow_only({"wafer_usd", "wafer_mm", "edge_mm", "scribe_mm", "defects_per_cm2", "clustering",
                   "bond_usd_per_mm2", "bond_yield"});
  cost.read("wafer_usd", s.cost.wafer_usd, kWaferUsd);
  cost.read("wafer_mm", s.cost.wafer_mm, kWaferMm);
  cost.read("edge_mm", s.cost.edge_mm, kWaferMarginMm);
  cost.read("scribe_mm", s.cost.scribe_mm, kWaferMarginMm);
  cost.read("defects_per_cm2", s.cost.defects_per_cm2, kDefects);
  cost.read("clustering", s.cost.clustering, kClustering);
  cost.read("bond_usd_per_mm2", s.cost.bond_usd_per_mm2, kBondUsd);
  cost.read("bond_yield", s.cost.bond_yield, kBondYield);
}

}  // namespace cimmc::config_detail
