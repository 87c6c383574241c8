// Which stages of a placed network feed which (issue 15): the dataflow graph
// the traffic follows. A stage reads the last copy of its layer's `input`
// layer (LayerShape::input_name), or, without one, the stage before it (a
// chain: copy c of a repeated layer reads copy c - 1); the first stage reads
// the network input. A layer with a `residual` receives the last copy of
// that layer's output as a skip tensor on its first (only) copy.
#pragma once
#include <cstddef>
#include <vector>

#include "chiplet/placement.hpp"

namespace cimmc::chiplet {

struct StageLinks {
  std::vector<std::vector<std::size_t>> readers;  // per stage: the stages that read its output
  std::vector<std::vector<std::size_t>> adders;   // per stage: the stages that add its output (skip)
};

// Throws std::invalid_argument when a name is not an earlier layer's (the
// config reader refuses that first, naming the key).
StageLinks link_stages(const std::vector<LayerShape>& layers, const Placement& p);

}  // namespace cimmc::chiplet
