// cimmc command line: parse arguments, then hand over to the library. Typed
// errors are caught here once: bad input exits 2, an unavailable device 3.
#include <cxxopts.hpp>
#include <filesystem>
#include <iostream>

#include "cimmc_version.hpp"
#include "cli/progress.hpp"
#include "cli/summary.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "io/hdf5_file.hpp"
#include "pricing/pricing.hpp"

using namespace cimmc;

namespace {

struct UsageError : std::runtime_error { using std::runtime_error::runtime_error; };

Backend parse_backend(const std::string& s) {
  if (s == "auto") return Backend::automatic;
  if (s == "cpu") return Backend::cpu;
  if (s == "cuda") return Backend::cuda;
  throw UsageError("--backend: value '" + s + "': must be one of: auto, cpu, cuda");
}

int cmd_run(const cxxopts::ParseResult& args, const std::string& command_line) {
  if (!args.count("config")) throw UsageError("run: missing CONFIG (usage: cimmc run CONFIG [options])");
  Config cfg = load_config(args["config"].as<std::string>());
  if (args.count("samples")) cfg.run.samples = args["samples"].as<std::uint64_t>();
  if (args.count("seed")) cfg.run.seed = args["seed"].as<std::uint64_t>();
  validate(cfg, cfg.source_path);
  if (args.count("output")) {  // fail before sampling, not after
    const std::filesystem::path out(args["output"].as<std::string>());
    const auto parent = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(parent))
      throw IoError("-o " + out.string() + ": directory '" + parent.string() + "' does not exist");
  }
  EngineOptions opt;
  opt.backend = parse_backend(args["backend"].as<std::string>());
  opt.threads = args["threads"].as<int>();
  if (opt.threads < 0) throw UsageError("--threads: value '" + std::to_string(opt.threads) + "': must be >= 0");
  std::string device;
  const std::string backend = resolve_backend(opt.backend, &device);
  std::cerr << "cimmc: backend " << backend << " (" << device << ")"
            << (opt.backend == Backend::automatic ? (backend == "cpu" ? ", no CUDA GPU found" : ", GPU found") : "")
            << "\n";
  opt.backend = backend == "cuda" ? Backend::cuda : Backend::cpu;

  ProgressLine progress("sampling");
  opt.progress = [&](double f) { progress.update(f); };
  const JobResult result = run_job(cfg, opt);
  progress.finish();
  const EnergyTables tables = make_energy_tables(cfg, result);
  const Report report = price(result, tables);
  print_summary(std::cout, cfg, result, report);

  if (args.count("output")) {
    Provenance prov{CIMMC_VERSION, CIMMC_GIT_SHA, iso8601_utc_now(), backend, device, command_line, cfg.run.seed};
    const std::string out = args["output"].as<std::string>();
    write_run_file(out, cfg, result, tables, report, prov);
    std::cout << "\n  wrote " << out << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  cxxopts::Options options("cimmc", "Monte Carlo energy and accuracy of compute-in-memory macros");
  options.positional_help("run CONFIG");
  options.add_options()
      ("command", "run", cxxopts::value<std::string>())
      ("config", "YAML configuration file", cxxopts::value<std::string>())
      ("o,output", "write the results to this HDF5 file", cxxopts::value<std::string>())
      ("samples", "override run.samples (MVMs to sample)", cxxopts::value<std::uint64_t>())
      ("seed", "override run.seed", cxxopts::value<std::uint64_t>())
      ("backend", "auto, cpu or cuda", cxxopts::value<std::string>()->default_value("auto"))
      ("threads", "CPU threads (0 = all)", cxxopts::value<int>()->default_value("0"))
      ("h,help", "show this help")
      ("version", "show the version");
  options.parse_positional({"command", "config"});
  try {
    const auto args = options.parse(argc, argv);
    if (args.count("help")) { std::cout << options.help() << "\n"; return 0; }
    if (args.count("version")) { std::cout << "cimmc " << CIMMC_VERSION << " (" << CIMMC_GIT_SHA << ")\n"; return 0; }
    if (!args.count("command")) throw UsageError("missing command (try: cimmc run CONFIG, or cimmc --help)");
    const std::string cmd = args["command"].as<std::string>();
    if (cmd == "run") return cmd_run(args, command_line);
    throw UsageError("unknown command '" + cmd + "' (known: run)");
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "cimmc: " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "cimmc: " << e.what() << "\n";
    return 2;
  } catch (const ConfigError& e) {
    std::cerr << "cimmc: " << e.what() << "\n";
    return 2;
  } catch (const DeviceError& e) {
    std::cerr << "cimmc: " << e.what() << "\n";
    return 3;
  } catch (const IoError& e) {
    std::cerr << "cimmc: " << e.what() << "\n";
    return 4;
  } catch (const std::exception& e) {
    std::cerr << "cimmc: internal error: " << e.what() << "\n";
    return 1;
  }
}
