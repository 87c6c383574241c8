// A JobResult as bytes and back, for the ranks of an MPI run to send their
// tile jobs' results to rank 0. The copy is exact (every histogram count and
// moment bit), so rank 0 prices and writes what a single process would have.
// The bytes are native: the ranks of one job run the same binary on the same
// kind of CPU (the JobView is copied as it is in memory, pointers cleared).
#pragma once
#include <string>
#include <string_view>

#include "engine/result.hpp"

namespace cimmc {

void append_bytes(std::string& out, const JobResult& r);

// Reads one result from the front of `in` and advances it past; throws
// std::runtime_error when `in` ends early.
JobResult take_result(std::string_view& in);

}  // namespace cimmc
