// `cimmc inspect FILE` (cmd_inspect.cpp): the pieces every filetype's summary
// shares, and the summary of task files (inspect_task.cpp).
#pragma once
#include <string>

#include "io/hdf5_file.hpp"
#include "io/table.hpp"

namespace cimmc {
// "NAME (TYPE): CREATED", then version, git sha, backend, device, seed and the command line.
void print_provenance(const std::string& type, const Provenance& p, const std::string& name);
// "/GROUP: R rows x C columns" and the column names.
void print_table(const char* group, const Table& t);
// A `cimmc infer -o` file: provenance, model and test set, one line per hardware point, totals.
void print_task_file(const std::string& path);
}  // namespace cimmc
