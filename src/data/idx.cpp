#include "data/idx.hpp"

#include "data/input_file.hpp"

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

namespace cimmc {
namespace {

// gzFile that closes itself; zlib reads plain (uncompressed) files transparently.
// Opened as a regular file first (input_file.hpp): gzopen would block on a FIFO.
struct GzFile {
  gzFile f;
  explicit GzFile(const std::string& path) : f(nullptr) {
    const int fd = open_regular_file(path);
    f = gzdopen(fd, "rb");
    if (!f) ::close(fd);
  }
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
      std::string msg = gzerror(g.f, &err);
      if (msg.rfind("<fd:", 0) == 0 && msg.find(": ") != std::string::npos) msg.erase(0, msg.find(": ") + 2);
      throw IdxError(path + ": " + (err != Z_OK && err != Z_STREAM_END ? msg : "file ends early"));
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

std::uint32_t big_endian(const unsigned char* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

std::unique_ptr<GzFile> open_gz(const std::string& path) {
  std::unique_ptr<GzFile> g;
  try {
    g = std::make_unique<GzFile>(path);
  } catch (const InputFileError& e) {
    throw IdxError(e.what());
  }
  if (!g->f) throw IdxError("cannot open " + path + ": gzip could not start");
  return g;
}

// An IDX file whose magic number (its first 4 bytes) is `magic`.
std::unique_ptr<GzFile> open_idx(const std::string& path, std::uint32_t magic, const std::string& what) {
  std::unique_ptr<GzFile> g = open_gz(path);
  unsigned char h[4];
  read_exact(*g, h, 4, path);
  if (big_endian(h) != magic) throw IdxError(path + " is not an IDX " + what);
  return g;
}

// images > 0 and keep = false: read the pixels into a small buffer and drop
// them, to check that the file holds them.
IdxImages read(const std::string& path, int images, bool keep = true) {
  // Labels (0x0801) and other element types are IDX too, but not images.
  const std::unique_ptr<GzFile> opened =
      open_idx(path, 0x00000803u, "image file (magic 0x00000803: unsigned bytes, 3 dimensions)");
  GzFile& g = *opened;
  unsigned char h[16];
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
  const std::size_t bytes = static_cast<std::size_t>(images) * out.rows * out.cols;
  if (keep) {
    out.pixels.resize(bytes);
    read_exact(g, out.pixels.data(), out.pixels.size(), path);
  } else {
    std::vector<std::uint8_t> buf(std::min<std::size_t>(bytes, std::size_t{1} << 20));
    for (std::size_t left = bytes; left > 0; left -= std::min(left, buf.size()))
      read_exact(g, buf.data(), std::min(left, buf.size()), path);
  }
  return out;
}

}  // namespace

std::vector<std::uint8_t> read_idx_labels(const std::string& path, int count) {
  const std::unique_ptr<GzFile> opened =
      open_idx(path, 0x00000801u, "label file (magic 0x00000801: unsigned bytes, 1 dimension)");
  GzFile& g = *opened;
  unsigned char h[4];
  read_exact(g, h, 4, path);
  const std::uint32_t n = big_endian(h);
  if (count < 1 || static_cast<std::uint32_t>(count) > n)
    throw IdxError(path + " holds " + std::to_string(n) + " labels, not " + std::to_string(count));
  std::vector<std::uint8_t> out(static_cast<std::size_t>(count));
  read_exact(g, out.data(), out.size(), path);
  return out;
}

IdxImages read_idx_header(const std::string& path) { return read(path, 0); }

IdxImages read_idx_images(const std::string& path, int images) {
  if (images < 1) throw IdxError("read at least one image from " + path);
  return read(path, images);
}

void check_idx_images(const std::string& path, int images) {
  static std::mutex mu;
  using Key = std::tuple<std::string, std::filesystem::file_time_type, std::uintmax_t, int>;
  static std::set<Key> checked;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  const auto size = std::filesystem::file_size(path, ec);
  const Key key{std::filesystem::absolute(path).lexically_normal().string(), mtime, size, images};
  if (!ec) {
    std::lock_guard lock(mu);
    if (checked.count(key)) return;
  }
  if (images < 1) throw IdxError("read at least one image from " + path);
  read(path, images, false);
  if (!ec) {
    std::lock_guard lock(mu);
    checked.insert(key);
  }
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
