// `cimmc inspect FILE`: what a cimmc HDF5 file holds, in one screen.
#include <H5Cpp.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/inspect.hpp"
#include "io/child_read.hpp"
#include "io/h5_util.hpp"
#include "io/hdf5_file.hpp"
#include "io/study_file.hpp"

namespace cimmc {

void print_provenance(const std::string& type, const Provenance& p, const std::string& name) {
  std::printf("%s (%s): %s\n", name.c_str(), type.c_str(), p.created.c_str());
  std::printf("  cimmc %s (%s), backend %s on %s, seed %llu\n", p.software_version.c_str(), p.git_sha.c_str(),
              p.backend.c_str(), p.device.c_str(), static_cast<unsigned long long>(p.seed));
  std::printf("  command: %s\n", p.command_line.c_str());
}

void print_table(const char* group, const Table& t) {
  std::printf("  /%s: %zu rows x %zu columns\n   ", group, t.rows(), t.columns().size());
  int width = 3;
  for (const Column& c : t.columns()) {
    if (width + c.name.size() + 1 > 100) {
      std::printf("\n   ");
      width = 3;
    }
    std::printf(" %s", c.name.c_str());
    width += static_cast<int>(c.name.size()) + 1;
  }
  std::printf("\n");
}

namespace {

int inspect_here(const CliArgs& a) {
  std::string type;
  {
    const h5::QuietErrors quiet;
    try {
      if (!H5::H5File::isHdf5(a.config)) throw IoError(a.config + ": not an HDF5 file");
      const H5::H5File f(a.config, H5F_ACC_RDONLY);
      if (!f.attrExists("filetype")) throw IoError(a.config + ": not a cimmc file (no 'filetype' attribute)");
      type = h5::read_attr_string(f, "filetype");
    } catch (const H5::Exception& e) {
      throw IoError(a.config + ": " + h5::describe(e));
    }
  }
  if (type == kStudyFileType) {
    const StudyFile s = read_study_file(a.config);
    print_provenance(type, s.prov, s.name);
    std::printf("  points: %llu of %llu%s; swept keys:", static_cast<unsigned long long>(s.points_done),
                static_cast<unsigned long long>(s.points_total), s.complete ? "" : " (checkpoint, incomplete)");
    for (const std::string& k : s.sweep_keys) std::printf(" %s", k.c_str());
    std::printf("%s\n", s.sweep_keys.empty() ? " none" : "");
    if (s.shard.count > 0)
      std::printf("  shard %llu/%llu: points %llu to %llu (cimmc merge joins the shards)\n",
                  static_cast<unsigned long long>(s.shard.index), static_cast<unsigned long long>(s.shard.count),
                  static_cast<unsigned long long>(s.shard.begin), static_cast<unsigned long long>(s.shard.end - 1));
    print_table("layers", s.layers);
    print_table("network", s.network);
    print_table("jobs", s.jobs);
    return 0;
  }
  if (type == kTaskFileType) {
    print_task_file(a.config);
    return 0;
  }
  const RunFile r = read_run_file(a.config);
  print_provenance(type, r.prov, r.config_path);
  const JobView& v = r.result.view;
  std::printf("  tile: %d rows x %d weights (%d columns), %d cycles, ADC codes %d..%d, %llu MVMs\n", v.K, v.N, v.P,
              v.cycles, v.code_min, v.code_max, static_cast<unsigned long long>(r.result.samples()));
  std::printf("  /job/histograms: dac_level[%d] active_rows[%d] cell_level_pair[%dx%d] adc_code[%d] column_value[%d]\n",
              r.result.dac_levels, r.result.row_bins, r.result.dac_levels, r.result.cell_levels, r.result.adc_codes,
              v.col_nbins);
  if (v.digital)
    std::printf("  digital macro: adder trees of %d rows, %d stages; toggles[%d] (inputs, multipliers, stages, "
                "accumulators, outputs)\n",
                v.R, v.tree_stages, v.tog_len);
  const GroupMoments t = r.result.totals();
  std::printf("  rms output error %.4g LSB over %.0f outputs\n", t.outputs > 0 ? std::sqrt(t.sum_err2 / t.outputs) : 0.0,
              t.outputs);
  return 0;
}



}  // namespace

// A corrupt file can crash libhdf5 itself (segfaults and heap aborts inside it
// on files with flipped bytes), which no exception handler catches. So the
// file is read in a child process (io/child_read.hpp): its output is passed
// on when it finishes, and a crash becomes one line and exit 4.
int cmd_inspect(const CliArgs& a) {
  const ChildRun r = run_in_child(a.config, [&] { return inspect_here(a); });
  if (r.signal)
    throw IoError(a.config + ": cannot be read: libhdf5 crashed on it (signal " + std::to_string(r.signal) +
                  "); the file is corrupt");
  std::fwrite(r.out.data(), 1, r.out.size(), stdout);
  std::fwrite(r.err.data(), 1, r.err.size(), stderr);
  return r.code;
}

}  // namespace cimmc
