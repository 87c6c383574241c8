#include "study/refine.hpp"

#include <algorithm>

#include "study/tables.hpp"

namespace cimmc {

namespace {
const std::vector<double>& column(const Table& t, const char* name) {
  return std::get<std::vector<double>>(t.find(name)->data);
}
}  // namespace

// By latency, then energy: a point is on the front when its energy is below
// every faster point's (equal pairs are all kept: none beats the other).
std::vector<std::size_t> pareto_front(const std::vector<double>& energy, const std::vector<double>& latency) {
  std::vector<std::size_t> idx(energy.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    return latency[a] != latency[b] ? latency[a] < latency[b] : energy[a] < energy[b];
  });
  std::vector<std::size_t> front;
  for (std::size_t i : idx) {
    if (!front.empty()) {
      const std::size_t last = front.back();
      const bool same = energy[i] == energy[last] && latency[i] == latency[last];
      if (!same && energy[i] >= energy[last]) continue;
    }
    front.push_back(i);
  }
  std::sort(front.begin(), front.end());
  return front;
}

void RefineRanks::keep_front(double e, double lat, std::int64_t point) {
  const auto dominates = [](double e1, double l1, double e2, double l2) {
    return e1 <= e2 && l1 <= l2 && (e1 < e2 || l1 < l2);
  };
  for (const auto& [fe, fl, fp] : front_)
    if (dominates(fe, fl, e, lat)) return;
  std::erase_if(front_, [&](const auto& f) { return dominates(e, lat, std::get<0>(f), std::get<1>(f)); });
  front_.emplace_back(e, lat, point);
}

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
  const auto& area_eff = column(network, network.find("system_tops_per_mm2") ? "system_tops_per_mm2" : "tops_per_mm2");
  const auto& sq = column(network, "sqnr_db");
  for (std::size_t i = 0; i < point.size(); ++i) {
    keep(energy_, e[i], point[i], false);
    keep(latency_, lat[i], point[i], false);
    keep(area_eff_, area_eff[i], point[i], true);
    if (sqnr_) keep(sqnr_db_, sq[i], point[i], true);
    if (pareto_) keep_front(e[i], lat[i], point[i]);
  }
}

std::set<std::int64_t> RefineRanks::points() const {
  std::set<std::int64_t> out;
  for (const Ranked* r : {&energy_, &latency_, &area_eff_, &sqnr_db_})
    for (const auto& [v, p] : *r) out.insert(p);
  std::vector<double> e, lat;  // the candidates in point order, as the whole table has them
  std::vector<std::tuple<double, double, std::int64_t>> c = front_;
  std::sort(c.begin(), c.end(), [](const auto& a, const auto& b) { return std::get<2>(a) < std::get<2>(b); });
  for (const auto& [ce, cl, cp] : c) {
    e.push_back(ce);
    lat.push_back(cl);
  }
  for (std::size_t i : pareto_front(e, lat)) out.insert(std::get<2>(c[i]));
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
