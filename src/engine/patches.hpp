// Inputs drawn from real images (distribution kind patches): every input
// vector is made of im2col patches (kernel x kernel, stride 1, no padding) of
// the first `images` images of an IDX file, so its rows are correlated and
// not identically distributed, as in a real conv layer. A pixel's real value
// is pixel / 255 and it is quantized by the common rule (operands.hpp), which
// for 8-bit pixels is a 256-entry table: the kernel reads raw pixels through
// it, so the whole data set is one byte per pixel on either backend.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/operands.hpp"
#include "data/idx.hpp"

namespace cimmc {

constexpr double kPixelFullScale = 255.0;  // pixel 255 is the real value 1.0

struct PatchInputs {
  std::shared_ptr<const IdxImages> images;
  int kernel = 0;
  std::vector<std::int32_t> lut;  // 256 entries: pixel -> quantized input
  int positions() const;          // patch positions per image: (rows-k+1) x (cols-k+1)
  std::uint32_t npatches() const; // images x positions
};

// The images (cached per file and count), and the quantization table of `op`.
PatchInputs load_patches(const OperandSpec& op);
// Pixel -> quantized input: q = clamp(round(pixel / 255 / scale)) with
// half-way values rounding down, exactly as quantize() rounds every kind.
std::vector<std::int32_t> patch_lut(int qmin, int qmax, double scale);
// How often each pixel value occurs over every element of every patch (a
// pixel near the centre is in kernel^2 patches, a corner pixel in one).
std::array<double, 256> pooled_pixel_counts(const IdxImages& images, int kernel);
// The pooled marginal of all patch values: what the statistical model, which
// takes rows as i.i.d., sees as the per-row distribution.
QuantizedPmf quantize_patches(const OperandSpec& op);
// P(pixel / 255 <= x) under the pooled marginal.
double patches_cdf(const DistributionSpec& d, double x);

}  // namespace cimmc
