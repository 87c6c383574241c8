// BM_merge_64_shards: `cimmc merge` of 64 shard files whose /layers tables
// hold 10^6 rows together (47,620 points x 21 layers, the columns of a real
// ResNet-18 study): the shards' heads, merge_head, and their rows streamed
// into the output a block at a time, as cmd_merge does them (without its
// read of each shard in a child first). Issue 14 asks for under a minute.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "config/sweep.hpp"
#include "io/study_file.hpp"
#include "io/study_stream.hpp"
#include "study/merge.hpp"
#include "study/runner.hpp"

using namespace cimmc;

namespace {

constexpr std::size_t kShards = 64, kLayers = 21, kPoints = 47620;

// `rows` rows with the columns (names, types, units) of `like`, values varying by row.
Table synthetic(const Table& like, std::size_t first_row, std::size_t rows, std::size_t per_point) {
  Table t;
  for (std::size_t r = first_row; r < first_row + rows; ++r)
    for (const Column& c : like.columns()) {
      if (std::holds_alternative<std::vector<double>>(c.data))
        t.put(c.name, 1.0 + 1e-3 * static_cast<double>(r % 9973) * static_cast<double>(c.name.size()), c.units,
              c.description);
      else if (std::holds_alternative<std::vector<std::int64_t>>(c.data))
        t.put(c.name, static_cast<std::int64_t>(c.name == "point" ? r / per_point : r % per_point), c.units,
              c.description);
      else
        t.put(c.name, std::get<std::vector<std::string>>(c.data).front(), c.units, c.description);
    }
  return t;
}

void BM_merge_64_shards(benchmark::State& state) {
  const std::string dir = std::filesystem::temp_directory_path() / ("cimmc_bench_merge_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // A real study's columns: configs/resnet18.yaml by the energy-only statistical model.
  StudyOptions o;
  o.model = Model::statistical;
  o.energy_only = true;
  o.engine.threads = 1;
  StudyStats st;
  const StudyFile real = run_study(load_sweep(std::string(CIMMC_SOURCE_DIR) + "/configs/resnet18.yaml"), o, st);
  std::vector<std::string> paths;
  for (std::size_t s = 0; s < kShards; ++s) {
    StudyFile f = real;
    f.shard = {s, kShards, s * kPoints / kShards, (s + 1) * kPoints / kShards};
    f.points_total = kPoints;
    f.points_done = f.shard.end - f.shard.begin;
    f.complete = true;
    f.layers = synthetic(real.layers, f.shard.begin * kLayers, f.points_done * kLayers, kLayers);
    f.network = synthetic(real.network, f.shard.begin, f.points_done, 1);
    paths.push_back(dir + "/part-" + std::to_string(s) + ".h5");
    write_study_file(paths.back(), f);
  }
  std::size_t rows = 0;
  for (auto _ : state) {
    std::vector<ShardInput> shards;
    for (const std::string& p : paths) shards.push_back({p, read_study_file(p, false)});
    StudyFile merged = merge_head(shards, Provenance{});
    const std::string out_path = dir + "/merged.h5";
    StudyStream out(out_path, out_path);
    const MergedRows m = append_shard_rows(shards, out);
    out.append(Table{}, Table{}, merged.jobs);
    merged.ci_note = merged_ci_note(shards, m.missing_se, m.network_rows);
    out.finish(merged);
    rows = m.layer_rows;
  }
  state.counters["layer_rows"] = static_cast<double>(rows);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_merge_64_shards)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
