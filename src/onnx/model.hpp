// The parts of an ONNX ModelProto that cimmc reads (onnx.proto field numbers
// in model.cpp): the graph's nodes with their attributes, the initializers
// (weights) and the shapes of the graph's inputs and outputs.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "onnx/wire.hpp"

namespace cimmc::onnx {

// A tensor's values: floating types in `f`, integer types in `i`.
struct Tensor {
  std::string name;
  std::vector<std::int64_t> dims;
  int data_type = 0;  // TensorProto.DataType: 1 float, 6 int32, 7 int64, 11 double
  std::vector<float> f;
  std::vector<std::int64_t> i;
  std::int64_t count() const;  // product of dims (1 for a scalar)
};

struct Attribute {
  std::string name;
  float f = 0;
  std::int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<std::int64_t> ints;
  std::vector<Tensor> t;  // zero or one
};

struct Node {
  std::string name, op_type, domain;
  std::vector<std::string> inputs, outputs;
  std::vector<Attribute> attrs;
  const Attribute* attr(std::string_view name) const;  // nullptr when absent
  std::string label() const;  // "node 'NAME' (OP)" for messages
};

// A graph input or output: -1 for a symbolic (named) dimension.
struct ValueInfo {
  std::string name;
  std::vector<std::int64_t> dims;
};

struct Model {
  std::int64_t ir_version = 0, opset = 0;
  std::string producer;
  std::vector<Node> nodes;
  std::vector<Tensor> initializers;
  std::vector<ValueInfo> inputs, outputs;
};

// Decodes serialized ModelProto bytes; `source` names them in errors.
Model parse_model(std::string_view bytes, const std::string& source);
// Reads and decodes a file (OnnxError when it cannot be read, exit 2).
Model read_model(const std::string& path);

}  // namespace cimmc::onnx
