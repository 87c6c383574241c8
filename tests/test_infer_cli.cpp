// `cimmc infer` end to end on the hand-built ONNX files of tests/data/onnx/
// with a 4 x 4 IDX test set the test writes (no installed data set needed).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "infer_test_util.hpp"
#include "shell_util.hpp"

using namespace cimmc;
using namespace cimmc::infer;

namespace {

// A plain (uncompressed) IDX test set of 4 x 4 images, the inputs of the
// files in tests/data/onnx/, so the CLI tests need no installed data set.
void write_idx_set(const std::string& dir, const TaskData& d) {
  auto be32 = [](std::ofstream& o, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) o.put(static_cast<char>((v >> s) & 0xFF));
  };
  std::ofstream img(dir + "/images.idx", std::ios::binary), lab(dir + "/labels.idx", std::ios::binary);
  be32(img, 0x803), be32(img, static_cast<std::uint32_t>(d.count)), be32(img, 4), be32(img, 4);
  for (float v : d.x) img.put(static_cast<char>(static_cast<std::uint8_t>(std::lround(v * 255.f))));
  be32(lab, 0x801), be32(lab, static_cast<std::uint32_t>(d.count));
  for (int l : d.labels) lab.put(static_cast<char>(l));
}

std::string task_yaml(const std::string& dir, const std::string& model) {
  return "name: tiny\nworkload:\n  inputs: {bits: 8, signed: false}\n  weights: {bits: 8, signed: true}\ntask:\n"
         "  model: " + std::string(CIMMC_SOURCE_DIR) + "/tests/data/onnx/" + model + ".onnx\n  images: " + dir +
         "/images.idx\n  labels: " + dir + "/labels.idx\n  count: 30\n  calibration_count: 30\n  batch_images: 7\n";
}

}  // namespace

// `cimmc infer` end to end on a config whose model is a bad ONNX file: exit 2,
// the file and the node named; on a good one (tiny_cnn: 4 x 4 inputs, 3
// classes) exit 0 and the float top-1 of the test's own float pass.
TEST(InferCli, NamesTheNodeOfABadOnnxFileAndRunsAGoodOne) {
  const std::string dir = ::testing::TempDir() + "infer_cli_onnx";
  std::filesystem::create_directories(dir);
  const TaskData d = test::random_images(30, 8);
  write_idx_set(dir, d);
  for (const char* model : {"bad_op", "bad_missing", "bad_shape", "bad_pad"}) {
    std::ofstream(dir + "/bad.yaml") << task_yaml(dir, model);
    const test::Ran r = test::cimmc("infer " + dir + "/bad.yaml");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find(std::string(model) + ".onnx: node '"), std::string::npos) << r.out;
  }
  const Network net = test::tiny_onnx("tiny_cnn");
  std::vector<float> x;
  for (float v : d.x) x.push_back(std::round(v * 255.f) / 255.f);  // the bytes the file holds
  const std::vector<int> pred = argmax_rows(
      forward(net, x, d.count, [](int, const Op& op, const std::vector<float>& cols, std::int64_t m,
                                  std::vector<float>& out) { float_gemm(op, cols, m, out); }),
      d.count, 3);
  int correct = 0;
  for (int i = 0; i < d.count; ++i) correct += pred[i] == d.labels[i];
  std::ofstream(dir + "/good.yaml") << task_yaml(dir, "tiny_cnn");
  const test::Ran r = test::cimmc("infer " + dir + "/good.yaml --threads 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("2 conv/linear layers, 30 test images"), std::string::npos) << r.out;
  char line[64];
  std::snprintf(line, sizeof line, "top-1 float       %.4f", correct / 30.0);
  EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  std::filesystem::remove_all(dir);
}
