#include "infer/macro_gemm.hpp"

#include <algorithm>

#include "pricing/pricing.hpp"

namespace cimmc::infer {

int tile_rows(const MacroSpec& m) { return m.rows; }

std::uint64_t MacroGemm::gpu_inputs_per_instance(std::uint64_t configured, std::int64_t samples) const {
  if (opt_.backend != Backend::cuda) return configured;
  // The CUDA launcher runs one thread block per array instance; a batch's tile
  // job of 4,096 inputs per instance gives the GPU a few dozen blocks. Given
  // weights are programmed once per chip whatever the instance, so a finer
  // split changes no prediction or event count, and the energy (a mean over
  // batch groups of instances) by rounding alone (docs/config.md, task).
  constexpr std::uint64_t kBlocks = 2048, kFewest = 64;  // enough blocks for any GPU; reprogramming stays cheap
  const std::uint64_t want = (static_cast<std::uint64_t>(samples) + kBlocks - 1) / kBlocks;
  return std::min(configured, std::max(kFewest, want));
}

int tile_weights(const MacroSpec& m, const QuantBits& bits) {
  OperandSpec w;
  w.bits = bits.w_bits;
  w.is_signed = true;
  return m.cols / phys_cols_per_weight(m, w);
}

void MacroGemm::operator()(int layer, const LayerQuant& q, const Op& op, const std::vector<std::int32_t>& X,
                           std::int64_t M, std::vector<double>& acc) {
  const int N = op.N(), K = op.K();
  const int KT = tile_rows(cfg_.macro), NT = tile_weights(cfg_.macro, bits_);
  if (NT < 1) throw InferError("no " + std::to_string(bits_.w_bits) + "-bit weight fits the macro's columns");
  const int nk = (K + KT - 1) / KT, nn = (N + NT - 1) / NT;
  const std::int64_t per_image = M / images_;
  struct Tile {
    Config cfg;
    int kt, nt, k0, n0, kn, nw;
    std::vector<std::int32_t> w;
    std::vector<double> y;
  };
  std::vector<std::vector<std::int32_t>> xs(nk);
  std::vector<Tile> tiles;
  for (int kt = 0; kt < nk; ++kt) {
    const int k0 = kt * KT, kn = std::min(KT, K - k0);
    xs[kt].resize(static_cast<std::size_t>(M) * kn);
    for (std::int64_t m = 0; m < M; ++m)
      std::copy_n(X.data() + m * K + k0, kn, xs[kt].data() + m * kn);
    for (int nt = 0; nt < nn; ++nt) {
      Tile t{cfg_, kt, nt, k0, nt * NT, kn, std::min(NT, N - nt * NT), {}, {}};
      TileSpec& ts = t.cfg.tile;
      ts = TileSpec{};
      ts.rows_used = t.kn;
      ts.cols_used = t.nw;
      ts.inputs.bits = bits_.x_bits;
      ts.inputs.is_signed = bits_.x_signed;
      ts.weights.bits = bits_.w_bits;
      ts.weights.is_signed = true;
      t.cfg.run.samples = static_cast<std::uint64_t>(M);
      t.cfg.run.inputs_per_instance = gpu_inputs_per_instance(t.cfg.run.inputs_per_instance, M);
      if (auto it = full_scale_.find({layer, kt, nt}); it != full_scale_.end()) {
        t.cfg.macro.adc.range = AdcRange::max;
        t.cfg.macro.adc.max_value = it->second;
      }
      t.w.resize(static_cast<std::size_t>(t.nw) * t.kn);
      for (int n = 0; n < t.nw; ++n)
        std::copy_n(q.w.data() + static_cast<std::size_t>(t.n0 + n) * K + k0, t.kn, t.w.data() + static_cast<std::size_t>(n) * t.kn);
      t.y.resize(static_cast<std::size_t>(M) * t.nw);
      tiles.push_back(std::move(t));
    }
  }
  std::vector<const Config*> cfgs;
  std::vector<philox::JobId> ids;
  for (const Tile& t : tiles) {
    cfgs.push_back(&t.cfg);
    // Distinct from study job ids (XXH3 of a key text) and from id 0 of a single run.
    ids.push_back(philox::JobId{(static_cast<std::uint64_t>(layer) << 40) | (static_cast<std::uint64_t>(t.kt) << 20) |
                                    static_cast<std::uint64_t>(t.nt),
                                0x1F3E000000000000ull | static_cast<std::uint64_t>(chip_)});
  }
  const auto base = static_cast<std::uint32_t>(static_cast<std::int64_t>(first_image_) * per_image);
  std::vector<JobResult> res = run_jobs(cfgs, ids, opt_, [&](std::size_t i, JobView& v) {
    v.w_given = tiles[i].w.data();
    v.x_given = xs[tiles[i].kt].data();
    v.y_out = tiles[i].y.data();
    v.sample_base = base;
  });
  acc.assign(static_cast<std::size_t>(M) * N, 0.0);
  for (std::size_t i = 0; i < tiles.size(); ++i) {  // tile order: fixed sums
    const Tile& t = tiles[i];
    for (std::int64_t m = 0; m < M; ++m)
      for (int n = 0; n < t.nw; ++n) acc[m * N + t.n0 + n] += t.y[m * t.nw + n];
    const JobResult& r = res[i];
    if (cfg_.macro.adc.range == AdcRange::calibrated) full_scale_.emplace(std::tuple{layer, t.kt, t.nt}, r.adc_full_scale);
    const EnergyTables et = make_energy_tables(t.cfg, r);
    const Report rep = price(r, et);
    const GroupMoments tot = r.totals();
    tiles_.push_back(TileEnergy{layer, t.kt, t.nt, t.kn, t.nw, tot.samples, rep.total_pj.mean * tot.samples,
                                rep.latency_ns * tot.samples, tot.conversions, tot.clipped, 0});
    for (std::uint64_t c : r.total(Hist::cell)) tiles_.back().cell_reads += c;
  }
}

}  // namespace cimmc::infer
