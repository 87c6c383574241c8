// Writing and reading run files. The layout is docs/hdf5-format.md; the field
// lists both directions share are in run_layout.hpp. Keep all three in step.
#include "io/hdf5_file.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <type_traits>
#include <utility>
#include <vector>

#include "io/h5_util.hpp"
#include "io/run_layout.hpp"
#include "physical/area_clock.hpp"
#include "philox.hpp"

namespace cimmc {

namespace {

using h5::Meta;
using namespace io_detail;

// ---- writing

void write_root(const H5::H5File& f, const Config& cfg, const Provenance& p) {
  h5::write_provenance(f, kRunFileType, cfg.name, cfg.source_text, cfg.source_path, p);
}

// Digital jobs only, so analog files keep their layout: the tree's shape and
// the toggle counters per batch group.
void write_toggles(const H5::Group& job, const H5::Group& hg, const JobResult& r) {
  const JobView& v = r.view;
  visit_digital_scalars(v, [&](const char* name, const auto& x) { h5::write_attr(job, name, x); });
  const auto hs = static_cast<std::size_t>(v.hist_size), n = static_cast<std::size_t>(v.tog_len);
  std::vector<std::uint64_t> buf(kGroups * n);
  for (std::size_t g = 0; g < kGroups; ++g) std::copy_n(r.hist.begin() + g * hs + v.off_tog, n, buf.begin() + g * n);
  h5::write_dataset(hg, "toggles", buf.data(), {kGroups, n}, Meta{"toggles", kToggleDescription, true});
}

void write_job(const H5::Group& job, const JobResult& r) {
  visit_job_scalars(r.view, r, [&](const char* name, const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, bool>) h5::write_attr(job, name, std::uint8_t{x});
    else h5::write_attr(job, name, x);
  });
  h5::write_attr(job, "backend", r.backend);
  const JobView& v = r.view;
  std::vector<int> part;
  for (int q = 0; q < v.ppw; ++q) part.push_back(static_cast<int>(v.w_part[q]));
  h5::write_attr_array(job, "w_part", part.data(), part.size());
  // Self-describing enum: w_part value i means kWPartNames[i].
  h5::write_attr_strings(job, "w_part_names", {kWPartNames.begin(), kWPartNames.end()});
  h5::write_attr_array(job, "w_shift", v.w_shift, static_cast<std::size_t>(v.ppw));
  h5::write_attr_array(job, "w_coef", v.w_coef, static_cast<std::size_t>(v.ppw));
  h5::write_attr_array(job, "in_coef", v.in_coef, static_cast<std::size_t>(v.cycles));
  h5::write_attr(job, "adc_mode", std::string(kAdcModeNames[static_cast<int>(v.adc_mode)]));
  std::vector<double> fs_q;
  for (int q = 0; q < v.ppw; ++q)
    fs_q.push_back((v.adc_mode == AdcMode::per_slice ? v.adc_delta_q[q] : v.adc_delta) * v.code_max);
  h5::write_attr_array(job, "adc_full_scale_q", fs_q.data(), fs_q.size());
  if (v.adc_mode == AdcMode::per_cycle) {  // format 2.7: [cycle][position]
    std::vector<double> fs_cq;
    for (int i = 0; i < v.cycles * v.ppw; ++i) fs_cq.push_back(v.adc_delta_cq[i] * v.code_max);
    h5::write_attr_array(job, "adc_full_scale_cq", fs_cq.data(), fs_cq.size());
  }
  // Format 2.6, differential_analog jobs only: the cell columns (two per conversion column).
  if (v.pair) h5::write_attr(job, "pair_cells", v.pcell);
  // Format 2.7, cell groups only: the row groups share multipliers (digital
  // toggles) and their reads are priced, so re-pricing needs it.
  if (v.cell_group > 1) h5::write_attr(job, "cell_group", v.cell_group);
  // Per-weight product trees only (macro.adder_tree per_weight): the leaf width
  // the stage toggles were counted over.
  if (v.tree_per_weight || v.tree_cycle_leaves) h5::write_attr(job, "tree_leaf_bits", v.leaf_bits);
  if (v.tree_cycle_leaves) h5::write_attr(job, "tree_cycle_leaves", 1);
  if (v.tree_per_weight) h5::write_attr(job, "tree_booth", v.tree_booth ? 1 : 0);
  // macro.group_order cycles_inside only: the toggles were counted in that
  // order, and a cell group's reads are priced once per sample.
  if (v.cycles_inside) h5::write_attr(job, "group_cycles_inside", 1);
  // macro.slice_combine charge only: the ADC codes and clip counts are one
  // per weight (the combined value), the shift-adds priced per conversion.
  if (v.slice_combine) h5::write_attr(job, "slice_combine_charge", 1);

  const H5::Group hg = job.createGroup("histograms");
  const auto hs = static_cast<std::size_t>(v.hist_size);
  for (int h = 0; h < static_cast<int>(Hist::count); ++h) {
    const HistSlot s = hist_slot(r, h);
    std::vector<std::uint64_t> buf(kGroups * s.length);
    for (std::size_t g = 0; g < kGroups; ++g)
      std::copy_n(r.hist.begin() + g * hs + s.offset, s.length, buf.begin() + g * s.length);
    h5::write_dataset(hg, kHistNames[h], buf.data(), s.dims,
                      Meta{"events", kHistDescriptions[h], true});
  }
  if (v.digital) write_toggles(job, hg, r);
  std::vector<double> centres(v.col_nbins);
  for (int b = 0; b < v.col_nbins; ++b) centres[b] = v.col_lo + b * v.col_bw;
  h5::write_dataset(hg, "column_value_centres", centres.data(), {centres.size()},
                    Meta{"cell-level x DAC-level", "centre of each column_value bin"});

  const H5::Group mg = job.createGroup("moments");
  visit_moments([&](const char* name, const char* units, const char* desc, auto GroupMoments::*m) {
    std::vector<std::remove_cvref_t<decltype(r.groups[0].*m)>> col;
    for (const GroupMoments& gm : r.groups) col.push_back(gm.*m);
    h5::write_dataset(mg, name, col.data(), {kGroups},
                      Meta{units, std::string(desc) + "; index = batch group"});
  });
}

void write_energy(const H5::Group& e, const JobResult& r, const EnergyTables& t,
                  const Report& rep) {
  const H5::Group tg = e.createGroup("tables");
  h5::write_dataset(tg, "dac", t.dac.data(), {t.dac.size()},
                    Meta{"pJ", "energy of one DAC drive, by DAC level"});
  h5::write_dataset(tg, "row_driver", t.row_driver.data(), {t.row_driver.size()},
                    Meta{"pJ", "row-driver energy of one (input cycle, row group), by active rows"});
  h5::write_dataset(tg, "cell", t.cell.data(), {hsize_t(r.dac_levels), hsize_t(r.cell_levels)},
                    Meta{"pJ", "energy of one cell read, by [DAC level, cell level]"});
  h5::write_dataset(tg, "column", t.column.data(), {t.column.size()},
                    Meta{"pJ", "bitline energy of one conversion, by column_value bin"});
  h5::write_dataset(tg, "adc", t.adc.data(), {t.adc.size()},
                    Meta{"pJ", "energy of one ADC conversion, by code - code_min"});
  h5::write_scalar(tg, "shift_add", t.shift_add, Meta{"pJ", "shift-add energy per conversion"});
  h5::write_scalar(tg, "accumulator", t.accumulator,
                   Meta{"pJ", "accumulator energy per (input cycle, row group, output)"});
  h5::write_scalar(tg, "leakage_per_mvm", t.leakage_per_mvm,
                   Meta{"pJ", "leakage power times the latency of one MVM"});
  h5::write_scalar(tg, "latency_ns", t.latency_ns, Meta{"ns", "latency of one MVM of the tile"});
  if (t.cell_per_mvm > 0)  // format 2.7: only with cell groups, so older files read as before
    h5::write_scalar(tg, "cell_group_read_per_mvm", t.cell_per_mvm,
                     Meta{"pJ", "digital macro with cell groups: local-bitline reads of one MVM (cell component)"});
  if (t.booth_per_mvm > 0)  // macro.cycle_bits booth only, so older files read as before
    h5::write_scalar(tg, "booth_encode_per_mvm", t.booth_per_mvm,
                     Meta{"pJ", "digital macro with Booth recoding: every row's encoder, every cycle of one MVM "
                                "(row_driver component)"});
  if (!t.toggle.empty())
    h5::write_dataset(tg, "toggle", t.toggle.data(), {t.toggle.size()},
                      Meta{"pJ", "digital macro: energy of one toggle, by counter of /job/histograms/toggles"});

  const H5::Group pg = e.createGroup("per_mvm");
  const std::vector<std::string> comps(kComponentNames.begin(), kComponentNames.end());
  h5::write_attr_strings(pg, "components", comps);
  const auto per_component = [&](const char* name, double Estimate::*field, const char* desc) {
    std::array<double, kComponents> a{};
    for (int c = 0; c < kComponents; ++c) a[c] = rep.component_pj[c].*field;
    h5::write_dataset(pg, name, a.data(), {a.size()},
                      Meta{"pJ", std::string(desc) + ", by component (see `components`)"});
  };
  per_component("mean", &Estimate::mean, "mean energy per MVM");
  per_component("se", &Estimate::se, "standard error of the mean over the 32 batch groups; NaN when ci_note says why");
  per_component("ci_lo", &Estimate::ci_lo, "lower end of the 95% confidence interval; NaN when ci_note says why");
  per_component("ci_hi", &Estimate::ci_hi, "upper end of the 95% confidence interval; NaN when ci_note says why");
  const std::array<double, 4> total = {rep.total_pj.mean, rep.total_pj.se, rep.total_pj.ci_lo,
                                       rep.total_pj.ci_hi};
  h5::write_dataset(pg, "total", total.data(), {total.size()},
                    Meta{"pJ", "total energy per MVM: [mean, se, ci_lo, ci_hi]; se and CI NaN when ci_note says why"});
  h5::write_dataset(pg, "events_per_mvm", rep.events_per_mvm.data(), {rep.events_per_mvm.size()},
                    Meta{"events", "mean events per MVM, by component (see `components`)"});
  for (const char* name : {"mean", "se", "ci_lo", "ci_hi", "events_per_mvm"})
    h5::write_attr_strings(pg.openDataSet(name), "components", comps);
  h5::write_attr_strings(pg.openDataSet("total"), "fields", {"mean", "se", "ci_lo", "ci_hi"});
  h5::write_attr(pg, "ci_note", rep.ci_note);
}

void write_summary(const H5::Group& s, const Report& rep) {
  const Accuracy& a = rep.accuracy;
  const auto put = [&](const char* name, double v, const char* units, const char* desc) {
    h5::write_scalar(s, name, v, Meta{units, desc});
  };
  put("macs_per_mvm", rep.macs_per_mvm, "MAC", "multiply-accumulates in one MVM of the tile");
  put("pj_per_mac", rep.pj_per_mac, "pJ/MAC", "mean total energy per multiply-accumulate");
  put("tops_per_w", rep.tops_per_w, "TOPS/W", "energy efficiency, 2 ops per MAC");
  put("latency_ns", rep.latency_ns, "ns", "latency of one MVM");
  put("tops", rep.tops, "TOPS", "throughput of one macro running MVMs back to back");
  put("err_mean", a.err_mean.mean, "LSB", "mean output error (LSB = one unit of the dot product)");
  put("err_mean_se", a.err_mean.se, "LSB", "standard error of err_mean over the batch groups; NaN when ci_note says why");
  put("err_mean_ci_lo", a.err_mean.ci_lo, "LSB", "lower end of err_mean's 95% interval; NaN when ci_note says why");
  put("err_mean_ci_hi", a.err_mean.ci_hi, "LSB", "upper end of err_mean's 95% interval; NaN when ci_note says why");
  put("err_std", a.err_std, "LSB", "standard deviation of the output error");
  put("err_rms", a.err_rms, "LSB", "root mean square output error");
  put("max_abs_err", a.max_abs_err, "LSB", "largest absolute output error");
  put("ref_std", a.ref_std, "LSB", "standard deviation of the exact outputs");
  put("err_rel", a.err_rel, "1", "err_std / ref_std");
  put("sqnr_db", a.sqnr_db, "dB", "10 log10(sum ref^2 / sum err^2); +inf when lossless");
  put("clip_rate", a.clip_rate, "1", "clipped ADC conversions / conversions");
  h5::write_attr(s, "ci_note", rep.ci_note);
}

// ---- reading

JobResult read_job(const H5::Group& job) {
  JobResult r;
  visit_job_scalars(r.view, r, [&](const char* name, auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, bool>) x = h5::read_attr<std::uint8_t>(job, name) != 0;
    else x = h5::read_attr<T>(job, name);
  });
  r.backend = h5::read_attr_string(job, "backend");
  JobView& v = r.view;
  v.key = philox::stream_key(v.seed, v.job_id);  // derived, so not stored
  v.digital = job.attrExists("tree_stages");  // format 2.4: digital jobs carry their tree
  if (v.digital) visit_digital_scalars(v, [&](const char* name, auto& x) { x = h5::read_attr<int>(job, name); });
  v.pair = job.attrExists("pair_cells");  // format 2.6: array-subtracted pairs
  v.pcell = v.pair ? h5::read_attr<int>(job, "pair_cells") : v.P;
  v.cell_group = job.attrExists("cell_group") ? h5::read_attr<int>(job, "cell_group") : 1;
  if (v.cell_group < 1) throw IoError("/job attribute 'cell_group' must be at least 1");
  v.tree_cycle_leaves = job.attrExists("tree_cycle_leaves");
  v.tree_per_weight = job.attrExists("tree_leaf_bits") && !v.tree_cycle_leaves;
  v.leaf_bits = job.attrExists("tree_leaf_bits") ? h5::read_attr<int>(job, "tree_leaf_bits") : 1;
  v.tree_booth = job.attrExists("tree_booth") && h5::read_attr<int>(job, "tree_booth") != 0;
  v.cycles_inside = job.attrExists("group_cycles_inside") && h5::read_attr<int>(job, "group_cycles_inside") != 0;
  if (v.cycles_inside && !v.digital) throw IoError("/job attribute 'group_cycles_inside' needs a digital job");
  v.slice_combine = job.attrExists("slice_combine_charge") && h5::read_attr<int>(job, "slice_combine_charge") != 0;
  if (v.slice_combine && v.digital) throw IoError("/job attribute 'slice_combine_charge' needs an analog job");
  if (v.tree_booth && !v.tree_per_weight) throw IoError("/job attribute 'tree_booth' needs per-weight trees");
  if (v.leaf_bits < 1 || v.leaf_bits > 32) throw IoError("/job attribute 'tree_leaf_bits' must be 1..32");
  if (v.pair && v.pcell != 2 * v.P) throw IoError("/job attribute 'pair_cells' must be 2 x P");
  check_layout(r);  // bounds ppw, cycles and offsets before anything is indexed
  const auto want = [](const char* name, std::size_t got, int n) {
    if (got != static_cast<std::size_t>(n))
      throw IoError(std::string("/job attribute '") + name + "' has the wrong length");
  };
  const std::vector<int> part = h5::read_attr_array<int>(job, "w_part");
  const std::vector<int> shift = h5::read_attr_array<int>(job, "w_shift");
  const std::vector<double> wc = h5::read_attr_array<double>(job, "w_coef");
  const std::vector<double> ic = h5::read_attr_array<double>(job, "in_coef");
  want("w_part", part.size(), v.ppw), want("w_shift", shift.size(), v.ppw);
  want("w_coef", wc.size(), v.ppw), want("in_coef", ic.size(), v.cycles);
  for (int q = 0; q < v.ppw; ++q) {
    if (part[q] < 0 || part[q] > static_cast<int>(WPart::signed_mag))
      throw IoError("/job attribute 'w_part' holds an unknown column part");
    v.w_part[q] = static_cast<WPart>(part[q]);
    v.w_shift[q] = shift[q];
    v.w_coef[q] = wc[q];
  }
  std::copy(ic.begin(), ic.end(), v.in_coef);
  if (job.attrExists("adc_mode")) {  // format 2.5; before it every ADC had one shared step
    const std::string mode = h5::read_attr_string(job, "adc_mode");
    const auto it = std::find(kAdcModeNames.begin(), kAdcModeNames.end(), mode);
    if (it == kAdcModeNames.end())
      throw IoError("/job attribute 'adc_mode' is not one of shared, per_slice, ideal, per_cycle");
    v.adc_mode = static_cast<AdcMode>(it - kAdcModeNames.begin());
    const std::vector<double> fs_q = h5::read_attr_array<double>(job, "adc_full_scale_q");
    want("adc_full_scale_q", fs_q.size(), v.ppw);
    for (int q = 0; q < v.ppw && v.adc_mode == AdcMode::per_slice; ++q) {
      v.adc_delta_q[q] = fs_q[q] / v.code_max;
      v.adc_inv_q[q] = 1.0 / v.adc_delta_q[q];
    }
    if (v.adc_mode == AdcMode::per_cycle) {
      const std::vector<double> fs_cq = h5::read_attr_array<double>(job, "adc_full_scale_cq");
      if (v.cycles * v.ppw > kMaxAdcRanges) throw IoError("/job attribute 'adc_full_scale_cq' is too long");
      want("adc_full_scale_cq", fs_cq.size(), v.cycles * v.ppw);
      for (std::size_t i = 0; i < fs_cq.size(); ++i) {
        v.adc_delta_cq[i] = fs_cq[i] / v.code_max;
        v.adc_inv_cq[i] = 1.0 / v.adc_delta_cq[i];
      }
    }
  }

  const H5::Group hg = job.openGroup("histograms");
  const auto hs = static_cast<std::size_t>(v.hist_size);
  r.hist.assign(kGroups * hs, 0);
  for (int h = 0; h < static_cast<int>(Hist::count); ++h) {
    const HistSlot s = hist_slot(r, h);
    const std::vector<std::uint64_t> buf = h5::read_dataset<std::uint64_t>(hg, kHistNames[h], s.dims);
    for (std::size_t g = 0; g < kGroups; ++g)
      std::copy_n(buf.begin() + g * s.length, s.length, r.hist.begin() + g * hs + s.offset);
  }

  if (v.digital) {
    const auto n = static_cast<std::size_t>(v.tog_len);
    const std::vector<std::uint64_t> buf = h5::read_dataset<std::uint64_t>(hg, "toggles", {kGroups, n});
    for (std::size_t g = 0; g < kGroups; ++g) std::copy_n(buf.begin() + g * n, n, r.hist.begin() + g * hs + v.off_tog);
  }

  const H5::Group mg = job.openGroup("moments");
  r.groups.assign(kGroups, GroupMoments{});
  visit_moments([&](const char* name, const char*, const char*, auto GroupMoments::*m) {
    using T = std::remove_cvref_t<decltype(r.groups[0].*m)>;
    const std::vector<T> col = h5::read_dataset<T>(mg, name, {kGroups});
    for (std::size_t g = 0; g < kGroups; ++g) r.groups[g].*m = col[g];
  });
  return r;
}

}  // namespace

std::string iso8601_utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// `/area` (format 2.7): the macro's area and clock period (physical/area_clock.hpp).
void write_area(const H5::Group& g, const Config& cfg, const Report& rep) {
  const AreaClock a = area_clock(macro_geometry(cfg));
  std::vector<std::string> parts(std::begin(kAreaPartNames), std::end(kAreaPartNames));
  h5::write_dataset(g, "area_um2", a.area_um2.data(), {a.area_um2.size()}, Meta{"um^2", "area by component (see `components`)"});
  h5::write_attr_strings(g.openDataSet("area_um2"), "components", parts);
  h5::write_dataset(g, "delay_ns", a.delay_ns.data(), {a.delay_ns.size()},
                    Meta{"ns", "critical-path delay by stage (see `paths`); clock_ns is their sum"});
  h5::write_attr_strings(g.openDataSet("delay_ns"), "paths", {"adc", "multiplier", "adder_tree", "place_value", "accumulator"});
  h5::write_scalar(g, "area_mm2", a.area_mm2, Meta{"mm^2", "macro area"});
  h5::write_scalar(g, "clock_ns", a.clock_ns, Meta{"ns", "clock period from the critical path"});
  h5::write_scalar(g, "tops_per_mm2", a.area_mm2 > 0 ? rep.tops / a.area_mm2 : 0.0,
                   Meta{"TOPS/mm^2", "summary/tops over area_mm2"});
}

void write_run_file(const std::string& path, const Config& cfg, const JobResult& r,
                    const EnergyTables& t, const Report& rep, const Provenance& prov) {
  try {
    check_result(r);
    check_tables(r, t);
  } catch (const IoError& e) {
    throw IoError("not writing " + path + ": " + e.what());
  }
  h5::write_file_atomically(path, [&](H5::H5File& f) {
    write_root(f, cfg, prov);
    write_job(f.createGroup("job"), r);
    write_energy(f.createGroup("energy"), r, t, rep);
    write_summary(f.createGroup("summary"), rep);
    write_area(f.createGroup("area"), cfg, rep);
  });
}

RunFile read_run_file(const std::string& path) {
  const h5::QuietErrors quiet;
  try {
    if (!std::filesystem::exists(path)) throw IoError("no such file");
    if (!H5::H5File::isHdf5(path)) throw IoError("not an HDF5 file");
    const H5::H5File f(path, H5F_ACC_RDONLY);
    h5::check_format(f, kRunFileType);
    RunFile rf;
    rf.prov = h5::read_provenance(f);
    rf.config_text = h5::read_attr_string(f, "config");
    rf.config_path = h5::read_attr_string(f, "config_path");
    rf.result = read_job(f.openGroup("job"));
    return rf;
  } catch (const H5::Exception& e) {
    throw IoError("cannot read " + path + ": " + h5::describe(e));
  } catch (const IoError& e) {
    throw IoError("cannot read " + path + ": " + e.what());
  }
}

}  // namespace cimmc
