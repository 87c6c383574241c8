// IR drop along word and bit lines, first order (float path only).
//
// Rows are driven from the side of physical column 0, columns sensed after
// the last used row; every cell pitch of wire has resistance rho (in units of
// 1 / g_lsb). With the ideal cell currents I_jx = a_j G_jx (x: physical
// position along the row), the wire segment k of row j carries the currents
// of every cell at or beyond it, and the bit-line segment below row m carries
// those of the group's rows up to m. One step of the nodal equations from the
// ideal solution gives each cell the voltage a_j - dV_row(j, x) - dV_col(j, x):
//   dV_row(j, x) = rho sum_{k <= x} sum_{m >= k} I_jm
//   dV_col(j, x) = rho sum_{m >= j} sum_{i <= m, i in group} I_ix   (to the end of the K rows)
// and the column current loses sum_j G_jx (dV_row + dV_col). The error is of
// second order in rho G N^2 (tests/test_ir_drop.cpp: against an exact nodal
// solve). Rows outside the conversion's row group are undriven and ignored.
#pragma once
#include <cstddef>

#include "hd.hpp"
#include "job_view.hpp"
#include "workspace.hpp"

namespace cimmc {
inline namespace CIMMC_ISA_NS {  // hd.hpp

// Cell column at physical position x: pairs sit side by side (positive
// device at 2p, negative at 2p + 1); otherwise the cell columns in order.
CIMMC_HD int cell_at(const JobView& v, int x) { return v.pair ? (x & 1) * v.P + (x >> 1) : x; }

// Corrects ws.fval (this conversion set's column currents, from
// conductance_columns) for the IR drop of set (c, g). Rows are lane-strided
// for the word lines, columns for the bit lines: each sum is one lane's, in
// a fixed order, so the bits do not depend on the lane count.
template <class Exec>
CIMMC_HD void ir_drop_columns(const JobView& v, const Workspace& ws, int c, int g, const Exec& ex) {
  const int PC = v.pcell, j0 = g * v.R, j1 = (g + 1) * v.R < v.K ? (g + 1) * v.R : v.K;
  const double rho = v.ir_rho;
  const float* af = ws.af + static_cast<std::size_t>(c) * v.K;
  ex.sync();  // the previous set's bit-line pass may still read ird
  for (int j = j0 + ex.lane(); j < j1; j += ex.nlanes()) {
    float* CIMMC_RESTRICT drop = ws.ird + static_cast<std::size_t>(j - j0) * PC;
    const float* CIMMC_RESTRICT gj = ws.gf + static_cast<std::size_t>(j) * PC;
    const double a = af[j];
    if (a == 0.0) {  // an undriven row carries no current along its word line
      for (int p = 0; p < PC; ++p) drop[p] = 0.f;
      continue;
    }
    double beyond = 0.0;  // sum of I_jm for m >= x
    for (int p = 0; p < PC; ++p) beyond += a * gj[p];
    double dv = 0.0;
    for (int x = 0; x < PC; ++x) {  // segment x carries the cells at x and beyond
      const int p = cell_at(v, x);
      dv += rho * beyond;
      drop[p] = static_cast<float>(dv);
      beyond -= a * gj[p];
    }
  }
  ex.sync();
  // Bit lines: dV_col(j) = rho (sum_{m >= j} C(m) + (K - j1) C(j1 - 1)) with
  // C(m) = sum_{i <= m} I_ip, in two passes down the rows; rows outer and
  // columns inner, so the column loops vectorize and read gf contiguously.
  double* CIMMC_RESTRICT c_m = ws.ircol;
  double* CIMMC_RESTRICT total = ws.ircol + PC;
  double* CIMMC_RESTRICT above = ws.ircol + 2 * PC;  // sum_{m < j} C(m)
  double* CIMMC_RESTRICT loss = ws.ircol + 3 * PC;
  const int lane = ex.lane(), nl = ex.nlanes();
  for (int p = lane; p < PC; p += nl) c_m[p] = total[p] = 0.0;
  for (int j = j0; j < j1; ++j) {
    const float* CIMMC_RESTRICT gj = ws.gf + static_cast<std::size_t>(j) * PC;
    const double a = af[j];
    for (int p = lane; p < PC; p += nl) {
      c_m[p] += a * gj[p];
      total[p] += c_m[p];
    }
  }
  const double tail = static_cast<double>(v.K - j1);
  for (int p = lane; p < PC; p += nl) total[p] += tail * c_m[p], c_m[p] = above[p] = loss[p] = 0.0;
  for (int j = j0; j < j1; ++j) {
    const float* CIMMC_RESTRICT gj = ws.gf + static_cast<std::size_t>(j) * PC;
    const float* CIMMC_RESTRICT drop = ws.ird + static_cast<std::size_t>(j - j0) * PC;
    const double a = af[j];
    for (int p = lane; p < PC; p += nl) {
      loss[p] += gj[p] * (drop[p] + rho * (total[p] - above[p]));
      c_m[p] += a * gj[p];
      above[p] += c_m[p];
    }
  }
  for (int p = lane; p < PC; p += nl) ws.fval[p] -= static_cast<float>(loss[p]);
}

}  // namespace CIMMC_ISA_NS
}  // namespace cimmc
