#include "data/idx.hpp"

#include <zlib.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

namespace cimmc {
namespace {

// gzFile that closes itself; zlib reads plain (uncompressed) files transparently.
struct GzFile {
  gzFile f;
  explicit GzFile(const std::string& path) : f(gzopen(path.c_str(), "rb")) {}
  ~GzFile() { if (f) gzclose(f); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
};

void read_exact(GzFile& g, void* dst, std::size_t n, const std::string& path) {
  auto* p = static_cast<unsigned char*>(dst);
  while (n > 0) {
    const unsigned chunk = n > (1u << 30) ? (1u << 30) : static_cast<unsigned>(n);
    const int got = gzread(g.f, p, chunk);
    if (got <= 0) {
      int err = 0;
      const char* msg = gzerror(g.f, &err);
      throw IdxError(path + ": " + (err != Z_OK && err != Z_STREAM_END ? msg : "file ends early"));
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

std::uint32_t big_endian(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

IdxImages read(const std::string& path, int images) {
  if (std::filesystem::is_directory(path)) throw IdxError("cannot open " + path + ": is a directory");
  if (!std::filesystem::exists(path)) throw IdxError("cannot open " + path + ": no such file");
  GzFile g(path);
  if (!g.f) throw IdxError("cannot open " + path);
  unsigned char h[16];
  read_exact(g, h, 4, path);
  // Labels (0x0801) and other element types are IDX too, but not images.
  if (big_endian(h) != 0x00000803u)
    throw IdxError(path + " is not an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions)");
  read_exact(g, h + 4, 12, path);
  IdxImages out;
  const std::uint32_t n = big_endian(h + 4), r = big_endian(h + 8), c = big_endian(h + 12);
  if (n < 1 || n > (1u << 24) || r < 1 || r > 4096 || c < 1 || c > 4096)
    throw IdxError(path + ": implausible IDX shape " + std::to_string(n) + " x " + std::to_string(r) + " x " +
                   std::to_string(c));
  out.count = static_cast<int>(n);
  out.rows = static_cast<int>(r);
  out.cols = static_cast<int>(c);
  if (images == 0) return out;
  if (images < 0 || images > out.count)
    throw IdxError(path + " holds " + std::to_string(out.count) + " images, not " + std::to_string(images));
  out.count = images;
  out.pixels.resize(static_cast<std::size_t>(images) * out.rows * out.cols);
  read_exact(g, out.pixels.data(), out.pixels.size(), path);
  return out;
}

}  // namespace

IdxImages read_idx_header(const std::string& path) { return read(path, 0); }

IdxImages read_idx_images(const std::string& path, int images) {
  if (images < 1) throw IdxError("read at least one image from " + path);
  return read(path, images);
}

std::shared_ptr<const IdxImages> cached_idx_images(const std::string& path, int images) {
  static std::mutex mu;
  using Key = std::tuple<std::string, std::filesystem::file_time_type, std::uintmax_t, int>;
  static std::map<Key, std::shared_ptr<const IdxImages>> cache;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw IdxError("cannot open " + path + ": " + ec.message());
  const Key key{std::filesystem::absolute(path).lexically_normal().string(), mtime, size, images};
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  auto loaded = std::make_shared<const IdxImages>(read_idx_images(path, images));  // throws: nothing cached
  std::lock_guard lock(mu);
  return cache.emplace(key, std::move(loaded)).first->second;
}

}  // namespace cimmc
