#include "spec/technology.hpp"

namespace cimmc::tech {

bool has_node(int node_nm) {
  for (int n : kNodesNm)
    if (n == node_nm) return true;
  return false;
}

std::string node_list() {
  std::string s;
  for (int n : kNodesNm) s += (s.empty() ? "" : ", ") + std::to_string(n);
  return s;
}

double cap_scale(int node_nm) { return node_nm / 28.0; }

}  // namespace cimmc::tech
