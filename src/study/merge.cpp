#include "study/merge.hpp"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <map>

#include "study/tables.hpp"

namespace cimmc {
namespace {

std::string n(std::uint64_t v) { return std::to_string(v); }

// Row `i` of `a` and row `k` of `b` equal bit for bit (NaN equal to itself).
bool same_row(const Table& a, std::size_t i, const Table& b, std::size_t k) {
  if (a.columns().size() != b.columns().size()) return false;
  for (const Column& c : a.columns()) {
    const Column* d = b.find(c.name);
    if (!d || d->data.index() != c.data.index()) return false;
    const bool eq = std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          const auto& w = std::get<V>(d->data);
          if constexpr (std::is_same_v<V, std::vector<std::string>>) return v[i] == w[k];
          else return std::memcmp(&v[i], &w[k], sizeof v[i]) == 0;
        },
        c.data);
    if (!eq) return false;
  }
  return true;
}

// Every shard must be a finished shard of the same sweep as the first.
void check_same_sweep(const ShardInput& ref, const ShardInput& s) {
  const auto bad = [&](const std::string& what, const std::string& a, const std::string& b) {
    throw MergeError("cannot merge " + s.path + " with " + ref.path + ": " + what + " differs (" + b + " against " +
                     a + "): not shards of the same sweep");
  };
  const StudyFile& r = ref.file;
  const StudyFile& f = s.file;
  if (f.config_text != r.config_text) bad("the config text", "its config", "another config");
  if (f.prov.seed != r.prov.seed) bad("the seed", n(r.prov.seed), n(f.prov.seed));
  if (f.samples != r.samples) bad("run.samples", n(r.samples), n(f.samples));
  if (f.points_total != r.points_total) bad("the number of points", n(r.points_total), n(f.points_total));
  if (f.shard.count != r.shard.count) bad("the shard count N", n(r.shard.count), n(f.shard.count));
  if (f.sweep_keys != r.sweep_keys) bad("the swept keys", "", "");
  if (f.prov.software_version != r.prov.software_version || f.prov.git_sha != r.prov.git_sha)
    bad("the cimmc build", r.prov.software_version + " " + r.prov.git_sha,
        f.prov.software_version + " " + f.prov.git_sha);
}

std::string join_distinct(const std::vector<ShardInput>& shards, std::string Provenance::*field) {
  std::vector<std::string> seen;
  for (const ShardInput& s : shards)
    if (std::find(seen.begin(), seen.end(), s.file.prov.*field) == seen.end()) seen.push_back(s.file.prov.*field);
  std::string out;
  for (const std::string& v : seen) out += (out.empty() ? "" : ", ") + v;
  return out;
}

}  // namespace

StudyFile merge_head(std::vector<ShardInput>& shards, const Provenance& prov) {
  if (shards.empty()) throw MergeError("no shard files given");
  for (const ShardInput& s : shards) {
    if (s.file.shard.count == 0)
      throw MergeError(s.path + " is not a shard (it was written without --shard I/N)");
    if (!s.file.complete || s.file.points_done != s.file.shard.end - s.file.shard.begin)
      throw MergeError(s.path + " is an unfinished shard (" + n(s.file.points_done) + " of " +
                       n(s.file.shard.end - s.file.shard.begin) + " points)");
  }
  std::stable_sort(shards.begin(), shards.end(),
                   [](const ShardInput& a, const ShardInput& b) { return a.file.shard.index < b.file.shard.index; });
  for (const ShardInput& s : shards) check_same_sweep(shards.front(), s);
  const std::uint64_t count = shards.front().file.shard.count;
  for (std::size_t i = 1; i < shards.size(); ++i)
    if (shards[i].file.shard.index == shards[i - 1].file.shard.index)
      throw MergeError("shard " + n(shards[i].file.shard.index) + "/" + n(count) + " is given twice: " +
                       shards[i - 1].path + " and " + shards[i].path);
  if (shards.size() != count) {
    std::string missing;
    std::size_t k = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      if (k < shards.size() && shards[k].file.shard.index == i) ++k;
      else missing += (missing.empty() ? "" : ", ") + n(i);
    }
    throw MergeError("shard(s) " + missing + " of " + n(count) + " missing: " + n(shards.size()) + " of " + n(count) +
                     " given");
  }
  // N distinct indices of N: the point ranges must now tile the sweep.
  std::uint64_t next = 0;
  for (const ShardInput& s : shards) {
    if (s.file.shard.begin != next)
      throw MergeError(s.path + " (shard " + n(s.file.shard.index) + "/" + n(count) + ") holds points [" +
                       n(s.file.shard.begin) + ", " + n(s.file.shard.end) + "), expected to start at point " +
                       n(next) + ": the shards overlap or leave a gap");
    next = s.file.shard.end;
  }
  if (next != shards.front().file.points_total)
    throw MergeError("the shards end at point " + n(next) + " of " + n(shards.front().file.points_total));

  StudyFile out = shards.front().file;
  out.prov.created = prov.created;
  out.prov.command_line = prov.command_line;
  out.prov.backend = join_distinct(shards, &Provenance::backend);
  out.prov.device = join_distinct(shards, &Provenance::device);
  out.shard = {};
  out.points_done = out.points_total;
  out.complete = true;
  out.layers = Table{};
  out.network = Table{};
  out.jobs = Table{};
  // /jobs: first use across the sweep, i.e. the first shard (in point order)
  // that lists a key, at its place in that shard's first-use order.
  std::map<std::string, std::pair<std::size_t, std::size_t>> first;  // key -> (shard, row)
  for (std::size_t s = 0; s < shards.size(); ++s) {
    const StudyFile& f = shards[s].file;
    const Column* keys = f.jobs.find("key");
    for (std::size_t i = 0; keys && i < f.jobs.rows(); ++i) {
      const std::string& key = std::get<std::vector<std::string>>(keys->data)[i];
      const auto [it, fresh] = first.emplace(key, std::pair{s, i});
      if (fresh) {
        append_row(out.jobs, f.jobs, i);
      } else if (!same_row(shards[it->second.first].file.jobs, it->second.second, f.jobs, i)) {
        const Column* id = f.jobs.find("job_id");
        throw MergeError("tile job " + (id ? std::get<std::vector<std::string>>(id->data)[i] : key) +
                         " has different results in " +
                         shards[it->second.first].path + " and " + shards[s].path +
                         " (different backends? CPU and CUDA agree only statistically where noise is on)");
      }
    }
  }
  out.ci_note.clear();
  return out;
}

std::size_t missing_se(const Table& network) {
  std::size_t missing = 0;
  if (const Column* se = network.find("total_pj_se"))
    for (double v : std::get<std::vector<double>>(se->data)) missing += std::isnan(v);
  return missing;
}

// The note on missing CIs counts points: recounted over the whole sweep,
// keeping the reason a shard gave (the text before its own count).
std::string merged_ci_note(const std::vector<ShardInput>& shards, std::size_t missing, std::size_t rows) {
  std::string note;
  for (const ShardInput& sh : shards)
    if (!sh.file.ci_note.empty() && note.empty()) note = sh.file.ci_note.substr(0, sh.file.ci_note.rfind(" ("));
  if (note.empty()) return note;
  return note + " (" + std::to_string(missing) + " of " + std::to_string(rows) + " points)";
}

StudyFile merge_shards(std::vector<ShardInput> shards, const Provenance& prov) {
  StudyFile out = merge_head(shards, prov);
  for (const ShardInput& s : shards) {
    out.layers.append(s.file.layers);
    out.network.append(s.file.network);
  }
  out.ci_note = merged_ci_note(shards, missing_se(out.network), out.network.rows());
  return out;
}

MergedRows append_shard_rows(const std::vector<ShardInput>& shards, StudyStream& out, std::size_t block) {
  MergedRows m;
  for (const ShardInput& s : shards) {
    for_each_row_block(s.path, "layers", block, [&](const Table& t) {
      out.append(t, Table{});
      m.layer_rows += t.rows();
    });
    std::size_t rows = 0;
    for_each_row_block(s.path, "network", block, [&](const Table& t) {
      out.append(Table{}, t);
      m.missing_se += missing_se(t);
      rows += t.rows();
    });
    if (rows != s.file.shard.end - s.file.shard.begin)
      throw MergeError(s.path + " holds " + std::to_string(rows) + " network rows for " +
                       std::to_string(s.file.shard.end - s.file.shard.begin) + " points (changed while merging?)");
    m.network_rows += rows;
  }
  return m;
}

}  // namespace cimmc
