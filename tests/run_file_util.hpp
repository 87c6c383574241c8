// A job's run file written to a temporary path and read back (the file is
// removed): the round trip the digital macro tests use to check that a run
// file records what re-pricing needs.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

#include "io/hdf5_file.hpp"
#include "pricing/pricing.hpp"

namespace cimmc::test {

inline RunFile run_file_round_trip(const Config& c, const JobResult& r, const std::string& tag) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("cimmc_" + tag + "_" + std::to_string(::getpid()) + ".h5")).string();
  const EnergyTables t = make_energy_tables(c, r);
  write_run_file(path, c, r, t, price(r, t), Provenance{});
  RunFile f = read_run_file(path);
  std::filesystem::remove(path);
  return f;
}

}  // namespace cimmc::test
