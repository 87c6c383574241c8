// `cimmc inspect` of a task file (`cimmc infer -o`): the printed provenance
// and per-point numbers against the file read here with the HDF5 C++ API, and
// exit 4 naming the file for a truncated copy or another major version.
#include <H5Cpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "shell_util.hpp"

namespace fs = std::filesystem;
using cimmc::test::Ran;

namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist/";

// A two-point sweep of the shipped CNN on 60 test images and 2 chips (seconds).
std::string task_yaml() {
  return std::string("name: inspect-task\nrun: {seed: 7, inputs_per_instance: 4096}\n") +
         "macro:\n  rows: 128\n  cols: 128\n  bits_per_cell: 2\n  weight_encoding: differential\n"
         "  noise: {read_sigma_rel: 0.05, programming_sigma_rel: 0.03}\n"
         "  adc: {bits: 6, range: calibrated, quantile: 0.999}\n"
         "workload:\n  inputs: {bits: 8, signed: false}\n  weights: {bits: 8, signed: true}\n"
         "task:\n  model: " CIMMC_SOURCE_DIR "/data/models/fashion_cnn.onnx\n  images: " +
         kData + "t10k-images-idx3-ubyte.gz\n  labels: " + kData +
         "t10k-labels-idx1-ubyte.gz\n  count: 60\n  calibration_count: 60\n  chips: 2\n  batch_images: 30\n"
         "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n";
}

std::string root_string(const H5::H5File& f, const char* name) {
  const H5::Attribute a = f.openAttribute(name);
  std::string s;
  a.read(a.getStrType(), s);
  return s;
}

// /task/NAME as doubles, whatever its stored numeric type.
std::vector<double> column(const H5::H5File& f, const std::string& name) {
  const H5::DataSet ds = f.openDataSet("/task/" + name);
  hsize_t n = 0;
  ds.getSpace().getSimpleExtentDims(&n);
  std::vector<double> v(n);
  ds.read(v.data(), H5::PredType::NATIVE_DOUBLE);
  return v;
}

void set_version(const std::string& path, int major, int minor) {
  const H5::H5File f(path, H5F_ACC_RDWR);
  const int v[2] = {major, minor};
  f.openAttribute("format_version").write(H5::PredType::NATIVE_INT, v);
}

// The rows under the header line of the point table, split into words.
std::vector<std::vector<std::string>> point_rows(const std::string& out) {
  std::istringstream in(out);
  std::vector<std::vector<std::string>> rows;
  bool table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.find("point  images  chips") != std::string::npos) {
      table = true;
      continue;
    }
    if (!table) continue;
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (w.empty() || w[0] == "totals:") break;
    rows.push_back(w);
  }
  return rows;
}

double parse(const std::string& s) { return s == "n/a" ? std::numeric_limits<double>::quiet_NaN() : std::stod(s); }

class InspectTask : public ::testing::Test {
 protected:
  static inline fs::path dir;
  static inline std::string file;
  static void SetUpTestSuite() {
    if (!fs::exists(kData + "t10k-images-idx3-ubyte.gz")) return;
    dir = fs::temp_directory_path() / ("cimmc_inspect_task_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "task.yaml") << task_yaml();
    const Ran r = cimmc::test::cimmc("infer " + (dir / "task.yaml").string() + " -o " + (dir / "task.h5").string() +
                                     " --threads 1");
    if (r.code == 0) file = (dir / "task.h5").string();
    else ADD_FAILURE() << r.out;
  }
  static void TearDownTestSuite() {
    if (!dir.empty()) fs::remove_all(dir);
  }
  void SetUp() override {
    if (!fs::exists(kData + "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
    ASSERT_FALSE(file.empty());
  }
};

TEST_F(InspectTask, PrintsTheFilesProvenanceAndEveryPointsNumbers) {
  const Ran r = cimmc::test::cimmc("inspect " + file);
  ASSERT_EQ(r.code, 0) << r.out;
  const H5::H5File f(file, H5F_ACC_RDONLY);
  EXPECT_NE(r.out.find("(cimmc.task): " + root_string(f, "created")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cimmc " + root_string(f, "software_version") + " (" + root_string(f, "git_sha") + ")"),
            std::string::npos) << r.out;
  std::uint64_t seed = 0;
  f.openAttribute("seed").read(H5::PredType::NATIVE_UINT64, &seed);
  EXPECT_EQ(seed, 7u);
  EXPECT_NE(r.out.find(", seed " + std::to_string(seed) + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("command: " + root_string(f, "command_line") + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model " CIMMC_SOURCE_DIR "/data/models/fashion_cnn.onnx\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("test images " + kData + "t10k-images-idx3-ubyte.gz\n"), std::string::npos) << r.out;

  // Each printed column against the file, to the printed precision.
  struct Col {
    const char* name;
    double half_ulp;
  };
  const std::vector<Col> cols = {{"point", 0},          {"images", 0},        {"chips", 0},
                                 {"top1", 5e-5},        {"top1_ci_images", 5e-5}, {"top1_ci_chips", 5e-5},
                                 {"top1_float", 5e-5},  {"top1_quantized", 5e-5}, {"agreement", 5e-5},
                                 {"energy_nj_per_image", 5e-4}, {"latency_us_per_image", 5e-3}};
  const std::vector<std::vector<std::string>> rows = point_rows(r.out);
  const std::vector<double> bits = column(f, "macro.adc.bits");
  ASSERT_EQ(rows.size(), 2u) << r.out;
  ASSERT_EQ(bits, (std::vector<double>{4, 6}));
  double passes = 0, seconds = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), cols.size() + 2) << r.out;  // + clip rate and the swept key
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const double want = column(f, cols[c].name)[i];
      ASSERT_FALSE(std::isnan(want)) << cols[c].name;  // two chips: every CI is defined
      EXPECT_NEAR(parse(rows[i][c]), want, cols[c].half_ulp * (1 + 1e-9)) << cols[c].name << " row " << i;
    }
    const double clip = column(f, "clip_rate")[i];
    EXPECT_NEAR(parse(rows[i][cols.size()]), clip, clip * 5e-3) << "clip_rate row " << i;  // %.3g
    EXPECT_EQ(parse(rows[i].back()), bits[i]);
    passes += column(f, "images")[i] * column(f, "chips")[i];
    seconds += column(f, "macro_seconds")[i];
  }
  EXPECT_EQ(passes, 2 * 60 * 2);  // points x images x chips
  char totals[160];
  std::snprintf(totals, sizeof totals, "totals: %.0f image passes (images x chips) through the macro in %.2f s", passes,
                seconds);
  EXPECT_NE(r.out.find(totals), std::string::npos) << r.out;
}

TEST_F(InspectTask, ReadsAnotherMinorVersionAndRefusesAnotherMajor) {
  const std::string copy = (dir / "version.h5").string();
  fs::copy_file(file, copy, fs::copy_options::overwrite_existing);
  set_version(copy, 2, 99);
  const Ran newer = cimmc::test::cimmc("inspect " + copy);
  EXPECT_EQ(newer.code, 0) << newer.out;
  EXPECT_EQ(point_rows(newer.out), point_rows(cimmc::test::cimmc("inspect " + file).out));
  set_version(copy, 3, 0);
  const Ran major = cimmc::test::cimmc("inspect " + copy);
  EXPECT_EQ(major.code, 4) << major.out;
  EXPECT_NE(major.out.find(copy), std::string::npos) << major.out;
  EXPECT_NE(major.out.find("format version 3.0"), std::string::npos) << major.out;
}

TEST_F(InspectTask, TruncatedCopyIsExitFourNamingTheFile) {
  const std::string copy = (dir / "truncated.h5").string();
  fs::copy_file(file, copy, fs::copy_options::overwrite_existing);
  fs::resize_file(copy, fs::file_size(copy) / 2);
  const Ran r = cimmc::test::cimmc("inspect " + copy);
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_NE(r.out.find("cimmc: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(copy + ": "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("truncated file"), std::string::npos) << r.out;  // libhdf5's own reason
  EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
}

}  // namespace
