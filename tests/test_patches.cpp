// Distribution kind patches: real Fashion-MNIST im2col patches as inputs.
// Skipped when the Debian package dataset-fashion-mnist is not installed
// (scripts/setup-debian.sh installs it).
#include <gtest/gtest.h>
#include <zlib.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "config/config.hpp"
#include "config/sweep.hpp"
#include "engine/job_builder.hpp"
#include "encoding.hpp"
#include "study/validate.hpp"
#include "test_util.hpp"

using namespace cimmc;

namespace {

const std::string kFile = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

#define REQUIRE_DATASET() \
  if (!std::filesystem::exists(kFile)) GTEST_SKIP() << kFile << " not installed (dataset-fashion-mnist)"

OperandSpec patch_operand(int bits, int kernel, int images, double clip = 1.0) {
  OperandSpec op;
  op.bits = bits;
  op.dist.kind = DistKind::patches;
  op.dist.file = kFile;
  op.dist.kernel = kernel;
  op.dist.images = images;
  op.dist.clip = clip;
  return op;
}

// One column of all-ones 1-bit weights reading K rows of 4-bit patch inputs,
// 4-bit DAC: the column value is the plain sum of the inputs.
Config sum_config(int K, int images) {
  Config c = test::small_config();
  c.macro.rows = 128;
  c.macro.dac_bits = 4;
  c.macro.adc.bits = 12;
  c.tile.rows_used = K;
  c.tile.cols_used = 1;
  c.tile.inputs = patch_operand(4, 3, images);
  c.tile.weights = test::constant_operand(1, false, 1.0, 1.0);
  c.run.samples = 4000;
  return c;
}

std::string yaml(const std::string& inputs, const std::string& weights = "{bits: 1, distribution: {kind: constant, value: 1}}") {
  return "name: p\nmacro: {rows: 128, cols: 8, bits_per_cell: 1, weight_encoding: unsigned, g_off_us: 0}\n"
         "workload:\n  tile: {rows_used: 9, cols_used: 1}\n  inputs: " + inputs + "\n  weights: " + weights + "\n";
}

void expect_config_error(const std::string& text, const std::string& needle) {
  try {
    parse_config(text, "p.yaml");
    ADD_FAILURE() << "no error for " << needle;
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Patches, ConfigReadsKindPatchesAndRejectsWhatDoesNotApply) {
  REQUIRE_DATASET();
  const Config c = parse_config(yaml("{bits: 4, distribution: {kind: patches, file: " + kFile + ", kernel: 5}}"), "p.yaml");
  EXPECT_EQ(c.tile.inputs.dist.kind, DistKind::patches);
  EXPECT_EQ(c.tile.inputs.dist.kernel, 5);
  EXPECT_EQ(c.tile.inputs.dist.images, 1000);  // default
  const std::string f = "{kind: patches, file: " + kFile;
  expect_config_error(yaml("{bits: 4, distribution: " + f + ", kernel: 4}}"), "must be odd");
  expect_config_error(yaml("{bits: 4, distribution: " + f + ", kernel: 9}}"), "kernel");
  expect_config_error(yaml("{bits: 4, distribution: " + f + ", images: 60001}}"), "must be at most 60000");
  expect_config_error(yaml("{bits: 4, distribution: " + f + ", correlation: 0.2}}"), "not allowed with kind patches");
  expect_config_error(yaml("{bits: 4, distribution: {kind: patches, file: /nonexistent.gz}}"), "No such file");
  expect_config_error(yaml("{bits: 4, distribution: {kind: patches}}"), "file");
  // Labels are IDX too, but not images.
  expect_config_error(yaml("{bits: 4, distribution: {kind: patches, file: /usr/share/datasets/fashion-mnist/"
                           "train-labels-idx1-ubyte.gz}}"), "not an IDX image file");
  expect_config_error(yaml("{bits: 4, distribution: {kind: uniform, low: 0, high: 1}}",
                           "{bits: 4, distribution: " + f + "}}"), "inputs only");
}

// A patch is numbered by one 32-bit word: images x positions <= 2^32 - 1.
// A header claiming 2^24 images of 28 x 28 is enough: 26 x 26 = 676 positions
// (kernel 3), at most 6353501 images. The file holds no pixels, so the largest
// count passes the index rule and then fails the check that the pixels exist.
TEST(Patches, PatchCountFitsA32BitIndex) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("cimmc_idx_header_" + std::to_string(::getpid()));
  {
    const unsigned char header[16] = {0, 0, 8, 3, 1, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28};
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(header), sizeof header);
  }
  const std::string f = "{kind: patches, file: " + file.string();
  expect_config_error(yaml("{bits: 4, distribution: " + f + ", images: 6353501}}"),
                      "p.yaml:5: workload.inputs.distribution.file: value '" + file.string() + "': " + file.string() +
                          ": file ends early");
  expect_config_error(yaml("{bits: 4, distribution: " + f + ", images: 6353502}}"),
                      "p.yaml:5: workload.inputs.distribution.images: value '6353502': must be at most 6353501: 676 "
                      "patch positions per image (28 x 28 images, kernel 3), and images x positions must fit a 32-bit "
                      "patch index (at most 4294967295)");
  std::filesystem::remove(file);
}

TEST(Patches, TableHasEveryPositionAndTheFileBytes) {
  REQUIRE_DATASET();
  Config c = sum_config(18, 50);
  c.tile.inputs = patch_operand(8, 3, 50);  // 8 bits, clip 1: the quantized input is the pixel itself
  BuiltJob job;
  build_job(c, philox::JobId{1, 0}, job);
  EXPECT_EQ(job.view.x_npatches, 50u * 26 * 26);
  for (int px = 0; px < 256; ++px) ASSERT_EQ(job.x_patches.lut[px], px);

  // By hand from the file: image 7, patch position (row 3, col 25) = index 7 * 676 + 3 * 26 + 25.
  // Its second slot wraps to (row 4, col 0).
  std::vector<unsigned char> raw(16 + 8 * 784);
  gzFile g = gzopen(kFile.c_str(), "rb");
  ASSERT_TRUE(g);
  ASSERT_EQ(gzread(g, raw.data(), static_cast<unsigned>(raw.size())), static_cast<int>(raw.size()));
  gzclose(g);
  const unsigned char* img = raw.data() + 16 + 7 * 784;
  const std::uint32_t first = 7 * 676 + 3 * 26 + 25;
  for (int j = 0; j < 18; ++j) {
    const int slot = j / 9, t = j % 9;
    const int y = (slot ? 4 : 3) + t / 3, x = (slot ? 0 : 25) + t % 3;
    EXPECT_EQ(patch_input(job.view, first, j), img[y * 28 + x]) << j;
  }
  // Clip 0.5 at 4 bits: scale 0.5 / 15, pixel 255 (1.0) saturates at 15.
  EXPECT_EQ(patch_lut(0, 15, 0.5 / 15)[255], 15);
  EXPECT_EQ(patch_lut(0, 15, 0.5 / 15)[17], 2);    // 17/255 = 2 steps of 1/30
  EXPECT_EQ(patch_lut(0, 15, 0.5 / 15)[110], 13);  // 12.94 steps
}

TEST(Patches, NeighbouringRowsOfRealPatchesAreCorrelated) {
  REQUIRE_DATASET();
  BuiltJob job;
  build_job(sum_config(9, 200), philox::JobId{1, 0}, job);
  // Over every patch: the correlation of patch elements 0 and 1 (horizontal
  // neighbours) and of elements 0 and 4 (centre).
  auto corr = [&](int a, int b) {
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    const double n = job.view.x_npatches;
    for (std::uint32_t p = 0; p < job.view.x_npatches; ++p) {
      const double xa = patch_input(job.view, p, a), xb = patch_input(job.view, p, b);
      sa += xa, sb += xb, saa += xa * xa, sbb += xb * xb, sab += xa * xb;
    }
    const double cov = sab / n - sa / n * sb / n;
    return cov / std::sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
  };
  EXPECT_GT(corr(0, 1), 0.5);
  EXPECT_GT(corr(0, 4), 0.5);
  std::printf("[patches] neighbour correlation %.3f, diagonal %.3f\n", corr(0, 1), corr(0, 4));
}

TEST(Patches, SampledLevelsFollowThePooledMarginalAndSumsSpreadMore) {
  REQUIRE_DATASET();
  const Config c = sum_config(72, 500);  // 8 patches of 3 x 3
  const JobResult r = test::run_cpu(c);
  BuiltJob job;
  build_job(c, philox::JobId{1, 0}, job);
  const std::vector<std::uint64_t> dac = r.total(Hist::dac);
  double n = 0;
  for (auto x : dac) n += static_cast<double>(x);
  ASSERT_EQ(n, 72.0 * c.run.samples);
  // Rows of one vector are correlated: count the spread per vector, not per row.
  double mean = 0, var = 0;
  for (int k = 0; k < 16; ++k) {
    const double p = job.x_pmf.prob(k), ph = dac[k] / n;
    EXPECT_LT(std::fabs(ph - p), 5 * std::sqrt(p * (1 - p) / c.run.samples) + 1e-4) << k;
    mean += k * p;
    var += k * k * p;
  }
  var -= mean * mean;
  // Column value = the vector's sum: independent rows would give K * var.
  double s = 0, s2 = 0, cnt = 0;
  for (const GroupMoments& g : r.groups) s += g.sum_ref, s2 += g.sum_ref2, cnt += g.outputs;
  const double col_var = s2 / cnt - (s / cnt) * (s / cnt);
  EXPECT_NEAR(s / cnt, 72 * mean, 0.1 * 72 * mean);
  EXPECT_GT(col_var, 2 * 72 * var);
  std::printf("[patches] column mean %.1f, variance %.0f vs independent %.0f (x%.1f)\n", s / cnt, col_var, 72 * var,
              col_var / (72 * var));
}

TEST(Patches, SamplingIsDeterministicAcrossThreads) {
  REQUIRE_DATASET();
  Config c = sum_config(27, 100);
  c.run.samples = 1000;
  const JobResult a = test::run_cpu(c, 1), b = test::run_cpu(c, 2);
  EXPECT_EQ(a.hist, b.hist);
}

TEST(Patches, ValidateFlagsTheIndependenceAssumption) {
  REQUIRE_DATASET();
  // 72 rows of real 4-bit patches (column sum: mean ~351, sd ~46 if the rows
  // were independent, ~305 as sampled) into an ADC whose range, 540, is 4 sd
  // of the independent model above the mean: real patches clip far more often.
  const std::string cfg = "name: pv\nrun: {samples: 4000, seed: 3, inputs_per_instance: 1}\n"
      "macro: {rows: 128, cols: 8, bits_per_cell: 1, weight_encoding: unsigned, g_off_us: 0, dac_bits: 4,\n"
      "        adc: {bits: 6, range: max, max: 540}}\n"
      "workload:\n  tile: {rows_used: 72, cols_used: 1}\n"
      "  inputs: {bits: 4, distribution: {kind: patches, file: " + kFile + ", kernel: 3, images: 500}}\n"
      "  weights: {bits: 1, distribution: {kind: constant, value: 1}}\n";
  EngineOptions cpu;
  cpu.backend = Backend::cpu;
  const Validation v = validate_study(parse_sweep(cfg, "pv.yaml"), cpu);
  bool flagged = false;
  for (const Comparison& c : v.rows) {
    if (c.metric == "clip_rate" || c.metric == "mse_lsb2") {
      flagged |= c.flagged;
      std::printf("[patches] validate %s: statistical %.4g sampled %.4g (rel %.3f, z %.1f)%s\n", c.metric.c_str(),
                  c.statistical, c.sampled, c.rel_err, c.z, c.flagged ? " FLAGGED" : "");
    }
  }
  EXPECT_TRUE(flagged);
}
