// cimmc command line: parse arguments, then hand over to a command. Typed
// errors are caught here once and turned into exit codes by report_error
// (errors.cpp): bad input exits 2, an unavailable device 3, a file problem 4.
#include <cerrno>
#include <cstdlib>
#include <cxxopts.hpp>
#include <iostream>

#include "cimmc_version.hpp"
#include "cli/commands.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "io/h5_util.hpp"
#include "io/hdf5_file.hpp"

using namespace cimmc;

namespace {

int run_command(int argc, char** argv) {
  CliArgs a;
  for (int i = 0; i < argc; ++i) a.command_line += (i ? " " : "") + std::string(argv[i]);
  cxxopts::Options options("cimmc", "Monte Carlo energy and accuracy of compute-in-memory accelerators");
  options.positional_help(
      "run CONFIG | plan CONFIG | validate CONFIG | inspect FILE | merge SHARD.h5... -o OUT.h5 | infer CONFIG");
  options.add_options()
      ("command", "run, plan, validate, inspect, merge or infer", cxxopts::value<std::string>())
      ("config", "YAML configuration file (inspect: an HDF5 file; merge: the first shard file)",
       cxxopts::value<std::string>())
      ("inputs", "merge: the other shard files", cxxopts::value<std::vector<std::string>>())
      ("o,output", "write the results to this HDF5 file", cxxopts::value<std::string>())
      ("samples", "override run.samples (MVMs per tile job)", cxxopts::value<std::uint64_t>())
      ("seed", "override run.seed", cxxopts::value<std::uint64_t>())
      ("backend", "auto, cpu or cuda", cxxopts::value<std::string>()->default_value("auto"))
      ("threads", "CPU threads (0 = all)", cxxopts::value<int>()->default_value("0"))
      ("cpu-isa", "CPU model code: auto (widest this CPU runs), base, avx2 or avx512; same results",
       cxxopts::value<std::string>()->default_value("auto"))
      ("resume", "continue an interrupted run from OUTPUT.partial")
      ("mappings", "keep the best mapping per layer or all of them: best|all", cxxopts::value<std::string>())
      ("mapper", "run, plan on a hierarchy: how layers are mapped: auto|exhaustive|random|mip (mapping.mapper)",
       cxxopts::value<std::string>())
      ("model", "sampled (Monte Carlo), statistical (analytic) or hybrid (statistical, then sample the best)",
       cxxopts::value<std::string>()->default_value("sampled"))
      ("refine", "hybrid: points sampled per objective (energy, latency, SQNR)",
       cxxopts::value<std::size_t>()->default_value("3"))
      ("pareto", "hybrid: also sample every point of the energy-latency Pareto front")
      ("energy-only", "statistical, hybrid: energy without accuracy, CiMLoop's scope, ~100x faster")
      ("shard", "run: compute shard I (from 0) of N of the sweep, I/N; join the shard files with cimmc merge",
       cxxopts::value<std::string>())
      ("chunk-points", "hardware points sampled per batch and checkpoint (per rank under MPI)",
       cxxopts::value<std::size_t>()->default_value("8"))
      ("memory-budget", "run: MiB of sampled tile-job results held at once; a chunk samples in batches within it "
       "(same results for any budget)", cxxopts::value<std::size_t>()->default_value("1024"))
      ("ranks", "plan: predict the time and load balance of MPI runs on N ranks (a list: 64,512,4096)",
       cxxopts::value<std::string>())
      ("h,help", "show this help")
      ("version", "show the version");
  options.parse_positional({"command", "config", "inputs"});
  try {
    const auto args = options.parse(argc, argv);
    if (args.count("help")) { std::cout << options.help() << "\n"; return 0; }
    if (args.count("version")) { std::cout << "cimmc " << CIMMC_VERSION << " (" << CIMMC_GIT_SHA << ")\n"; return 0; }
    if (!args.count("command")) throw UsageError("missing command (try: cimmc run CONFIG, or cimmc --help)");
    const std::string cmd = args["command"].as<std::string>();
    if (args.count("config")) a.config = args["config"].as<std::string>();
    if (args.count("output")) a.output = args["output"].as<std::string>();
    if (args.count("samples")) a.samples = args["samples"].as<std::uint64_t>();
    if (args.count("seed")) a.seed = args["seed"].as<std::uint64_t>();
    a.backend = args["backend"].as<std::string>();
    a.threads = args["threads"].as<int>();
    a.cpu_isa = args["cpu-isa"].as<std::string>();
    try {
      parse_cpu_isa(a.cpu_isa);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--cpu-isa: ") + e.what());
    }
    a.resume = args.count("resume") > 0;
    if (args.count("mappings")) a.mappings = args["mappings"].as<std::string>();
    if (args.count("mapper")) a.mapper = args["mapper"].as<std::string>();
    a.chunk_points = args["chunk-points"].as<std::size_t>();
    a.model = args["model"].as<std::string>();
    a.memory_budget_mib = args["memory-budget"].as<std::size_t>();
    if (a.memory_budget_mib < 1) throw UsageError("--memory-budget: value '0': must be >= 1 (MiB)");
    a.refine = args["refine"].as<std::size_t>();
    a.energy_only = args.count("energy-only") > 0;
    a.pareto = args.count("pareto") > 0;
    if (args.count("shard")) a.shard = args["shard"].as<std::string>();
    if (args.count("ranks")) {
      if (cmd != "plan") throw UsageError("--ranks applies to plan (a run takes its ranks from mpirun -np N)");
      const std::string list = args["ranks"].as<std::string>();
      for (std::size_t at = 0; at <= list.size();) {
        const std::size_t comma = std::min(list.find(',', at), list.size());
        const std::string v = list.substr(at, comma - at);
        char* end = nullptr;
        errno = 0;
        const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || v.front() == '-' || errno == ERANGE || n < 1 || n > 1000000)
          throw UsageError("--ranks: value '" + v + "': must be an integer in [1, 1000000] (or a list: 64,512,4096)");
        a.ranks.push_back(static_cast<std::size_t>(n));
        at = comma + 1;
      }
    }
    if (args.count("inputs")) a.inputs = args["inputs"].as<std::vector<std::string>>();
    if (!a.inputs.empty() && cmd != "merge")
      throw UsageError(cmd + ": unexpected argument '" + a.inputs.front() + "' (one " +
                       (cmd == "inspect" ? "FILE" : "CONFIG") + " only)");
    if (!a.shard.empty() && cmd != "run") throw UsageError("--shard applies to run");
    if (a.model != "sampled" && a.model != "statistical" && a.model != "hybrid")
      throw UsageError("--model: value '" + a.model + "': must be one of: sampled, statistical, hybrid");
    if (a.energy_only && a.model == "sampled")
      throw UsageError("--energy-only applies to --model statistical or hybrid (sampling gives accuracy anyway)");
    if (a.pareto && a.model != "hybrid") throw UsageError("--pareto applies to --model hybrid");
    if (a.threads < 0) throw UsageError("--threads: value '" + std::to_string(a.threads) + "': must be >= 0");
    if (a.chunk_points < 1) throw UsageError("--chunk-points: value '0': must be >= 1");
    if (!a.mappings.empty() && a.mappings != "best" && a.mappings != "all")
      throw UsageError("--mappings: value '" + a.mappings + "': must be one of: best, all");
    if (!a.mapper.empty() && a.mapper != "auto" && a.mapper != "exhaustive" && a.mapper != "random" && a.mapper != "mip")
      throw UsageError("--mapper: value '" + a.mapper + "': must be one of: auto, exhaustive, random, mip");
    if (cmd != "run" && cmd != "plan" && cmd != "inspect" && cmd != "validate" && cmd != "merge" && cmd != "infer")
      throw UsageError("unknown command '" + cmd + "' (known: run, plan, inspect, validate, merge, infer)");
    if (a.config.empty())
      throw UsageError(cmd + ": missing " + (cmd == "inspect" ? "FILE" : cmd == "merge" ? "shard files" : "CONFIG"));
    if (cmd == "merge") return cmd_merge(a);
    if (cmd == "run") return cmd_run(a);
    if (cmd == "plan") return cmd_plan(a);
    if (cmd == "validate") return cmd_validate(a);
    if (cmd == "infer") return cmd_infer(a);
    return cmd_inspect(a);
  } catch (...) {
    return report_error(std::current_exception());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int code = run_command(argc, argv);
  // A file HDF5 failed to close (a full disk under a streamed study) stays
  // half-closed in the library, whose exit handler then crashed on it
  // (exit 139 after the exit-4 message). The output's temporary is already
  // removed, so nothing is left for the handlers to do.
  if (h5::library_unusable()) {
    std::cout.flush();
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}
