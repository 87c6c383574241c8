// The mapping search on real configured hierarchies, before and after filled
// draws and refinement (issue 12 item 3): what `cimmc plan` prints as the
// network energy, with each strategy.
//   BM_hier_resnet18_search/<config>/<budget>/<strategy>: every ResNet-18
//     layer of the config searched with `budget` (10^4 or 10^5) as
//     `cimmc plan` does (study/hier_layers.hpp), strategy 0 = the old search
//     (guided draws only, no refinement), 1 = the default (mixed guided and
//     filled draws, a quarter of the budget refining the best 4). Config 0 =
//     configs/arch-zigzag-aimc.yaml, 1 = configs/arch-mesh4x4.yaml.
//     Counters: network_uJ (sum of the layers' best energies x repeats),
//     conv2_1_rows / conv2_1_cols (the tile conv2_1's best mapping uses on
//     the macro) and conv2_1_macro_pJ_per_MAC.
#include <benchmark/benchmark.h>

#include <string>

#include "config/config.hpp"
#include "hiermap/hiermap.hpp"
#include "loopnest/analysis.hpp"
#include "study/hier_layers.hpp"

using namespace cimmc;
namespace ln = cimmc::loopnest;

namespace {

void BM_hier_resnet18_search(benchmark::State& state) {
  const char* names[] = {"arch-zigzag-aimc.yaml", "arch-mesh4x4.yaml"};
  const Config c = load_config(std::string(CIMMC_SOURCE_DIR) + "/configs/" + names[state.range(0)]);
  ln::SearchOptions opt;
  opt.budget = state.range(1);
  if (state.range(2) == 0) {
    opt.sampler = ln::Sampler::guided;
    opt.refine_fraction = 0;
  }
  double net_pj = 0, macro_per_mac = 0;
  hiermap::TileShape conv2_1;
  for (auto _ : state) {
    net_pj = 0;
    for (std::size_t l = 0; l < c.network.layers.size(); ++l) {
      const LayerSpec& layer = c.network.layers[l];
      MvmFiguresCache cache(c, layer);
      const hiermap::LayerSearch s =
          hiermap::search_layer(c, layer, [&](const hiermap::TileShape& t) { return cache(t); }, opt);
      const ln::RankedMapping& b = s.report.best.front();
      net_pj += b.cost.total_pj * layer.repeat;
      if (l == 1) {
        conv2_1 = hiermap::tile_shape(s.hierarchy, ln::analyze(s.hierarchy, s.shape, b.nest).job);
        macro_per_mac = b.cost.macro_pj / double(s.shape.macs());
      }
    }
  }
  state.counters["network_uJ"] = net_pj * 1e-6;
  state.counters["conv2_1_rows"] = conv2_1.rows_used;
  state.counters["conv2_1_cols"] = conv2_1.cols_used;
  state.counters["conv2_1_macro_pJ_per_MAC"] = macro_per_mac;
  state.SetLabel(std::string(names[state.range(0)]) + (state.range(2) == 0 ? " guided only" : " mixed + refine"));
}

}  // namespace

BENCHMARK(BM_hier_resnet18_search)
    ->ArgsProduct({{0, 1}, {10'000, 100'000}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
