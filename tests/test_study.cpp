// Studies: roll-up invariants, dedupe, plan = run, study files, kill -9 + resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "config/sweep.hpp"
#include "engine/engine.hpp"
#include "io/checkpoint_log.hpp"
#include "shell_util.hpp"
#include "study_test_util.hpp"
#include "study/partition.hpp"
#include "study/plan.hpp"
#include "study/plan_stream.hpp"
#include "study/runner.hpp"
#include "study/tile_jobs.hpp"

namespace fs = std::filesystem;
using namespace cimmc;

namespace {

const std::string kTiny = test::tiny_network("run: {samples: 256, seed: 3, inputs_per_instance: 16}");

std::string with_sweep(const std::string& sweep) { return kTiny + sweep; }

const std::vector<double>& col(const Table& t, const std::string& n) {
  return std::get<std::vector<double>>(t.find(n)->data);
}
const std::vector<std::int64_t>& icol(const Table& t, const std::string& n) {
  return std::get<std::vector<std::int64_t>>(t.find(n)->data);
}

StudyFile run_mem(const Sweep& s, StudyStats& st, std::size_t chunk = 8) {
  StudyOptions o;
  o.engine.backend = Backend::cpu;
  o.chunk_points = chunk;
  return run_study(s, o, st);
}

// Bit equality of every column (doubles compared by their bits, so NaN == NaN).
void expect_same_tables(const Table& a, const Table& b, const char* what) {
  ASSERT_EQ(a.columns().size(), b.columns().size()) << what;
  for (std::size_t c = 0; c < a.columns().size(); ++c) {
    const Column &x = a.columns()[c], &y = b.columns()[c];
    ASSERT_EQ(x.name, y.name) << what;
    if (const auto* dx = std::get_if<std::vector<double>>(&x.data)) {
      const auto& dy = std::get<std::vector<double>>(y.data);
      ASSERT_EQ(dx->size(), dy.size()) << what << "." << x.name;
      EXPECT_EQ(std::memcmp(dx->data(), dy.data(), dx->size() * sizeof(double)), 0) << what << "." << x.name;
    } else {
      EXPECT_TRUE(x.data == y.data) << what << "." << x.name;
    }
  }
}

}  // namespace

TEST(Study, NetworkTotalsAreSumsOfSelectedLayers) {
  const Sweep s = parse_sweep(with_sweep("mapping: {keep: all}\n"), "tiny.yaml");
  StudyStats st;
  const StudyFile f = run_mem(s, st);
  ASSERT_EQ(f.network.rows(), 1u);
  const auto& sel = icol(f.layers, "selected");
  const auto& e = col(f.layers, "total_pj");
  const auto& macs = col(f.layers, "macs");
  const auto& lat = col(f.layers, "latency_ns");
  double se = 0, sm = 0, sl = 0;
  int nsel = 0;
  for (std::size_t i = 0; i < sel.size(); ++i)
    if (sel[i]) { se += e[i]; sm += macs[i]; sl += lat[i]; ++nsel; }
  EXPECT_EQ(nsel, 2);
  EXPECT_GT(f.layers.rows(), 2u);  // keep: all keeps every mapping
  EXPECT_NEAR(col(f.network, "total_pj")[0], se, 1e-9 * se);
  EXPECT_DOUBLE_EQ(col(f.network, "macs")[0], sm);
  EXPECT_DOUBLE_EQ(sm, 8.0 * 9 * 12 * 16 + 100.0 * 10);  // conv K=72 N=12 M=16, fc 100x10
  EXPECT_NEAR(col(f.network, "latency_ns")[0], sl, 1e-9 * sl);
  // Accuracy pooled over every output (docs/hdf5-format.md): conv has M N =
  // 16 x 12 outputs per inference, fc 1 x 10; a layer's power is mse 10^(sqnr/10).
  const double outs[2] = {16.0 * 12, 10.0};
  double o = 0, sq_err = 0, power = 0, err = 0;
  for (std::size_t i = 0; i < sel.size(); ++i)
    if (sel[i]) {
      const double n = outs[icol(f.layers, "layer")[i]], mse = std::pow(col(f.layers, "err_rms_lsb")[i], 2);
      o += n;
      sq_err += n * mse;
      power += n * mse * std::pow(10.0, col(f.layers, "sqnr_db")[i] / 10);
      err += n * col(f.layers, "err_mean_lsb")[i];
    }
  EXPECT_GT(sq_err, 0.0);
  EXPECT_NEAR(col(f.network, "err_rms_lsb")[0], std::sqrt(sq_err / o), 1e-9 * std::sqrt(sq_err / o));
  EXPECT_NEAR(col(f.network, "err_mean_lsb")[0], err / o, 1e-9 * std::fabs(err / o));
  EXPECT_NEAR(col(f.network, "sqnr_db")[0], 10 * std::log10(power / sq_err), 1e-9);
  // The selected mapping has the lowest energy of its layer (objective energy).
  const auto& layer = icol(f.layers, "layer");
  for (std::size_t i = 0; i < sel.size(); ++i)
    for (std::size_t j = 0; j < sel.size(); ++j)
      if (sel[i] && layer[i] == layer[j]) {
        EXPECT_LE(e[i], e[j]);
      }
}

TEST(Study, LayerEnergyIsJobEnergyTimesActions) {
  const Sweep s = parse_sweep(kTiny, "tiny.yaml");
  StudyStats st;
  const StudyFile f = run_mem(s, st);
  const Config& point = s.points[0].config;
  std::vector<const Config*> pts{&point};
  const StudyPlan plan = make_plan(pts, 0, 1);
  for (std::size_t li = 0; li < 2; ++li) {
    const LayerPlan& lp = plan.points[0].layers[li];
    const std::size_t row = li;  // keep: best -> one row per layer, in order
    const Mapping& m = lp.space.feasible[icol(f.layers, "mapping")[row]];
    double cell = 0, adc = 0;
    for (const TileUse& t : m.tiles) {
      const Config tc = tile_config(point, &point.network.layers[li], t.rows_used, t.cols_used);
      EngineOptions o;
      o.backend = Backend::cpu;
      const JobResult r = run_jobs({&tc}, {job_id_of(job_key(tc))}, o).front();
      const Report rep = price(r, make_energy_tables(tc, r));
      cell += t.mvms * rep.component_pj[static_cast<int>(Component::cell)].mean;
      adc += t.mvms * rep.component_pj[static_cast<int>(Component::adc)].mean;
    }
    EXPECT_NEAR(col(f.layers, "cell_pj")[row], cell, 1e-9 * cell) << lp.name;
    EXPECT_NEAR(col(f.layers, "adc_pj")[row], adc, 1e-9 * adc) << lp.name;
    const double gb = m.global_buffer_bits * point.arch.global_buffer.energy_pj_per_bit;
    EXPECT_NEAR(col(f.layers, "global_buffer_pj")[row], gb, 1e-9 * gb);
  }
  // conv: K = 72 on 64 rows -> a full and a ragged (8-row) K tile.
  EXPECT_EQ(icol(f.layers, "k_tiles")[0], 2);
}

TEST(Study, DedupeSamplesSharedJobsOnceWithIdenticalResults) {
  // Three points that differ only in an energy parameter share every tile job.
  const Sweep s = parse_sweep(with_sweep("sweep:\n  cartesian:\n    energy.adc.e0_pj: [0.1, 0.2, 0.4]\n"), "tiny.yaml");
  ASSERT_EQ(s.points.size(), 3u);
  StudyStats st;
  const StudyFile f = run_mem(s, st, 1);  // one point per chunk: reuse crosses chunks
  std::vector<const Config*> one{&s.points[0].config};
  EXPECT_EQ(st.jobs_sampled, make_plan(one, 0, 1).jobs.size());
  EXPECT_EQ(st.job_refs, 3 * make_plan(one, 0, 1).job_refs);
  const auto& cell = col(f.network, "cell_pj");
  const auto& adc = col(f.network, "adc_pj");
  const auto& sq = col(f.network, "sqnr_db");
  EXPECT_EQ(cell[0], cell[1]);
  EXPECT_EQ(cell[0], cell[2]);
  EXPECT_EQ(sq[0], sq[2]);
  // ADC energy is e0 per conversion here: it scales exactly with e0.
  EXPECT_NEAR(adc[1] / adc[0], 2.0, 1e-12);
  EXPECT_NEAR(adc[2] / adc[0], 4.0, 1e-12);
  EXPECT_EQ(col(f.network, "energy.adc.e0_pj"), (std::vector<double>{0.1, 0.2, 0.4}));
}

TEST(Study, PlanCountsEqualRunCounts) {
  const Sweep s = parse_sweep(
      with_sweep("sweep:\n  cartesian:\n    macro.adc.bits: [4, 6]\n  zip:\n    - {macro.rows: [32, 64], macro.cols: [64, 128]}\n"),
      "tiny.yaml");
  ASSERT_EQ(s.points.size(), 4u);
  std::vector<const Config*> pts;
  for (const SweepPoint& p : s.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());
  StudyStats st;
  const StudyFile f = run_mem(s, st, 3);
  EXPECT_EQ(st.mappings, plan.mappings);
  EXPECT_EQ(st.job_refs, plan.job_refs);
  EXPECT_EQ(st.jobs_sampled, plan.jobs.size());
  EXPECT_EQ(f.network.rows(), 4u);
  EXPECT_EQ(f.layers.rows(), 8u);
  EXPECT_EQ(f.jobs.rows(), plan.jobs.size());
}

TEST(Study, FileRoundTrip) {
  const Sweep s = parse_sweep(with_sweep("sweep:\n  cartesian:\n    macro.adc.bits: [5, 6]\n"), "tiny.yaml");
  StudyStats st;
  StudyFile f = run_mem(s, st);
  f.prov.seed = 3;
  const fs::path p = fs::temp_directory_path() / ("cimmc_study_" + std::to_string(::getpid()) + ".h5");
  write_study_file(p.string(), f);
  const StudyFile g = read_study_file(p.string());
  fs::remove(p);
  EXPECT_EQ(g.sweep_keys, f.sweep_keys);
  EXPECT_EQ(g.points_done, 2u);
  EXPECT_TRUE(g.complete);
  for (const Table* t : {&f.layers, &f.network, &f.jobs}) {
    const Table& u = t == &f.layers ? g.layers : t == &f.network ? g.network : g.jobs;
    ASSERT_EQ(u.columns().size(), t->columns().size());
    for (std::size_t c = 0; c < t->columns().size(); ++c) {
      EXPECT_EQ(u.columns()[c].name, t->columns()[c].name);
      EXPECT_EQ(u.columns()[c].units, t->columns()[c].units);
      EXPECT_TRUE(u.columns()[c].data == t->columns()[c].data) << t->columns()[c].name;
    }
  }
}

TEST(Study, KillNineThenResumeGivesTheUninterruptedFile) {
  const fs::path dir = fs::temp_directory_path() / ("cimmc_resume_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string text = kTiny;
  text.replace(text.find("samples: 256"), 12, "samples: 3000");
  text += "sweep:\n  cartesian:\n    macro.adc.bits: [3, 4, 5, 6, 7, 8]\n    macro.rows: [32, 48, 64, 80]\n";
  const fs::path cfg = dir / "sweep.yaml";
  std::ofstream(cfg) << text;
  const std::string out = (dir / "out.h5").string(), ref = (dir / "ref.h5").string();
  const std::string bin = CIMMC_BINARY;

  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(bin.c_str(), bin.c_str(), "run", cfg.c_str(), "-o", out.c_str(), "--chunk-points", "2", "--threads", "1",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill as soon as the checkpoint log holds an intact chunk record: the run
  // is mid-way. The file growing is not enough: a record larger than a page
  // becomes visible page by page, and a kill while it is torn leaves no chunk
  // (CI failed so once). resume() cuts a torn tail, so it reads a copy.
  const std::string snap = (dir / "snapshot.partial").string();
  const auto chunks_in_log = [&] {
    std::error_code ec;
    if (!fs::copy_file(out + ".partial", snap, fs::copy_options::overwrite_existing, ec) || ec) return 0ull;
    unsigned long long n = 0;
    try {
      CheckpointLog::resume(snap, [](const StudyFile&) {}, [&](CheckpointChunk&&) { ++n; });
    } catch (const std::exception&) {  // no intact head yet
    }
    return n;
  };
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60) && chunks_in_log() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be interrupted";
  EXPECT_FALSE(fs::exists(out));  // no final file from an interrupted run
  // The checkpoint log holds the chunks done: fewer than all.
  ASSERT_TRUE(is_checkpoint_log(out + ".partial"));
  std::uint64_t done = 0;
  CheckpointLog::resume(out + ".partial", [](const StudyFile& h) { EXPECT_EQ(h.points_total, 24u); },
                        [&](CheckpointChunk&& c) { done = c.points_done; });
  EXPECT_GT(done, 0u);
  EXPECT_LT(done, 24u);

  const std::string resume = bin + " run " + cfg.string() + " -o " + out + " --chunk-points 2 --resume > /dev/null 2>&1";
  ASSERT_EQ(std::system(resume.c_str()), 0);
  const std::string fresh = bin + " run " + cfg.string() + " -o " + ref + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(fresh.c_str()), 0);
  EXPECT_FALSE(fs::exists(out + ".partial"));
  for (const char* g : {"/layers", "/network", "/jobs"}) {
    const std::string diff = std::string("h5diff -q ") + ref + " " + out + " " + g + " " + g;
    EXPECT_EQ(std::system(diff.c_str()), 0) << g;
  }
  EXPECT_EQ(read_study_file(out).network.rows(), 24u);
  fs::remove_all(dir);
}

TEST(Study, TablesIdenticalForAnyThreadCountAndChunking) {
  // kernels/cpu_launcher.cpp picks a path per launch: njobs >= 2 * threads ->
  // job-parallel (a thread takes whole jobs), else instance-parallel (threads
  // share each job's instances and merge histograms). A chunk launches the
  // unique jobs of its points once (no calibrated ADC here, so no pilot launch).
  const Sweep s = parse_sweep(with_sweep("sweep:\n  cartesian:\n    macro.adc.bits: [4, 5, 6]\n"), "tiny.yaml");
  std::vector<const Config*> pts;
  for (const SweepPoint& p : s.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());
  std::size_t sum = 0, most = 0;
  for (const PointPlan& pp : plan.points) {
    std::set<std::size_t> jobs;
    for (const LayerPlan& lp : pp.layers)
      for (const auto& ids : lp.jobs) jobs.insert(ids.begin(), ids.end());
    sum += jobs.size();
    most = std::max(most, jobs.size());
  }
  ASSERT_EQ(sum, plan.jobs.size());  // no job is shared between points: a chunk launches its points' jobs
  ASSERT_EQ(most * pts.size(), sum);  // and every point has the same number
  // Here 4 jobs per point, 12 in all: 1 thread in chunks of 2 points launches
  // 8 and 4 jobs (job-parallel); 2 threads in one chunk, 12 >= 4 jobs
  // (job-parallel); 3 threads, one point per chunk, 4 < 6 jobs (instance-parallel).
  struct Run { int threads; std::size_t chunk; bool job_parallel; };
  const Run runs[] = {{1, 2, true}, {2, 3, true}, {3, 1, false}};
  std::vector<StudyFile> files;
  for (const Run& r : runs) {
    for (std::size_t a = 0; a < pts.size(); a += r.chunk) {
      const std::size_t njobs = std::min(pts.size() - a, r.chunk) * most;
      EXPECT_EQ(njobs >= 2u * r.threads, r.job_parallel) << r.threads << " threads, chunk " << r.chunk;
    }
    StudyOptions o;
    o.engine.backend = Backend::cpu;
    o.engine.threads = r.threads;
    o.chunk_points = r.chunk;
    StudyStats st;
    files.push_back(run_study(s, o, st));
    EXPECT_EQ(st.jobs_sampled, plan.jobs.size());
  }
  for (std::size_t i = 1; i < files.size(); ++i) {
    expect_same_tables(files[0].layers, files[i].layers, "layers");
    expect_same_tables(files[0].network, files[i].network, "network");
    expect_same_tables(files[0].jobs, files[i].jobs, "jobs");
  }
}

// Issue 10: a chunk's sampled results are bounded by a byte budget. A tiny
// budget samples one job per batch and keeps none between chunks (jobs shared
// by every point are sampled again by each chunk); the tables are the same bits.
TEST(Study, ResultBudgetChangesMemoryNotTables) {
  const Sweep s = parse_sweep(
      with_sweep("sweep:\n  cartesian:\n    energy.adc.e0_pj: [0.5, 1.0, 2.0]\n    macro.adc.bits: [6, 7]\n"),
      "tiny.yaml");
  std::vector<const Config*> pts;
  for (const SweepPoint& p : s.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());
  std::size_t one_job = 0;
  for (const Config& j : plan.jobs) one_job = std::max(one_job, job_bytes(j).sampling);
  struct Run { std::size_t budget, chunk; };
  const Run runs[] = {{std::size_t{1} << 30, 8}, {1, 1}, {3 * one_job, 1}, {3 * one_job, 4}};
  std::vector<StudyFile> files;
  std::vector<StudyStats> stats;
  for (const Run& r : runs) {
    StudyOptions o;
    o.engine.backend = Backend::cpu;
    o.chunk_points = r.chunk;
    o.result_budget_bytes = r.budget;
    StudyStats st;
    files.push_back(run_study(s, o, st));
    stats.push_back(st);
    // One job over budget is sampled alone; otherwise the budget holds.
    EXPECT_LE(st.result_bytes_peak, std::max(r.budget, one_job)) << r.budget;
  }
  EXPECT_EQ(stats[0].jobs_sampled, plan.jobs.size());
  // Budget 1, one point per chunk: each point samples its own jobs again.
  std::size_t per_point = 0;
  for (std::size_t p = 0; p < pts.size(); ++p) per_point += chunk_jobs(plan, PointRange{p, p + 1}, 1).front().size();
  EXPECT_EQ(stats[1].jobs_sampled, per_point);
  EXPECT_GT(stats[1].jobs_sampled, plan.jobs.size());
  for (std::size_t i = 1; i < files.size(); ++i) {
    expect_same_tables(files[0].layers, files[i].layers, "layers");
    expect_same_tables(files[0].network, files[i].network, "network");
    expect_same_tables(files[0].jobs, files[i].jobs, "jobs");
  }
}

// Issue 10: with a 16-bit ADC each sampled job holds 32 x 65,536 codes of
// histograms (16 MiB); one chunk of 24 points of 4 jobs each needed 1.6 GB
// and ended in bad_alloc ("internal error") under a 1 GB address-space limit
// (40 points: 2.7 GB resident). Within a 256 MiB budget it fits.
TEST(Study, SixteenBitAdcChunkRunsInBoundedMemory) {
  const fs::path dir = fs::temp_directory_path() / ("cimmc_budget_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string stds;
  for (int i = 0; i < 24; ++i) stds += (i ? ", " : "") + std::to_string(0.3 + 0.01 * i);
  std::string yaml = test::tiny_network("run: {samples: 64, seed: 3, inputs_per_instance: 16}") +
                     "sweep:\n  cartesian:\n    workload.defaults.weights.distribution.std: [" + stds + "]\n";
  const std::size_t at = yaml.find("bits: 6");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, 7, "bits: 16");
  std::ofstream(dir / "adc16.yaml") << yaml;
  const test::Ran r = test::shell("ulimit -v 1000000; " + std::string(CIMMC_BINARY) + " run " +
                                  (dir / "adc16.yaml").string() + " --backend cpu --threads 2 --chunk-points 24" +
                                  " --memory-budget 256 -o " + (dir / "a.h5").string() + " < /dev/null");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_study_file((dir / "a.h5").string()).network.rows(), 24u);
  fs::remove_all(dir);
}

// Issue 10: the runner keeps only the skeleton of the whole sweep's plan (job
// indices per point, layer and mapping) and plans each chunk's mapping spaces
// again. Both must name the jobs make_plan names, in the same order.
TEST(Study, PlanSkeletonAndChunkPlansMatchTheWholePlan) {
  const Sweep s = parse_sweep(
      with_sweep("sweep:\n  cartesian:\n    macro.adc.bits: [4, 5, 6]\n    energy.adc.e0_pj: [0.1, 0.2]\n"), "tiny.yaml");
  std::vector<const Config*> pts;
  for (const SweepPoint& p : s.points) pts.push_back(&p.config);
  const StudyPlan whole = make_plan(pts, 0, pts.size());
  const StreamPlan stream = plan_skeleton(pts, 4);  // chunks of 4 points: jobs shared across them
  const StudyPlan& sk = stream.skeleton;
  EXPECT_EQ(sk.job_keys, whole.job_keys);
  EXPECT_EQ(sk.job_refs, whole.job_refs);
  EXPECT_EQ(sk.mappings, whole.mappings);
  EXPECT_EQ(sk.cell_reads, whole.cell_reads);
  ASSERT_EQ(sk.points.size(), whole.points.size());
  for (std::size_t p = 0; p < pts.size(); p += 3) {
    const StudyPlan chunk = plan_points(stream, pts, p, std::min(pts.size(), p + 3));
    for (std::size_t q = p; q < std::min(pts.size(), p + 3); ++q)
      for (std::size_t l = 0; l < whole.points[q].layers.size(); ++l) {
        const LayerPlan &w = whole.points[q].layers[l], &k = sk.points[q].layers[l];
        EXPECT_EQ(k.jobs, w.jobs);
        EXPECT_TRUE(k.space.feasible.empty()) << "the skeleton holds no mapping space";
        EXPECT_EQ(chunk.points[q - p].layers[l].jobs, w.jobs);
        EXPECT_EQ(chunk.points[q - p].layers[l].space.feasible.size(), w.space.feasible.size());
      }
  }
}
