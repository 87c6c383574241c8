// The protobuf wire format, as far as reading ONNX needs it: varints, 32- and
// 64-bit fixed fields and length-delimited fields (strings, bytes, nested
// messages, packed repeated numbers). A field the reader does not know is
// skipped by its wire type, as protobuf itself does.
//
// Why not libprotobuf: ONNX needs five message types of onnx.proto, about 40
// fields, read once per run; generated code would add protoc, the .proto file
// and a library to the build for what this decoder and model.cpp do in ~330
// lines (docs/config.md, `task`).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cimmc::onnx {

// A malformed or unsupported ONNX file: bad input, exit 2. The message names
// the node (or tensor) and what is wrong.
struct OnnxError : std::runtime_error { using std::runtime_error::runtime_error; };

enum class WireType : int { varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 };

// One field of a message: its number, wire type and payload.
struct Field {
  int number = 0;
  WireType type = WireType::varint;
  std::uint64_t value = 0;   // varint, fixed64, fixed32
  std::string_view bytes;    // length-delimited payload
};

// Iterates over the fields of one message held in `data` (not owned).
class WireReader {
 public:
  explicit WireReader(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}
  bool next(Field& f);  // false at the end; OnnxError when truncated or malformed

 private:
  std::uint64_t varint();
  std::string_view data_;
  std::size_t pos_ = 0;
  std::string what_;  // names the message in errors
};

// Repeated numeric fields may be packed (one bytes field) or not (one field
// per value); these append either form.
void append_int64s(const Field& f, std::vector<std::int64_t>& out, const std::string& what);
void append_floats(const Field& f, std::vector<float>& out, const std::string& what);
void append_doubles(const Field& f, std::vector<double>& out, const std::string& what);

float as_float(const Field& f);  // a fixed32 field's bits
double as_double(const Field& f);

}  // namespace cimmc::onnx
