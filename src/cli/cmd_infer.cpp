// `cimmc infer CONFIG`: a config with a `task:` section; the test set through
// the ONNX network float, integer-quantized and through the macro model, with
// accuracy, energy and latency per image.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/summary.hpp"
#include "config/config.hpp"
#include "infer/task.hpp"
#include "io/study_file.hpp"
#include "onnx/import.hpp"
#include "study/tables.hpp"

namespace cimmc {

namespace {

std::string shape(const infer::Shape& s) {
  return s.flat ? std::to_string(s.c) : std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

void print_layers(std::ostream& os, const infer::Network& net, const infer::TaskResult& r) {
  os << "  layer                 kind    in -> out            K     N  tiles  x scale    MVMs/image  nJ/image\n";
  int layer = 0;
  const double images = r.images;
  for (const infer::Op& op : net.ops) {
    if (!op.is_gemm()) continue;
    double energy = 0, mvms = 0;
    int tiles = 0;
    for (const infer::TileEnergy& t : r.chips.front().tiles)
      if (t.layer == layer) {
        energy += t.energy_pj, mvms += static_cast<double>(t.mvms);
        tiles = std::max(tiles, (t.k_tile + 1) * 1000 + t.n_tile + 1);
      }
    const int tk = tiles / 1000, tn = tiles % 1000;
    std::string name = op.name.size() > 20 ? op.name.substr(0, 20) : op.name;
    const std::string io = shape(op.in) + " -> " + shape(op.out);
    os << "  " << name << std::string(22 - name.size(), ' ') << (op.kind == infer::OpKind::conv ? "conv  " : "linear")
       << "  " << io << std::string(io.size() < 18 ? 18 - io.size() : 1, ' ') << fmt("%6.0f", op.K()) << fmt("%6.0f", op.N())
       << fmt("%5.0f", tk) << "x" << std::to_string(tn) << std::string(tn < 10 ? 1 : 0, ' ')
       << fmt("%9.3g", r.quant.layers[layer].x_scale) << fmt("%14.0f", mvms / images) << fmt("%10.3f", energy / images / 1e3)
       << "\n";
    ++layer;
  }
}


// Totals over the chips of one point.
struct Summary {
  infer::AccuracyStats acc;
  double agree = 0, energy_nj = 0, latency_us = 0, clip_rate = 0, cell_reads = 0;
};

Summary summarize(const infer::TaskResult& r) {
  Summary s;
  s.acc = infer::accuracy_stats(r);
  const double n = static_cast<double>(r.images) * r.chips.size();
  double conv = 0, clipped = 0;
  for (const infer::ChipResult& c : r.chips) {
    for (int i = 0; i < r.images; ++i) s.agree += c.pred[i] == r.quant_pred[i];
    s.energy_nj += c.energy_pj / 1e3, s.latency_us += c.latency_ns / 1e3, s.cell_reads += c.cell_reads;
    conv += c.conversions, clipped += c.clipped;
  }
  s.agree /= n, s.energy_nj /= n, s.latency_us /= n;
  s.clip_rate = conv > 0 ? clipped / conv : 0.0;
  return s;
}

void print_report(std::ostream& os, const Config& cfg, const infer::Network& net, const infer::TaskResult& r,
                  const std::string& backend, const std::string& device) {
  const infer::QuantBits bits = infer::task_bits(cfg);
  const Summary s = summarize(r);
  const double n = static_cast<double>(r.images) * r.chips.size();
  os << cfg.name << ": " << cfg.task.model << ", " << net.gemm_layers() << " conv/linear layers, " << r.images
     << " test images, " << cfg.task.chips << " chip(s), " << backend << "\n";
  os << "  macro " << cfg.macro.rows << "x" << cfg.macro.cols << "; inputs " << bits.x_bits << "b "
     << (bits.x_signed ? "signed " : "") << to_string(cfg.macro.input_encoding) << ", " << cfg.macro.dac_bits
     << " DAC bits/cycle; weights " << bits.w_bits << "b " << to_string(cfg.macro.weight_encoding) << ", "
     << cfg.macro.bits_per_cell << " bits/cell; ADC " << cfg.macro.adc.bits << "b " << to_string(cfg.macro.adc.range)
     << "\n\n";
  print_layers(os, net, r);
  os << "\n  top-1 float       " << fmt("%.4f", r.float_correct / static_cast<double>(r.images)) << "\n";
  os << "  top-1 quantized   " << fmt("%.4f", r.quant_correct / static_cast<double>(r.images))
     << " (exact integer products)\n";
  os << "  top-1 macro       " << fmt("%.4f", s.acc.mean) << "  +/- " << fmt("%.4f", s.acc.ci_images)
     << " (95%, images)  +/- " << (std::isnan(s.acc.ci_chips) ? std::string("n/a") : fmt("%.4f", s.acc.ci_chips))
     << " (95%, chips)\n";
  os << "  same class as the quantized network: " << fmt("%.2f%%", 100.0 * s.agree) << " of images; ADC clip rate "
     << fmt("%.3g", s.clip_rate) << "\n";
  os << "  energy " << fmt("%.3f", s.energy_nj) << " nJ/image (macro events); latency " << fmt("%.2f", s.latency_us)
     << " us/image on one macro\n";
  os << "  " << r.images << " images x " << r.chips.size() << " chip(s) through the macro in "
     << fmt("%.2f s", r.macro_seconds) << " (" << fmt("%.0f", n / r.macro_seconds) << " images/s, "
     << fmt("%.3g", s.cell_reads / r.macro_seconds) << " cell reads/s; " << device << ")\n";
  const EngineTimes& e = r.engine;
  os << "  time: float pass " << fmt("%.2f s", r.float_seconds) << ", exact-integer pass " << fmt("%.2f s", r.quant_seconds)
     << "; macro passes: sampling " << fmt("%.2f s", e.sampling) << ", pilots " << fmt("%.2f s", e.pilots)
     << ", calibration " << fmt("%.2f s", e.calibration) << ", building " << fmt("%.2f s", e.build) << ", results "
     << fmt("%.2f s", e.assembly) << ", host work between layers " << fmt("%.2f s", r.macro_seconds - e.total());
  if (e.gpu.kernel > 0)
    os << "; GPU launches: setup " << fmt("%.2f s", e.gpu.setup) << ", kernels " << fmt("%.2f s", e.gpu.kernel)
       << ", copy back " << fmt("%.2f s", e.gpu.copy_back);
  os << "\n";
}

void put_row(Table& t, const infer::TaskResult& r, std::size_t point) {
  using I = std::int64_t;
  const Summary s = summarize(r);
  t.put("point", static_cast<I>(point), "1", "hardware point (sweep index)");
  t.put("top1", s.acc.mean, "1", "top-1 accuracy through the macro, mean over chips and images");
  t.put("top1_ci_images", s.acc.ci_images, "1", "95% half-width of top1 over images (binomial, normal approximation)");
  t.put("top1_ci_chips", s.acc.ci_chips, "1", "95% half-width of top1 over chips (Student t; NaN with one chip)");
  t.put("top1_float", r.float_correct / static_cast<double>(r.images), "1", "top-1 accuracy of the float network");
  t.put("top1_quantized", r.quant_correct / static_cast<double>(r.images), "1",
        "top-1 accuracy of the integer-quantized network (exact products)");
  t.put("agreement", s.agree, "1", "fraction of images the macro classifies as the quantized network does");
  t.put("energy_nj_per_image", s.energy_nj, "nJ", "macro energy per image, priced from the sampled events");
  t.put("latency_us_per_image", s.latency_us, "us", "MVM time per image on one macro, back to back");
  t.put("clip_rate", s.clip_rate, "1", "clipped ADC conversions / conversions");
  t.put("images", static_cast<I>(r.images), "image", "test images");
  t.put("chips", static_cast<I>(r.chips.size()), "chip", "chip instances");
  t.put("macro_seconds", r.macro_seconds, "s", "wall time of the macro passes");
}

// The same task fields (model and images) share one network and one data set.
std::string data_key(const TaskSpec& t) {
  return t.model + "\n" + t.images + "\n" + t.labels + "\n" + std::to_string(t.count) + "\n" + t.calibration_images +
         "\n" + std::to_string(t.calibration_count);
}

}  // namespace

int cmd_infer(const CliArgs& a) {
  const Sweep sweep = load_study(a);
  for (const SweepPoint& p : sweep.points) {
    if (p.config.task.model.empty())
      throw ConfigError(a.config + ": task: value '<missing>': is required for cimmc infer (docs/config.md, task)");
    if (!p.config.network.layers.empty())
      throw ConfigError(a.config + ": workload: a task takes its layers from the ONNX model; give workload.inputs "
                                   "and workload.weights (bits, signed) only");
  }
  const std::optional<OutputClaim> claim = claim_output(a);
  EngineOptions opt = engine_options(a);
  std::string device;
  const std::string backend = resolve_backend(opt.backend, &device, opt.cpu_isa);
  opt.backend = backend == "cuda" ? Backend::cuda : Backend::cpu;  // the tiles' work split follows it
  std::string loaded;
  infer::Network net;
  infer::TaskData data;
  const ParamColumns params = param_columns(sweep);
  Table rows;
  const bool many = sweep.points.size() > 1;
  for (std::size_t i = 0; i < sweep.points.size(); ++i) {
    const Config& cfg = sweep.points[i].config;
    if (data_key(cfg.task) != loaded) {
      net = onnx::load_network(cfg.task.model);
      data = infer::load_task_data(cfg.task, net);
      loaded = data_key(cfg.task);
    }
    ProgressLine progress(many ? "point " + std::to_string(i + 1) + "/" + std::to_string(sweep.points.size())
                               : std::string("infer"));
    const infer::TaskResult r = infer::run_task(cfg, net, data, opt, [&](int done, int total) {
      progress.update(static_cast<double>(done) / total);
    });
    progress.finish();
    if (!many) {
      print_report(std::cout, cfg, net, r, backend, device);
    } else {
      if (i == 0) std::cout << cfg.name << ": " << sweep.points.size() << " hardware points, " << r.images
                            << " test images, " << cfg.task.chips << " chip(s), " << backend
                            << "\n  point  top-1    +/-95%   nJ/image   us/image  params\n";
      const Summary s = summarize(r);
      std::string ps;
      for (const auto& [key, value] : sweep.points[i].params) ps += (ps.empty() ? "" : ", ") + key + "=" + value;
      std::cout << fmt("%7.0f", static_cast<double>(sweep.points[i].index)) << fmt("%8.4f", s.acc.mean)
                << fmt("%9.4f", s.acc.ci_images) << fmt("%11.3f", s.energy_nj) << fmt("%11.2f", s.latency_us) << "  " << ps
                << "\n";
    }
    put_row(rows, r, sweep.points[i].index);
    put_params(rows, params, i);
  }
  if (claim) {
    StudyFile meta = output_meta(sweep, a, backend, device);
    meta.sweep_keys = sweep.keys;
    write_task_file(claim->target(), meta, rows);
    std::cout << "  wrote " << a.output << "\n";
  }
  return 0;
}

}  // namespace cimmc
