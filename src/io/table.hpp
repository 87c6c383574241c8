// A column table: what a study file stores per group (/layers, /network,
// /jobs). Columns are float64, int64 or string, each with units and a
// description; rows are appended in order, so a resumed study rebuilds the
// same table as an uninterrupted one.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace cimmc {

struct Column {
  std::string name, units, description;
  std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> data;
  std::size_t size() const;
};

class Table {
 public:
  // Append a value to the named column, creating it (with units and
  // description) on first use. All columns must reach the same length per row.
  void put(const std::string& name, double v, const std::string& units, const std::string& desc);
  void put(const std::string& name, std::int64_t v, const std::string& units, const std::string& desc);
  void put(const std::string& name, const std::string& v, const std::string& units, const std::string& desc);
  void append(const Table& other);           // rows of `other` after ours (same columns)
  std::size_t rows() const;
  const std::vector<Column>& columns() const { return cols_; }
  std::vector<Column>& columns() { return cols_; }
  const Column* find(const std::string& name) const;

 private:
  Column& column(const std::string& name, const std::string& units, const std::string& desc, int kind);
  std::vector<Column> cols_;
};

}  // namespace cimmc
