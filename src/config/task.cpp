// The `task:` section: inference of an ONNX network through the macros
// (`cimmc infer`). Files are checked here, so a missing model or a test set
// smaller than `count` is a config error at the key that names it; the ONNX
// graph itself is checked when it is imported (src/onnx/import.cpp).
#include <filesystem>
#include <fstream>

#include "config/internal.hpp"
#include "data/idx.hpp"

namespace cimmc::config_detail {

namespace {

std::string resolved_file(const MapReader& r, const char* key) {
  std::string file;
  r.read(key, file);
  std::filesystem::path p(file);
  if (p.is_relative()) p = r.context().base_dir / p;
  return p.lexically_normal().string();
}

// An IDX image file holding at least `count` images of the network's kind.
void check_images(const MapReader& r, const char* key, const std::string& path, int count) {
  IdxImages h;
  try {
    h = read_idx_header(path);
  } catch (const IdxError& e) {
    r.fail(key, path, e.what());
  }
  if (h.count < count)
    r.fail(key, path, "holds " + std::to_string(h.count) + " images; the task asks for " + std::to_string(count));
}

}  // namespace

void read_task(const MapReader& r, TaskSpec& t) {
  r.allow_only({"model", "images", "labels", "count", "calibration_images", "calibration_count", "chips",
                "batch_images"});
  r.require("model", "is required (an ONNX file)");
  r.require("images", "is required (an IDX image file of the test set)");
  r.require("labels", "is required (the IDX label file of the test set)");
  t.model = resolved_file(r, "model");
  if (!std::ifstream(t.model)) r.fail("model", t.model, "cannot be opened");
  r.read("count", t.count, rule::kPositiveInt);
  r.read("calibration_count", t.calibration_count, rule::kPositiveInt);
  r.read("chips", t.chips, rule::kPositiveInt);
  r.read("batch_images", t.batch_images, rule::kPositiveInt);
  t.images = resolved_file(r, "images");
  t.labels = resolved_file(r, "labels");
  check_images(r, "images", t.images, t.count);
  try {
    read_idx_labels(t.labels, t.count);
  } catch (const IdxError& e) {
    r.fail("labels", t.labels, e.what());
  }
  if (r.has("calibration_images")) {
    t.calibration_images = resolved_file(r, "calibration_images");
    check_images(r, "calibration_images", t.calibration_images, t.calibration_count);
  } else {
    t.calibration_images = t.images;
    check_images(r, "calibration_count", t.images, t.calibration_count);
  }
}

}  // namespace cimmc::config_detail
