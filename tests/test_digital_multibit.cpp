// Digital macros with more than one input bit per cycle (macro.dac_bits > 1):
// one adder tree per input bit of the cycle, each with its own multipliers,
// input lines and stage state, and a place-value adder summing the trees'
// outputs x 2^b (ZigZag-IMC's input_bit_per_cycle trees and adders_pv).
// Checked by hand counts for constant operands and by exactness (error 0,
// SQNR inf) against the integer dot product for random operands.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "pricing/pricing.hpp"
#include "test_util.hpp"

using namespace cimmc;
using namespace cimmc::test;

namespace {

// 2 rows, weight 1 (1 bit), input 2 = 0b10 (2 bits), 2 MVMs in one instance.
Config two_rows(int dac_bits) {
  Config c = digital_by_hand(2, constant_operand(2, false, 2.0, 3.0), constant_operand(1, false, 1.0, 1.0));
  c.macro.dac_bits = dac_bits;
  return c;
}

}  // namespace

TEST(DigitalMultibit, TogglesOfTwoTreesByHand) {
  // Counters: [input lines, multipliers, stage 1, accumulator (+ place-value adder), output].
  // Bit-serial: one tree sees leaves 00, 11, 00, 11 (two MVMs of 2 cycles):
  // lines and multipliers toggle 3 times each per row (6), the 2-bit stage
  // output 0, 2, 0, 2 toggles 3 times.
  const std::vector<std::uint64_t> serial = run_cpu(two_rows(1)).toggles();
  ASSERT_EQ(serial.size(), 5u);
  EXPECT_EQ(serial[0], 6u);
  EXPECT_EQ(serial[1], 6u);
  EXPECT_EQ(serial[2], 3u);
  // Two bits per cycle: plane 0's tree sees 00 twice (nothing toggles), plane
  // 1's tree 11 twice (2 lines and 2 multipliers rise once, stage output
  // 0 -> 2 once). The place-value adder gives 0 + 2 x 2 = 4 both times (one
  // bit rises once) and the accumulator loads 4 each MVM (one rise), so the
  // accumulator counter holds 2; the output register holds 4 from the first MVM.
  const JobResult r = run_cpu(two_rows(2));
  const std::vector<std::uint64_t> t = r.toggles();
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0], 2u);
  EXPECT_EQ(t[1], 2u);
  EXPECT_EQ(t[2], 1u);
  EXPECT_EQ(t[3], 2u);
  EXPECT_EQ(t[4], 1u);
  const Report rep = price(r, make_energy_tables(two_rows(2), r));
  EXPECT_EQ(rep.accuracy.max_abs_err, 0.0);
  EXPECT_DOUBLE_EQ(rep.accuracy.ref_std, 0.0);  // every output is 2 x 1 + 2 x 1 = 4
}

TEST(DigitalMultibit, RandomOperandsAreExactForAnyBitsPerCycle) {
  for (int bits : {1, 2, 3, 4, 8}) {
    Config c = small_config();
    c.macro.kind = MacroKind::digital;
    c.macro.cell = CellKind::sram;
    c.macro.rows = 100;  // a ragged 100-row tree: stage 7 adds word sums
    c.macro.dac_bits = bits;
    c.macro.weight_encoding = WeightEncoding::twos_complement;
    c.macro.input_encoding = InputEncoding::twos_complement;
    c.tile.inputs = uniform_operand(8, true, -1.0, 1.0, 1.0);
    c.tile.weights = uniform_operand(8, true, -1.0, 1.0, 1.0);
    c.tile.cols_used = 4;
    c.run.samples = 256;
    const JobResult r = run_cpu(c);
    const Report rep = price(r, make_energy_tables(c, r));
    EXPECT_EQ(rep.accuracy.max_abs_err, 0.0) << bits;
    EXPECT_EQ(rep.accuracy.sqnr_db, std::numeric_limits<double>::infinity()) << bits;
    EXPECT_GT(rep.accuracy.ref_std, 0.0) << bits;
    EXPECT_EQ(run_cpu(c, 2).hist, r.hist) << bits;  // same bits for any thread count
  }
}
