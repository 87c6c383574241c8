// job_key builds its text without iostreams or a printf per double; the text
// must not change at all, since job_id_of hashes it into the job id that keys
// the random streams (and it is written to the job table). Checked against an
// independent copy of the ostringstream + snprintf("%a") original.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "config/sweep.hpp"
#include "study/plan.hpp"
#include "study/tile_jobs.hpp"

using namespace cimmc;

namespace {

// ---- the original job_key, kept verbatim as the reference ----
void ref_put(std::ostringstream& o, double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%a,", x);
  o << buf;
}
void ref_put(std::ostringstream& o, long long x) { o << x << ','; }

void ref_put_operand(std::ostringstream& o, const OperandSpec& op) {
  const DistributionSpec& d = op.dist;
  ref_put(o, static_cast<long long>(op.bits));
  ref_put(o, static_cast<long long>(op.is_signed));
  ref_put(o, static_cast<long long>(d.kind));
  for (double x : {d.mean, d.std, d.b, d.low, d.high, d.value, d.zero_fraction}) ref_put(o, x);
  ref_put(o, d.clip ? *d.clip : -1.0);
  if (d.correlation != 0) { o << "rho:"; ref_put(o, d.correlation); }
  if (d.kind == DistKind::patches)
    o << "patches:" << d.file.size() << ':' << d.file << ',' << d.kernel << ',' << d.images << ',';
  o << '[';
  for (double x : d.bins) ref_put(o, x);
  o << ']';
}

std::string ref_job_key(const Config& c) {
  const MacroSpec& m = c.macro;
  const int K = c.tile.rows_used > 0 ? c.tile.rows_used : m.rows;
  const int R = m.rows_active > 0 ? std::min(m.rows_active, K) : K;
  std::ostringstream o;
  o << "v1|";
  for (long long x : {static_cast<long long>(K), static_cast<long long>(c.tile.cols_used),
                      static_cast<long long>(R), static_cast<long long>(m.bits_per_cell),
                      static_cast<long long>(m.weight_encoding), static_cast<long long>(m.dac_bits),
                      static_cast<long long>(m.input_encoding), static_cast<long long>(m.adc.bits),
                      static_cast<long long>(m.adc.range)})
    ref_put(o, x);
  for (double x : {m.g_on_us, m.g_off_us, m.noise.prog_sigma_us, m.noise.prog_sigma_rel, m.noise.read_sigma_us,
                   m.noise.read_sigma_rel, m.noise.stuck_off, m.noise.stuck_on, m.adc.max_value, m.adc.quantile,
                   m.adc.noise_lsb})
    ref_put(o, x);
  o << "|x:";
  ref_put_operand(o, c.tile.inputs);
  o << "|w:";
  ref_put_operand(o, c.tile.weights);
  o << "|run:";
  for (unsigned long long x : {static_cast<unsigned long long>(c.run.samples), static_cast<unsigned long long>(c.run.seed),
                               static_cast<unsigned long long>(c.run.inputs_per_instance),
                               static_cast<unsigned long long>(c.run.pilot())})  // the pilot actually drawn
    o << x << ',';
  return o.str();
}
// ---- end of the reference ----

std::string config_path(const char* name) { return std::string(CIMMC_SOURCE_DIR) + "/configs/" + name; }

// Every tile job of every point of the shipped configs.
TEST(JobKey, SameTextAsTheOriginalOnShippedConfigs) {
  for (const char* name : {"quickstart.yaml", "resnet18.yaml", "fashion-patches.yaml", "mobilenetv3.yaml"}) {
    const Sweep s = load_sweep(config_path(name));
    std::vector<const Config*> points;
    for (const auto& p : s.points) points.push_back(&p.config);
    const StudyPlan plan = make_plan(points, 0, points.size());
    ASSERT_FALSE(plan.jobs.empty()) << name;
    for (std::size_t j = 0; j < plan.jobs.size(); ++j) {
      const std::string want = ref_job_key(plan.jobs[j]);
      EXPECT_EQ(job_key(plan.jobs[j]), want) << name << " job " << j;
      EXPECT_EQ(plan.job_keys[j], want);
      EXPECT_EQ(plan.job_ids[j], job_id_of(want));
    }
  }
}

// Doubles of every kind in every double field: zeros of both signs, normal
// numbers of all exponents, subnormals, infinities, NaNs and random bit
// patterns. Integers at their extremes.
TEST(JobKey, SameTextAsTheOriginalForAnyValues) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> special = {0.0,
                                 -0.0,
                                 1.0,
                                 -1.0,
                                 0.5,
                                 0.1,
                                 -0.3,
                                 2.0,
                                 1e-300,
                                 1e300,
                                 123456.789,
                                 std::numeric_limits<double>::min(),
                                 std::numeric_limits<double>::max(),
                                 std::numeric_limits<double>::lowest(),
                                 std::numeric_limits<double>::epsilon(),
                                 std::numeric_limits<double>::denorm_min(),
                                 -std::numeric_limits<double>::denorm_min(),
                                 std::nextafter(std::numeric_limits<double>::min(), 0.0),
                                 inf,
                                 -inf,
                                 std::numeric_limits<double>::quiet_NaN(),
                                 -std::numeric_limits<double>::quiet_NaN(),
                                 std::bit_cast<double>(std::uint64_t{0x3ff0000000000001}),
                                 std::bit_cast<double>(std::uint64_t{0x3fffffffffffffff}),
                                 std::bit_cast<double>(std::uint64_t{0x0010000000000000}),
                                 std::bit_cast<double>(std::uint64_t{0x7fe0000000000000})};
  std::mt19937_64 rng(2024);
  std::vector<double> random;
  for (int i = 0; i < 20000; ++i) random.push_back(std::bit_cast<double>(rng()));
  std::uniform_int_distribution<int> exp(-1100, 1100);
  std::uniform_real_distribution<double> mant(-2, 2);
  for (int i = 0; i < 20000; ++i) random.push_back(std::ldexp(mant(rng), exp(rng)));
  for (int e = -1080; e <= 1030; ++e) random.push_back(std::ldexp(1.0, e));

  Config c;
  c.tile.inputs.dist.kind = DistKind::histogram;
  c.tile.inputs.dist.bins = special;
  c.tile.weights.dist.kind = DistKind::histogram;
  c.tile.weights.dist.bins = random;
  EXPECT_EQ(job_key(c), ref_job_key(c));

  // Each special value in each scalar double field, with rho and a clip.
  std::vector<double*> fields = {&c.macro.g_on_us,           &c.macro.g_off_us,          &c.macro.noise.prog_sigma_us,
                                 &c.macro.noise.prog_sigma_rel, &c.macro.noise.read_sigma_us,
                                 &c.macro.noise.read_sigma_rel, &c.macro.noise.stuck_off, &c.macro.noise.stuck_on,
                                 &c.macro.adc.max_value,      &c.macro.adc.quantile,      &c.macro.adc.noise_lsb};
  for (OperandSpec* op : {&c.tile.inputs, &c.tile.weights})
    for (double* f : {&op->dist.mean, &op->dist.std, &op->dist.b, &op->dist.low, &op->dist.high, &op->dist.value,
                      &op->dist.zero_fraction, &op->dist.correlation})
      fields.push_back(f);
  c.tile.inputs.dist.bins = {0.25, 0.5, 0.25};
  c.tile.weights.dist.bins.clear();
  for (double v : special) {
    for (double* f : fields) *f = v;
    c.tile.inputs.dist.clip = v;
    EXPECT_EQ(job_key(c), ref_job_key(c)) << v;
  }

  // Patches operands and integer extremes.
  c.tile.inputs.dist.kind = DistKind::patches;
  c.tile.inputs.dist.file = "some/dir/images-idx3-ubyte";
  c.tile.inputs.dist.kernel = 7;
  c.tile.inputs.dist.images = 60000;
  c.tile.inputs.dist.correlation = 0;
  c.tile.rows_used = 0;
  c.tile.cols_used = -5;
  c.macro.rows_active = 3;
  c.run.samples = std::numeric_limits<decltype(c.run.samples)>::max();
  c.run.seed = std::numeric_limits<decltype(c.run.seed)>::max();
  EXPECT_EQ(job_key(c), ref_job_key(c));
}

}  // namespace

// ---- job ids: XXH3-128 of the key, unique across a study ----

// Reference outputs of XXH3_128bits (seed 0), computed with the xxhash package
// from PyPI (its own build of the reference implementation); the empty input's
// value is also the one xxHash's documentation lists.
TEST(JobId, Xxh3KnownAnswers) {
  EXPECT_EQ(to_hex(job_id_of("")), "99aa06d3014798d86001c324468d497f");
  const JobId id = job_id_of("v1|cimmc");
  EXPECT_EQ(id.hi, 0x7bc69715324189a3ull);
  EXPECT_EQ(id.lo, 0x90aa155aa0d3649full);
  EXPECT_EQ(to_hex(id), "7bc69715324189a390aa155aa0d3649f");
}

namespace {
// The 32-bit FNV-1a the ids used to be: the test below shows it collided.
std::uint32_t fnv1a32(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char ch : s) h = (h ^ ch) * 16777619u;
  return h;
}
}  // namespace

// The shipped 1,024-point sweep has about 30,000 unique tile jobs: with
// 32-bit ids two of them shared an id (and so drew the same numbers); the
// 128-bit ids and their 96-bit stream keys are all distinct.
TEST(JobId, ShippedSweepIdsAreUnique) {
  const Sweep s = load_sweep(config_path("sweep-resnet18.yaml"));
  std::vector<const Config*> points;
  for (const auto& p : s.points) points.push_back(&p.config);
  const StudyPlan plan = make_plan(points, 0, points.size());  // throws on a collision
  ASSERT_GT(plan.jobs.size(), 20000u);
  std::vector<std::uint32_t> old;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ids;
  std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>> keys;
  for (std::size_t j = 0; j < plan.jobs.size(); ++j) {
    old.push_back(fnv1a32(plan.job_keys[j]));
    ids.emplace_back(plan.job_ids[j].hi, plan.job_ids[j].lo);
    const StreamKey k = philox::stream_key(plan.jobs[j].run.seed, plan.job_ids[j]);
    keys.emplace_back(k.k0, k.k1, k.c3);
  }
  auto distinct = [](auto v) {
    std::sort(v.begin(), v.end());
    return static_cast<std::size_t>(std::unique(v.begin(), v.end()) - v.begin());
  };
  EXPECT_LT(distinct(old), plan.jobs.size());  // the defect: an FNV-1a collision
  EXPECT_EQ(distinct(ids), plan.jobs.size());
  EXPECT_EQ(distinct(keys), plan.jobs.size());
}

TEST(JobId, InjectedCollisionIsCaught) {
  const std::vector<std::string> keys = {"v1|a", "v1|b", "v1|c"};
  const std::vector<std::uint64_t> seeds = {1, 1, 1};
  const JobId a{1, 2}, b{3, 4};
  EXPECT_NO_THROW(check_unique_ids(keys, {a, b, JobId{5, 6}}, seeds));
  EXPECT_NO_THROW(check_unique_ids({"v1|a", "v1|a"}, {a, a}, {1, 1}));  // one job listed twice
  try {
    check_unique_ids(keys, {a, b, a}, seeds);
    FAIL() << "a shared id was not caught";
  } catch (const std::logic_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("v1|a"), std::string::npos) << m;
    EXPECT_NE(m.find("v1|c"), std::string::npos) << m;
    EXPECT_NE(m.find(to_hex(a)), std::string::npos) << m;
  }
}
