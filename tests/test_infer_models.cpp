// The shipped networks (data/models/, scripts/train_fashion.py) on Debian's
// Fashion-MNIST test set: cimmc's float pass reproduces the accuracy PyTorch
// printed when it trained them (a second implementation of the same
// network); a lossless macro classifies every image as the integer-quantized
// network; accuracy falls as read noise rises.
#include <gtest/gtest.h>

#include <filesystem>

#include "infer/task.hpp"
#include "onnx/import.hpp"
#include "infer_test_util.hpp"

using namespace cimmc;
using namespace cimmc::infer;

namespace {

const char* kData = "/usr/share/datasets/fashion-mnist/";

std::string model(const char* name) { return std::string(CIMMC_SOURCE_DIR) + "/data/models/" + name; }

TaskSpec fashion(const char* name, int count) {
  TaskSpec t;
  t.model = model(name);
  t.images = std::string(kData) + "t10k-images-idx3-ubyte.gz";
  t.labels = std::string(kData) + "t10k-labels-idx1-ubyte.gz";
  t.count = count;
  t.calibration_images = std::string(kData) + "train-images-idx3-ubyte.gz";
  t.calibration_count = 500;
  t.batch_images = 100;
  return t;
}

// 128 x 128, 8-bit operands, 2-bit differential cells, bit-serial inputs:
// column values up to 128 x 3 = 384 < 2^9 - 1, so a 9-bit full-range ADC
// with g_off = 0 and no noise is lossless.
Config macro_config(const TaskSpec& t, int adc_bits) {
  Config c = test::infer_macro(128, WeightEncoding::differential, 2, 1, adc_bits, 4096);
  c.task = t;
  return c;
}

EngineOptions cpu() {
  EngineOptions o;
  o.backend = Backend::cpu;
  o.threads = 2;
  return o;
}

bool have_data() { return std::filesystem::exists(std::string(kData) + "t10k-images-idx3-ubyte.gz"); }

}  // namespace

TEST(InferModels, FloatAccuracyEqualsTheTrainingScripts) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  // data/models/SOURCE: 8994 and 8835 of 10,000 in PyTorch.
  for (auto [name, expected] : {std::pair{"fashion_cnn.onnx", 8994}, std::pair{"fashion_mlp.onnx", 8835}}) {
    const TaskSpec t = fashion(name, 10000);
    const Network net = onnx::load_network(t.model);
    const TaskData d = load_task_data(t, net);
    int correct = 0;
    for (int i0 = 0; i0 < d.count; i0 += 1000) {
      const std::vector<float> x(d.x.begin() + i0 * 784, d.x.begin() + (i0 + 1000) * 784);
      const std::vector<int> p = argmax_rows(
          forward(net, x, 1000, [](int, const Op& op, const std::vector<float>& cols, std::int64_t M,
                                   std::vector<float>& out) { float_gemm(op, cols, M, out); }),
          1000, 10);
      for (int i = 0; i < 1000; ++i) correct += p[i] == d.labels[i0 + i];
    }
    EXPECT_EQ(correct, expected) << name;
  }
}

TEST(InferModels, LosslessMacroEqualsQuantizedNetworkImageByImage) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  for (const char* name : {"fashion_cnn.onnx", "fashion_mlp.onnx"}) {
    const Config c = macro_config(fashion(name, 200), 9);
    const Network net = onnx::load_network(c.task.model);
    const TaskResult r = run_task(c, net, load_task_data(c.task, net), cpu());
    EXPECT_EQ(r.chips[0].pred, r.quant_pred) << name;
    EXPECT_EQ(r.chips[0].clipped, 0u);
  }
}

// Read noise proportional to the cell current, sigma_rel from 0 to 1: top-1
// over 300 images on 2 chips never rises from one level to the next, and the
// noisiest is well below the noise-free one.
TEST(InferModels, AccuracyFallsMonotonicallyWithReadNoise) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Config c = macro_config(fashion("fashion_cnn.onnx", 300), 8);
  c.task.chips = 2;
  const Network net = onnx::load_network(c.task.model);
  const TaskData d = load_task_data(c.task, net);
  std::vector<double> acc;
  for (double sigma : {0.0, 0.1, 0.3, 1.0}) {
    c.macro.noise.read_sigma_rel = sigma;
    acc.push_back(accuracy_stats(run_task(c, net, d, cpu())).mean);
  }
  for (std::size_t i = 1; i < acc.size(); ++i) EXPECT_LE(acc[i], acc[i - 1]) << "sigma step " << i;
  EXPECT_LT(acc.back(), acc.front() - 0.1);
}

// The CUDA backend splits inference tile jobs into many more, smaller array
// instances than configured, to fill the GPU (MacroGemm::gpu_inputs_per_instance).
// That is sound only because given weights are programmed once per chip: the
// split must change no prediction and no event count; the energy, a mean over
// batch groups of instances times the samples, moves by rounding alone.
// Checked here on the CPU with programming variation, read noise and a
// calibrated ADC.
TEST(InferModels, InputsPerInstanceChangesNoResult) {
  if (!have_data()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Config c = macro_config(fashion("fashion_cnn.onnx", 200), 6);
  c.macro.noise.read_sigma_rel = 0.05;
  c.macro.noise.prog_sigma_rel = 0.05;
  c.macro.adc.range = AdcRange::calibrated;
  const Network net = onnx::load_network(c.task.model);
  const TaskData d = load_task_data(c.task, net);
  const TaskResult a = run_task(c, net, d, cpu());
  c.run.inputs_per_instance = 64;
  const TaskResult b = run_task(c, net, d, cpu());
  ASSERT_EQ(a.chips.size(), 1u);
  EXPECT_EQ(a.chips[0].pred, b.chips[0].pred);
  EXPECT_NEAR(a.chips[0].energy_pj, b.chips[0].energy_pj, 1e-12 * a.chips[0].energy_pj);
  EXPECT_EQ(a.chips[0].conversions, b.chips[0].conversions);
  EXPECT_EQ(a.chips[0].clipped, b.chips[0].clipped);
  EXPECT_EQ(a.chips[0].cell_reads, b.chips[0].cell_reads);
  EXPECT_GT(a.chips[0].clipped, 0u);  // the calibrated range clips: the check has teeth
}
