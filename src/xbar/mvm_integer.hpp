#pragma once
// The crossbar MVM's exact integer path for ideal cells (private to src/xbar). In ideal mode every
// level, input plane and column value is an integer and every readout a function of an integer
// column value on a power-of-two grid, so the fast path's float GEMM, float conversions and
// double shift-adds compute exact integers: this path computes the same integers in integer
// arithmetic (lookup-table sums over groups of four input rows, a direct column-value → code
// table) and gives the same results bit for bit.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "raceit/xbar/crossbar.hpp"

// Loops compiled for x86-64-v4, v3 and baseline, picked at load time by the CPU's features. The
// files that use it are compiled with -ffp-contract=off: the clones with FMA then round every
// product and sum as the baseline does, so results do not depend on the CPU.
#define RACEIT_XBAR_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

namespace raceit::xbar::detail {

// What the conversions of one thread saw: saturated conversions and the largest |column value|.
struct ReadoutTally {
  std::uint64_t clipped = 0;
  double peak = 0;
};

// acc (batch × out, level units, as the float path accumulates it) and the tallies per output
// chunk, or nothing when the call is outside the integer path's exact range (noisy cells, a
// fused function, per-read noise, levels or sums that do not fit its integer widths): the caller
// then takes the float path.
struct IntegerMvm {
  std::vector<double> acc;
  std::vector<ReadoutTally> tally;
};
// The integer path of crossbar x (null where it does not apply), which program_crossbar() keeps
// in x.integer_path: integer_mvm() prepares it per call where that is empty.
std::shared_ptr<const IntegerPath> integer_path(const ProgrammedCrossbar& x);
bool integer_path_applies(const ProgrammedCrossbar& x);
std::optional<IntegerMvm> integer_mvm(const ProgrammedCrossbar& x, const std::vector<std::int32_t>& input_levels, int batch,
                                      int threads);

}  // namespace raceit::xbar::detail
