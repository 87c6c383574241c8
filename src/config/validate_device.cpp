// Rules of the device models (macro.noise.programming_model, macro.noise.drift):
// the ranges of the published fits and the keys that only mean something together.
#include "config/internal.hpp"
#include <string>
#include <utility>

#include "device_model.hpp"

namespace cimmc::config_detail {

void check_device_models(const Checker& c, const MacroSpec& m) {
  c.check("macro.wire_ohm", m.wire_ohm, rule::kWireOhm);
  if (m.wire_ohm > 0) {
    const double drop = m.wire_ohm * m.g_on_us * 1e-6 * (double(m.rows) * m.rows + double(m.cols) * m.cols) / 2;
    if (drop > rule::kMaxIrDrop)
      c.fail("macro.wire_ohm", number_text(m.wire_ohm),
             "gives a worst-case IR drop of wire_ohm x g_on x (rows^2 + cols^2) / 2 = " + number_text(drop) +
                 " of the drive, beyond the first-order model's " + number_text(rule::kMaxIrDrop) +
                 " (lower wire_ohm or use a smaller array: cimmc has no exact nodal solve for larger drops)");
    if (m.weight_encoding == WeightEncoding::sign_magnitude)
      c.fail("macro.wire_ohm", number_text(m.wire_ohm),
             "is not modelled with weight_encoding sign_magnitude (its cell signs are bit-line routing, not currents)");
  }
  const NoiseSpec& n = m.noise;
  // CrossSim refuses the Wan et al. fit above its measured range.
  if (n.prog_model == ProgNoiseModel::reram_wan && m.g_on_us > kWanGMaxUs)
    c.fail("macro.g_on_us", number_text(m.g_on_us),
           "must be at most " + number_text(kWanGMaxUs) +
               " with macro.noise.programming_model reram_wan: the fit (Wan et al., Nature 2022) covers 0-" +
               number_text(kWanGMaxUs) + " uS");

  const DriftSpec& d = n.drift;
  c.check("macro.noise.drift.t_seconds", d.t_seconds, rule::kDriftSeconds);
  c.check("macro.noise.drift.t0_seconds", d.t0_seconds, rule::kDriftT0Seconds);
  c.check("macro.noise.drift.nu_mean", d.nu_mean, rule::kDriftNu);
  c.check("macro.noise.drift.nu_sigma", d.nu_sigma, rule::kDriftNu);
  if (!d.on()) {
    const std::pair<const char*, std::string> keys[] = {
        {"t0_seconds", number_text(d.t0_seconds)}, {"nu", d.nu_model == DriftNuModel::pcm ? "pcm" : "constant"},
        {"nu_mean", number_text(d.nu_mean)},       {"nu_sigma", number_text(d.nu_sigma)},
        {"compensation", d.compensation ? "true" : "false"}};
    for (const auto& [key, value] : keys)
      if (c.written(std::string("macro.noise.drift.") + key) || (key == std::string("compensation") && d.compensation))
        c.fail(std::string("macro.noise.drift.") + key, value,
               "is only allowed when macro.noise.drift.t_seconds is set (> 0): without a read time there is no drift");
    return;
  }
  if (d.t_seconds < d.t0_seconds)
    c.fail("macro.noise.drift.t_seconds", number_text(d.t_seconds),
           "must be at least macro.noise.drift.t0_seconds = " + number_text(d.t0_seconds) +
               ": the power law G0 (t / t0)^(-nu) describes drift after t0");
  if (d.nu_model == DriftNuModel::pcm)
    for (const auto& [key, x] : {std::pair{"nu_mean", d.nu_mean}, std::pair{"nu_sigma", d.nu_sigma}})
      if (x != 0)
        c.fail(std::string("macro.noise.drift.") + key, number_text(x),
               "is only allowed when macro.noise.drift.nu is constant (pcm takes nu from the state)");
}

}  // namespace cimmc::config_detail
