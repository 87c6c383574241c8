// Streamed sampled studies (issue 10): the pass that samples a chunk of points
// at a time in a byte-bounded store of results, and its checkpoint log. Both
// are checked against what they replace: run_study's whole-sweep pass (same
// tables bit for bit, /jobs in the same first-use order), and an
// uninterrupted run (a run stopped after any chunk and resumed ends with the
// same file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "config/sweep.hpp"
#include "engine/engine.hpp"
#include "io/checkpoint_log.hpp"
#include "study/plan.hpp"
#include "study/runner.hpp"
#include "study/shard.hpp"
#include "study/stream_pass.hpp"
#include "study_test_util.hpp"
#include "table_test_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;

namespace {

// 3 ADC widths x 3 energies: the energy axis changes no tile job, so each
// job is used by three points, in three different chunks of 2 (the ADC axis
// is outer), and must be held or sampled again. One explicit point repeats
// point 0's hardware (its jobs were first used 9 points earlier).
const std::string kSweep = test::tiny_network("run: {samples: 128, seed: 7, inputs_per_instance: 16}") +
                           "sweep:\n  cartesian:\n    macro.adc.bits: [4, 5, 6]\n"
                           "    energy.adc.e0_pj: [0.5, 1, 2]\n  points:\n    - {}\n";

fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("cimmc_sstream_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d / name;
}

StudyOptions sampled(const std::string& out) {
  StudyOptions o;
  o.model = Model::sampled;
  o.engine.backend = Backend::cpu;
  o.engine.threads = 2;
  o.output = out;
  o.prov.seed = 7;
  return o;
}

// Unique tile jobs of the sweep, from one plan of every point.
std::size_t unique_jobs(const Sweep& s) {
  std::vector<const Config*> pts;
  for (const SweepPoint& p : s.points) pts.push_back(&p.config);
  return make_plan(pts, 0, pts.size()).jobs.size();
}

// The whole-sweep pass's file, once.
const StudyFile& whole_file() {
  static const StudyFile f = [] {
    const std::string path = scratch("whole.h5").string();
    StudyStats st;
    run_study(parse_sweep(kSweep, "tiny.yaml"), sampled(path), st);
    return read_study_file(path);
  }();
  return f;
}

}  // namespace

// Chunks of 1, 2 and 4 points with a budget that holds every result: each
// job sampled once, the same file as the whole sweep. With a budget that
// holds none (1 byte: every job is evicted as soon as it is priced), jobs
// used again are sampled again, and still the same bits come out.
TEST(SampledStream, SameFileAsTheWholeSweepForAnyChunkAndBudget) {
  const Sweep sweep = parse_sweep(kSweep, "tiny.yaml");
  const SweepSource src(kSweep, "tiny.yaml");
  const std::size_t unique = unique_jobs(sweep);
  ASSERT_EQ(src.size(), 10u);
  for (std::size_t chunk : {1, 2, 4})
    for (std::size_t budget : {std::size_t{1} << 30, std::size_t{1}}) {
      SCOPED_TRACE("chunk " + std::to_string(chunk) + ", budget " + std::to_string(budget));
      StudyOptions o = sampled(scratch("streamed.h5").string());
      o.result_budget_bytes = budget;
      StudyStats st;
      run_streamed(src, [](SweepPoint&) {}, o, st, chunk);
      test::expect_same_study(whole_file(), read_study_file(o.output));
      EXPECT_FALSE(fs::exists(partial_path(o.output))) << "the checkpoint goes with a finished run";
      if (budget > 1) EXPECT_EQ(st.jobs_sampled, unique) << "held results are not sampled again";
      // Held nothing: the jobs of each ADC width are sampled in each chunk
      // that uses them (the explicit point's again at the end).
      else EXPECT_GT(st.jobs_sampled, unique);
    }
}

// A run that stops after any chunk (here: an error while building the next
// chunk's points, as a kill would) leaves a log of the chunks done; --resume
// replays them and ends with the uninterrupted file.
TEST(SampledStream, StoppedAfterAnyChunkResumesToTheSameFile) {
  const SweepSource src(kSweep, "tiny.yaml");
  for (std::size_t stop_at : {2, 5, 8}) {
    SCOPED_TRACE("stopped building point " + std::to_string(stop_at));
    const std::string out = scratch("resumed-" + std::to_string(stop_at) + ".h5").string();
    StudyOptions o = sampled(out);
    StudyStats st;
    // Points are prepared first for the values check (0, 3, 6, 1, 2, 9) and
    // the head (0 again), then chunk by chunk: stop only in the chunks.
    std::size_t zeros = 0;
    const auto stop = [&](SweepPoint& p) {
      if (p.index == 0) ++zeros;
      else if (zeros >= 2 && p.index == stop_at) throw std::runtime_error("stop");
    };
    EXPECT_THROW(run_streamed(src, stop, o, st, 2), std::runtime_error);
    EXPECT_FALSE(fs::exists(out));
    ASSERT_TRUE(is_checkpoint_log(partial_path(out)));
    o.resume = true;
    StudyStats again;
    run_streamed(src, [](SweepPoint&) {}, o, again, 2);
    // Chunks of 2: those before the one holding the stop point were kept.
    EXPECT_EQ(again.points_resumed, stop_at / 2 * 2);
    test::expect_same_study(whole_file(), read_study_file(out));
  }
}

// A checkpoint of another study is refused, naming what differs.
TEST(SampledStream, ResumeRefusesAnotherStudysCheckpoint) {
  const SweepSource src(kSweep, "tiny.yaml");
  const std::string out = scratch("other.h5").string();
  StudyOptions o = sampled(out);
  StudyStats st;
  EXPECT_THROW(run_streamed(src, [&](SweepPoint& p) { if (p.index == 4) throw std::runtime_error("stop"); }, o, st, 2),
               std::runtime_error);
  o.resume = true;
  std::string other = kSweep;
  other.replace(other.find("seed: 7"), 7, "seed: 8");
  try {
    run_streamed(SweepSource(other, "tiny.yaml"), [](SweepPoint&) {}, o, st, 2);
    FAIL() << "resumed another study";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("the config text differs"), std::string::npos) << e.what();
  }
}

// A sampled shard streams too: its cut (gathered a chunk of points at a time)
// is split_points's on the plan of the whole sweep, for any shard count, on a
// sweep whose points cost unequal work (the rows axis changes the tiling).
TEST(SampledStream, ShardCutIsTheWholePlansCut) {
  const std::string text = test::tiny_network("run: {samples: 64, seed: 7, inputs_per_instance: 16}") +
                           "sweep:\n  cartesian:\n    macro.rows: [16, 32, 64]\n"
                           "    energy.adc.e0_pj: [0.5, 1, 2]\n  points:\n    - {macro.rows: 16}\n";
  const Sweep sweep = parse_sweep(text, "tiny.yaml");
  std::vector<const Config*> pts;
  for (const SweepPoint& p : sweep.points) pts.push_back(&p.config);
  const StudyPlan plan = make_plan(pts, 0, pts.size());
  const SweepSource src(text, "tiny.yaml");
  bool uneven = false;  // some cut differs from equal counts, so the test tells the two apart
  for (std::size_t count : {1, 2, 3, 5}) {
    const std::vector<PointRange> want = split_points(plan, count);
    for (std::size_t i = 0; i < count; ++i) {
      uneven = uneven || want[i].begin != equal_points(pts.size(), count, i).begin;
      SCOPED_TRACE(std::to_string(i) + "/" + std::to_string(count));
      StudyOptions o = sampled("");
      o.shard.index = i;
      o.shard.count = count;
      StudyStats st;
      // Chunks of 3 points: the cut is gathered 256 at a time, the run 3 at a time.
      const StreamedStudy s = run_streamed(src, [](SweepPoint&) {}, o, st, 3);
      EXPECT_EQ(s.file.shard.begin, want[i].begin);
      EXPECT_EQ(s.file.shard.end, want[i].end);
      EXPECT_EQ(st.points, want[i].end - want[i].begin);
    }
  }
  EXPECT_TRUE(uneven);
}

namespace {

CheckpointChunk chunk_of(std::uint64_t done) {
  CheckpointChunk c;
  c.points_done = done;
  for (std::uint64_t i = 0; i < done; ++i) {
    c.layers.put("point", static_cast<std::int64_t>(i), "1", "point");
    c.layers.put("x", 0.25 * static_cast<double>(i), "pJ", "a number");
    c.layers.put("name", "row " + std::to_string(i), "", "a string");
  }
  c.network = c.layers;
  return c;
}

// The chunks a log replays (and what its head says).
std::vector<CheckpointChunk> replay(const std::string& path, StudyFile* head = nullptr) {
  std::vector<CheckpointChunk> out;
  CheckpointLog::resume(
      path, [&](const StudyFile& h) { if (head) *head = h; }, [&](CheckpointChunk&& c) { out.push_back(std::move(c)); });
  return out;
}

}  // namespace

// The log's records read back as written; a torn last record (a kill during
// the append) and a corrupted one (a flipped byte) end the replay at the last
// intact record, and the next append goes right after it.
TEST(CheckpointLog, TornOrCorruptTailIsCutAndAppendsContinue) {
  const std::string path = scratch("log.partial").string();
  StudyFile head;
  head.name = "t";
  head.config_text = "name: t\n";
  head.prov.seed = 99;
  head.samples = 1234;
  head.points_total = 10;
  head.shard = {1, 3, 4, 7};
  std::uintmax_t after[4] = {};
  {
    CheckpointLog log = CheckpointLog::create(path, head);
    after[0] = fs::file_size(path);
    for (std::uint64_t k = 1; k <= 3; ++k) {
      log.append(chunk_of(k));
      after[k] = fs::file_size(path);
    }
  }
  StudyFile got;
  std::vector<CheckpointChunk> c = replay(path, &got);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(got.config_text, head.config_text);
  EXPECT_EQ(got.prov.seed, 99u);
  EXPECT_EQ(got.samples, 1234u);
  EXPECT_EQ(got.points_total, 10u);
  EXPECT_EQ(got.shard, head.shard);
  for (std::uint64_t k = 1; k <= 3; ++k) {
    EXPECT_EQ(c[k - 1].points_done, k);
    test::expect_same_table(chunk_of(k).layers, c[k - 1].layers, "layers");
    test::expect_same_table(chunk_of(k).network, c[k - 1].network, "network");
    EXPECT_EQ(c[k - 1].jobs.rows(), 0u);
  }

  fs::resize_file(path, after[3] - 5);  // torn: the third record lost its last 5 bytes
  EXPECT_EQ(replay(path).size(), 2u);
  EXPECT_EQ(fs::file_size(path), after[2]) << "the torn record is cut off";

  {  // a flipped byte inside the second record's payload
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(after[1] + 40));
    char b = 0;
    f.read(&b, 1);
    f.seekp(static_cast<std::streamoff>(after[1] + 40));
    b = static_cast<char>(b ^ 0x10);
    f.write(&b, 1);
  }
  std::vector<CheckpointChunk> one;
  {
    CheckpointLog log = CheckpointLog::resume(path, [](const StudyFile&) {}, [&](CheckpointChunk&& x) { one.push_back(std::move(x)); });
    EXPECT_EQ(one.size(), 1u);
    log.append(chunk_of(5));
  }
  c = replay(path);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].points_done, 1u);
  EXPECT_EQ(c[1].points_done, 5u);
  test::expect_same_table(chunk_of(5).layers, c[1].layers, "layers");
}

// Not a log, or a log whose head is damaged: an IoError naming the file.
TEST(CheckpointLog, NotALogIsRefused) {
  const std::string path = scratch("not.partial").string();
  std::ofstream(path) << "hello";
  EXPECT_FALSE(is_checkpoint_log(path));
  try {
    replay(path);
    FAIL() << "replayed a text file";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}
