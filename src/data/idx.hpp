// IDX image files (the MNIST / Fashion-MNIST format): a big-endian header
// (magic 0x00000803 = unsigned bytes, 3 dimensions; then count, rows, cols)
// followed by count x rows x cols pixels. Read gzip-compressed or plain.
// A leaf module of input data readers: config validates patch specs with it
// and the engine loads the images, without either depending on the other or
// on io/ (which writes results).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cimmc {

struct IdxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct IdxImages {
  int count = 0, rows = 0, cols = 0;   // images held (count) and their shape
  std::vector<std::uint8_t> pixels;    // count x rows x cols, row-major
  const std::uint8_t* image(int i) const { return pixels.data() + static_cast<std::size_t>(i) * rows * cols; }
};

// The first `count` labels of an IDX label file (magic 0x00000801).
std::vector<std::uint8_t> read_idx_labels(const std::string& path, int count);
// The header only: count = images in the file, pixels empty.
IdxImages read_idx_header(const std::string& path);
// The first `images` images (1 <= images <= the file's count).
IdxImages read_idx_images(const std::string& path, int images);
// Throws IdxError unless the file holds `images` whole images (their pixels
// are read and dropped; a file checked once is not read again unless it
// changes). Config validation uses it, so a truncated file is a config error.
void check_idx_images(const std::string& path, int images);
// read_idx_images, kept for the life of the process (keyed by absolute path,
// modification time, size and image count): a sweep builds many jobs from one file.
std::shared_ptr<const IdxImages> cached_idx_images(const std::string& path, int images);

}  // namespace cimmc
