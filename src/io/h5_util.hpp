// Small typed helpers over the HDF5 C++ API, so the run-file code reads as a
// layout and not as HDF5 plumbing. Every numeric dataset goes through
// write_dataset, which refuses to create one without units and a description.
#pragma once
#include <H5Cpp.h>

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "io/hdf5_file.hpp"  // IoError

namespace cimmc::h5 {

// HDF5 memory type of a C++ arithmetic type. The file type is the same
// fixed-width little-endian type (int -> int32, float -> float32, ...).
template <class T>
const H5::PredType& mem_type() {
  if constexpr (std::is_same_v<T, double>) return H5::PredType::NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, float>) return H5::PredType::NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, std::int32_t>) return H5::PredType::NATIVE_INT32;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return H5::PredType::NATIVE_UINT32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return H5::PredType::NATIVE_INT64;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return H5::PredType::NATIVE_UINT64;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return H5::PredType::NATIVE_UINT8;
  else static_assert(sizeof(T) == 0, "no HDF5 mapping for this type");
}

// All strings in cimmc files are variable-length UTF-8 (h5py reads them as str).
H5::StrType utf8_type();

// HDF5's C library prints its error stack to stderr before the C++ wrapper
// throws. We turn every failure into an IoError with its own message, so the
// stack print is silenced for the guard's lifetime and restored afterwards.
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// Set when a file could not be closed after a failed write: HDF5 (1.10)
// keeps it half-closed ("slist already enabled?") and crashes closing it
// again in its exit handler, so the CLI then leaves without exit handlers.
void mark_library_unusable() noexcept;
bool library_unusable() noexcept;

// "where: what HDF5 said", for wrapping H5::Exception into IoError.
std::string describe(const H5::Exception& e);

// ---- attributes (attributes cannot carry units; their units are documented in
// docs/hdf5-format.md)
void write_attr(const H5::H5Object& obj, const std::string& name, const std::string& value);
void write_attr(const H5::H5Object& obj, const std::string& name, const char* value);
void write_attr_strings(const H5::H5Object& obj, const std::string& name,
                        const std::vector<std::string>& values);

template <class T>
void write_attr_array(const H5::H5Object& obj, const std::string& name, const T* data,
                      std::size_t n) {
  const hsize_t dims[1] = {n};
  H5::Attribute a = obj.createAttribute(name, mem_type<T>(), H5::DataSpace(1, dims));
  a.write(mem_type<T>(), data);
}

template <class T>
void write_attr(const H5::H5Object& obj, const std::string& name, const T& value) {
  static_assert(std::is_arithmetic_v<T>);
  H5::Attribute a = obj.createAttribute(name, mem_type<T>(), H5::DataSpace(H5S_SCALAR));
  a.write(mem_type<T>(), &value);
}

std::string read_attr_string(const H5::H5Object& obj, const std::string& name);
std::vector<std::string> read_attr_strings(const H5::H5Object& obj, const std::string& name);
// Element count of an attribute (1 for a scalar).
hsize_t attr_size(const H5::H5Object& obj, const std::string& name);

template <class T>
std::vector<T> read_attr_array(const H5::H5Object& obj, const std::string& name) {
  std::vector<T> out(attr_size(obj, name));
  obj.openAttribute(name).read(mem_type<T>(), out.data());
  return out;
}

template <class T>
T read_attr(const H5::H5Object& obj, const std::string& name) {
  static_assert(std::is_arithmetic_v<T>);
  if (attr_size(obj, name) != 1)
    throw IoError("attribute '" + name + "' is not a scalar");
  T v{};
  obj.openAttribute(name).read(mem_type<T>(), &v);
  return v;
}

// ---- datasets
struct Meta {
  std::string units;        // e.g. "pJ", "events", "1" for dimensionless
  std::string description;  // one sentence: what the numbers are and how to index them
  bool compress = false;    // chunk (<= [32, 4096] elements) + shuffle + deflate level 4
};

// Creates name under g with shape dims (empty dims = 0-d scalar) and writes the
// data plus the `units` and `description` attributes.
void write_dataset_raw(const H5::Group& g, const std::string& name, const H5::PredType& type,
                       const void* data, const std::vector<hsize_t>& dims, const Meta& meta);

template <class T>
void write_dataset(const H5::Group& g, const std::string& name, const T* data,
                   const std::vector<hsize_t>& dims, const Meta& meta) {
  write_dataset_raw(g, name, mem_type<T>(), data, dims, meta);
}

template <class T>
void write_scalar(const H5::Group& g, const std::string& name, T value, const Meta& meta) {
  write_dataset_raw(g, name, mem_type<T>(), &value, {}, meta);
}

// Shape of a dataset (empty for a 0-d scalar).
std::vector<hsize_t> dataset_dims(const H5::Group& g, const std::string& name);

// Reads a dataset whose shape must equal `expect`; a mismatch is an IoError
// naming the dataset, because it means the file disagrees with its own /job.
template <class T>
std::vector<T> read_dataset(const H5::Group& g, const std::string& name,
                            const std::vector<hsize_t>& expect) {
  if (dataset_dims(g, name) != expect)
    throw IoError("dataset '" + name + "' has a shape that does not match its /job parameters");
  std::size_t n = 1;
  for (hsize_t d : expect) n *= d;
  std::vector<T> out(n);
  g.openDataSet(name).read(out.data(), mem_type<T>());
  return out;
}

// ---- whole files

// Creates `path` atomically: `body` fills an HDF5 file built in memory,
// which write_bytes_atomically (output_path.hpp) writes to a temporary beside
// the file `path` names (symbolic links followed), syncs and renames over it.
// Directories and special files are refused. On any failure IoError is thrown
// and no temporary is left: no reader ever sees a half-written file, and the
// old file (if any) stays as it was.
void write_file_atomically(const std::string& path, const std::function<void(H5::H5File&)>& body);

// Root attributes every cimmc file carries (DESIGN.md "HDF5 files").
void write_provenance(const H5::H5File& f, const char* filetype, const std::string& name,
                      const std::string& config_text, const std::string& config_path, const Provenance& p);
Provenance read_provenance(const H5::H5File& f);
// Refuses files of another type or another major format version.
void check_format(const H5::H5File& f, const char* filetype);

}  // namespace cimmc::h5
