// Streamed studies (issue 10): the file writer that appends rows chunk by
// chunk, and the statistical pass that builds, plans and rolls up a chunk of
// points at a time. Both are checked against the whole-table path they
// replace: same tables bit for bit, same head, same summary rows.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "config/sweep.hpp"
#include "io/study_stream.hpp"
#include "study/hybrid_stream.hpp"
#include "study/runner.hpp"
#include "study/stream_pass.hpp"
#include "study/tables.hpp"
#include "study_test_util.hpp"
#include "table_test_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;

namespace {

const std::string kTiny = test::tiny_network("run: {samples: 256, seed: 3, inputs_per_instance: 16}");

// 12 grid points and 3 explicit ones (an unset key makes its column float with NaN).
const std::string kFifteenPoints = kTiny +
                                   "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6, 8]\n"
                                   "    energy.adc.e0_pj: [0.5, 1, 2, 4]\n  points:\n    - {macro.adc.bits: 5}\n"
                                   "    - {energy.dac.e0_pj: 0.25}\n    - {}\n";

fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("cimmc_stream_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d / name;
}

Table rows(std::size_t first, std::size_t n) {
  Table t;
  for (std::size_t i = first; i < first + n; ++i) {
    t.put("point", static_cast<std::int64_t>(i), "1", "point");
    t.put("x", 0.5 * static_cast<double>(i) - 3.0, "pJ", "a number");
    t.put("name", "row " + std::to_string(i), "", "a string");
  }
  return t;
}

StudyOptions statistical(bool energy_only, const std::string& out) {
  StudyOptions o;
  o.model = Model::statistical;
  o.energy_only = energy_only;
  o.engine.threads = 1;
  o.output = out;
  o.prov.seed = 3;
  return o;
}

}  // namespace

// Rows appended in uneven chunks (one bigger than HDF5's 4096-row chunk) read
// back as the same file written whole.
TEST(StudyStream, ChunksReadBackAsTheWholeFile) {
  StudyFile whole;
  whole.name = "t";
  whole.config_text = "name: t\n";
  whole.sweep_keys = {"a.b"};
  whole.points_total = whole.points_done = 5000;
  whole.complete = true;
  whole.ci_note = "a note";
  whole.jobs = rows(0, 3);
  const std::size_t cuts[] = {0, 1, 4100, 4100, 5000};
  const std::string streamed = scratch("streamed.h5").string(), plain = scratch("plain.h5").string();
  {
    StudyStream s(streamed, streamed);
    for (std::size_t i = 0; i + 1 < std::size(cuts); ++i) {
      const Table part = rows(cuts[i], cuts[i + 1] - cuts[i]);
      // /jobs in two pieces: rows 0 and 1-2.
      s.append(part, part, i == 0 ? rows(0, 1) : i == 1 ? rows(1, 2) : Table{});
      whole.layers.append(part);
    }
    EXPECT_EQ(s.rows_written(0), 5000u);
    EXPECT_FALSE(fs::exists(streamed)) << "the target appears only at finish()";
    s.finish(whole);
  }
  whole.network = whole.layers;
  write_study_file(plain, whole);
  test::expect_same_study(read_study_file(plain), read_study_file(streamed));
  EXPECT_EQ(read_study_file(streamed).network.rows(), 5000u);
}

TEST(StudyStream, UnfinishedStreamLeavesNothing) {
  const std::string path = scratch("never.h5").string();
  {
    StudyStream s(path, path);
    s.append(rows(0, 10), rows(0, 10));
    EXPECT_TRUE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
}

// The streamed statistical pass against run_study's whole-sweep pass: grid
// and explicit points (an unset key makes its column float with NaN), chunks
// of 4 points over 15, both statistical models.
TEST(StreamPass, SameFileAsTheWholeSweep) {
  const std::string text = kFifteenPoints;
  const Sweep sweep = parse_sweep(text, "tiny.yaml");
  const SweepSource src(text, "tiny.yaml");
  ASSERT_EQ(src.size(), 15u);
  for (bool energy_only : {false, true}) {
    const std::string a = scratch("whole.h5").string(), b = scratch("streamed.h5").string();
    StudyStats sa, sb;
    run_study(sweep, statistical(energy_only, a), sa);
    const StreamedStudy s = run_streamed(src, [](SweepPoint&) {}, statistical(energy_only, b), sb, 4);
    const StudyFile want = read_study_file(a), got = read_study_file(b);
    test::expect_same_study(want, got);
    EXPECT_EQ(sb.jobs_statistical, sa.jobs_statistical) << "each job evaluated once: the cache holds them all";
    EXPECT_EQ(sb.layer_rows, want.layers.rows());
    EXPECT_EQ(sb.mappings, sa.mappings);
    EXPECT_EQ(sb.job_refs, sa.job_refs);

    // The summary keeps point 0 and the extremes print_study_summary picks
    // (strictly better wins, so the first of equals), found here by brute force.
    const auto& e = std::get<std::vector<double>>(want.network.find("total_pj")->data);
    const auto& lat = std::get<std::vector<double>>(want.network.find("latency_ns")->data);
    const auto& sq = std::get<std::vector<double>>(want.network.find("sqnr_db")->data);
    std::set<std::int64_t> expect = {0};
    std::size_t be = 0, bl = 0, bs = 0;
    for (std::size_t i = 0; i < e.size(); ++i) {
      if (e[i] < e[be]) be = i;
      if (lat[i] < lat[bl]) bl = i;
      if (sq[i] > sq[bs]) bs = i;
    }
    expect.insert({static_cast<std::int64_t>(be), static_cast<std::int64_t>(bl), static_cast<std::int64_t>(bs)});
    const auto& kept = std::get<std::vector<std::int64_t>>(s.file.network.find("point")->data);
    EXPECT_EQ(std::set<std::int64_t>(kept.begin(), kept.end()), expect);
    ASSERT_EQ(s.params.size(), kept.size());
    for (std::size_t i = 0; i < kept.size(); ++i)
      EXPECT_EQ(s.params[i], sweep.points[static_cast<std::size_t>(kept[i])].params);
  }
}

// The streamed hybrid (screen, sampled best points, screen again with their
// rows swapped in) against run_study's whole-sweep hybrid: the same file,
// with and without the accuracy objective, refining 1 and 2 points per
// objective, and with the energy-latency Pareto front (--pareto).
TEST(StreamPass, HybridSameFileAsTheWholeSweep) {
  const std::string text = kFifteenPoints;
  const Sweep sweep = parse_sweep(text, "tiny.yaml");
  const SweepSource src(text, "tiny.yaml");
  for (bool energy_only : {false, true})
    for (std::size_t refine : {0, 1, 2}) {
      const bool pareto = refine == 0;
      SCOPED_TRACE(std::string(energy_only ? "energy only" : "with accuracy") + ", refine " + std::to_string(refine));
      const std::string a = scratch("hybrid_whole.h5").string(), b = scratch("hybrid_streamed.h5").string();
      StudyOptions oa = statistical(energy_only, a), ob = statistical(energy_only, b);
      oa.model = ob.model = Model::hybrid;
      oa.refine = ob.refine = refine;
      oa.refine_pareto = ob.refine_pareto = pareto;
      StudyStats sa, sb;
      run_study(sweep, oa, sa);
      run_hybrid_streamed(src, [](SweepPoint&) {}, ob, sb, 4);
      test::expect_same_study(read_study_file(a), read_study_file(b));
      EXPECT_EQ(sb.points_refined, sa.points_refined);
      EXPECT_GT(sb.points_refined, 0u);
      EXPECT_EQ(sb.jobs_sampled, sa.jobs_sampled);
    }
}

// At most 12 points the summary shows every row, so the stream keeps them all.
TEST(StreamPass, SmallStudyKeepsEveryRowForTheSummary) {
  const std::string text = kTiny + "sweep:\n  cartesian:\n    macro.adc.bits: [4, 5, 6, 7, 8]\n";
  StudyStats st;
  const StreamedStudy s = run_streamed(SweepSource(text, "tiny.yaml"), [](SweepPoint&) {}, statistical(true, ""), st, 2);
  EXPECT_EQ(s.file.network.rows(), 5u);
  EXPECT_EQ(st.points, 5u);
}

// Every swept value is built before any work: point 0, each step of each
// axis with the others at step 0, the explicit points. On a 3 x 4 grid plus 3
// explicit points that is {0, 4, 8, 1, 2, 3, 12, 13, 14} (the last axis
// varies fastest: step k of the first axis is point 4k).
TEST(StreamPass, EveryValueIndicesTakeEachValueOnce) {
  const std::string text = kFifteenPoints;
  const SweepSource src(text, "tiny.yaml");
  EXPECT_EQ(src.every_value_indices(100), (std::vector<std::size_t>{0, 4, 8, 1, 2, 3, 12, 13, 14}));
  EXPECT_EQ(src.every_value_indices(1), (std::vector<std::size_t>{0, 4, 8, 1, 2, 3, 12}));
}

// A bad value on the outer axis of a 3 x 200 grid (the first point that has
// it is 400, the fourth chunk of 128) fails before any chunk is computed:
// only the 1 + 2 + 199 star points and no output file.
TEST(StreamPass, BadValueFarIntoTheSweepFailsBeforeAnyWork) {
  std::string values;
  for (int i = 0; i < 200; ++i) values += (i ? ", " : "") + std::to_string(0.5 + i);
  const std::string text = kTiny + "sweep:\n  cartesian:\n    macro.adc.bits: [4, 6, 99]\n    energy.adc.e0_pj: [" +
                           values + "]\n";
  const SweepSource src(text, "tiny.yaml");
  ASSERT_EQ(src.size(), 600u);
  std::size_t prepared = 0;
  const std::string out = scratch("far_bad.h5").string();
  StudyStats st;
  try {
    run_streamed(src, [&](SweepPoint&) { ++prepared; }, statistical(true, out), st, 128);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("sweep point 400"), std::string::npos) << e.what();
  }
  // points_at throws for the chunk holding point 400 before preparing it,
  // after the chunk of star points before it (128 points) was prepared.
  EXPECT_LE(prepared, 202u);
  EXPECT_EQ(st.points, 0u);
  EXPECT_FALSE(fs::exists(out));
}

// A streamed shard (`--shard I/N` with --model statistical) builds only its
// points and gives the rows the whole-sweep pass gives those points. The cut
// is by count, checked here by hand: 15 points in 4 shards hold 4, 4, 4, 3.
TEST(StreamPass, ShardRowsEqualTheWholeSweepPassRows) {
  const std::string text = kFifteenPoints;
  const Sweep sweep = parse_sweep(text, "tiny.yaml");
  const SweepSource src(text, "tiny.yaml");
  const std::string whole_path = scratch("whole_for_shards.h5").string();
  StudyStats sw;
  run_study(sweep, statistical(false, whole_path), sw);
  const StudyFile whole = read_study_file(whole_path);
  const std::size_t expect_begin[] = {0, 4, 8, 12, 15};
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("shard " + std::to_string(i) + "/4");
    StudyOptions o = statistical(false, scratch("shard.h5").string());
    o.shard.index = i;
    o.shard.count = 4;
    std::size_t prepared = 0;
    StudyStats st;
    // Chunks of 3: a shard's chunks start at its own first point, not at a
    // multiple of the chunk size.
    run_streamed(src, [&](SweepPoint& p) {
      ++prepared;
      EXPECT_TRUE(p.index < 15);
    }, o, st, 3);
    const StudyFile got = read_study_file(o.output);
    EXPECT_EQ(got.shard.index, i);
    EXPECT_EQ(got.shard.count, 4u);
    EXPECT_EQ(got.shard.begin, expect_begin[i]);
    EXPECT_EQ(got.shard.end, expect_begin[i + 1]);
    EXPECT_EQ(got.points_done, got.shard.end - got.shard.begin);
    EXPECT_EQ(got.points_total, 15u);
    EXPECT_EQ(st.points, got.shard.end - got.shard.begin);
    // Its own points, the 9 that take every swept value (checked first), and
    // its first point once more (the file's head), no others.
    EXPECT_EQ(prepared, 9 + 1 + (got.shard.end - got.shard.begin));
    // The whole pass's rows of these points, picked by their point column.
    Table want_layers, want_network;
    const auto pick = [&](const Table& from, Table& to) {
      const auto& pt = std::get<std::vector<std::int64_t>>(from.find("point")->data);
      for (std::size_t r = 0; r < from.rows(); ++r)
        if (pt[r] >= static_cast<std::int64_t>(expect_begin[i]) && pt[r] < static_cast<std::int64_t>(expect_begin[i + 1]))
          append_row(to, from, r);
    };
    pick(whole.layers, want_layers);
    pick(whole.network, want_network);
    ASSERT_EQ(want_network.rows(), expect_begin[i + 1] - expect_begin[i]);
    test::expect_same_table(want_layers, got.layers, "layers");
    test::expect_same_table(want_network, got.network, "network");
    EXPECT_EQ(got.jobs.rows(), 0u);
    // And the whole-sweep pass asked for the same shard cuts it the same way.
    StudyOptions ow = statistical(false, "");
    ow.shard = o.shard;
    StudyStats sws;
    const StudyFile old_path = run_study(sweep, ow, sws);
    EXPECT_EQ(old_path.shard, got.shard);
    test::expect_same_table(old_path.network, got.network, "network (run_study)");
  }
}
