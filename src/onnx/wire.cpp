#include "onnx/wire.hpp"

#include <cstring>

namespace cimmc::onnx {

namespace {

std::uint64_t read_varint(std::string_view d, std::size_t& pos, const std::string& what) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= d.size()) throw OnnxError(what + ": truncated varint (the file is cut short or not ONNX)");
    const auto b = static_cast<std::uint8_t>(d[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return v;
  }
  throw OnnxError(what + ": varint longer than 10 bytes (not an ONNX file?)");
}

}  // namespace

std::uint64_t WireReader::varint() { return read_varint(data_, pos_, what_); }

bool WireReader::next(Field& f) {
  if (pos_ >= data_.size()) return false;
  const std::uint64_t tag = varint();
  f.number = static_cast<int>(tag >> 3);
  const int type = static_cast<int>(tag & 7);
  if (f.number == 0) throw OnnxError(what_ + ": field number 0 (not an ONNX file?)");
  auto need = [&](std::uint64_t n) {
    if (n > data_.size() - pos_)
      throw OnnxError(what_ + ": field " + std::to_string(f.number) + " runs past the end of its message (" +
                      std::to_string(n) + " bytes, " + std::to_string(data_.size() - pos_) + " left)");
  };
  switch (type) {
    case 0: f.type = WireType::varint; f.value = varint(); break;
    case 1:
      need(8);
      f.type = WireType::fixed64;
      std::memcpy(&f.value, data_.data() + pos_, 8);  // little-endian, as x86
      pos_ += 8;
      break;
    case 2: {
      const std::uint64_t n = varint();
      need(n);
      f.type = WireType::bytes;
      f.bytes = data_.substr(pos_, n);
      pos_ += n;
      break;
    }
    case 5: {
      need(4);
      std::uint32_t v;
      std::memcpy(&v, data_.data() + pos_, 4);
      f.type = WireType::fixed32;
      f.value = v;
      pos_ += 4;
      break;
    }
    default:
      throw OnnxError(what_ + ": field " + std::to_string(f.number) + " has wire type " + std::to_string(type) +
                      " (groups or garbage; not an ONNX file?)");
  }
  return true;
}

float as_float(const Field& f) {
  const auto bits = static_cast<std::uint32_t>(f.value);
  float x;
  std::memcpy(&x, &bits, 4);
  return x;
}

double as_double(const Field& f) {
  double x;
  std::memcpy(&x, &f.value, 8);
  return x;
}

void append_int64s(const Field& f, std::vector<std::int64_t>& out, const std::string& what) {
  if (f.type == WireType::varint) {
    out.push_back(static_cast<std::int64_t>(f.value));
    return;
  }
  if (f.type != WireType::bytes) throw OnnxError(what + ": integer list with the wrong wire type");
  // A packed list is varints back to back.
  std::size_t pos = 0;
  while (pos < f.bytes.size()) out.push_back(static_cast<std::int64_t>(read_varint(f.bytes, pos, what)));
}

namespace {

// A packed list of fixed-size values (float, double) or a single one.
template <class T>
void append_fixed(const Field& f, std::vector<T>& out, const std::string& what, WireType single, const char* kind) {
  if (f.type == single) {
    T x;
    if constexpr (sizeof(T) == 4) {
      const auto bits = static_cast<std::uint32_t>(f.value);
      std::memcpy(&x, &bits, 4);
    } else {
      std::memcpy(&x, &f.value, 8);
    }
    out.push_back(x);
    return;
  }
  if (f.type != WireType::bytes || f.bytes.size() % sizeof(T))
    throw OnnxError(what + ": " + kind + " list with the wrong wire type or a length not a multiple of " +
                    std::to_string(sizeof(T)));
  const std::size_t n = f.bytes.size() / sizeof(T), at = out.size();
  out.resize(at + n);
  std::memcpy(out.data() + at, f.bytes.data(), n * sizeof(T));
}

}  // namespace

void append_floats(const Field& f, std::vector<float>& out, const std::string& what) {
  append_fixed(f, out, what, WireType::fixed32, "float");
}

void append_doubles(const Field& f, std::vector<double>& out, const std::string& what) {
  append_fixed(f, out, what, WireType::fixed64, "double");
}

}  // namespace cimmc::onnx
