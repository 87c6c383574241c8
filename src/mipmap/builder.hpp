// The builder behind formulate() (formulation.hpp), internal to mipmap/:
// factor choices and geometry in formulation.cpp, stationarity, counts and
// objectives in formulation_costs.cpp.
#pragma once
#include <array>
#include <vector>

#include "mipmap/formulation.hpp"

namespace cimmc::mipmap {

namespace ln = loopnest;
using ln::Dim;
using ln::kDims;
using ln::kOperands;
using ln::Operand;

// Slack on log-domain comparisons (fan-out and capacity limits): logs of
// distinct integer ratios differ by far more.
inline constexpr double kLogTol = 1e-9;

class Builder {
 public:
  Builder(const loopnest::Hierarchy& h, const loopnest::ConvShape& s, const loopnest::CostParams& p,
          loopnest::Objective objective, const Scales& scales, Formulation& f);
  void build();

  void make_choices();
  void make_shapes();

  LinExpr ell(int d, int level, bool spatial) const {
    const auto& v = ell_[std::size_t(d)];
    return v.empty() ? LinExpr{} : v[std::size_t(level)][spatial ? 1 : 0];
  }
  LinExpr ext(int i, int d) const;
  LinExpr inst(int i) const;
  LinExpr steps() const;
  LinExpr spatial(int a, int b, loopnest::Operand op, bool rel) const;
  LinExpr window(int i, loopnest::Dim p, loopnest::Dim r, bool box);
  LinExpr at_least(const LinExpr& a, const LinExpr& b);
  LinExpr footprint(int i);
  LinExpr rows(const LinExpr& a, std::int64_t n_a, const LinExpr& b, std::int64_t n_b, std::int64_t stride,
               std::int64_t dilation);
  LinExpr tile(int i, loopnest::Operand op);
  LinExpr visits(int i, loopnest::Operand op);

 private:
  const loopnest::Hierarchy& h_;
  const loopnest::ConvShape& s_;
  const loopnest::CostParams& p_;
  loopnest::Objective obj_;
  Scales sc_;
  Formulation& f_;
  int L_;
  double log_macs_ = 0, log_ow_ = 0;
  bool box_h_ = true, box_w_ = true;
  // Inputs reuse a window only across M where each axis is a box or has a
  // 1-wide filter (a step of P then moves the window past its last row).
  bool box_reuse_ = true;

  std::array<std::vector<std::array<LinExpr, 2>>, loopnest::kDims> ell_;
  std::vector<std::array<std::int64_t, loopnest::kDims>> shapes_;
  std::vector<int> shape_cols_;
  std::vector<loopnest::JobFigures> figures_;

  // Stationarity binaries per operand and level (-1: not made yet).
  std::array<std::vector<int>, loopnest::kOperands> stat_, allirr_;
  // The credit columns visits() made, per operand, level and dim.
  std::array<std::vector<std::array<std::vector<int>, loopnest::kDims>>, loopnest::kOperands> credit_;
  bool irrelevant(loopnest::Operand op, int d) const;
  bool exclusive(loopnest::Operand op) const;
  int stat(int j, loopnest::Operand op);
  int allirr(int j, loopnest::Operand op);
  void windows_and_outputs(int j);

  // Costs (formulation_costs.cpp).
  int final_flag(const LinExpr& z);
  void add_term(LinExpr z, double coef, Formulation::Sum& into, bool column);
  void energy(const LinExpr& z, double coef);
  void latency(Formulation::Sum& into, const LinExpr& z, double coef);
  LinExpr shifted(const LinExpr& z, int final_col) const;
  LinExpr rmw(const LinExpr& z, int fin);
  void capacities();
  void chain(loopnest::Operand op);
  void macro();
  void finish();
  bool wants_energy() const { return obj_ != loopnest::Objective::latency; }
  bool wants_latency() const { return obj_ != loopnest::Objective::energy; }
  double psum_shift_ = 0;  // log(psum width / output width) when final outputs are narrower
  std::array<Formulation::Sum, loopnest::kMaxLevels> port_, link_;
  Formulation::Sum compute_, swap_;
  std::array<std::array<LinExpr, loopnest::kOperands>, loopnest::kMaxLevels> tile_cache_;
  std::array<std::array<bool, loopnest::kOperands>, loopnest::kMaxLevels> tile_done_{};
};

}  // namespace cimmc::mipmap
