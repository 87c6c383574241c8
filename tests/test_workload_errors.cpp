// Workload, architecture and mapping sections: every rule gives one
// ConfigError naming file, line, key path, value and rule.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config.hpp"
#include "workload_test_util.hpp"

namespace cimmc {
namespace {

using wltest::error_of;
using wltest::has_error;
using wltest::kFile;
using wltest::kNetHead;
using wltest::kSource;
using wltest::kTile;

const std::string kConv1 = "    - {name: conv1, type: conv2d, C: 3, M: 64, P: 112, Q: 112, R: 7, S: 7}\n";

// ---- workload modes

TEST(WorkloadErrors, OneModeOnly) {
  EXPECT_TRUE(has_error(kNetHead + kConv1 + "  tile: {rows_used: 4}\n", 7, "workload.tile", "<mapping>",
                        "give only one of workload.tile, workload.layers, workload.cimloop (workload.layers is given too)"));
  EXPECT_TRUE(has_error(kNetHead + kConv1 + "  cimloop: {dir: x}\n", 7, "workload.cimloop", "<mapping>",
                        "give only one of workload.tile, workload.layers, workload.cimloop"));
}

TEST(WorkloadErrors, ModeSpecificKeys) {
  EXPECT_TRUE(has_error(kTile + "  defaults: {}\n", 8, "workload.defaults", "<mapping>",
                        "is only allowed with workload.layers or workload.cimloop"));
  EXPECT_TRUE(has_error(kTile + "  network: n\n", 8, "workload.network", "n",
                        "is only allowed with workload.layers or workload.cimloop"));
  EXPECT_TRUE(has_error(kNetHead + kConv1 + "  inputs: {bits: 8}\n", 7, "workload.inputs", "<mapping>",
                        "is only allowed in single-tile mode"));
  EXPECT_TRUE(has_error(kNetHead + kConv1 + "  distiller: {file: d.yaml}\n", 7, "workload.distiller", "<mapping>",
                        "is only allowed with workload.cimloop"));
  const std::string cim = "workload:\n  cimloop: {dir: x}\n  defaults:\n    inputs:\n      bits: 8\n"
                          "      distribution: {kind: normal, std: 1}\n";
  EXPECT_TRUE(has_error(cim, 6, "workload.defaults.inputs.distribution", "<mapping>",
                        "is not used with workload.cimloop"));
}

// ---- explicit layers

TEST(WorkloadErrors, LayersListAndType) {
  EXPECT_TRUE(has_error("workload:\n  layers: []\n", 2, "workload.layers", "[]", "must be a non-empty list"));
  EXPECT_TRUE(has_error(kNetHead + "    - conv\n", 6, "workload.layers[0]", "conv", "must be a mapping"));
  EXPECT_TRUE(has_error(kNetHead + "    - {name: a, C: 3}\n", 6, "workload.layers[0].type", "<missing>",
                        "is required (conv2d, linear or matmul)"));
  EXPECT_TRUE(has_error(kNetHead + kConv1 + "    - {type: conv3d}\n", 7, "workload.layers[1].type", "conv3d",
                        "must be one of: conv2d, linear, matmul"));
}

TEST(WorkloadErrors, KeysDependOnLayerType) {
  EXPECT_TRUE(has_error(kNetHead + "    - {type: linear, in_features: 4, out_features: 4, C: 3}\n", 6,
                        "workload.layers[0].C", "3",
                        "unknown key (allowed: name, type, batch, repeat, inputs, weights, input, residual, in_features, "
                        "out_features, tokens)"));
  EXPECT_TRUE(has_error(kNetHead + "    - {type: conv2d, C: 3, M: 64, P: 112, Q: 112, R: 7}\n", 6,
                        "workload.layers[0].S", "<missing>", "is required for type conv2d"));
  EXPECT_TRUE(has_error(kNetHead + "    - {type: matmul, m: 4, k: 4}\n", 6, "workload.layers[0].n", "<missing>",
                        "is required for type matmul"));
}

TEST(WorkloadErrors, LayerDimensionRanges) {
  EXPECT_TRUE(has_error(kNetHead + "    - {type: conv2d, C: 0, M: 64, P: 1, Q: 1, R: 1, S: 1}\n", 6,
                        "workload.layers[0].C", "0", "must be an integer in [1, 16777216]"));
  EXPECT_TRUE(has_error(kNetHead + kConv1 + "    - name: b\n      type: linear\n      in_features: 4\n"
                                            "      out_features: 4\n      batch: 1.5\n",
                        11, "workload.layers[1].batch", "1.5", "must be an integer"));
  EXPECT_TRUE(has_error(kNetHead + "    - {type: conv2d, C: 3, M: 6, P: 1, Q: 1, R: 1, S: 1, stride: 0}\n", 6,
                        "workload.layers[0].stride", "0", "must be an integer in [1, 16777216]"));
}

TEST(WorkloadErrors, StrideGivenTwice) {
  EXPECT_TRUE(has_error(kNetHead + "    - {type: conv2d, C: 3, M: 6, P: 1, Q: 1, R: 1, S: 1, stride: 2, stride_w: 2}\n",
                        6, "workload.layers[0].stride", "2", "give either stride or stride_h / stride_w, not both"));
}

TEST(WorkloadErrors, GroupsMustDivideChannels) {
  const std::string yaml = kNetHead + kConv1 +
                           "    - type: conv2d\n      C: 64\n      M: 96\n      P: 7\n      Q: 7\n      R: 3\n"
                           "      S: 3\n      groups: 64\n";
  EXPECT_TRUE(has_error(yaml, 14, "workload.layers[1].groups", "64", "must divide C (64) and M (96)"));
}

TEST(WorkloadErrors, LayerSizeLimit) {
  EXPECT_TRUE(has_error(kNetHead + "    - {name: big, type: matmul, m: 16777216, k: 16777216, n: 16777216}\n", 6,
                        "workload.layers[0]", "big", "MACs (M x K x N x groups x repeat); at most 2^62 are supported"));
}

// The kernels' counter limits apply to each layer's largest tile job: K and N
// cut to the macro (65536 rows; 1-bit weights in 1-bit cells, one column each).
TEST(WorkloadErrors, CounterLimitsOfEachLayersLargestTile) {
  auto net = [](const std::string& run, const std::string& noise, int out_features) {
    return run + "macro: {rows: 65536, cols: 65536, rows_active: 1, bits_per_cell: 1, weight_encoding: unsigned" +
           noise + "}\nworkload:\n  defaults:\n    inputs: {bits: 8, distribution: {kind: uniform, low: 0, high: 1}}\n"
           "    weights: {bits: 1, distribution: {kind: uniform, low: 0, high: 1}}\n  layers:\n"
           "    - {name: small, type: linear, in_features: 65536, out_features: 64}\n"
           "    - {name: fc, type: linear, in_features: 100000, out_features: " + std::to_string(out_features) + "}\n";
  };
  // Read noise: 8 cycles x 65536 row groups x ceil(N / 4) blocks <= 2^32.
  const std::string noise = ", noise: {read_sigma_us: 0.01}";
  EXPECT_EQ(error_of(net("", noise, 32768)), "");
  EXPECT_TRUE(has_error(net("", noise, 32769), 1, "macro.rows_active", "1",
                        "must be at least 2 with read or ADC noise for layer 'fc': 8 input cycles x 65536 row groups x "
                        "8193 blocks of 4 of the 32769 physical columns"));
  // Cell reads: 8 cycles x 65536 rows x 65536 columns = 2^35 per sample.
  EXPECT_EQ(error_of(net("run: {samples: 536870911}\n", "", 65536)), "");
  EXPECT_TRUE(has_error(net("run: {samples: 536870912}\n", "", 65536), 1, "run.samples", "536870912",
                        "must be an integer in [1, 536870911] for layer 'fc': each sample reads 8 input cycles x 65536 "
                        "rows x 65536 physical columns"));
  // Layer 'small' alone (64 columns) takes every sample count.
  EXPECT_EQ(error_of(net("run: {samples: 4294967295}\n", noise, 64)), "");
}

TEST(WorkloadErrors, DuplicateLayerName) {
  EXPECT_TRUE(has_error(kNetHead + kConv1 + kConv1, 7, "workload.layers[1].name", "conv1",
                        "duplicate layer name (workload.layers[0] has it too)"));
}

TEST(WorkloadErrors, LayerOperands) {
  const std::string no_dist = "workload:\n  defaults:\n    inputs: {bits: 8}\n  layers:\n" + kConv1;
  EXPECT_TRUE(has_error(no_dist, 5, "workload.layers[0].inputs", "<missing>",
                        "is required (workload.defaults.inputs has no distribution)"));
  const std::string own = "workload:\n  layers:\n    - name: a\n      type: linear\n      in_features: 4\n"
                          "      out_features: 4\n      inputs: {bits: 8}\n";
  EXPECT_TRUE(has_error(own, 7, "workload.layers[0].inputs.distribution", "<missing>",
                        "is required (workload.defaults.inputs has no distribution)"));
  // Signedness against the macro: at the layer when it sets it, else at the defaults.
  EXPECT_TRUE(has_error(kNetHead + kConv1 + "    - {type: matmul, m: 2, k: 2, n: 2, inputs: {signed: true}}\n", 7,
                        "workload.layers[1].inputs.signed", "true", "signed inputs need a signed macro.input_encoding"));
  const std::string unsigned_w = "workload:\n  defaults:\n    inputs: {distribution: {kind: normal, std: 1}}\n"
                                 "    weights: {bits: 8, distribution: {kind: normal, std: 1}}\n  layers:\n" + kConv1;
  EXPECT_TRUE(has_error(unsigned_w, 4, "workload.defaults.weights.signed", "false",
                        "unsigned weights need macro.weight_encoding: unsigned (it is differential)"));
}

TEST(WorkloadErrors, ValidateWithoutLines) {
  Config c = parse_config(kNetHead + kConv1, kFile);
  EXPECT_NO_THROW(validate(c, kFile));
  c.network.layers[0].groups = 2;
  try {
    validate(c, kFile);
    ADD_FAILURE() << "groups 2 with C 3 passed";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cfg.yaml: workload.layers[0].groups: value '2': must divide C (3) and M (64)");
  }
}

// ---- CiMLoop import and Distiller statistics

// A scratch directory of CiMLoop files, removed at the end of the test.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& tag)
      : path(std::filesystem::temp_directory_path() / ("cimmc_wl_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& instance) const {
    std::ofstream(path / name) << "{{include_text('../problem_base.yaml')}}\nproblem:\n  <<<: *problem_base\n"
                               << "  instance: " << instance << "\n  histograms:\n"
                               << "    Inputs: [0, 0.5, 0.5]\n    Weights: [0.25, 0.5, 0.25]\n";
  }
};

std::string cimloop_yaml(const std::string& dir, const std::string& extra = "") {
  return "workload:\n  cimloop:\n    dir: " + dir + "\n" + extra +
         "  defaults:\n    weights: {bits: 8, signed: true}\n";
}

TEST(WorkloadErrors, CimloopDirectory) {
  EXPECT_TRUE(has_error("workload:\n  cimloop: {batch: 2}\n", 2, "workload.cimloop.dir", "<missing>", "is required"));
  EXPECT_TRUE(has_error(cimloop_yaml("/no/such/net"), 3, "workload.cimloop.dir", "/no/such/net",
                        "cannot open directory /no/such/net: no such directory"));
  const ScratchDir empty("empty");
  EXPECT_TRUE(has_error(cimloop_yaml(empty.path.string()), 3, "workload.cimloop.dir", empty.path.string(),
                        "holds no CiMLoop layer files (NN.yaml)"));
  EXPECT_TRUE(has_error(cimloop_yaml(empty.path.string(), "    batch: 0\n"), 4, "workload.cimloop.batch", "0",
                        "must be an integer in [1, 16777216]"));
}

// A layer file that is a symbolic-link loop is named with the OS's reason
// (it was "internal error", exit 1); a loop under another name is not a layer
// and is skipped.
TEST(WorkloadErrors, CimloopSymlinkLoop) {
  const ScratchDir d("loop");
  d.write("00.yaml", "{C: 3, M: 4, P: 4}");
  std::filesystem::create_symlink(d.path / "notes.txt", d.path / "notes.txt");
  EXPECT_EQ(parse_config(cimloop_yaml(d.path.string()), kFile).network.layers.size(), 1u);
  std::filesystem::create_symlink(d.path / "01.yaml", d.path / "01.yaml");
  EXPECT_TRUE(has_error(cimloop_yaml(d.path.string()), 3, "workload.cimloop.dir", d.path.string(),
                        "cannot read " + (d.path / "01.yaml").string() + ": Too many levels of symbolic links"));
}

TEST(WorkloadErrors, CimloopBadLayerFiles) {
  const ScratchDir d("bad");
  d.write("00.yaml", "{C: 3, M: 0, P: 4}");
  EXPECT_TRUE(has_error(cimloop_yaml(d.path.string()), 3, "workload.cimloop.dir", d.path.string(),
                        "00.yaml:4: problem.instance.M '0' must be an integer in [1, 16777216]"));
  d.write("00.yaml", "{C: 3, M: 4, N: 2}");
  EXPECT_TRUE(has_error(cimloop_yaml(d.path.string()), 3, "workload.cimloop.dir", d.path.string(),
                        "00.yaml:4: problem.instance.N: unknown dimension (known: C, M, P, Q, R, S, G, HStride"));
  d.write("00.yaml", "{C: 3, M: 4, HStride: 2, Hstride: 2}");
  EXPECT_TRUE(has_error(cimloop_yaml(d.path.string()), 3, "workload.cimloop.dir", d.path.string(),
                        "problem.instance.Hstride: dimension HStride is given twice"));
  // Both spellings of the stride work; files sort by layer number.
  d.write("00.yaml", "{C: 3, M: 4, Hstride: 2, Wstride: 3}");
  d.write("2.yaml", "{C: 4, M: 4}");
  d.write("10.yaml", "{C: 4, M: 5}");
  const Config c = parse_config(cimloop_yaml(d.path.string()), kFile);
  ASSERT_EQ(c.network.layers.size(), 3u);
  EXPECT_EQ(c.network.layers[0].stride_h, 2);
  EXPECT_EQ(c.network.layers[0].stride_w, 3);
  EXPECT_EQ(c.network.layers[1].name, "2");
  EXPECT_EQ(c.network.layers[2].M, 5);
}

TEST(WorkloadErrors, DistillerMatching) {
  const std::string stats = kSource + "/data/distiller_stats/distiller_resnet18_quant_stats.yaml";
  const std::string vgg = kSource + "/data/cimloop_workloads/vgg16";
  EXPECT_TRUE(has_error(cimloop_yaml(vgg, "  distiller:\n    file: " + stats + "\n"), 5, "workload.distiller.file", stats,
                        "has 21 convolution / linear modules (conv*, fc, *.downsample.0) but the workload has 16 layers"));
  EXPECT_TRUE(has_error(cimloop_yaml(vgg, "  distiller: {file: /no/stats.yaml}\n"), 4, "workload.distiller.file",
                        "/no/stats.yaml", "cannot open /no/stats.yaml"));
  // ResNet-18 with layers 06 and 07 swapped: the shapes expose the wrong order.
  const ScratchDir d("swapped");
  for (const auto& e : std::filesystem::directory_iterator(kSource + "/data/cimloop_workloads/resnet18")) {
    std::string name = e.path().filename().string();
    name = name == "06.yaml" ? "07.yaml" : name == "07.yaml" ? "06.yaml" : name;
    std::filesystem::copy_file(e.path(), d.path / name);
  }
  EXPECT_TRUE(has_error(cimloop_yaml(d.path.string(), "  distiller: {file: " + stats + "}\n"), 4,
                        "workload.distiller.file", stats,
                        "layer2.0.conv2 (input (256, 128, 28, 28), output (256, 128, 28, 28)) does not match layer 6 "
                        "'06' (C 64, M 128, P 28, Q 28): modules are matched to layers in order"));
}

// Parsed statistics files are reused by their text (a sweep parses the same
// file for every point): an edited file at the same path is read afresh, and
// a broken one still names its line.
TEST(WorkloadErrors, DistillerFileEditedBetweenParsesIsReadAgain) {
  const std::string src = kSource + "/data/distiller_stats/distiller_resnet18_quant_stats.yaml";
  const std::string net = kSource + "/data/cimloop_workloads/resnet18";
  const ScratchDir d("distiller_edit");
  const std::string stats = (d.path / "stats.yaml").string();
  std::ostringstream text;
  text << std::ifstream(src).rdbuf();
  std::ofstream(stats) << text.str();
  const std::string yaml = cimloop_yaml(net, "  distiller: {file: " + stats + "}\n");
  EXPECT_DOUBLE_EQ(*parse_config(yaml, kFile).network.layers[0].inputs.dist.clip, 2.4849105119705195);
  std::string edited = text.str();
  const std::string old_max = "avg_max: 2.4849105119705195";
  edited.replace(edited.find(old_max), old_max.size(), "avg_max: 3.5");
  std::ofstream(stats) << edited;
  EXPECT_DOUBLE_EQ(*parse_config(yaml, kFile).network.layers[0].inputs.dist.clip, 3.5);
  std::ofstream(stats) << "conv1:\n  inputs: [unclosed\n";
  EXPECT_TRUE(has_error(yaml, 4, "workload.distiller.file", stats, "YAML syntax error"));
}

// ---- architecture and mapping

TEST(WorkloadErrors, ArchitectureRanges) {
  EXPECT_TRUE(has_error("architecture:\n  macros: 0\n" + kTile, 2, "architecture.macros", "0",
                        "must be an integer in [1, 16777216]"));
  EXPECT_TRUE(has_error("architecture:\n  clock_ghz: 0\n" + kTile, 2, "architecture.clock_ghz", "0",
                        "must be a number in [1e-04, 100]"));
  EXPECT_TRUE(has_error("architecture:\n  row_settle_ns: -1\n" + kTile, 2, "architecture.row_settle_ns", "-1",
                        "must be a number in [0, 1e+06]"));
  EXPECT_TRUE(has_error("architecture:\n  global_buffer: {energy_pj_per_bit: -0.1}\n" + kTile, 2,
                        "architecture.global_buffer.energy_pj_per_bit", "-0.1", "must be a number in [0, 1e+06]"));
  EXPECT_TRUE(has_error("architecture:\n  input_buffer:\n    bandwidth_bits_per_cycle: -8\n" + kTile, 3,
                        "architecture.input_buffer.bandwidth_bits_per_cycle", "-8",
                        "must be 0 or a number in [0.001, 1e+12]"));
  EXPECT_TRUE(has_error("architecture:\n  dram: {bandwidth_gbps: 0}\n" + kTile, 2, "architecture.dram.bandwidth_gbps",
                        "0", "must be a number in [0.001, 1e+09]"));
  EXPECT_TRUE(has_error("architecture:\n  dram: {pj_per_bit: 3}\n" + kTile, 2, "architecture.dram.pj_per_bit", "3",
                        "unknown key (allowed: energy_pj_per_bit, bandwidth_gbps)"));
}

TEST(WorkloadErrors, MappingOptions) {
  EXPECT_TRUE(has_error("mapping:\n  objective: area\n" + kTile, 2, "mapping.objective", "area",
                        "must be one of: energy, latency, edp"));
  EXPECT_TRUE(has_error("mapping:\n  keep: top5\n" + kTile, 2, "mapping.keep", "top5", "must be one of: best, all"));
  EXPECT_TRUE(has_error("mapping:\n  duplication: maybe\n" + kTile, 2, "mapping.duplication", "maybe",
                        "must be true or false"));
  const Config c = parse_config("mapping: {objective: edp, keep: all, duplication: false}\n"
                                "architecture:\n  macros: 64\n  dram: {energy_pj_per_bit: 5}\n" + kTile,
                                kFile);
  EXPECT_EQ(c.mapping.objective, Objective::edp);
  EXPECT_TRUE(c.mapping.keep_all);
  EXPECT_FALSE(c.mapping.allow_duplication);
  EXPECT_EQ(c.arch.macros, 64);
  EXPECT_DOUBLE_EQ(c.arch.dram_pj_per_bit, 5.0);
  EXPECT_DOUBLE_EQ(c.arch.dram_bandwidth_gbps, 204.8);  // default kept
}

// A layer that writes its own distribution gets its distribution errors at
// its own key, though its bits come from workload.defaults (it was reported at
// workload.defaults.weights.distribution).
TEST(WorkloadErrors, LayerDistributionErrorAtTheLayer) {
  EXPECT_TRUE(has_error(kNetHead +
                            "    - {name: fc, type: linear, in_features: 8, out_features: 4,\n"
                            "       weights: {distribution: {kind: normal, std: 0.5, correlation: 0.5}}}\n",
                        7, "workload.layers[0].weights.distribution.correlation", "0.5",
                        "correlation applies to inputs only"));
}

}  // namespace
}  // namespace cimmc
