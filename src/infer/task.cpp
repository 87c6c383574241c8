#include "infer/task.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <type_traits>

#include "data/idx.hpp"
#include "pricing/pricing.hpp"

namespace cimmc::infer {

namespace {

std::vector<float> load_images(const std::string& path, int count, const Network& net) {
  const IdxImages img = read_idx_images(path, count);
  const Shape& in = net.input;
  if (static_cast<std::int64_t>(img.rows) * img.cols != in.size() || (!in.flat && (in.h != img.rows || in.w != img.cols)))
    throw InferError(path + ": images of " + std::to_string(img.rows) + " x " + std::to_string(img.cols) +
                     " pixels do not fit the network input " + net.source + " expects (" + std::to_string(in.c) +
                     " x " + std::to_string(in.h) + " x " + std::to_string(in.w) + ")");
  std::vector<float> x(img.pixels.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(img.pixels[i]) / 255.f;
  return x;
}

// Predictions of all images, batch by batch.
std::vector<int> predict(const Network& net, const TaskData& d, int batch, const GemmFn& gemm,
                         const std::function<void(int, int)>& before_batch) {
  std::vector<int> pred;
  for (int i0 = 0; i0 < d.count; i0 += batch) {
    const int B = std::min(batch, d.count - i0);
    if (before_batch) before_batch(i0, B);
    const std::vector<float> x(d.x.begin() + static_cast<std::ptrdiff_t>(i0) * d.sample_size,
                               d.x.begin() + static_cast<std::ptrdiff_t>(i0 + B) * d.sample_size);
    const std::vector<int> p = argmax_rows(forward(net, x, B, gemm), B, net.classes());
    pred.insert(pred.end(), p.begin(), p.end());
  }
  return pred;
}

// opt.threads also bounds the OpenMP regions of the host passes (forward.cpp,
// quant.cpp), which otherwise take every core: `--threads 1` is one core.
class OmpThreads {
 public:
  explicit OmpThreads(int threads) : before_(omp_get_max_threads()), set_(threads > 0) {
    if (set_) omp_set_num_threads(threads);
  }
  ~OmpThreads() {
    if (set_) omp_set_num_threads(before_);
  }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int before_;
  bool set_;
};

int correct(const std::vector<int>& pred, const std::vector<int>& labels) {
  int c = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) c += pred[i] == labels[i];
  return c;
}

}  // namespace

TaskData load_task_data(const TaskSpec& t, const Network& net) {
  TaskData d;
  d.count = t.count;
  d.sample_size = static_cast<int>(net.input.size());
  d.x = load_images(t.images, t.count, net);
  for (std::uint8_t l : read_idx_labels(t.labels, t.count)) d.labels.push_back(l);
  d.calibration_count = t.calibration_count;
  d.calibration = load_images(t.calibration_images, t.calibration_count, net);
  for (int l : d.labels)
    if (l >= net.classes())
      throw InferError(t.labels + ": label " + std::to_string(l) + " is beyond the network's " +
                       std::to_string(net.classes()) + " classes");
  return d;
}

QuantBits task_bits(const Config& cfg) {
  return QuantBits{cfg.tile.inputs.bits, cfg.tile.weights.bits, cfg.tile.inputs.is_signed};
}

AccuracyStats accuracy_stats(const TaskResult& r) {
  AccuracyStats s;
  const int C = static_cast<int>(r.chips.size());
  std::vector<double> acc;
  for (const ChipResult& c : r.chips) acc.push_back(static_cast<double>(c.correct) / r.images);
  for (double a : acc) s.mean += a / C;
  const double n = static_cast<double>(r.images) * C;
  s.ci_images = 1.959963984540054 * std::sqrt(s.mean * (1 - s.mean) / n);
  if (C < 2) {
    s.ci_chips = std::nan("");
  } else {
    double ss = 0;
    for (double a : acc) ss += (a - s.mean) * (a - s.mean);
    s.ci_chips = student_t975(C - 1) * std::sqrt(ss / (C - 1) / C);
  }
  return s;
}

TaskResult run_task(const Config& cfg, const Network& net, const TaskData& d, const EngineOptions& opt,
                    const std::function<void(int, int)>& progress) {
  const OmpThreads host_threads(opt.threads);
  TaskResult r;
  r.images = d.count;
  const int batch = cfg.task.batch_images;
  auto since = [](auto t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); };
  const auto tf = std::chrono::steady_clock::now();
  r.float_pred = predict(net, d, batch,
                         [](int, const Op& op, const std::vector<float>& cols, std::int64_t M, std::vector<float>& out) {
                           float_gemm(op, cols, M, out);
                         }, {});
  r.float_correct = correct(r.float_pred, d.labels);
  r.float_seconds = since(tf);
  const auto tq = std::chrono::steady_clock::now();
  const QuantBits bits = task_bits(cfg);
  r.quant = calibrate(net, d.calibration, d.calibration_count, bits);
  r.quant_pred = predict(net, d, batch,
                         quantized_gemm(r.quant, [](int, const LayerQuant& q, const Op& op, const std::vector<std::int32_t>& X,
                                                    std::int64_t M, std::vector<double>& acc) {
                           exact_int_gemm(q, op, X, M, acc);
                         }), {});
  r.quant_correct = correct(r.quant_pred, d.labels);
  r.quant_seconds = since(tq);

  EngineOptions eo = opt;
  eo.times = &r.engine;
  const auto t0 = std::chrono::steady_clock::now();
  const int batches = (d.count + batch - 1) / batch;
  for (int chip = 0; chip < cfg.task.chips; ++chip) {
    MacroGemm mg(cfg, bits, eo, chip);
    int done = 0;
    ChipResult c;
    c.pred = predict(net, d, batch,
                     quantized_gemm(r.quant, [&mg](int layer, const LayerQuant& q, const Op& op,
                                                   const std::vector<std::int32_t>& X, std::int64_t M,
                                                   std::vector<double>& acc) { mg(layer, q, op, X, M, acc); }),
                     [&](int i0, int B) {
                       if (progress && done) progress(chip * batches + done, cfg.task.chips * batches);
                       ++done;
                       mg.set_batch(i0, B);
                     });
    c.correct = correct(c.pred, d.labels);
    c.tiles = mg.tiles();
    // Tile order (layer, batch, tile): the same sums on any thread count.
    auto sum = [&](auto TileEnergy::*m) {
      std::remove_cvref_t<decltype(c.tiles[0].*m)> s{};
      for (const TileEnergy& t : c.tiles) s += t.*m;
      return s;
    };
    c.energy_pj = sum(&TileEnergy::energy_pj), c.latency_ns = sum(&TileEnergy::latency_ns);
    c.conversions = sum(&TileEnergy::conversions), c.clipped = sum(&TileEnergy::clipped);
    c.mvms = sum(&TileEnergy::mvms), c.cell_reads = sum(&TileEnergy::cell_reads);
    r.chips.push_back(std::move(c));
  }
  if (progress) progress(cfg.task.chips * batches, cfg.task.chips * batches);
  r.macro_seconds = since(t0);
  return r;
}

}  // namespace cimmc::infer
