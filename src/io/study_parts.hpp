// Internal to src/io: the pieces of a study file that the whole-file writer
// (study_file.cpp) and the streamed writer (study_stream.cpp) share.
#pragma once
#include <H5Cpp.h>

#include "io/study_file.hpp"

namespace cimmc {

// A table as one dataset per column plus the "columns" order attribute.
void write_table(const H5::Group& g, const Table& t);
// Provenance and study attributes and /ranks: all but the row tables /layers, /network and /jobs.
void write_study_head(const H5::H5File& f, const StudyFile& s);

}  // namespace cimmc
