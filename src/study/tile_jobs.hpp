// Tile jobs of a study: a hardware point's config narrowed to one tile shape
// and one layer's operands, and the key that says when two of them would
// sample the same numbers (so they are sampled once).
#pragma once
#include <cstdint>
#include <string>

#include "spec/spec.hpp"

namespace cimmc {

// The point's config with workload set to a single tile of `rows_used` rows and
// `cols_used` weights carrying `layer`'s operands (or the point's own tile
// operands when layer is null).
Config tile_config(const Config& point, const LayerSpec* layer, int rows_used, int cols_used);

// Every value the sampler reads, written out: macro device/encoding/ADC/noise
// parameters, the effective rows summed per conversion, operand specs, tile
// shape and run settings. Energy and timing parameters are left out: they only
// price the histograms.
std::string job_key(const Config& tile_cfg);

// 32-bit FNV-1a of the key: the job id that keys the random streams, so a job
// draws the same numbers whichever sweep or batch it is sampled in.
std::uint32_t job_id_of(const std::string& key);

}  // namespace cimmc
