#include "chiplet/links.hpp"

#include <stdexcept>

namespace cimmc::chiplet {
namespace {

// The last stage of the earlier layer named `name`, as seen from layer `l`.
std::size_t last_stage_of(const std::vector<LayerShape>& layers, const Placement& p, std::size_t l,
                          const std::string& name, const char* key) {
  for (std::size_t k = 0; k < l; ++k)
    if (layers[k].name == name) return p.first_stage[k] + static_cast<std::size_t>(layers[k].repeat) - 1;
  throw std::invalid_argument("layer " + layers[l].name + ": " + key + " '" + name + "' is not an earlier layer");
}

}  // namespace

StageLinks link_stages(const std::vector<LayerShape>& layers, const Placement& p) {
  StageLinks g;
  g.readers.resize(p.stages.size());
  g.adders.resize(p.stages.size());
  for (std::size_t i = 0; i < p.stages.size(); ++i) {
    const Stage& st = p.stages[i];
    const LayerShape& l = layers[st.layer];
    if (st.copy > 0 || l.input_name.empty()) {
      if (i > 0) g.readers[i - 1].push_back(i);
    } else {
      g.readers[last_stage_of(layers, p, st.layer, l.input_name, "input")].push_back(i);
    }
    if (st.copy == 0 && !l.residual_name.empty())
      g.adders[last_stage_of(layers, p, st.layer, l.residual_name, "residual")].push_back(i);
  }
  return g;
}

}  // namespace cimmc::chiplet
