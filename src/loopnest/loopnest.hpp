// Loop-nest mappings of a conv (or GEMM) onto a storage hierarchy, the access counts
// they imply, their energy and latency, and the search for the best ones
// (issue 12 items 2-4). Nothing outside this module uses it yet; YAML and
// studies come later.
//
//   problem.hpp    conv dims (G N M C P Q R S), strides, dilations, operands,
//                  which dims index them; a GEMM is a conv (gemm())
//   hierarchy.hpp  storage levels, capacities, bypass, fan-outs
//   nest.hpp       the mapping (factors, orders, spatial factors) and its checks
//   counts.hpp     what an evaluation returns
//   analysis.hpp   closed-form counts (fast: the search will call it)
//   simulate.hpp   brute-force walk (slow: the tests' reference)
//   cost.hpp       energy (levels, interconnect, macro runs) and latency
//                  (compute, ports, links, swap stalls) from the counts
//   routes.hpp     links per multicast/reduction group on a bus, tree or mesh
//   mapspace.hpp   the space of mappings: closed-form size, exact pruning,
//                  enumeration, uniform and guided (mostly legal) sampling
//                  and filled draws (fan-out axes first: mapspace_fill.cpp)
//   refine.hpp     hill climbing from a mapping (prime-factor moves, loop swaps)
//   search.hpp     exhaustive within a budget, else seeded draws then
//                  refinement of the best; best K
//
// SEMANTICS. Both analysis.cpp and simulate.cpp implement exactly these rules;
// they are the definition of every count.
//
// Time. The nest runs in lockstep: one time step is one combination of all
// temporal loop indices (nest order, innermost fastest); spatial loops are
// instances running side by side. In every time step every compute unit
// (instance below the innermost level) does one MAC. time_steps = product of
// all temporal factors.
//
// Tiles. Level i's tile of an operand is the set of elements the loops of
// levels >= i (temporal and spatial) touch for the current indices of the loops
// above it (temporal loops of levels < i, and the spatial indices that name the
// instance). A tile is held as its footprint in the operand's tensor:
// weights and outputs are boxes (the product of their dims' extents); an
// input tile is a window whose rows run from the first to the last row its
// box reads, (P_ext-1)*stride_h + (R_ext-1)*dilation_h + 1 of them (columns
// alike from Q, S). Where stride > R extent or dilation > 1 leave rows in
// between unread, the window still holds them: buffers keep rectangular
// windows (as line buffers do), so this may overcount, never undercount.
// An instance holds at most one tile per operand it keeps; level 0
// holds whole tensors. tile_words = the tile's size per instance; capacity
// checks compare it (sum over kept operands, for a shared capacity) with the
// level's capacity, twice it for a double-buffered level (the next tile
// arrives while the current one is in use). Double buffering changes no
// count: a tile still replaces the previous one once; cost.hpp prices the
// overlap as latency.
//
// Inputs and weights. At the start of a time step, each instance whose
// required tile differs from what it holds fetches the elements it lacks from
// the nearest level above that keeps the operand (levels that bypass it are
// skipped): fills at the instance, reads at the source. An input window that
// slides keeps its overlap with the previous one (halo reuse) and fetches
// only the rows and columns that are new.
//   Destinations. A source reads, per time step, each element once per
// destination: the instances it serves that differ only in dimensions
// irrelevant to the operand (inputs: M; weights: N, P, Q) are one destination
// (multicast), instances that differ in a relevant one are separate
// destinations, each read for separately even where their windows overlap
// (neighbours' halos) or coincide (at stride = dilation, p+1, r and p, r+1
// read the same input row). Merging those would need a network that combines arbitrary
// overlapping requests; not merging them moves at least what hardware must.
// Compute units hold nothing: each MAC reads its input and weight from the
// innermost level keeping them, once per destination per time step (so a
// weight used by all spatial-N units is one read; a weight used in two
// consecutive time steps is two reads: model a register level to keep it).
//   Consequence (analysis): weights: fills at level i = visits x tile x
//   instances, where visits = the product of the temporal bounds above level
//   i from the outermost loop down to the innermost loop relevant to the
//   operand; irrelevant loops below that one are temporal reuse
//   (stationarity). Inputs: successive tiles differ by one odometer
//   transition of the loops above level i ("loop j steps, the loops inside it
//   wrap"), which happens outer_j x (bound_j - 1) times and always shifts the
//   window by the same vector, so fills = tile + sum over j of that count x
//   (tile - overlap_j) per instance: closed form (analysis.cpp).
//   Reads at the source = fills / (product of the irrelevant spatial factors
//   on the fan-outs in between).
//
// Outputs (partial sums flow up only; there are no output fills). Each
// residency of an output tile at an instance starts empty. An update is a
// partial sum arriving at a level from below: from the compute units
// (products of the MACs of a time step) or from a child's drain. Updates that
// arrive at one instance in one time step for the same element are reduced
// on the way (adder tree across spatial C, R, S) and count once. The first update
// of an element in a residency is a plain write; every later one is a
// read-modify-write: one read plus the write. So for outputs
//   updates = every word written from below,
//   reads   = updates - first writes (the RMW reads),
//   drains  = words read out and sent to the level above.
// When an instance's required output tile changes, or at the end of the nest,
// it drains every element it has written (all of its tile: a residency always
// sees whole sweeps of the loops below) to the nearest level above that keeps
// outputs, which receives them as updates. Drains cascade inside out in one
// time step, so a child's drain lands in its parent's old tile before the
// parent drains. Level 0 never drains; its first writes are the
// G x N x M x P x Q final outputs. A level keeps an output tile until a loop
// above it relevant to outputs (G, N, M, P, Q) changes: C, R, S loops above
// that are inside the innermost relevant loop accumulate in place; ones
// outside it make the tile leave and return, and each return costs one drain
// more here and one RMW more above.
//
// Tile job. What one instance of the innermost level's fan-out does in one
// time step: shape = the innermost spatial factors by Dim (e.g. C, R, S over
// macro rows, M over macro columns, N or P, Q: input vectors at once);
// runs = time_steps x instances of the innermost level. runs x shape product
// = MACs.
//
// Latency: cost.hpp; the simulator times the same walk in lockstep (simulate.hpp
// simulate_cycles), of which cost.hpp's cycles are a lower bound.
//
// Not modelled yet (issue 12): padding as such (inputs are the padded tensor), ragged
// (non-dividing) tiles (hiermap/flat_nests.hpp writes the flat model's as
// blocks of exact nests), the macro's bit loops.
#pragma once
#include "loopnest/analysis.hpp"
#include "loopnest/cost.hpp"
#include "loopnest/counts.hpp"
#include "loopnest/hierarchy.hpp"
#include "loopnest/mapspace.hpp"
#include "loopnest/nest.hpp"
#include "loopnest/problem.hpp"
#include "loopnest/refine.hpp"
#include "loopnest/search.hpp"
#include "loopnest/simulate.hpp"
