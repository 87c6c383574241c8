#include "hiermap/hiermap.hpp"

#include "arch/hierarchy.hpp"
#include "loopnest/mapspace.hpp"

namespace cimmc::hiermap {

namespace ln = loopnest;

ln::ConvShape conv_shape(const LayerSpec& l) {
  ln::ConvShape s;
  switch (l.kind) {
    case LayerKind::linear:
      s.N = std::int64_t(l.batch) * l.tokens;
      s.C = l.C;
      s.M = l.M;
      break;
    case LayerKind::matmul:
      s.G = l.batch;
      s.N = l.gemm_m;
      s.C = l.gemm_k;
      s.M = l.gemm_n;
      break;
    case LayerKind::conv2d:
      s.G = l.groups;
      s.N = l.batch;
      s.M = l.M / l.groups;
      s.C = l.C / l.groups;
      s.P = l.P;
      s.Q = l.Q;
      s.R = l.R;
      s.S = l.S;
      s.stride_h = l.stride_h;
      s.stride_w = l.stride_w;
      break;
  }
  return s;
}

TileShape tile_shape(const ln::Hierarchy& h, const ln::TileJob& job) {
  const ln::StorageLevel& macro = h.levels.back();
  std::int64_t axis[2] = {1, 1};
  for (int d = 0; d < ln::kDims; ++d) {
    const int a = ln::spatial_axis(macro, d);
    if (a >= 0) axis[a] *= job.shape[std::size_t(d)];
  }
  return {int(axis[0]), int(axis[1])};
}

namespace {

ln::Objective objective(Objective o) {
  switch (o) {
    case Objective::latency: return ln::Objective::latency;
    case Objective::edp: return ln::Objective::edp;
    case Objective::energy: break;
  }
  return ln::Objective::energy;
}

}  // namespace

LayerSearch search_layer(const Config& point, const LayerSpec& layer, const MvmFiguresFn& mvm, int keep,
                         std::int64_t budget, ln::SearchMode mode) {
  ln::SearchOptions opt;
  opt.budget = budget;
  opt.mode = mode;
  opt.keep = keep;
  return search_layer(point, layer, mvm, opt);
}

namespace {

// The layer's loops, hierarchy and precisions, and `map(params)` run with the
// macro's figures per tile shape.
template <class Map>
LayerSearch prepare(const Config& point, const LayerSpec& layer, const MvmFiguresFn& mvm, const Map& map) {
  LayerSearch r;
  r.shape = conv_shape(layer);
  const std::int64_t K = r.shape.C * r.shape.R * r.shape.S;
  const hier::OperandBits ob = hier::layer_operand_bits(layer.inputs, layer.weights, K);
  r.hierarchy = hier::to_hierarchy(point.arch.hierarchy, point.macro, layer.weights, ob, point.arch.clock_ghz);
  r.bits = {double(ob[0]), double(ob[1]), double(ob[2]), double(layer.inputs.bits)};
  const double clock = r.hierarchy.clock_ghz;
  const ln::JobFiguresFn figures = [&](const ln::TileJob& job) {
    const MvmFigures f = mvm(tile_shape(r.hierarchy, job));
    return ln::JobFigures{f.energy_pj, f.ns * clock};
  };
  ln::CostParams params;
  params.bits = r.bits;
  params.job_figures = &figures;
  map(r, params);
  return r;
}

}  // namespace

LayerSearch search_layer(const Config& point, const LayerSpec& layer, const MvmFiguresFn& mvm, ln::SearchOptions opt) {
  opt.objective = objective(point.mapping.objective);
  opt.seed = point.run.seed;
  return prepare(point, layer, mvm, [&](LayerSearch& r, const ln::CostParams& params) {
    r.report = ln::search(r.hierarchy, r.shape, params, opt);
  });
}

LayerSearch map_layer_mip(const Config& point, const LayerSpec& layer, const MvmFiguresFn& mvm,
                          mipmap::MipOptions opt) {
  opt.objective = objective(point.mapping.objective);
  return prepare(point, layer, mvm, [&](LayerSearch& r, const ln::CostParams& params) {
    r.mip = true;
    r.mip_report = mipmap::map_layer(r.hierarchy, r.shape, params, opt);
    const ln::Mapspace ms(r.hierarchy, r.shape);
    r.report.size = ms.size();
    r.report.factorizations = ms.factorizations();
    r.report.candidates = r.report.legal = r.report.evaluated = r.mip_report.costed;
    r.report.best = r.mip_report.best_mappings;
    r.report.kept = std::int64_t(r.report.best.size());
    if (r.report.best.empty()) throw ln::LoopNestError("mip mapper: no legal mapping of the layer");
  });
}

}  // namespace cimmc::hiermap
