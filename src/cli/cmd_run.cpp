// `cimmc run CONFIG`: one tile job (a detailed run file with its histograms)
// or a study (a network and/or a sweep: column tables per layer and network).
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "cimmc_version.hpp"
#include "cli/commands.hpp"
#include "cluster/ranks.hpp"
#include "cli/progress.hpp"
#include "cli/summary.hpp"
#include "config/config.hpp"
#include "engine/engine.hpp"
#include "gpucim/pe_array.hpp"
#include "io/hdf5_file.hpp"
#include "pricing/pricing.hpp"
#include "study/partition.hpp"
#include "study/plan.hpp"
#include "study/runner.hpp"
#include "study/shard.hpp"
#include "study/hybrid_stream.hpp"
#include "study/stream_pass.hpp"
#include "study/stat_jobs.hpp"

namespace cimmc {

void apply_overrides(Config& c, const CliArgs& a) {
  if (a.samples) c.run.samples = *a.samples;
  if (a.seed) c.run.seed = *a.seed;
  if (a.mappings == "all") c.mapping.keep_all = true;
  if (a.mappings == "best") c.mapping.keep_all = false;
  using M = MappingOptions::Mapper;
  if (a.mapper == "auto") c.mapping.mapper = M::automatic;
  if (a.mapper == "exhaustive") c.mapping.mapper = M::exhaustive;
  if (a.mapper == "random") c.mapping.mapper = M::random;
  if (a.mapper == "mip") c.mapping.mapper = M::mip;
  validate(c, a.config);
}

Sweep load_study(const CliArgs& a) {
  Sweep s = load_sweep(a.config);
  for (SweepPoint& p : s.points) apply_overrides(p.config, a);
  return s;
}

std::optional<OutputClaim> claim_output(const CliArgs& a) {
  if (a.output.empty()) return std::nullopt;
  std::optional<OutputClaim> claim;
  claim.emplace(a.output, std::vector<NamedInput>{{"config", a.config}});
  for (const std::string& f : claim->removed()) std::cerr << "cimmc: removed " << f << ", left by an interrupted run\n";
  return claim;
}

StudyFile output_meta(const Sweep& sweep, const CliArgs& a, const std::string& backend, const std::string& device) {
  StudyFile meta;
  meta.prov = Provenance{CIMMC_VERSION, CIMMC_GIT_SHA, iso8601_utc_now(), backend, device, a.command_line,
                         sweep.points.front().config.run.seed};
  meta.name = sweep.points.front().config.name;
  meta.config_text = sweep.source_text;
  meta.config_path = sweep.path;
  return meta;
}

EngineOptions engine_options(const CliArgs& a) {
  EngineOptions opt;
  opt.backend = parse_backend(a.backend);
  opt.threads = a.threads;
  opt.cpu_isa = parse_cpu_isa(a.cpu_isa);
  return opt;
}

Backend parse_backend(const std::string& s) {
  if (s == "auto") return Backend::automatic;
  if (s == "cpu") return Backend::cpu;
  if (s == "cuda") return Backend::cuda;
  throw UsageError("--backend: value '" + s + "': must be one of: auto, cpu, cuda");
}

namespace {

int run_tile(const Config& cfg, const CliArgs& a, const std::string& target, EngineOptions opt,
             const std::string& backend, const std::string& device) {
  ProgressLine progress("sampling");
  opt.progress = [&](double f) { progress.update(f); };
  const JobResult result = run_job(cfg, opt);
  progress.finish();
  const EnergyTables tables = make_energy_tables(cfg, result);
  const Report report = price(result, tables);
  print_summary(std::cout, cfg, result, report);
  if (!a.output.empty()) {
    const Provenance prov{CIMMC_VERSION, CIMMC_GIT_SHA, iso8601_utc_now(), backend, device, a.command_line,
                          cfg.run.seed};
    write_run_file(target, cfg, result, tables, report, prov);
    std::cout << "\n  wrote " << a.output << "\n";
  }
  return 0;
}

// --energy-only refuses points whose energies depend on values it skips.
void check_energy_only(const SweepPoint& p, const std::string& path) {
  if (const std::string dep = value_dependent_conversion(p.config); !dep.empty())
    throw UsageError("--energy-only: " + path + ": point " + std::to_string(p.index) + ": " + dep +
                     " makes the energy depend on the value; that needs the distributions --energy-only "
                     "skips (run without it)");
}

// --model statistical or hybrid (not --energy-only) refuses macros the model does not cover.
void check_statistical(const SweepPoint& p, const CliArgs& a, const std::string& path) {
  if (const std::string why = statistical_refusal(p.config.macro); !why.empty())
    throw UsageError("--model " + a.model + ": " + path + ": point " + std::to_string(p.index) + ": " + why);
}

struct Engine {
  EngineOptions opt;
  std::string backend, device;
};

// The backend and threads of the run, announced on stderr by rank 0.
Engine setup_engine(const CliArgs& a, cluster::Ranks* ranks, bool root) {
  Engine e;
  e.opt = engine_options(a);
  EngineOptions& opt = e.opt;
  if (ranks && opt.backend != Backend::cpu)  // one rank per GPU on each host
    if (const int gpus = cuda_device_count(); gpus > 0) cuda_use_device(ranks->local_rank() % gpus);
  e.backend = resolve_backend(opt.backend, &e.device, opt.cpu_isa);
  if (root)
    std::cerr << "cimmc: backend " << e.backend << " (" << e.device << ")"
              << (opt.backend == Backend::automatic ? (e.backend == "cpu" ? ", no CUDA GPU found" : ", GPU found") : "")
              << (ranks ? ", on rank 0 of " + std::to_string(ranks->size()) + " MPI rank(s)" : "") << "\n";
  opt.backend = e.backend == "cuda" ? Backend::cuda : Backend::cpu;
  return e;
}

void print_wrote(const std::string& output, const StudyFile& file) {
  std::cout << "\n  wrote " << output;
  if (file.shard.count > 0)
    std::cout << " (shard " << file.shard.index << "/" << file.shard.count << ": points " << file.shard.begin
              << " to " << file.shard.end - 1 << " of " << file.points_total << ")";
  std::cout << "\n";
}

// --shard I/N, checked against the sweep (its size and point 0); count 0 without it.
ShardLayout shard_option(const CliArgs& a, std::size_t points, const Config& first) {
  ShardLayout shard;
  if (a.shard.empty()) return shard;
  try {
    shard = parse_shard(a.shard);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--shard: ") + e.what());
  }
  if (points == 1 && is_single_tile(first))
    throw UsageError("--shard applies to network and sweep runs (this config is one tile job)");
  if (a.model == "hybrid")
    throw UsageError("--shard: --model hybrid cannot be sharded (it refines the best points of the whole sweep)");
  if (a.output.empty()) throw UsageError("--shard needs -o PART.h5 (the shard file that cimmc merge joins)");
  if (shard.count > points)
    throw UsageError("--shard " + a.shard + ": " + std::to_string(shard.count) + " shards of " +
                     std::to_string(points) + " point(s): at most one shard per point");
  return shard;
}

// A tile job, or a study that streams the sweep a chunk at a time
// (study/stream_pass.hpp, study/hybrid_stream.hpp), all of it or a shard, on
// one process or on the ranks of an MPI run: the sweep is never expanded whole.
int run_ranks(const CliArgs& a, cluster::Ranks* ranks) {
  const bool root = !ranks || ranks->rank() == 0;
  const bool sampled = a.model == "sampled";
  if (a.resume && !sampled)
    throw IoError("--resume applies to --model sampled (statistical runs take no checkpoint)");
  const SweepSource src = SweepSource::load(a.config);
  const auto prepare = [&](SweepPoint& p) {
    apply_overrides(p.config, a);
    gpucim::require_macro_level(p.config);
    if (a.energy_only) check_energy_only(p, src.path());
    else if (!sampled) check_statistical(p, a, src.path());
  };
  std::vector<SweepPoint> head = src.points(0, 1);  // point 0's errors come before any work
  prepare(head.front());
  const Config& first = head.front().config;
  const bool one_tile = src.size() == 1 && is_single_tile(first) && sampled;
  if (one_tile && ranks && ranks->size() > 1)
    throw UsageError("mpirun: this config is one tile job, which one process samples (run it without mpirun)");
  const ShardLayout shard = one_tile ? ShardLayout{} : shard_option(a, src.size(), first);
  // Only rank 0 writes, so only rank 0 claims the output; it fails before sampling, not after.
  const std::optional<OutputClaim> claim = root ? claim_output(a) : std::nullopt;
  const Engine engine = setup_engine(a, ranks, root);
  if (one_tile) {
    if (a.resume) throw UsageError("--resume applies to network and sweep runs (this config is one tile job)");
    return run_tile(first, a, claim ? claim->target() : "", engine.opt, engine.backend, engine.device);
  }
  StudyOptions so;
  so.energy_only = a.energy_only;
  so.model = sampled ? Model::sampled : a.model == "hybrid" ? Model::hybrid : Model::statistical;
  so.refine = a.refine;
  so.refine_pareto = a.pareto;
  so.chunk_points = a.chunk_points;
  so.engine = engine.opt;
  so.output = claim ? claim->target() : "";
  so.resume = a.resume;
  so.result_budget_bytes = a.memory_budget_mib << 20;
  so.shard = shard;
  so.prov = Provenance{CIMMC_VERSION, CIMMC_GIT_SHA, iso8601_utc_now(), engine.backend, engine.device, a.command_line,
                       first.run.seed};
  so.ranks = ranks;
  const std::size_t chunk = sampled ? chunk_span(a.chunk_points, ranks ? ranks->size() : 1) : 256;
  StudyStats stats;
  const auto run = [&] {
    return so.model == Model::hybrid ? run_hybrid_streamed(src, prepare, so, stats, chunk)
                                     : run_streamed(src, prepare, so, stats, chunk);
  };
  if (!root) {  // the other ranks sample their share and leave the rest to rank 0
    run();
    return 0;
  }
  ProgressLine progress("study");
  so.progress = [&](double f) { progress.update(f); };
  const StreamedStudy s = run();
  progress.finish();
  const auto& rows = std::get<std::vector<std::int64_t>>(s.file.network.find("point")->data);
  const ParamsOf params_of = [&](std::size_t p) {
    return s.params.at(static_cast<std::size_t>(std::find(rows.begin(), rows.end(), static_cast<std::int64_t>(p)) - rows.begin()));
  };
  print_study_summary(std::cout, src.keys(), s.layers, params_of, s.file, stats);
  if (!a.output.empty()) print_wrote(a.output, s.file);
  return 0;
}

}  // namespace

// Under mpirun every rank runs this; an error on one rank ends them all with
// its exit code (the others would wait for it forever: rank 0 for their results,
// they for rank 0 to take theirs).
int cmd_run(const CliArgs& a) {
  std::unique_ptr<cluster::Ranks> ranks;
  try {
    ranks = cluster::join_ranks();
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  if (!ranks) return run_ranks(a, nullptr);
  try {
    return run_ranks(a, ranks.get());
  } catch (...) {
    const int code = report_error(std::current_exception(), "rank " + std::to_string(ranks->rank()) + ": ");
    if (ranks->size() > 1) ranks->abort(code);
    return code;
  }
}

}  // namespace cimmc
