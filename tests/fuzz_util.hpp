// The config fuzzer's tools (tests/test_fuzz.cpp): a child-process runner
// with a time bound (SIGKILL to the process group) and a memory bound
// (RLIMIT_AS, and the peak RSS the kernel reports), the pieces of a YAML
// mutator (sites of a config tree, deterministic choices), and the checks of
// a finished run's output file.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/h5_util.hpp"
#include "io/study_file.hpp"

namespace cimmc::fuzz {

// ---- running a child

struct ChildResult {
  int exit_code = -1;    // when it exited
  int signal = 0;        // when a signal ended it (SIGKILL after a timeout too)
  bool timed_out = false;
  double seconds = 0;
  long max_rss_mb = 0;   // peak resident memory
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs argv (argv[0] a path) with stdout/stderr to files in `dir`, at most
// `timeout_s` seconds and, when `as_limit_mb` > 0, that much address space.
inline ChildResult run_child(const std::vector<std::string>& argv, const std::filesystem::path& dir, double timeout_s,
                             long as_limit_mb) {
  const std::string out_path = (dir / "stdout.txt").string(), err_path = (dir / "stderr.txt").string();
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);  // its own group: a timeout kills the whole group
    if (as_limit_mb > 0) {
      const rlimit as{static_cast<rlim_t>(as_limit_mb) << 20, static_cast<rlim_t>(as_limit_mb) << 20};
      setrlimit(RLIMIT_AS, &as);
    }
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    const int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0) _exit(126);
    dup2(o, 1);
    dup2(e, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  ChildResult r;
  if (pid < 0) return r;
  int status = 0;
  rusage ru{};
  while (true) {
    const pid_t w = wait4(pid, &status, WNOHANG, &ru);
    if (w == pid) break;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r.seconds > timeout_s && !r.timed_out) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(r.seconds < 1 ? 2 : 20));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.max_rss_mb = ru.ru_maxrss / 1024;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

// ---- mutating a config tree

// A place in the tree: a mapping entry (key) or a list element (index).
struct Site {
  YAML::Node parent;
  bool in_map = true;
  std::string key;
  std::size_t index = 0;
  std::string path;  // dotted key path; "[i]" for list elements
  YAML::Node node;
  // YAML::Node's assignment writes into the node it refers to, so a Site
  // must not be assigned (vector::erase would corrupt the tree); copies are fine.
  Site& operator=(const Site&) = delete;
};

inline void collect_sites(const YAML::Node& n, const std::string& path, std::vector<Site>& out) {
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string key = it->first.Scalar();
      const std::string p = path.empty() ? key : path + "." + key;
      out.push_back({n, true, key, 0, p, it->second});
      collect_sites(it->second, p, out);
    }
  } else if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      out.push_back({n, false, "", i, p, n[i]});
      collect_sites(n[i], p, out);
    }
  }
}

inline bool is_number(const YAML::Node& n) {
  if (!n.IsScalar() || n.Tag() == "!") return false;
  const std::string& s = n.Scalar();
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0';
}

// Deterministic choices (the standard distributions are not portable).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  std::size_t below(std::size_t n) { return n ? static_cast<std::size_t>(g_() % n) : 0; }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

 private:
  std::mt19937_64 g_;
};

inline void set_site(Site& s, const YAML::Node& value) {
  if (s.in_map) s.parent[s.key] = value;
  else s.parent[s.index] = value;
}

// A scalar the emitter writes as it is (a plain YAML value in the file).
inline YAML::Node plain(const std::string& text) {
  YAML::Node n(YAML::NodeType::Scalar);
  n = text;
  return n;
}

// ---- checking a finished run


// Every float in the output file is finite unless the format says otherwise.
std::vector<std::string> check_run_file(const H5::H5File& f) {
  std::vector<std::string> bad;
  const auto check = [&](const H5::Group& g, const std::string& path, const std::string& name, bool nan_ok,
                         bool inf_ok) {
    const std::vector<hsize_t> dims = h5::dataset_dims(g, name);
    for (const double v : h5::read_dataset<double>(g, name, dims))
      if ((std::isnan(v) && !nan_ok) || (std::isinf(v) && !inf_ok)) {
        bad.push_back(path + "/" + name + " holds " + std::to_string(v));
        return;
      }
  };
  const H5::Group pm = f.openGroup("energy/per_mvm"), sm = f.openGroup("summary");
  const bool no_ci = !h5::read_attr_string(pm, "ci_note").empty();
  for (const char* n : {"mean", "events_per_mvm"}) check(pm, "per_mvm", n, false, false);
  for (const char* n : {"se", "ci_lo", "ci_hi", "total"}) check(pm, "per_mvm", n, no_ci, false);
  const std::vector<double> total = h5::read_dataset<double>(pm, "total", {4});
  if (!std::isfinite(total[0])) bad.push_back("per_mvm/total[0] (mean) = " + std::to_string(total[0]));
  const H5::Group tables = f.openGroup("energy/tables");
  for (hsize_t i = 0; i < tables.getNumObjs(); ++i) check(tables, "tables", tables.getObjnameByIdx(i), false, false);
  for (hsize_t i = 0; i < sm.getNumObjs(); ++i) {
    const std::string n = sm.getObjnameByIdx(i);
    const bool ci = n.find("_se") != std::string::npos || n.find("_ci_") != std::string::npos;
    check(sm, "summary", n, ci && !h5::read_attr_string(sm, "ci_note").empty(), n == "sqnr_db");
  }
  const H5::Group mo = f.openGroup("job/moments");
  for (const char* n : {"sum_err", "sum_err2", "sum_ref", "sum_ref2", "max_abs_err", "outputs"}) check(mo, "moments", n, false, false);
  return bad;
}

std::vector<std::string> check_study_file(const std::string& path) {
  std::vector<std::string> bad;
  const StudyFile s = read_study_file(path);
  const bool no_ci = !s.ci_note.empty();
  for (const Table* t : {&s.layers, &s.network, &s.jobs}) {
    const Column* model = t->find("model");
    const Column* mapping_status = t->find("mapping_status");
    for (const Column& c : t->columns()) {
      const auto* v = std::get_if<std::vector<double>>(&c.data);
      if (!v || std::find(s.sweep_keys.begin(), s.sweep_keys.end(), c.name) != s.sweep_keys.end()) continue;
      const bool se = c.name.ends_with("_se") || c.name == "total_pj_ci95";
      const bool accuracy = c.name == "err_rms_lsb" || c.name == "err_mean_lsb" || c.name.starts_with("sqnr_db") ||
                            c.name == "clip_rate";
      std::size_t count = 0, first = 0;
      for (std::size_t i = 0; i < v->size(); ++i) {
        const double x = (*v)[i];
        if (std::isfinite(x)) continue;
        const bool energy_only = model && std::get<std::vector<std::string>>(model->data)[i] == "statistical_energy";
        if (std::isnan(x) && ((se && no_ci) || (accuracy && energy_only))) continue;
        // A sampled mapping search has no bound, so no gap (docs/hdf5-format.md).
        if (std::isnan(x) && c.name == "mapping_gap" && mapping_status &&
            std::get<std::vector<std::string>>(mapping_status->data)[i] == "sampled")
          continue;
        if (x == INFINITY && c.name.starts_with("sqnr_db")) continue;  // lossless
        if (count++ == 0) first = i;
      }
      if (count)
        bad.push_back(c.name + " in " + std::to_string(count) + " of " + std::to_string(v->size()) + " rows (row " +
                      std::to_string(first) + ": " + std::to_string((*v)[first]) + ")");
    }
  }
  return bad;
}

}  // namespace cimmc::fuzz
