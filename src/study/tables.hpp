// Roll-up rows -> the column tables of a study file. Column names, units and
// descriptions are written here once; docs/hdf5-format.md lists them.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "config/sweep.hpp"
#include "engine/result.hpp"
#include "io/table.hpp"
#include "study/rollup.hpp"
#include "study/tile_jobs.hpp"

namespace cimmc {

// Parameter columns: a key is numeric when every point's value parses as a number.
struct ParamColumns {
  std::vector<std::size_t> ids;                  // [position] -> the point's index in the whole sweep
  std::vector<std::string> keys;
  std::vector<bool> numeric;
  std::vector<bool> integral;                    // every value set and an integer: stored as int64
  std::vector<std::vector<std::string>> values;  // [point][key], "" when a point leaves it unset
};

// Sets numeric and integral of p's keys from every value each key takes
// (values_by_key[k], "" for a point that leaves key k unset): numeric when every
// set value parses as a number; integral when, besides, every value is set and
// an integer as written (4, -3; not 1e3), so pandas gets int64, not 4.0.
void set_param_types(ParamColumns& p, const std::vector<std::vector<std::string>>& values_by_key);

// The sweep's parameter columns, and point `point`'s values put into a row.
ParamColumns param_columns(const Sweep& sweep);
// Each key's value text at every point ("" where unset), by key: what
// set_param_types types the columns from.
std::vector<std::vector<std::string>> param_values(const Sweep& sweep);
void put_params(Table& t, const ParamColumns& p, std::size_t point);

// `model` names what produced the rows: "sampled" or "statistical".
void append_layer_rows(Table& t, const RollUp& r, const ParamColumns& params, const std::string& model);
void append_network_rows(Table& t, const RollUp& r, const ParamColumns& params, const std::string& model);
// macro_activations, dac_conversions, adc_conversions of a layer row (flat
// and hierarchy rows alike).
void put_conversions(Table& t, const Mapping& m);
// Copies row `row` of `src` to the end of `dst` (same columns).
void append_row(Table& dst, const Table& src, std::size_t row);
// digital: the study has a digital macro (any point of the sweep, so every
// shard and chunk writes the same columns): the toggle columns follow.
void append_job_row(Table& t, const std::string& key, const JobId& job_id, const JobResult& r, bool digital);

}  // namespace cimmc
