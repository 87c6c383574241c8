#include "engine/patches.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cimmc {

int PatchInputs::positions() const {
  return (images->rows - kernel + 1) * (images->cols - kernel + 1);
}

std::uint32_t PatchInputs::npatches() const {
  return static_cast<std::uint32_t>(images->count) * static_cast<std::uint32_t>(positions());
}

namespace {

std::shared_ptr<const IdxImages> images_of(const DistributionSpec& d) {
  if (d.kind != DistKind::patches) throw std::invalid_argument("not a patches distribution");
  auto img = cached_idx_images(d.file, d.images);
  if (d.kernel < 1 || d.kernel > img->rows || d.kernel > img->cols)
    throw std::invalid_argument("patch kernel " + std::to_string(d.kernel) + " does not fit the images of " + d.file);
  return img;
}

// Patches covering coordinate y along one axis of length n: the kernel offsets
// dy with 0 <= y - dy <= n - k.
std::vector<double> cover(int n, int k) {
  std::vector<double> c(n, 0.0);
  for (int y = 0; y < n; ++y)
    for (int dy = 0; dy < k; ++dy) c[y] += (y - dy >= 0 && y - dy <= n - k) ? 1.0 : 0.0;
  return c;
}

}  // namespace

std::vector<std::int32_t> patch_lut(int qmin, int qmax, double scale) {
  std::vector<std::int32_t> lut(256);
  for (int px = 0; px < 256; ++px) {
    // The same comparison quantize() makes through the CDF: x <= (k + 0.5) * scale.
    const double x = px / kPixelFullScale;
    int k = qmin;
    while (k < qmax && !(x <= (k + 0.5) * scale)) ++k;
    lut[px] = k;
  }
  return lut;
}

std::array<double, 256> pooled_pixel_counts(const IdxImages& images, int kernel) {
  const std::vector<double> cy = cover(images.rows, kernel), cx = cover(images.cols, kernel);
  std::array<double, 256> counts{};
  for (int i = 0; i < images.count; ++i) {
    const std::uint8_t* img = images.image(i);
    for (int y = 0; y < images.rows; ++y)
      for (int x = 0; x < images.cols; ++x) counts[img[y * images.cols + x]] += cy[y] * cx[x];
  }
  return counts;
}

PatchInputs load_patches(const OperandSpec& op) {
  PatchInputs p;
  p.images = images_of(op.dist);
  p.kernel = op.dist.kernel;
  const int qmax = operand_qmax(op);
  p.lut = patch_lut(operand_qmin(op), qmax, dist_clip(op.dist) / qmax);
  if (static_cast<double>(p.images->count) * p.positions() >= 4294967296.0)
    throw std::invalid_argument("too many patches in " + op.dist.file + " (at most 2^32)");
  return p;
}

QuantizedPmf quantize_patches(const OperandSpec& op) {
  const PatchInputs in = load_patches(op);
  const std::array<double, 256> counts = pooled_pixel_counts(*in.images, in.kernel);
  QuantizedPmf q;
  q.qmin = operand_qmin(op);
  q.qmax = operand_qmax(op);
  q.scale = dist_clip(op.dist) / q.qmax;
  q.p.assign(q.qmax - q.qmin + 1, 0.0);
  double total = 0;
  for (double c : counts) total += c;
  for (int px = 0; px < 256; ++px) q.p[in.lut[px] - q.qmin] += counts[px] / total;
  return q;
}

double patches_cdf(const DistributionSpec& d, double x) {
  const auto img = images_of(d);
  const std::array<double, 256> counts = pooled_pixel_counts(*img, d.kernel);
  double below = 0, total = 0;
  for (int px = 0; px < 256; ++px) {
    total += counts[px];
    if (px / kPixelFullScale <= x) below += counts[px];
  }
  return below / total;
}

}  // namespace cimmc
