// State-dependent programming noise and conductance drift, written once for
// the sampler (macro_model.hpp) and the statistical model (operand_model.cpp).
// Published fits; the coefficients name their sources (REFERENCES.md).
#pragma once
#include <cmath>

#include "device_view.hpp"
#include "hd.hpp"
#include "job_view.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// PCM programming sigma [uS at g_max = 25 uS] as a quadratic in gT = G / g_max
// (aihwkit PCMLikeNoiseModel, Nandakumar et al. ICECS 2019; REFERENCES.md).
constexpr float kPcmProgC0 = 0.26348f, kPcmProgC1 = 1.9650f, kPcmProgC2 = -1.1731f, kPcmGMaxUs = 25.f;
// ReRAM programming sigma [uS] as a cubic in G [uS] (Wan et al., Nature 2022,
// Extended Data Fig. 3 at t = 1 s, as fitted by CrossSim's RRAMWan device).
constexpr float kWanA = 1.536e-4f, kWanB = -1.167e-2f, kWanC = 2.374e-1f, kWanD = 1.053f;
constexpr double kWanGMaxUs = 39.26;  // the fit's range (CrossSim refuses larger g_max)

// The state-dependent programming sigma of a cell at nominal conductance g
// (in g_lsb units), in g_lsb units; 0 for ProgModel::constant.
CIMMC_HD float state_prog_sigma(const DeviceView& d, float g) {
  if (d.prog_model == ProgModel::pcm) {
    const float gt = g / d.g_max;
    const float s = kPcmProgC0 + gt * (kPcmProgC1 + gt * kPcmProgC2);  // uS at g_max 25 uS
    return s > 0.f ? s / kPcmGMaxUs * d.g_max : 0.f;
  }
  if (d.prog_model == ProgModel::reram_wan) {
    const float gu = g * d.g_lsb_us;
    const float s = kWanD + gu * (kWanC + gu * (kWanB + gu * kWanA));  // uS
    return s > 0.f ? s / d.g_lsb_us : 0.f;
  }
  return 0.f;
}

// The programming sigma of a cell at nominal conductance g: the constant
// absolute and proportional sigmas and the state-dependent one, independent
// Gaussians, so one draw with the summed variance.
CIMMC_HD float prog_sigma(const JobView& v, float g) {
  const float sd = sqrtf(v.prog_abs * v.prog_abs + v.prog_rel * v.prog_rel * g * g);
  if (v.dev.prog_model == ProgModel::constant) return sd;  // the bits the sampler always drew
  const float s = state_prog_sigma(v.dev, g);
  return sqrtf(sd * sd + s * s);
}

// Mean and sigma of the drift exponent nu of a cell at nominal conductance g
// (g_lsb units). NuModel::pcm: aihwkit's fit to IBM's PCM measurements
// (docs/source/pcm_inference.rst), gT = G / g_max:
//   mu = clamp(-0.0155 ln gT + 0.0244, 0.049, 0.1)
//   sigma = clamp(-0.0125 ln gT - 0.0059, 0.008, 0.045)
CIMMC_HD void nu_params(const DeviceView& d, float g, float& mu, float& sigma) {
  if (d.nu_model == NuModel::constant) {
    mu = d.nu_mean;
    sigma = d.nu_sigma;
    return;
  }
  const float gt = g / d.g_max;
  const float lg = logf(gt > 1e-30f ? gt : 1e-30f);  // g = 0: the clamps' upper ends
  mu = fminf(fmaxf(-0.0155f * lg + 0.0244f, 0.049f), 0.1f);
  sigma = fminf(fmaxf(-0.0125f * lg - 0.0059f, 0.008f), 0.045f);
}

// The drift factor (t / t0)^(-nu) of a cell at level l from a standard normal
// z: nu = mu + sigma z with the level's tabulated nu_params, clamped at 0 as
// aihwkit does (a cell does not gain conductance by relaxing).
CIMMC_HD float drift_factor(const DeviceView& d, int l, float z) {
  const float nu = fmaxf(d.nu_mu[l] + d.nu_sd[l] * z, 0.f);
  return expf(-nu * d.log_t);
}

// Whether cells' conductances vary about their levels' nominal values
// (programming variation or drift: the float path's static draws per cell).
CIMMC_HD bool has_static_variation(const JobView& v) {
  return v.prog_abs > 0.f || v.prog_rel > 0.f || v.dev.prog_model != ProgModel::constant || v.dev.drift;
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc
