// Device models a kernel sees (plain numbers; the functions are in
// device_model.hpp): state-dependent programming noise and conductance drift.
// Conductances are in units of one level step g_lsb, as everywhere in JobView.
#pragma once
#include <cstdint>

namespace cimmc {

// Programming noise whose sigma depends on the programmed state, added in
// quadrature to the constant sigmas (prog_abs, prog_rel):
//   pcm:       aihwkit / Nandakumar et al. (ICECS 2019): sigma = max(c0 + c1 gT
//              + c2 gT^2, 0) uS at g_max 25 uS, gT = G / g_max; scaled here by
//              g_on / 25 uS, so the error relative to g_max is the published one.
//   reram_wan: CrossSim's cubic fit to Wan et al. (Nature 2022) Extended Data
//              Fig. 3 (t = 1 s): sigma = max(A G^3 + B G^2 + C G + D, 0) uS with
//              G in uS (valid for g_on <= 39.26 uS).
enum class ProgModel : std::uint8_t { constant, pcm, reram_wan };

// Drift exponent nu per cell: pcm (aihwkit's state-dependent fit) or one
// normal distribution for every state.
enum class NuModel : std::uint8_t { pcm, constant };

struct DeviceView {
  ProgModel prog_model = ProgModel::constant;
  float g_max = 0.f;      // g_on / g_lsb: the top conductance, normalizing gT = G / g_max
  float g_lsb_us = 0.f;   // one level step in uS (the ReRAM fit is in absolute uS)
  // Drift G(t) = G0 (t / t0)^(-nu), read at t: log_t = ln(t / t0); 0 = no drift.
  bool drift = false;
  float log_t = 0.f;
  NuModel nu_model = NuModel::pcm;
  float nu_mean = 0.f, nu_sigma = 0.f;  // NuModel::constant
  // nu_params of each cell level's nominal conductance, tabulated on the host
  // (a cell's nu depends on its state only through its level).
  float nu_mu[16] = {}, nu_sd[16] = {};
  // Global drift compensation (aihwkit's GlobalDriftCompensation): outputs
  // scaled by sum_p |column p at t0| / sum_p |column p at t| for an all-ones input.
  bool compensate = false;
};

}  // namespace cimmc
