// Tile jobs of a study: a hardware point's config narrowed to one tile shape
// and one layer's operands, and the key that says when two of them would
// sample the same numbers (so they are sampled once).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "philox.hpp"

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

// Cell reads of `samples` samples of a tile job (rows x physical columns x
// input cycles each), plus those of the calibration pilot such a run draws
// when `with_pilot`: the sampling work the plan, its estimate and the shard
// split weigh jobs by.
double job_cell_reads(const Config& tile_cfg, std::uint64_t samples, bool with_pilot);

using philox::JobId;
using philox::StreamKey;

// XXH3-128 of the key: the job id from which the random streams are keyed
// (philox::stream_key), so a job draws the same numbers whichever sweep or
// batch it is sampled in. 128 bits, so that distinct keys practically never
// share one (a 32-bit FNV-1a did, inside the shipped 1,024-point sweep).
JobId job_id_of(const std::string& key);
// 32 hex digits, high word first.
std::string to_hex(const JobId& id);

// Throws std::logic_error (an internal error: exit 1), naming both keys, if
// two different keys share a job id or two different ids (with their seeds)
// share a stream key. The same key listed twice is fine.
void check_unique_ids(const std::vector<std::string>& keys, const std::vector<JobId>& ids,
                      const std::vector<std::uint64_t>& seeds);

}  // namespace cimmc
