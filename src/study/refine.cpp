#include "study/refine.hpp"

#include <algorithm>

#include "study/tables.hpp"

namespace cimmc {

namespace {
const std::vector<double>& column(const Table& t, const char* name) {
  return std::get<std::vector<double>>(t.find(name)->data);
}
}  // namespace

void RefineRanks::keep(Ranked& r, double v, std::int64_t point, bool higher_is_better) const {
  // Before the first kept row it strictly beats: after its equals, which came earlier.
  const auto at = std::find_if(r.begin(), r.end(), [&](const auto& e) {
    return higher_is_better ? v > e.first : v < e.first;
  });
  if (static_cast<std::size_t>(at - r.begin()) >= k_) return;
  r.insert(at, {v, point});
  if (r.size() > k_) r.pop_back();
}

void RefineRanks::add(const Table& network) {
  const auto& point = std::get<std::vector<std::int64_t>>(network.find("point")->data);
  const auto& e = column(network, "total_pj");
  const auto& lat = column(network, "latency_ns");
  const auto& area_eff = column(network, "tops_per_mm2");
  const auto& sq = column(network, "sqnr_db");
  for (std::size_t i = 0; i < point.size(); ++i) {
    keep(energy_, e[i], point[i], false);
    keep(latency_, lat[i], point[i], false);
    keep(area_eff_, area_eff[i], point[i], true);
    if (sqnr_) keep(sqnr_db_, sq[i], point[i], true);
  }
}

std::set<std::int64_t> RefineRanks::points() const {
  std::set<std::int64_t> out;
  for (const Ranked* r : {&energy_, &latency_, &area_eff_, &sqnr_db_})
    for (const auto& [v, p] : *r) out.insert(p);
  return out;
}

Table merge_rows(const Table& base, const Table& fine, const std::set<std::int64_t>& refined) {
  const auto& bp = std::get<std::vector<std::int64_t>>(base.find("point")->data);
  const auto& fp = std::get<std::vector<std::int64_t>>(fine.find("point")->data);
  Table out;
  std::size_t fi = 0;
  for (std::size_t i = 0; i < bp.size(); ++i) {
    if (!refined.count(bp[i])) {
      append_row(out, base, i);
      continue;
    }
    if (i > 0 && bp[i - 1] == bp[i]) continue;  // this point's fine rows are already in
    while (fi < fp.size() && fp[fi] < bp[i]) ++fi;
    for (; fi < fp.size() && fp[fi] == bp[i]; ++fi) append_row(out, fine, fi);
  }
  return out;
}

}  // namespace cimmc
