// The cimmc subcommands. main.cpp parses the command line into CliArgs and
// catches the typed errors; each command does one job.
#pragma once
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/sweep.hpp"
#include "engine/engine.hpp"
#include "io/output_path.hpp"

namespace cimmc {

struct UsageError : std::runtime_error { using std::runtime_error::runtime_error; };

struct CliArgs {
  std::string config;              // CONFIG (run, plan) or FILE (inspect)
  std::string output;              // -o
  std::optional<std::uint64_t> samples, seed;
  std::string backend = "auto";
  int threads = 0;
  std::string cpu_isa = "auto";    // auto, base, avx2, avx512 (launcher.hpp)
  bool resume = false;
  std::string mappings;            // "" (config decides), best, all
  std::string mapper;              // "" (config decides), auto, exhaustive, random, mip
  std::size_t chunk_points = 8;
  std::size_t memory_budget_mib = 1024;  // run: StudyOptions::result_budget_bytes in MiB
  std::string model = "sampled";   // sampled, statistical, hybrid
  std::size_t refine = 3;
  bool pareto = false;             // hybrid: also sample the energy-latency Pareto front
  bool energy_only = false;        // statistical / hybrid: the energy-only statistical model
  std::string shard;               // run: "I/N", "" = the whole sweep
  std::vector<std::size_t> ranks;  // plan: predict MPI runs on these many ranks (empty: don't)
  std::vector<std::string> inputs; // merge: the shard files after the first (which is in `config`)
  std::string command_line;
};

int cmd_run(const CliArgs& a);
int cmd_plan(const CliArgs& a);
int cmd_inspect(const CliArgs& a);
int cmd_validate(const CliArgs& a);
int cmd_merge(const CliArgs& a);
int cmd_infer(const CliArgs& a);

Backend parse_backend(const std::string& s);
// --backend, --threads, --cpu-isa.
EngineOptions engine_options(const CliArgs& a);

// Prints the error `e` holds on stderr ("cimmc: " + where + message) and
// returns its exit code: bad input 2, an unavailable device 3, a file problem
// 4, anything else 1. The one place the codes are decided (main, and each
// rank of an MPI run).
int report_error(const std::exception_ptr& e, const std::string& where = "");

// `cimmc plan`'s report of point 0's layers searched on its
// architecture.hierarchy (cli/hier_report.cpp).
struct PointPlan;
void print_hierarchy_plan(const PointPlan& plan, const Config& point);
// Point 0's chiplet placement and traffic (architecture.chiplets; chiplet_report.cpp).
void print_chiplet_plan(const PointPlan& plan);

// The command-line overrides (--samples, --seed, --mappings) applied to one
// point, which is then validated again.
void apply_overrides(Config& c, const CliArgs& a);

// The sweep of CONFIG with the command-line overrides applied to every point.
Sweep load_study(const CliArgs& a);

// -o checked, locked and cleaned (io/output_path.hpp) before any work; empty
// without -o. Stale temporaries it removed are named on stderr.
std::optional<OutputClaim> claim_output(const CliArgs& a);

// Provenance, name and config of a file written for `sweep` (validate, infer).
struct StudyFile;
StudyFile output_meta(const Sweep& sweep, const CliArgs& a, const std::string& backend, const std::string& device);

}  // namespace cimmc
