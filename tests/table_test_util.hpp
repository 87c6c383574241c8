// Study tables compared bit for bit: the check behind every "same file"
// claim (regression files, merged shards, MPI runs on any number of ranks).
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "io/study_file.hpp"
#include "io/table.hpp"

namespace cimmc::test {

// Columns equal bit for bit (NaN equal to the same NaN).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  if constexpr (std::is_same_v<T, std::string>) return a == b;
  else return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Same columns with the same bits; with `metadata`, also in the same order
// with the same units and descriptions (stored regression files keep the
// descriptions of the day they were written, so they compare values only).
inline void expect_same_table(const Table& want, const Table& got, const std::string& what, bool metadata = true) {
  ASSERT_EQ(want.rows(), got.rows()) << what;
  ASSERT_EQ(want.columns().size(), got.columns().size()) << what;
  for (std::size_t i = 0; i < want.columns().size(); ++i) {
    const Column& c = want.columns()[i];
    const Column* g = got.find(c.name);
    ASSERT_NE(g, nullptr) << what << "/" << c.name;
    if (metadata) {
      EXPECT_EQ(c.name, got.columns()[i].name) << what << ": column order";
      EXPECT_EQ(c.units, g->units) << what << "/" << c.name;
      EXPECT_EQ(c.description, g->description) << what << "/" << c.name;
    }
    ASSERT_EQ(c.data.index(), g->data.index()) << what << "/" << c.name;
    std::visit([&](const auto& v) {
      using V = std::decay_t<decltype(v)>;
      EXPECT_TRUE(same_bits(v, std::get<V>(g->data))) << what << "/" << c.name << " differs";
    }, c.data);
  }
}

// A finished study file with the tables and identity of `want` (another run,
// merge or rank count of the same study); provenance may differ.
inline void expect_same_study(const StudyFile& want, const StudyFile& got) {
  expect_same_table(want.layers, got.layers, "layers");
  expect_same_table(want.network, got.network, "network");
  expect_same_table(want.jobs, got.jobs, "jobs");
  EXPECT_EQ(got.ci_note, want.ci_note);
  EXPECT_EQ(got.config_text, want.config_text);
  EXPECT_EQ(got.config_path, want.config_path);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.sweep_keys, want.sweep_keys);
  EXPECT_EQ(got.prov.seed, want.prov.seed);
  EXPECT_EQ(got.prov.backend, want.prov.backend);
  EXPECT_EQ(got.samples, want.samples);
  EXPECT_EQ(got.points_total, want.points_total);
  EXPECT_EQ(got.points_done, want.points_done);
  EXPECT_TRUE(got.complete);
}

}  // namespace cimmc::test
