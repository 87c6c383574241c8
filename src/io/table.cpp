#include "io/table.hpp"

#include <stdexcept>

namespace cimmc {

std::size_t Column::size() const {
  return std::visit([](const auto& v) { return v.size(); }, data);
}

Column& Table::column(const std::string& name, const std::string& units, const std::string& desc, int kind) {
  for (Column& c : cols_)
    if (c.name == name) {
      if (static_cast<int>(c.data.index()) != kind) throw std::logic_error("column " + name + " changed type");
      return c;
    }
  Column c{name, units, desc, {}};
  if (kind == 1) c.data = std::vector<std::int64_t>{};
  if (kind == 2) c.data = std::vector<std::string>{};
  cols_.push_back(std::move(c));
  return cols_.back();
}

void Table::put(const std::string& name, double v, const std::string& units, const std::string& desc) {
  std::get<0>(column(name, units, desc, 0).data).push_back(v);
}
void Table::put(const std::string& name, std::int64_t v, const std::string& units, const std::string& desc) {
  std::get<1>(column(name, units, desc, 1).data).push_back(v);
}
void Table::put(const std::string& name, const std::string& v, const std::string& units, const std::string& desc) {
  std::get<2>(column(name, units, desc, 2).data).push_back(v);
}

void Table::append(const Table& other) {
  for (const Column& o : other.cols_) {
    Column& c = column(o.name, o.units, o.description, static_cast<int>(o.data.index()));
    std::visit(
        [&](auto& dst) {
          const auto& src = std::get<std::decay_t<decltype(dst)>>(o.data);
          dst.insert(dst.end(), src.begin(), src.end());
        },
        c.data);
  }
}

std::size_t Table::rows() const { return cols_.empty() ? 0 : cols_.front().size(); }

const Column* Table::find(const std::string& name) const {
  for (const Column& c : cols_)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace cimmc
