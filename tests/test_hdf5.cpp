// src/io: run files round-trip exactly, describe themselves, and are written
// atomically. The synthetic job below is built by hand, independent of the
// sampler, with a histogram layout that has an unused gap and odd offsets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <H5Cpp.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"
#include "physical/area_clock.hpp"
#include "philox.hpp"

namespace cimmc {
namespace {

namespace fs = std::filesystem;

JobResult make_result() {
  JobResult r;
  JobView& v = r.view;
  v.K = 100, v.N = 7, v.R = 8, v.G = 13, v.wpg = 1, v.ppw = 3, v.P = 21;
  v.w_bits = 5, v.bpc = 2, v.L = 4, v.w_offset = 16, v.w_mask = 0x0Fu, v.signed_cols = true;
  const WPart parts[3] = {WPart::pos, WPart::neg, WPart::sign_bit};
  for (int q = 0; q < v.ppw; ++q) {
    v.w_part[q] = parts[q];
    v.w_shift[q] = 2 * q + 1;
    v.w_coef[q] = (q % 2 ? -1.0 : 1.0) * std::ldexp(1.0, 2 * q) / 3.0;  // not a short decimal
  }
  v.in_bits = 6, v.in_enc = 2, v.dac_bits = 2, v.cycles = 3, v.x_offset = -5;
  for (int c = 0; c < v.cycles; ++c) v.in_coef[c] = std::ldexp(1.0, 2 * c) * (c == 2 ? -1 : 1);
  v.r_off = 0.0101010101f, v.prog_abs = 0.3f, v.prog_rel = 0.07f, v.read_abs = 0.11f;
  v.read_rel = 1e-3f, v.stuck_off_u32 = 4294967u, v.stuck_on_u32 = 0xFFFFFFFFu;
  v.float_path = true, v.noisy = true;
  v.adc_delta = 0.1 + 0.2, v.adc_noise = 0.25f, v.code_min = -32, v.code_max = 31;
  v.col_lo = -12.5, v.col_bw = 0.5, v.col_nbins = 50;
  // Out of storage order on purpose, with a one-counter gap after active_rows.
  v.off_cell = 0, v.off_dac = 16, v.off_row = 20, v.off_adc = 30, v.off_col = 94;
  v.hist_size = 144;
  v.seed = 0xDEADBEEFCAFEF00Dull, v.job_id = philox::JobId{42, 0x0123456789ABCDEFull}, v.stream_base = 7;
  v.key = philox::stream_key(v.seed, v.job_id);
  v.samples = 1ull << 40, v.per_instance = 64, v.instances = 123456;
  r.adc_full_scale = 9.3, r.dac_levels = 4, r.cell_levels = 4, r.row_bins = 9, r.adc_codes = 64;
  r.wall_seconds = 1.234567890123;
  r.backend = "cpu";
  r.hist.resize(kBatchGroups * v.hist_size);
  for (std::size_t i = 0; i < r.hist.size(); ++i) {
    if (i % v.hist_size == 29) continue;  // the gap stays zero
    r.hist[i] = (i * 2654435761ull) % 1000003ull;
    if (i % 97 == 3) r.hist[i] = std::numeric_limits<std::uint64_t>::max() - i;  // > 2^63
  }
  r.groups.resize(kBatchGroups);
  for (int g = 0; g < kBatchGroups; ++g) {
    GroupMoments& m = r.groups[g];
    m.samples = 1000 + g, m.outputs = 7.0 * m.samples, m.sum_err = -0.1 * g + 1.0 / 3.0;
    m.sum_err2 = 1e-300 * (g + 1), m.max_abs_err = std::sqrt(2.0) * g, m.sum_ref = 1e17 + g;
    m.sum_ref2 = 3.14159e30 / (g + 1), m.clipped = 17u * g, m.conversions = (1ull << 35) + g;
  }
  return r;
}

EnergyTables make_tables(const JobResult& r) {
  EnergyTables t;
  for (int i = 0; i < r.dac_levels; ++i) t.dac.push_back(0.01 * i);
  for (int i = 0; i < r.row_bins; ++i) t.row_driver.push_back(0.002 * i + 0.1);
  for (int i = 0; i < r.dac_levels * r.cell_levels; ++i) t.cell.push_back(1e-4 * i);
  for (int i = 0; i < r.view.col_nbins; ++i) t.column.push_back(0.05 + 1e-3 * i);
  for (int i = 0; i < r.adc_codes; ++i) t.adc.push_back(0.3 + 1e-3 * i);
  t.shift_add = 0.02, t.accumulator = 0.03, t.leakage_per_mvm = 0.5, t.latency_ns = 123.0;
  return t;
}

Report make_report() {
  Report rep;
  for (int c = 0; c < kComponents; ++c) {
    rep.component_pj[c] = {10.0 * c + 0.5, 0.1 * c, 10.0 * c + 0.3, 10.0 * c + 0.7};
    rep.events_per_mvm[c] = 100.0 * c;
  }
  rep.total_pj = {280.0, 1.5, 277.0, 283.0};
  rep.macs_per_mvm = 700, rep.pj_per_mac = 0.4, rep.tops_per_w = 5.0;
  rep.latency_ns = 123.0, rep.tops = 0.0114;
  rep.accuracy.err_mean = {-0.25, 0.01, -0.27, -0.23};
  rep.accuracy.err_std = 1.5, rep.accuracy.err_rms = 1.52, rep.accuracy.max_abs_err = 9;
  rep.accuracy.ref_std = 300, rep.accuracy.err_rel = 0.005;
  rep.accuracy.sqnr_db = std::numeric_limits<double>::infinity();
  rep.accuracy.clip_rate = 1e-4;
  return rep;
}

Config make_config() {
  Config cfg;
  cfg.source_path = "configs/µ-test.yaml";
  cfg.source_text = "name: h5 test\nmacro:\n  g_on_us: 10.0   # µS\n  rows: 128\n";
  cfg.name = "h5 test";
  return cfg;
}

Provenance make_prov() {
  return {"0.1.0", "abc123def456", iso8601_utc_now(), "cpu", "2-core test box",
          "cimmc run configs/µ-test.yaml --seed 99", 99};
}

class Hdf5Test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("cimmc_h5_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string write_sample(const std::string& name = "run.h5") {
    const std::string p = (dir / name).string();
    const JobResult r = make_result();
    write_run_file(p, make_config(), r, make_tables(r), make_report(), make_prov());
    return p;
  }
  std::vector<std::string> dir_entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
    return names;
  }
  fs::path dir;
};

std::string attr_string(const H5::H5Object& o, const std::string& name) {
  const H5::Attribute a = o.openAttribute(name);
  std::string s;
  a.read(a.getStrType(), s);
  return s;
}

TEST_F(Hdf5Test, RoundTripIsExact) {
  const std::string p = write_sample();
  const JobResult want = make_result();
  const RunFile rf = read_run_file(p);
  const JobResult& got = rf.result;

  EXPECT_EQ(got.hist, want.hist);
  ASSERT_EQ(got.groups.size(), want.groups.size());
  for (int g = 0; g < kBatchGroups; ++g) {
    const GroupMoments &a = got.groups[g], &b = want.groups[g];
    EXPECT_EQ(a.samples, b.samples);
    EXPECT_EQ(a.outputs, b.outputs);
    EXPECT_EQ(a.sum_err, b.sum_err);
    EXPECT_EQ(a.sum_err2, b.sum_err2);
    EXPECT_EQ(a.max_abs_err, b.max_abs_err);
    EXPECT_EQ(a.sum_ref, b.sum_ref);
    EXPECT_EQ(a.sum_ref2, b.sum_ref2);
    EXPECT_EQ(a.clipped, b.clipped);
    EXPECT_EQ(a.conversions, b.conversions);
  }

  // Field by field, listed here independently of the writer's own field list.
  const JobView &a = got.view, &b = want.view;
#define CIMMC_SAME(f) EXPECT_EQ(a.f, b.f) << #f
  CIMMC_SAME(K); CIMMC_SAME(N); CIMMC_SAME(R); CIMMC_SAME(G); CIMMC_SAME(wpg); CIMMC_SAME(P);
  CIMMC_SAME(ppw); CIMMC_SAME(w_bits); CIMMC_SAME(bpc); CIMMC_SAME(L); CIMMC_SAME(w_offset);
  CIMMC_SAME(w_mask); CIMMC_SAME(signed_cols); CIMMC_SAME(in_bits); CIMMC_SAME(in_enc);
  CIMMC_SAME(dac_bits); CIMMC_SAME(cycles); CIMMC_SAME(x_offset); CIMMC_SAME(r_off);
  CIMMC_SAME(prog_abs); CIMMC_SAME(prog_rel); CIMMC_SAME(read_abs); CIMMC_SAME(read_rel);
  CIMMC_SAME(stuck_off_u32); CIMMC_SAME(stuck_on_u32); CIMMC_SAME(float_path); CIMMC_SAME(noisy);
  CIMMC_SAME(adc_delta); CIMMC_SAME(adc_noise); CIMMC_SAME(code_min); CIMMC_SAME(code_max);
  CIMMC_SAME(col_lo); CIMMC_SAME(col_bw); CIMMC_SAME(col_nbins); CIMMC_SAME(off_dac);
  CIMMC_SAME(off_row); CIMMC_SAME(off_cell); CIMMC_SAME(off_adc); CIMMC_SAME(off_col);
  CIMMC_SAME(hist_size); CIMMC_SAME(seed); CIMMC_SAME(job_id); CIMMC_SAME(key); CIMMC_SAME(stream_base);
  CIMMC_SAME(samples); CIMMC_SAME(per_instance); CIMMC_SAME(instances);
#undef CIMMC_SAME
  for (int q = 0; q < kMaxPhysPerWeight; ++q) {
    EXPECT_EQ(a.w_part[q], b.w_part[q]) << q;
    EXPECT_EQ(a.w_shift[q], b.w_shift[q]) << q;
    EXPECT_EQ(a.w_coef[q], b.w_coef[q]) << q;
  }
  for (int c = 0; c < kMaxCycles; ++c) EXPECT_EQ(a.in_coef[c], b.in_coef[c]) << c;
  EXPECT_EQ(a.x_dist.prob, nullptr);
  EXPECT_EQ(a.w_dist.value, nullptr);

  EXPECT_EQ(got.adc_full_scale, want.adc_full_scale);
  EXPECT_EQ(got.dac_levels, want.dac_levels);
  EXPECT_EQ(got.cell_levels, want.cell_levels);
  EXPECT_EQ(got.row_bins, want.row_bins);
  EXPECT_EQ(got.adc_codes, want.adc_codes);
  EXPECT_EQ(got.wall_seconds, want.wall_seconds);
  EXPECT_EQ(got.backend, want.backend);

  const Config cfg = make_config();
  const Provenance pv = make_prov();
  EXPECT_EQ(rf.config_text, cfg.source_text);
  EXPECT_EQ(rf.config_path, cfg.source_path);
  EXPECT_EQ(rf.prov.software_version, pv.software_version);
  EXPECT_EQ(rf.prov.git_sha, pv.git_sha);
  EXPECT_EQ(rf.prov.backend, pv.backend);
  EXPECT_EQ(rf.prov.device, pv.device);
  EXPECT_EQ(rf.prov.command_line, pv.command_line);
  EXPECT_EQ(rf.prov.seed, pv.seed);
  EXPECT_EQ(rf.prov.created.size(), 20u);  // YYYY-MM-DDTHH:MM:SSZ
}

TEST_F(Hdf5Test, RootAttributesDescribeTheRun) {
  const std::string p = write_sample();
  const H5::H5File f(p, H5F_ACC_RDONLY);
  EXPECT_EQ(attr_string(f, "filetype"), "cimmc.run");
  int ver[2] = {-1, -1};
  const H5::Attribute va = f.openAttribute("format_version");
  EXPECT_EQ(va.getSpace().getSimpleExtentNpoints(), 2);
  va.read(H5::PredType::NATIVE_INT, ver);
  EXPECT_EQ(ver[0], kFormatMajor);
  EXPECT_EQ(ver[1], kFormatMinor);
  const Provenance pv = make_prov();
  EXPECT_EQ(attr_string(f, "software_version"), pv.software_version);
  EXPECT_EQ(attr_string(f, "git_sha"), pv.git_sha);
  EXPECT_EQ(attr_string(f, "backend"), pv.backend);
  EXPECT_EQ(attr_string(f, "device"), pv.device);
  EXPECT_EQ(attr_string(f, "command_line"), pv.command_line);
  EXPECT_EQ(attr_string(f, "config"), make_config().source_text);
  EXPECT_EQ(attr_string(f, "config_path"), make_config().source_path);
  const std::string created = attr_string(f, "created");
  ASSERT_EQ(created.size(), 20u);
  EXPECT_EQ(created[10], 'T');
  EXPECT_EQ(created.back(), 'Z');
  std::uint64_t seed = 0;
  const H5::Attribute sa = f.openAttribute("seed");
  EXPECT_EQ(sa.getDataType().getSize(), 8u);
  sa.read(H5::PredType::NATIVE_UINT64, &seed);
  EXPECT_EQ(seed, 99u);
  // Strings are variable-length UTF-8 throughout; the config holds a 'µ'.
  const H5::StrType st = f.openAttribute("config").getStrType();
  EXPECT_TRUE(st.isVariableStr());
  EXPECT_EQ(st.getCset(), H5T_CSET_UTF8);
}

// Collects every dataset path below g.
void collect_datasets(const H5::Group& g, const std::string& prefix,
                      std::vector<std::string>& out) {
  for (hsize_t i = 0; i < g.getNumObjs(); ++i) {
    const std::string name = g.getObjnameByIdx(i);
    const H5O_type_t t = g.childObjType(name);
    if (t == H5O_TYPE_GROUP) collect_datasets(g.openGroup(name), prefix + name + "/", out);
    else if (t == H5O_TYPE_DATASET) out.push_back(prefix + name);
  }
}

TEST_F(Hdf5Test, EveryDatasetHasUnitsAndDescription) {
  const std::string p = write_sample();
  const H5::H5File f(p, H5F_ACC_RDONLY);
  std::vector<std::string> paths;
  collect_datasets(f, "/", paths);
  // 5 histograms + centres, 9 moments, 9 tables, 6 per-MVM, 16 summary values, 5 area.
  EXPECT_EQ(paths.size(), 51u);
  for (const std::string& path : paths) {
    const H5::DataSet ds = f.openDataSet(path);
    ASSERT_TRUE(ds.attrExists("units")) << path;
    ASSERT_TRUE(ds.attrExists("description")) << path;
    EXPECT_FALSE(attr_string(ds, "units").empty()) << path;
    EXPECT_FALSE(attr_string(ds, "description").empty()) << path;
  }
  EXPECT_EQ(attr_string(f.openDataSet("/job/histograms/adc_code"), "units"), "events");
  EXPECT_EQ(attr_string(f.openDataSet("/job/moments/sum_err2"), "units"), "LSB^2");
  EXPECT_EQ(attr_string(f.openDataSet("/job/moments/conversions"), "units"), "conversion");
  EXPECT_EQ(attr_string(f.openDataSet("/energy/tables/cell"), "units"), "pJ");
  EXPECT_EQ(attr_string(f.openDataSet("/summary/tops_per_w"), "units"), "TOPS/W");
  EXPECT_EQ(attr_string(f.openDataSet("/summary/sqnr_db"), "units"), "dB");
}

TEST_F(Hdf5Test, AreaGroupHoldsTheModelsAreaAndClock) {
  const std::string p = write_sample();
  const H5::H5File f(p, H5F_ACC_RDONLY);
  const AreaClock want = area_clock(macro_geometry(make_config()));
  const auto scalar = [&](const char* path) {
    double v = 0;
    f.openDataSet(path).read(&v, H5::PredType::NATIVE_DOUBLE);
    return v;
  };
  EXPECT_GT(want.area_mm2, 0.0);
  EXPECT_EQ(scalar("/area/area_mm2"), want.area_mm2);
  EXPECT_EQ(scalar("/area/clock_ns"), want.clock_ns);
  EXPECT_DOUBLE_EQ(scalar("/area/tops_per_mm2"), 0.0114 / want.area_mm2);  // make_report's tops
  std::vector<double> parts(kAreaParts);
  f.openDataSet("/area/area_um2").read(parts.data(), H5::PredType::NATIVE_DOUBLE);
  for (int i = 0; i < kAreaParts; ++i) EXPECT_EQ(parts[i], want.area_um2[i]) << kAreaPartNames[i];
}

TEST_F(Hdf5Test, HistogramsAreChunkedCompressedAndShaped) {
  const std::string p = write_sample();
  const H5::H5File f(p, H5F_ACC_RDONLY);
  const JobResult r = make_result();
  for (const char* name : kHistNames) {
    const H5::DataSet ds = f.openDataSet(std::string("/job/histograms/") + name);
    const H5::DSetCreatPropList pl = ds.getCreatePlist();
    ASSERT_EQ(pl.getLayout(), H5D_CHUNKED) << name;
    std::set<H5Z_filter_t> filters;
    for (int i = 0; i < pl.getNfilters(); ++i) {
      unsigned flags = 0, cd[4] = {};
      std::size_t n = 4;
      char fname[64];
      filters.insert(pl.getFilter(i, flags, n, cd, sizeof fname, fname, flags));
    }
    EXPECT_TRUE(filters.count(H5Z_FILTER_SHUFFLE)) << name;
    EXPECT_TRUE(filters.count(H5Z_FILTER_DEFLATE)) << name;
    EXPECT_EQ(ds.getDataType().getSize(), 8u) << name;
    const int rank = ds.getSpace().getSimpleExtentNdims();
    std::vector<hsize_t> dims(rank), chunk(rank);
    ds.getSpace().getSimpleExtentDims(dims.data());
    pl.getChunk(rank, chunk.data());
    EXPECT_EQ(dims[0], hsize_t(kBatchGroups)) << name;
    EXPECT_LE(chunk[0], 32u) << name;
    hsize_t tail = 1;
    for (int d = 1; d < rank; ++d) tail *= chunk[d];
    EXPECT_LE(tail, 4096u) << name;
  }
  std::vector<hsize_t> dims(3);
  const H5::DataSet cell = f.openDataSet("/job/histograms/cell_level_pair");
  ASSERT_EQ(cell.getSpace().getSimpleExtentNdims(), 3);
  cell.getSpace().getSimpleExtentDims(dims.data());
  EXPECT_EQ(dims, (std::vector<hsize_t>{32, 4, 4}));
  // Raw counts of group 5, adc code -32 + 7, read straight from the dataset.
  std::vector<std::uint64_t> adc(32 * 64);
  f.openDataSet("/job/histograms/adc_code").read(adc.data(), H5::PredType::NATIVE_UINT64);
  EXPECT_EQ(adc[5 * 64 + 7], r.hist[5 * r.view.hist_size + r.view.off_adc + 7]);
  std::vector<double> centres(r.view.col_nbins);
  f.openDataSet("/job/histograms/column_value_centres")
      .read(centres.data(), H5::PredType::NATIVE_DOUBLE);
  EXPECT_EQ(centres[0], -12.5);
  EXPECT_EQ(centres[49], -12.5 + 49 * 0.5);
}

TEST_F(Hdf5Test, EnergyAndSummaryHoldTheReport) {
  const std::string p = write_sample();
  const H5::H5File f(p, H5F_ACC_RDONLY);
  const Report rep = make_report();
  double mean[kComponents], total[4], sqnr = 0, cell[16];
  f.openDataSet("/energy/per_mvm/mean").read(mean, H5::PredType::NATIVE_DOUBLE);
  f.openDataSet("/energy/per_mvm/total").read(total, H5::PredType::NATIVE_DOUBLE);
  f.openDataSet("/summary/sqnr_db").read(&sqnr, H5::PredType::NATIVE_DOUBLE);
  f.openDataSet("/energy/tables/cell").read(cell, H5::PredType::NATIVE_DOUBLE);
  for (int c = 0; c < kComponents; ++c) EXPECT_EQ(mean[c], rep.component_pj[c].mean);
  EXPECT_EQ(total[3], rep.total_pj.ci_hi);
  EXPECT_TRUE(std::isinf(sqnr));
  EXPECT_EQ(cell[15], 15e-4);
  const H5::Attribute ca = f.openGroup("/energy/per_mvm").openAttribute("components");
  ASSERT_EQ(ca.getSpace().getSimpleExtentNpoints(), kComponents);
  char* names[kComponents] = {};
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);  // HDF5 1.10 does not convert UTF-8 to ASCII
  ca.read(t, names);
  for (int c = 0; c < kComponents; ++c) EXPECT_STREQ(names[c], kComponentNames[c]);
  H5Dvlen_reclaim(t.getId(), ca.getSpace().getId(), H5P_DEFAULT, names);
}

TEST_F(Hdf5Test, SuccessfulWriteLeavesOnlyTheTarget) {
  write_sample();
  write_sample();  // overwriting an existing run file is allowed
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"run.h5"});
  EXPECT_EQ(read_run_file((dir / "run.h5").string()).result.hist, make_result().hist);
}

TEST_F(Hdf5Test, FailedWriteLeavesNothing) {
  const JobResult r = make_result();
  const EnergyTables t = make_tables(r);
  const std::string missing_dir = (dir / "no_such_dir" / "run.h5").string();
  EXPECT_THROW(write_run_file(missing_dir, make_config(), r, t, make_report(), make_prov()),
               IoError);
  EXPECT_FALSE(fs::exists(missing_dir));

  const std::string p = (dir / "bad.h5").string();
  JobResult short_hist = r;
  short_hist.hist.pop_back();
  EXPECT_THROW(write_run_file(p, make_config(), short_hist, t, make_report(), make_prov()),
               IoError);
  JobResult few_groups = r;
  few_groups.groups.resize(31);
  EXPECT_THROW(write_run_file(p, make_config(), few_groups, t, make_report(), make_prov()),
               IoError);
  JobResult stray = r;
  stray.hist[29] = 1;  // a count in the layout's gap would be lost
  EXPECT_THROW(write_run_file(p, make_config(), stray, t, make_report(), make_prov()), IoError);
  JobResult overflow = r;
  overflow.view.off_col = r.view.hist_size - 10;
  EXPECT_THROW(write_run_file(p, make_config(), overflow, t, make_report(), make_prov()),
               IoError);
  EnergyTables short_adc = t;
  short_adc.adc.pop_back();
  EXPECT_THROW(write_run_file(p, make_config(), r, short_adc, make_report(), make_prov()),
               IoError);
  EXPECT_TRUE(dir_entries().empty());

  // The rename fails after the whole file was written (the target is a
  // non-empty directory): the temporary file must still be cleaned up.
  fs::create_directories(dir / "taken.h5" / "x");
  EXPECT_THROW(write_run_file((dir / "taken.h5").string(), make_config(), r, t, make_report(),
                              make_prov()),
               IoError);
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"taken.h5"});
  fs::remove_all(dir / "taken.h5");

  // A refused write leaves an existing file at the target untouched.
  const std::string good = write_sample("bad.h5");
  EXPECT_THROW(write_run_file(good, make_config(), short_hist, t, make_report(), make_prov()),
               IoError);
  EXPECT_EQ(read_run_file(good).result.hist, r.hist);
  EXPECT_EQ(dir_entries(), std::vector<std::string>{"bad.h5"});
}

// Rewrites a root attribute of an existing file.
void set_root_attr(const std::string& path, const std::string& name, const std::string& value) {
  const H5::H5File f(path, H5F_ACC_RDWR);
  f.removeAttr(name);
  const H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  f.createAttribute(name, t, H5::DataSpace(H5S_SCALAR)).write(t, value);
}

void set_version(const std::string& path, int major, int minor) {
  const H5::H5File f(path, H5F_ACC_RDWR);
  f.removeAttr("format_version");
  const int v[2] = {major, minor};
  const hsize_t n[1] = {2};
  f.createAttribute("format_version", H5::PredType::NATIVE_INT, H5::DataSpace(1, n))
      .write(H5::PredType::NATIVE_INT, v);
}

// EXPECT that reading throws IoError whose message contains `needle`.
void expect_refused(const std::string& path, const std::string& needle) {
  try {
    read_run_file(path);
    ADD_FAILURE() << "read_run_file accepted " << path;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST_F(Hdf5Test, ReaderRefusesForeignFiles) {
  const std::string p = write_sample();
  set_root_attr(p, "filetype", "openmc.statepoint");
  expect_refused(p, "filetype is 'openmc.statepoint'");

  const std::string q = write_sample("future.h5");
  set_version(q, kFormatMajor + 1, 0);
  expect_refused(q, "format version " + std::to_string(kFormatMajor + 1) + ".0");
  set_version(q, kFormatMajor, kFormatMinor + 3);  // a newer minor only adds objects
  EXPECT_EQ(read_run_file(q).result.hist, make_result().hist);

  const std::string text = (dir / "notes.h5").string();
  std::ofstream(text) << "not hdf5\n";
  expect_refused(text, "not an HDF5 file");
  expect_refused((dir / "absent.h5").string(), "no such file");
  { const H5::H5File bare((dir / "bare.h5").string(), H5F_ACC_TRUNC); }
  expect_refused((dir / "bare.h5").string(), "no 'filetype'");
}

}  // namespace
}  // namespace cimmc
