#include "io/study_file.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>

#include "io/h5_util.hpp"
#include "io/study_parts.hpp"

namespace cimmc {

void write_table(const H5::Group& g, const Table& t) {
  const std::vector<hsize_t> dims = {t.rows()};
  for (const Column& c : t.columns()) {
    const h5::Meta meta{c.units, c.description, t.rows() > 0};
    if (const auto* d = std::get_if<std::vector<double>>(&c.data)) {
      h5::write_dataset(g, c.name, d->data(), dims, meta);
    } else if (const auto* i = std::get_if<std::vector<std::int64_t>>(&c.data)) {
      h5::write_dataset(g, c.name, i->data(), dims, meta);
    } else {
      // Strings: variable-length UTF-8, with the same units/description attributes.
      const auto& s = std::get<std::vector<std::string>>(c.data);
      std::vector<const char*> ptrs;
      for (const std::string& x : s) ptrs.push_back(x.c_str());
      H5::DataSpace space(1, dims.data());
      H5::DataSet ds = g.createDataSet(c.name, h5::utf8_type(), space);
      if (!ptrs.empty()) ds.write(ptrs.data(), h5::utf8_type());
      h5::write_attr(ds, "units", c.units);
      h5::write_attr(ds, "description", c.description);
    }
  }
  std::vector<std::string> order;
  for (const Column& c : t.columns()) order.push_back(c.name);
  h5::write_attr_strings(g, "columns", order);  // HDF5 lists names alphabetically; keep ours
}

namespace {

// Rows [first, first + count) of a table (clipped to its length); every row
// by default.
Table read_table(const H5::Group& g, hsize_t first = 0, hsize_t count = ~hsize_t{0}) {
  Table t;
  for (const std::string& name : h5::read_attr_strings(g, "columns")) {
    const H5::DataSet ds = g.openDataSet(name);
    const std::string units = h5::read_attr_string(ds, "units"), desc = h5::read_attr_string(ds, "description");
    hsize_t total = 0;
    H5::DataSpace file_space = ds.getSpace();
    file_space.getSimpleExtentDims(&total);
    const hsize_t from = std::min(first, total), n = std::min(count, total - from);
    file_space.selectHyperslab(H5S_SELECT_SET, &n, &from);
    const H5::DataSpace mem_space(1, &n);
    const H5T_class_t cls = ds.getTypeClass();
    if (cls == H5T_STRING) {
      std::vector<char*> ptrs(n, nullptr);
      if (n) ds.read(ptrs.data(), h5::utf8_type(), mem_space, file_space);
      for (char* p : ptrs) t.put(name, std::string(p ? p : ""), units, desc);
      if (n) H5Dvlen_reclaim(h5::utf8_type().getId(), mem_space.getId(), H5P_DEFAULT, ptrs.data());
    } else if (cls == H5T_INTEGER) {
      std::vector<std::int64_t> v(n);
      if (n) ds.read(v.data(), h5::mem_type<std::int64_t>(), mem_space, file_space);
      for (auto x : v) t.put(name, x, units, desc);
    } else {
      std::vector<double> v(n);
      if (n) ds.read(v.data(), h5::mem_type<double>(), mem_space, file_space);
      for (double x : v) t.put(name, x, units, desc);
    }
  }
  return t;
}

}  // namespace

void write_study_head(const H5::H5File& f, const StudyFile& s) {
  h5::write_provenance(f, kStudyFileType, s.name, s.config_text, s.config_path, s.prov);
  h5::write_attr_strings(f, "sweep_keys", s.sweep_keys);
  h5::write_attr(f, "points_total", s.points_total);
  h5::write_attr(f, "points_done", s.points_done);
  h5::write_attr(f, "samples", s.samples);
  h5::write_attr(f, "complete", static_cast<std::uint8_t>(s.complete));
  if (s.shard.count > 0) {
    h5::write_attr(f, "shard_index", s.shard.index);
    h5::write_attr(f, "shard_count", s.shard.count);
    h5::write_attr(f, "shard_point_begin", s.shard.begin);
    h5::write_attr(f, "shard_point_end", s.shard.end);
  }
  h5::write_attr(f, "ci_note", s.ci_note);
  if (s.ranks.rows() > 0) write_table(f.createGroup("ranks"), s.ranks);
}

void write_study_file(const std::string& path, const StudyFile& s) {
  h5::write_file_atomically(path, [&](H5::H5File& f) {
    write_study_head(f, s);
    write_table(f.createGroup("layers"), s.layers);
    write_table(f.createGroup("network"), s.network);
    write_table(f.createGroup("jobs"), s.jobs);
  });
}

void write_validation_file(const std::string& path, const StudyFile& meta, const Table& validation) {
  h5::write_file_atomically(path, [&](H5::H5File& f) {
    h5::write_provenance(f, kValidationFileType, meta.name, meta.config_text, meta.config_path, meta.prov);
    h5::write_attr(f, "ci_note", meta.ci_note);
    write_table(f.createGroup("validation"), validation);
  });
}

void write_task_file(const std::string& path, const StudyFile& meta, const Table& task) {
  h5::write_file_atomically(path, [&](H5::H5File& f) {
    h5::write_provenance(f, kTaskFileType, meta.name, meta.config_text, meta.config_path, meta.prov);
    h5::write_attr_strings(f, "sweep_keys", meta.sweep_keys);
    write_table(f.createGroup("task"), task);
  });
}

namespace {

// Opens a cimmc file of `type` and runs `body` on it; every failure is an
// IoError "cannot read PATH: why".
template <class F>
auto read_cimmc_file(const std::string& path, const char* type, F body) {
  const h5::QuietErrors quiet;
  try {
    if (!std::filesystem::exists(path)) throw IoError("no such file");
    if (!H5::H5File::isHdf5(path)) throw IoError("not an HDF5 file");
    const H5::H5File f(path, H5F_ACC_RDONLY);
    h5::check_format(f, type);
    return body(f);
  } catch (const H5::Exception& e) {
    throw IoError("cannot read " + path + ": " + h5::describe(e));
  } catch (const IoError& e) {
    throw IoError("cannot read " + path + ": " + e.what());
  }
}

// The root attributes study and task files share: provenance, name, config, swept keys.
template <class File>
void read_head(const H5::H5File& f, File& s) {
  s.prov = h5::read_provenance(f);
  s.name = h5::read_attr_string(f, "name");
  s.config_text = h5::read_attr_string(f, "config");
  s.config_path = h5::read_attr_string(f, "config_path");
  s.sweep_keys = h5::read_attr_strings(f, "sweep_keys");
}

}  // namespace

StudyFile read_study_file(const std::string& path, bool rows) {
  return read_cimmc_file(path, kStudyFileType, [rows](const H5::H5File& f) {
    StudyFile s;
    read_head(f, s);
    s.points_total = h5::read_attr<std::uint64_t>(f, "points_total");
    s.points_done = h5::read_attr<std::uint64_t>(f, "points_done");
    s.samples = h5::read_attr<std::uint64_t>(f, "samples");
    s.complete = h5::read_attr<std::uint8_t>(f, "complete") != 0;
    if (f.attrExists("shard_count")) {
      s.shard.index = h5::read_attr<std::uint64_t>(f, "shard_index");
      s.shard.count = h5::read_attr<std::uint64_t>(f, "shard_count");
      s.shard.begin = h5::read_attr<std::uint64_t>(f, "shard_point_begin");
      s.shard.end = h5::read_attr<std::uint64_t>(f, "shard_point_end");
    }
    if (f.attrExists("ci_note")) s.ci_note = h5::read_attr_string(f, "ci_note");  // format 2.1
    if (rows) {
      s.layers = read_table(f.openGroup("layers"));
      s.network = read_table(f.openGroup("network"));
    }
    s.jobs = read_table(f.openGroup("jobs"));
    if (f.nameExists("ranks")) s.ranks = read_table(f.openGroup("ranks"));  // MPI runs only
    return s;
  });
}

void for_each_row_block(const std::string& path, const std::string& group, std::size_t block,
                        const std::function<void(const Table&)>& fn) {
  std::exception_ptr failed;  // fn's own error, passed on as it is (not as a read error)
  read_cimmc_file(path, kStudyFileType, [&](const H5::H5File& f) {
    const H5::Group g = f.openGroup(group);
    const std::vector<std::string> columns = h5::read_attr_strings(g, "columns");
    hsize_t total = 0;
    if (!columns.empty()) g.openDataSet(columns.front()).getSpace().getSimpleExtentDims(&total);
    for (hsize_t first = 0; first < total && !failed; first += block) {
      const Table rows = read_table(g, first, block);
      try {
        fn(rows);
      } catch (...) {
        failed = std::current_exception();
      }
    }
    return 0;
  });
  if (failed) std::rethrow_exception(failed);
}

TaskFile read_task_file(const std::string& path) {
  return read_cimmc_file(path, kTaskFileType, [](const H5::H5File& f) {
    TaskFile t;
    read_head(f, t);
    t.task = read_table(f.openGroup("task"));
    return t;
  });
}

}  // namespace cimmc
