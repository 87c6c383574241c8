// `cimmc inspect TASK.h5`: a `cimmc infer -o` file in one screen. Columns a
// file of another minor version lacks are shown as n/a; columns it adds are
// listed under /task.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "cli/inspect.hpp"
#include "cli/summary.hpp"
#include "io/study_file.hpp"

namespace cimmc {
namespace {

constexpr std::size_t kMaxRows = 40;

// A numeric cell as double; NaN where the column is absent or holds strings.
double number(const Table& t, const std::string& name, std::size_t row) {
  const Column* c = t.find(name);
  if (c && row < c->size()) {
    if (const auto* d = std::get_if<std::vector<double>>(&c->data)) return (*d)[row];
    if (const auto* i = std::get_if<std::vector<std::int64_t>>(&c->data)) return static_cast<double>((*i)[row]);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::string cell(const Table& t, const std::string& name, std::size_t row, const char* f) {
  const double v = number(t, name, row);
  return std::isnan(v) ? std::string("n/a") : fmt(f, v);
}

// A swept key's value as the config gives it.
std::string param(const Table& t, const std::string& key, std::size_t row) {
  const Column* c = t.find(key);
  if (c && row < c->size())
    if (const auto* s = std::get_if<std::vector<std::string>>(&c->data)) return (*s)[row];
  return cell(t, key, row, "%g");
}

// The task: section as the config wrote it (paths relative to the config's directory).
void print_task_section(const TaskFile& f) {
  try {
    const YAML::Node task = YAML::Load(f.config_text)["task"];
    if (!task.IsMap()) throw YAML::Exception(YAML::Mark::null_mark(), "no task section");
    auto get = [&](const char* key) { return task[key] ? task[key].as<std::string>() : std::string("(default)"); };
    std::printf("  task (%s): model %s\n", f.config_path.c_str(), get("model").c_str());
    std::printf("  test images %s\n  test labels %s\n", get("images").c_str(), get("labels").c_str());
  } catch (const YAML::Exception& e) {
    std::printf("  task: the stored config text gives no model (%s)\n", e.what());
  }
}

}  // namespace

void print_task_file(const std::string& path) {
  const TaskFile f = read_task_file(path);
  print_provenance(kTaskFileType, f.prov, f.name);
  print_task_section(f);
  const Table& t = f.task;
  std::printf("  points: %zu; swept keys:", t.rows());
  for (const std::string& k : f.sweep_keys) std::printf(" %s", k.c_str());
  std::printf("%s\n", f.sweep_keys.empty() ? " none" : "");
  print_table("task", t);
  std::printf("\n  point  images  chips   top-1   +/-95%% images  +/-95%% chips   float  quantized  agreement"
              "   nJ/image   us/image  clip rate");
  for (const std::string& k : f.sweep_keys) std::printf("  %s", k.c_str());
  std::printf("\n");
  double passes = 0, seconds = 0;
  std::size_t best = 0, cheapest = 0;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    passes += number(t, "images", i) * number(t, "chips", i);
    seconds += number(t, "macro_seconds", i);
    if (number(t, "top1", i) > number(t, "top1", best)) best = i;
    if (number(t, "energy_nj_per_image", i) < number(t, "energy_nj_per_image", cheapest)) cheapest = i;
    if (i >= kMaxRows) continue;
    std::printf("  %5s  %6s  %5s  %6s  %14s  %12s  %6s  %9s  %9s  %9s  %9s  %9s", cell(t, "point", i, "%.0f").c_str(),
                cell(t, "images", i, "%.0f").c_str(), cell(t, "chips", i, "%.0f").c_str(),
                cell(t, "top1", i, "%.4f").c_str(), cell(t, "top1_ci_images", i, "%.4f").c_str(),
                cell(t, "top1_ci_chips", i, "%.4f").c_str(), cell(t, "top1_float", i, "%.4f").c_str(),
                cell(t, "top1_quantized", i, "%.4f").c_str(), cell(t, "agreement", i, "%.4f").c_str(),
                cell(t, "energy_nj_per_image", i, "%.3f").c_str(), cell(t, "latency_us_per_image", i, "%.2f").c_str(),
                cell(t, "clip_rate", i, "%.3g").c_str());
    for (const std::string& k : f.sweep_keys) std::printf("  %*s", static_cast<int>(k.size()), param(t, k, i).c_str());
    std::printf("\n");
  }
  if (t.rows() > kMaxRows) std::printf("  ... %zu more rows in /task\n", t.rows() - kMaxRows);
  if (t.rows() == 0) return;
  std::printf("  totals: %.0f image passes (images x chips) through the macro in %.2f s\n", passes, seconds);
  if (t.rows() > 1)
    std::printf("  best top-1 %s at point %s; lowest energy %s nJ/image at point %s\n",
                cell(t, "top1", best, "%.4f").c_str(), cell(t, "point", best, "%.0f").c_str(),
                cell(t, "energy_nj_per_image", cheapest, "%.3f").c_str(), cell(t, "point", cheapest, "%.0f").c_str());
}

}  // namespace cimmc
