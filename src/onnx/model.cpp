#include "onnx/model.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

namespace cimmc::onnx {

namespace {

std::string str(const Field& f) { return std::string(f.bytes); }

// TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7,
// name 8, raw_data 9, double_data 10, data_location 14 (1 = external).
Tensor read_tensor(std::string_view msg, const std::string& what) {
  Tensor t;
  std::string_view raw;
  bool external = false;
  std::vector<double> dbl;
  WireReader r(msg, what);
  for (Field f; r.next(f);) {
    switch (f.number) {
      case 1: append_int64s(f, t.dims, what + " dims"); break;
      case 2: t.data_type = static_cast<int>(f.value); break;
      case 4: append_floats(f, t.f, what + " float_data"); break;
      case 5: case 7: append_int64s(f, t.i, what + " integer data"); break;
      case 8: t.name = str(f); break;
      case 9: raw = f.bytes; break;
      case 10: append_doubles(f, dbl, what + " double_data"); break;
      case 14: external = f.value == 1; break;
      default: break;
    }
  }
  const std::string label = "tensor '" + t.name + "'";
  if (external) throw OnnxError(label + ": weights in an external data file are not supported (save the model with them inside)");
  for (double d : dbl) t.f.push_back(static_cast<float>(d));
  if (!raw.empty()) {
    const std::size_t elem = t.data_type == 1 || t.data_type == 6 ? 4 : t.data_type == 7 || t.data_type == 11 ? 8 : 0;
    if (!elem) throw OnnxError(label + ": data type " + std::to_string(t.data_type) +
                               " is not supported (float, double, int32, int64 are)");
    if (raw.size() % elem) throw OnnxError(label + ": raw_data of " + std::to_string(raw.size()) +
                                           " bytes is not a whole number of elements");
    const std::size_t n = raw.size() / elem;
    for (std::size_t k = 0; k < n; ++k) {
      const char* p = raw.data() + k * elem;
      if (t.data_type == 1) { float x; std::memcpy(&x, p, 4); t.f.push_back(x); }
      else if (t.data_type == 11) { double x; std::memcpy(&x, p, 8); t.f.push_back(static_cast<float>(x)); }
      else if (t.data_type == 6) { std::int32_t x; std::memcpy(&x, p, 4); t.i.push_back(x); }
      else { std::int64_t x; std::memcpy(&x, p, 8); t.i.push_back(x); }
    }
  }
  const std::size_t have = t.f.size() + t.i.size();
  if (static_cast<std::int64_t>(have) != t.count())
    throw OnnxError(label + ": holds " + std::to_string(have) + " values but its dims make " +
                    std::to_string(t.count()));
  return t;
}

// AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8.
Attribute read_attribute(std::string_view msg, const std::string& what) {
  Attribute a;
  WireReader r(msg, what);
  for (Field f; r.next(f);) {
    switch (f.number) {
      case 1: a.name = str(f); break;
      case 2: a.f = as_float(f); break;
      case 3: a.i = static_cast<std::int64_t>(f.value); break;
      case 4: a.s = str(f); break;
      case 5: a.t.push_back(read_tensor(f.bytes, what + " tensor")); break;
      case 7: append_floats(f, a.floats, what + " floats"); break;
      case 8: append_int64s(f, a.ints, what + " ints"); break;
      default: break;
    }
  }
  return a;
}

// NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7.
Node read_node(std::string_view msg, std::size_t index) {
  Node n;
  const std::string what = "node #" + std::to_string(index);
  WireReader r(msg, what);
  std::vector<std::string_view> attrs;
  for (Field f; r.next(f);) {
    switch (f.number) {
      case 1: n.inputs.push_back(str(f)); break;
      case 2: n.outputs.push_back(str(f)); break;
      case 3: n.name = str(f); break;
      case 4: n.op_type = str(f); break;
      case 5: attrs.push_back(f.bytes); break;
      case 7: n.domain = str(f); break;
      default: break;
    }
  }
  if (n.name.empty()) n.name = what;  // ONNX names are optional
  for (std::string_view a : attrs) n.attrs.push_back(read_attribute(a, n.label() + " attribute"));
  return n;
}

// ValueInfoProto: name 1, type 2 -> TypeProto.tensor_type 1 -> shape 2 ->
// dim 1 -> dim_value 1 | dim_param 2.
ValueInfo read_value_info(std::string_view msg, const std::string& what) {
  ValueInfo v;
  WireReader r(msg, what);
  for (Field f; r.next(f);) {
    if (f.number == 1) v.name = str(f);
    if (f.number != 2) continue;
    WireReader type(f.bytes, what);
    for (Field tt; type.next(tt);) {
      if (tt.number != 1) continue;
      WireReader tensor(tt.bytes, what);
      for (Field sh; tensor.next(sh);) {
        if (sh.number != 2) continue;
        WireReader shape(sh.bytes, what);
        for (Field d; shape.next(d);) {
          if (d.number != 1) continue;
          std::int64_t value = -1;
          WireReader dim(d.bytes, what);
          for (Field dv; dim.next(dv);)
            if (dv.number == 1) value = static_cast<std::int64_t>(dv.value);
          v.dims.push_back(value);
        }
      }
    }
  }
  return v;
}

// GraphProto: node 1, initializer 5, input 11, output 12.
void read_graph(std::string_view msg, Model& m) {
  WireReader r(msg, "graph");
  for (Field f; r.next(f);) {
    switch (f.number) {
      case 1: m.nodes.push_back(read_node(f.bytes, m.nodes.size())); break;
      case 5: m.initializers.push_back(read_tensor(f.bytes, "initializer #" + std::to_string(m.initializers.size()))); break;
      case 11: m.inputs.push_back(read_value_info(f.bytes, "graph input")); break;
      case 12: m.outputs.push_back(read_value_info(f.bytes, "graph output")); break;
      default: break;
    }
  }
}

}  // namespace

std::int64_t Tensor::count() const {
  std::int64_t n = 1;
  for (std::int64_t d : dims) n *= d;
  return n;
}

const Attribute* Node::attr(std::string_view name) const {
  for (const Attribute& a : attrs)
    if (a.name == name) return &a;
  return nullptr;
}

std::string Node::label() const { return "node '" + name + "' (" + op_type + ")"; }

// ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 ->
// OperatorSetIdProto domain 1, version 2.
Model parse_model(std::string_view bytes, const std::string& source) {
  Model m;
  bool graph = false;
  try {
    WireReader r(bytes, "model");
    for (Field f; r.next(f);) {
      if (f.number == 1 && f.type == WireType::varint) m.ir_version = static_cast<std::int64_t>(f.value);
      if (f.number == 2 && f.type == WireType::bytes) m.producer = str(f);
      if (f.number == 7 && f.type == WireType::bytes) {
        read_graph(f.bytes, m);
        graph = true;
      }
      if (f.number == 8 && f.type == WireType::bytes) {
        std::string domain;
        std::int64_t version = 0;
        WireReader op(f.bytes, "opset_import");
        for (Field o; op.next(o);) {
          if (o.number == 1) domain = str(o);
          if (o.number == 2) version = static_cast<std::int64_t>(o.value);
        }
        if (domain.empty() || domain == "ai.onnx") m.opset = version;
      }
    }
  } catch (const OnnxError& e) {
    throw OnnxError(source + ": " + e.what());
  }
  if (!graph || m.ir_version == 0) throw OnnxError(source + ": not an ONNX model (no graph or no ir_version)");
  return m;
}

Model read_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw OnnxError(path + ": cannot open ONNX file: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_model(ss.str(), path);
}

}  // namespace cimmc::onnx
