// cimmc run files: one HDF5 file per run with full provenance, the sampled
// job's raw histograms and moments (enough to re-price or merge), the energy
// tables used and the priced report. Layout: docs/hdf5-format.md.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "engine/result.hpp"
#include "pricing/pricing.hpp"
#include "spec/spec.hpp"

namespace cimmc {

struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The one place the file format version lives. Readers refuse another major;
// a minor bump only adds objects that older readers may ignore.
inline constexpr int kFormatMajor = 2, kFormatMinor = 13;
inline constexpr const char* kRunFileType = "cimmc.run";

struct Provenance {
  std::string software_version, git_sha;
  std::string created;  // ISO-8601 UTC, e.g. 2024-05-01T12:34:56Z
  std::string backend, device, command_line;
  std::uint64_t seed = 0;
};

// Current time as ISO-8601 UTC with a Z suffix, to the second.
std::string iso8601_utc_now();

// Writes the run file atomically (h5::write_file_atomically): a temporary
// beside the file `path` names, renamed over it only when complete. On any
// error the temporary is removed and IoError is thrown, so no partial file
// ever appears at `path`. An inconsistent JobResult or EnergyTables (sizes that do
// not match the job's histogram layout) is refused before anything is created.
void write_run_file(const std::string& path, const Config& cfg, const JobResult& r,
                    const EnergyTables& t, const Report& rep, const Provenance& prov);

// What is needed to re-price or merge a run. result.view's pointers are null.
struct RunFile {
  std::string config_text;
  std::string config_path;
  Provenance prov;
  JobResult result;
};

// Refuses files that are not cimmc run files or whose format major differs.
RunFile read_run_file(const std::string& path);

}  // namespace cimmc
