#include "io/study_stream.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <H5Cpp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "io/h5_util.hpp"
#include "io/output_path.hpp"
#include "io/study_parts.hpp"

namespace cimmc {

namespace {

// Rows per HDF5 chunk: as write_dataset's chunks of whole tables, or fewer
// when the first rows appended are few (a text column's chunk takes 16 bytes
// a row uncompressed: a 3-point sweep's file was 0.5 MB at 4096).
constexpr hsize_t kChunkRows = 4096, kMinChunkRows = 64;
constexpr const char* kGroupNames[3] = {"layers", "network", "jobs"};

// The OS error behind a failed HDF5 call, from the library's error stack: the
// POSIX driver records "error message = '<strerror>'" (e.g. No space left on
// device); "" when the failure was not the file system's.
std::string os_reason() {
  std::string out;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto* s = static_cast<std::string*>(data);
        const char* p = e->desc ? std::strstr(e->desc, "error message = '") : nullptr;
        if (s->empty() && p) {
          p += std::strlen("error message = '");
          const char* q = std::strchr(p, '\'');
          *s = std::string(p, q ? q : p + std::strlen(p));
        }
        return 0;
      },
      &out);
  return out;
}

}  // namespace

struct StudyStream::Group {
  struct Col {
    std::string name;
    std::size_t kind = 0;  // index in Column::data's variant
    H5::DataSet ds;
  };
  H5::Group g;
  std::vector<Col> cols;
  hsize_t rows = 0;

  void create(const Table& t) {
    const hsize_t chunk = std::clamp<hsize_t>(16 * t.rows(), kMinChunkRows, kChunkRows);
    for (const Column& c : t.columns()) {
      const bool text = std::holds_alternative<std::vector<std::string>>(c.data);
      if (!text && (c.units.empty() || c.description.empty()))
        throw IoError("dataset '" + c.name + "' needs units and a description");
      const hsize_t zero = 0, unlimited = H5S_UNLIMITED;
      H5::DSetCreatPropList plist;
      plist.setChunk(1, &chunk);
      if (!text) {  // numbers compress as whole tables do (h5::write_dataset)
        plist.setShuffle();
        plist.setDeflate(4);
      }
      const H5::DataType& type = text ? static_cast<const H5::DataType&>(h5::utf8_type())
                                      : std::holds_alternative<std::vector<double>>(c.data)
                                            ? static_cast<const H5::DataType&>(h5::mem_type<double>())
                                            : static_cast<const H5::DataType&>(h5::mem_type<std::int64_t>());
      // Rows are only appended, so a few chunks of cache suffice; HDF5's
      // default (1 MiB per dataset) held 140 MB for a ResNet-18 study's columns.
      H5::DSetAccPropList dapl;
      dapl.setChunkCache(521, 4 * chunk * sizeof(double), 1.0);
      Col col{c.name, c.data.index(),
              g.createDataSet(c.name, type, H5::DataSpace(1, &zero, &unlimited), plist, dapl)};
      h5::write_attr(col.ds, "units", c.units);
      h5::write_attr(col.ds, "description", c.description);
      cols.push_back(std::move(col));
    }
  }

  Table pending;  // rows not yet written: they go out kChunkRows at a time

  // Rows are gathered and written a chunk's worth at a time: extending and
  // writing every column for each small append cost a sampled study of 3,000
  // points more time than its roll-up (the rows are safe in the checkpoint log).
  void append(const Table& t) {
    if (t.rows() == 0) return;
    pending.append(t);
    if (pending.rows() >= kChunkRows) flush();
  }
  void flush() {
    write(pending);
    pending = Table{};
  }

  void write(const Table& t) {
    const hsize_t n = t.rows();
    if (n == 0) return;
    if (cols.empty()) create(t);
    if (t.columns().size() != cols.size()) throw std::logic_error("StudyStream: a chunk with other columns");
    if (n == 0) return;
    const hsize_t total = rows + n;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const Column& c = t.columns()[i];
      Col& col = cols[i];
      if (c.name != col.name || c.data.index() != col.kind)
        throw std::logic_error("StudyStream: column " + c.name + " differs from the first chunk's");
      col.ds.extend(&total);
      H5::DataSpace file_space = col.ds.getSpace();
      file_space.selectHyperslab(H5S_SELECT_SET, &n, &rows);
      const H5::DataSpace mem_space(1, &n);
      if (const auto* d = std::get_if<std::vector<double>>(&c.data)) {
        col.ds.write(d->data(), h5::mem_type<double>(), mem_space, file_space);
      } else if (const auto* v = std::get_if<std::vector<std::int64_t>>(&c.data)) {
        col.ds.write(v->data(), h5::mem_type<std::int64_t>(), mem_space, file_space);
      } else {
        std::vector<const char*> ptrs;
        for (const std::string& s : std::get<std::vector<std::string>>(c.data)) ptrs.push_back(s.c_str());
        col.ds.write(ptrs.data(), h5::utf8_type(), mem_space, file_space);
      }
    }
    rows = total;
  }

  void seal() {
    flush();
    std::vector<std::string> order;
    for (const Col& c : cols) order.push_back(c.name);
    h5::write_attr_strings(g, "columns", order);  // as write_table: HDF5 would list them alphabetically
    // Closed here, not by destructors, which would only print a failure.
    for (Col& c : cols) c.ds.close();
    g.close();
  }
};

StudyStream::StudyStream(std::string shown, std::string target)
    : shown_(std::move(shown)), target_(std::move(target)), tmp_(temporary_of(target_)) {
  const h5::QuietErrors quiet;
  ::unlink(tmp_.c_str());  // a leftover of an earlier process with our pid
  try {
    H5::FileAccPropList fapl;
    fapl.setFcloseDegree(H5F_CLOSE_STRONG);
    file_ = std::make_unique<H5::H5File>(tmp_, H5F_ACC_EXCL, H5::FileCreatPropList::DEFAULT, fapl);
    void* handle = nullptr;
    if (H5Fget_vfd_handle(file_->getId(), H5P_DEFAULT, &handle) >= 0 && handle) fd_ = *static_cast<int*>(handle);
    for (int i = 0; i < 3; ++i) {
      groups_[i] = std::make_unique<Group>();
      groups_[i]->g = file_->createGroup(kGroupNames[i]);
    }
  } catch (const H5::Exception& e) {
    fail("creating " + tmp_ + ": " + h5::describe(e));
  }
}

StudyStream::~StudyStream() { discard(); }

std::size_t StudyStream::rows_written(int group) const {
  return groups_[group] ? groups_[group]->rows + groups_[group]->pending.rows() : 0;
}

void StudyStream::append(const Table& layers, const Table& network, const Table& jobs) {
  const h5::QuietErrors quiet;
  try {
    groups_[0]->append(layers);
    groups_[1]->append(network);
    groups_[2]->append(jobs);
  } catch (const H5::Exception& e) {
    fail("appending rows to " + tmp_ + ": " + h5::describe(e));
  }
}

void StudyStream::finish(const StudyFile& head) {
  {
    const h5::QuietErrors quiet;
    try {
      write_study_head(*file_, head);
      for (auto& g : groups_) {
        g->seal();
        g.reset();
      }
      file_->flush(H5F_SCOPE_GLOBAL);
    } catch (const H5::Exception& e) {
      fail("writing " + tmp_ + ": " + h5::describe(e));
    }
    try {
      file_->close();
    } catch (const H5::Exception& e) {
      // Not closed again (that crashed HDF5); see h5::library_unusable.
      write_failed_ = true;
      release_descriptor();
      (void)file_.release();
      h5::mark_library_unusable();
      fail("closing " + tmp_ + ": " + h5::describe(e));
    }
    file_.reset();
  }
  commit_temporary(shown_, tmp_, target_);
  committed_ = true;
}

void StudyStream::fail(const std::string& what) {
  const std::string reason = os_reason();
  write_failed_ = true;
  discard();
  const bool existed = ::access(target_.c_str(), F_OK) == 0;
  throw IoError("cannot write " + shown_ + ": " + what + (reason.empty() ? "" : ": " + reason) +
                (existed ? " (the existing file was left as it was)" : ""));
}

// After a failed write HDF5 can neither flush nor close the file, and its exit
// handler then crashed closing it again. Pointed at an anonymous memory file,
// the file's descriptor takes every write and truncate (/dev/null took the
// writes but not the truncate at close, so a failed flush still crashed), so
// the objects close normally; the temporary is removed by name.
void StudyStream::release_descriptor() noexcept {
  if (fd_ < 0) return;
  int sink = ::memfd_create("cimmc-discarded", MFD_CLOEXEC);
  if (sink < 0) sink = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (sink >= 0) {
    ::dup2(sink, fd_);
    ::close(sink);
  }
  fd_ = -1;
}

void StudyStream::discard() noexcept {
  const h5::QuietErrors quiet;
  if (write_failed_ && file_) release_descriptor();
  for (auto& g : groups_) {
    if (!g) continue;
    for (Group::Col& c : g->cols) try {
        c.ds.close();
      } catch (...) {  // HDF5 drops the id even when the close fails
      }
    try {
      g->g.close();
    } catch (...) {
    }
    g.reset();
  }
  if (file_) {
    try {
      file_->close();
      file_.reset();
    } catch (...) {  // closing it again (the destructor would) crashed HDF5
      h5::mark_library_unusable();
      (void)file_.release();
    }
  }
  if (!committed_) ::unlink(tmp_.c_str());
}

}  // namespace cimmc
