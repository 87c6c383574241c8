#include "engine/result_bytes.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace cimmc {
namespace {

static_assert(std::is_trivially_copyable_v<JobView>, "JobView is sent as raw bytes");
static_assert(std::is_trivially_copyable_v<GroupMoments>, "GroupMoments are sent as raw bytes");

template <class T>
void put(std::string& out, const T* p, std::size_t n) {
  out.append(reinterpret_cast<const char*>(p), n * sizeof(T));
}

template <class T>
void take(std::string_view& in, T* p, std::size_t n) {
  if (in.size() < n * sizeof(T)) throw std::runtime_error("a tile-job result message ends early");
  std::memcpy(static_cast<void*>(p), in.data(), n * sizeof(T));
  in.remove_prefix(n * sizeof(T));
}

template <class T>
void put_vector(std::string& out, const std::vector<T>& v) {
  const std::uint64_t n = v.size();
  put(out, &n, 1);
  put(out, v.data(), v.size());
}

template <class T>
void take_vector(std::string_view& in, std::vector<T>& v) {
  std::uint64_t n = 0;
  take(in, &n, 1);
  if (in.size() / sizeof(T) < n) throw std::runtime_error("a tile-job result message ends early");
  v.resize(n);
  take(in, v.data(), n);
}

}  // namespace

void append_bytes(std::string& out, const JobResult& r) {
  put(out, &r.view, 1);
  put(out, &r.adc_full_scale, 1);
  for (const int* i : {&r.dac_levels, &r.cell_levels, &r.row_bins, &r.adc_codes}) put(out, i, 1);
  put_vector(out, r.hist);
  put_vector(out, r.groups);
  put(out, &r.wall_seconds, 1);
  put_vector(out, std::vector<char>(r.backend.begin(), r.backend.end()));
}

JobResult take_result(std::string_view& in) {
  JobResult r;
  take(in, &r.view, 1);
  take(in, &r.adc_full_scale, 1);
  for (int* i : {&r.dac_levels, &r.cell_levels, &r.row_bins, &r.adc_codes}) take(in, i, 1);
  take_vector(in, r.hist);
  take_vector(in, r.groups);
  take(in, &r.wall_seconds, 1);
  std::vector<char> backend;
  take_vector(in, backend);
  r.backend.assign(backend.begin(), backend.end());
  return r;
}

}  // namespace cimmc
