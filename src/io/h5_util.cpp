#include "io/h5_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <array>

#include "io/output_path.hpp"

namespace cimmc::h5 {

H5::StrType utf8_type() {
  H5::StrType t(H5::PredType::C_S1, H5T_VARIABLE);
  t.setCset(H5T_CSET_UTF8);
  return t;
}

QuietErrors::QuietErrors() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

namespace {
std::atomic<bool> unusable{false};
}  // namespace

void mark_library_unusable() noexcept { unusable = true; }
bool library_unusable() noexcept { return unusable; }

std::string describe(const H5::Exception& e) {
  std::string s = e.getFuncName();
  const std::string d = e.getDetailMsg();
  if (!d.empty()) s += (s.empty() ? "" : ": ") + d;
  // The library's innermost reason ("truncated file: eof = ..."), still on
  // the error stack when nothing was called since the failure.
  std::string cause;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD,
           [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
             auto& c = *static_cast<std::string*>(out);
             if (c.empty() && err->desc && *err->desc) c = err->desc;
             return 0;
           },
           &cause);
  if (!cause.empty() && s.find(cause) == std::string::npos) s += (s.empty() ? "" : ": ") + cause;
  return s.empty() ? "HDF5 error" : s;
}

// ---- attributes

void write_attr(const H5::H5Object& obj, const std::string& name, const std::string& value) {
  const H5::StrType t = utf8_type();
  H5::Attribute a = obj.createAttribute(name, t, H5::DataSpace(H5S_SCALAR));
  a.write(t, value);
}

void write_attr(const H5::H5Object& obj, const std::string& name, const char* value) {
  write_attr(obj, name, std::string(value));
}

void write_attr_strings(const H5::H5Object& obj, const std::string& name,
                        const std::vector<std::string>& values) {
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  const hsize_t dims[1] = {values.size()};
  const H5::StrType t = utf8_type();
  // An empty list is a null dataspace: HDF5 cannot write zero-length attributes.
  H5::Attribute a = obj.createAttribute(name, t, values.empty() ? H5::DataSpace(H5S_NULL) : H5::DataSpace(1, dims));
  if (!values.empty()) a.write(t, ptrs.data());
}

hsize_t attr_size(const H5::H5Object& obj, const std::string& name) {
  if (!obj.attrExists(name)) throw IoError("missing attribute '" + name + "'");
  return static_cast<hsize_t>(obj.openAttribute(name).getSpace().getSimpleExtentNpoints());
}

std::string read_attr_string(const H5::H5Object& obj, const std::string& name) {
  if (!obj.attrExists(name)) throw IoError("missing attribute '" + name + "'");
  H5::Attribute a = obj.openAttribute(name);
  if (a.getTypeClass() != H5T_STRING) throw IoError("attribute '" + name + "' is not a string");
  // Reading with the attribute's own string type accepts both fixed- and
  // variable-length strings, so files written by other tools still load.
  std::string s;
  a.read(a.getStrType(), s);
  return s;
}

std::vector<std::string> read_attr_strings(const H5::H5Object& obj, const std::string& name) {
  const hsize_t n = attr_size(obj, name);
  H5::Attribute a = obj.openAttribute(name);
  if (a.getSpace().getSimpleExtentType() == H5S_NULL) return {};
  if (a.getTypeClass() != H5T_STRING) throw IoError("attribute '" + name + "' is not a string");
  const H5::StrType ft = a.getStrType();
  std::vector<std::string> out;
  if (ft.isVariableStr()) {
    const H5::StrType t = utf8_type();
    std::vector<char*> ptrs(n, nullptr);
    a.read(t, ptrs.data());
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    // The library allocated the strings; hand them back the way it expects.
    H5Dvlen_reclaim(t.getId(), a.getSpace().getId(), H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t w = ft.getSize();
    std::vector<char> buf(n * w);
    a.read(ft, buf.data());
    for (hsize_t i = 0; i < n; ++i) {
      const char* p = buf.data() + i * w;
      out.emplace_back(p, std::find(p, p + w, '\0'));
    }
  }
  return out;
}

// ---- datasets

namespace {

// Chunks stay under 32 x 4096 elements: the batch-group axis whole, the
// trailing axes filled from the back, so a chunk is a few hundred KiB at most.
std::vector<hsize_t> chunk_dims(const std::vector<hsize_t>& dims) {
  constexpr hsize_t kLead = 32, kBudget = 4096;
  std::vector<hsize_t> c(dims.size());
  if (dims.size() == 1) {
    c[0] = std::min(dims[0], kBudget);
    return c;
  }
  c[0] = std::min(dims[0], kLead);
  hsize_t budget = kBudget;
  for (std::size_t i = dims.size(); i-- > 1;) {
    c[i] = std::max<hsize_t>(1, std::min(dims[i], budget));
    budget = std::max<hsize_t>(1, budget / c[i]);
  }
  return c;
}

}  // namespace

void write_dataset_raw(const H5::Group& g, const std::string& name, const H5::PredType& type,
                       const void* data, const std::vector<hsize_t>& dims, const Meta& meta) {
  // Refusing here is what makes "every numeric dataset has units" a property of
  // the code rather than a convention.
  if (meta.units.empty() || meta.description.empty())
    throw IoError("dataset '" + name + "' needs units and a description");
  const H5::DataSpace space = dims.empty()
                                  ? H5::DataSpace(H5S_SCALAR)
                                  : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
  H5::DSetCreatPropList plist;
  const bool nonempty =
      !dims.empty() && std::all_of(dims.begin(), dims.end(), [](hsize_t d) { return d > 0; });
  if (meta.compress && nonempty) {
    const std::vector<hsize_t> c = chunk_dims(dims);
    plist.setChunk(static_cast<int>(c.size()), c.data());
    plist.setShuffle();
    plist.setDeflate(4);
  }
  H5::DataSet ds = g.createDataSet(name, type, space, plist);
  ds.write(data, type);
  write_attr(ds, "units", meta.units);
  write_attr(ds, "description", meta.description);
}

std::vector<hsize_t> dataset_dims(const H5::Group& g, const std::string& name) {
  if (!g.nameExists(name)) throw IoError("missing dataset '" + name + "'");
  const H5::DataSpace s = g.openDataSet(name).getSpace();
  std::vector<hsize_t> dims(static_cast<std::size_t>(s.getSimpleExtentNdims()));
  if (!dims.empty()) s.getSimpleExtentDims(dims.data());
  return dims;
}

// ---- whole files

void write_file_atomically(const std::string& path, const std::function<void(H5::H5File&)>& body) {
  const std::string target = resolve_output(path);
  check_replaceable(path, target);
  // The file is built in memory (HDF5's core driver) and written out by
  // write_bytes_atomically. HDF5 itself never writes to disk, so a full disk
  // or a size limit is one failed write() with its errno, not a failed
  // H5Fclose that leaves the library half-closed (closing again crashed it).
  std::vector<unsigned char> image;
  {
    const QuietErrors quiet;
    try {
      H5::FileAccPropList fapl;
      fapl.setFcloseDegree(H5F_CLOSE_STRONG);  // close() releases every object still open
      fapl.setCore(std::size_t{1} << 20, false);
      // The name only identifies the file inside HDF5; nothing is created there.
      H5::H5File f(temporary_of(target), H5F_ACC_TRUNC,
                   H5::FileCreatPropList::DEFAULT, fapl);
      body(f);
      f.flush(H5F_SCOPE_GLOBAL);
      const ssize_t size = H5Fget_file_image(f.getId(), nullptr, 0);
      if (size < 0) throw IoError("cannot write " + path + ": HDF5 gave no file image");
      image.resize(static_cast<std::size_t>(size));
      if (H5Fget_file_image(f.getId(), image.data(), image.size()) != size)
        throw IoError("cannot write " + path + ": HDF5 gave a short file image");
      f.close();
    } catch (const H5::Exception& e) {
      throw IoError("cannot write " + path + ": " + describe(e));
    }
  }
  write_bytes_atomically(path, target, image.data(), image.size());
}

void write_provenance(const H5::H5File& f, const char* filetype, const std::string& name,
                      const std::string& config_text, const std::string& config_path, const Provenance& p) {
  write_attr(f, "filetype", filetype);
  const std::array<int, 2> version = {kFormatMajor, kFormatMinor};
  write_attr_array(f, "format_version", version.data(), version.size());
  write_attr(f, "software_version", p.software_version);
  write_attr(f, "git_sha", p.git_sha);
  write_attr(f, "created", p.created);
  write_attr(f, "seed", p.seed);
  write_attr(f, "backend", p.backend);
  write_attr(f, "device", p.device);
  write_attr(f, "command_line", p.command_line);
  write_attr(f, "name", name);
  write_attr(f, "config", config_text);
  write_attr(f, "config_path", config_path);
}

Provenance read_provenance(const H5::H5File& f) {
  Provenance p;
  p.software_version = read_attr_string(f, "software_version");
  p.git_sha = read_attr_string(f, "git_sha");
  p.created = read_attr_string(f, "created");
  p.backend = read_attr_string(f, "backend");
  p.device = read_attr_string(f, "device");
  p.command_line = read_attr_string(f, "command_line");
  p.seed = read_attr<std::uint64_t>(f, "seed");
  return p;
}

void check_format(const H5::H5File& f, const char* filetype) {
  if (!f.attrExists("filetype")) throw IoError("not a cimmc file (no 'filetype' attribute)");
  const std::string type = read_attr_string(f, "filetype");
  if (type != filetype) throw IoError("filetype is '" + type + "', expected '" + filetype + "'");
  const std::vector<int> ver = read_attr_array<int>(f, "format_version");
  if (ver.size() != 2) throw IoError("format_version must hold [major, minor]");
  if (ver[0] != kFormatMajor)
    throw IoError("format version " + std::to_string(ver[0]) + "." + std::to_string(ver[1]) +
                  " is not readable by this build (reads " + std::to_string(kFormatMajor) + ".x)");
}

}  // namespace cimmc::h5
