#include "config/yaml_limits.hpp"

#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

namespace cimmc::config_detail {
namespace {

// Counts node events; throws Past at the first one beyond the limit, which
// ends the parse there (the handler's only way out).
struct Past {
  int line;
};
class NodeCounter : public YAML::EventHandler {
 public:
  explicit NodeCounter(std::size_t limit) : limit_(limit) {}
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { bump(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { bump(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { bump(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    bump(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    bump(m);
  }
  void OnMapEnd() override {}

 private:
  void bump(const YAML::Mark& m) {
    if (++count_ > limit_) throw Past{m.line >= 0 ? m.line + 1 : 1};
  }
  std::size_t limit_, count_ = 0;
};

}  // namespace

int yaml_nodes_past(const std::string& text, std::size_t limit) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  NodeCounter counter(limit);
  try {
    while (parser.HandleNextDocument(counter)) {
    }
  } catch (const Past& p) {
    return p.line;
  }
  return 0;
}

int expanded_nodes_past(const YAML::Node& root, std::size_t limit) {
  std::size_t count = 0;
  std::vector<YAML::Node> todo{root};
  while (!todo.empty()) {
    const YAML::Node n = todo.back();
    todo.pop_back();
    if (++count > limit) return n.Mark().line >= 0 ? n.Mark().line + 1 : 1;
    if (n.IsMap())
      for (auto it = n.begin(); it != n.end(); ++it) {
        todo.push_back(it->first);
        todo.push_back(it->second);
      }
    else if (n.IsSequence())
      for (const YAML::Node& c : n) todo.push_back(c);
  }
  return 0;
}

YAML::Node load_bounded(const std::string& text) {
  if (const int line = yaml_nodes_past(text)) throw YamlTooLarge{line};
  return YAML::Load(text);
}

}  // namespace cimmc::config_detail
