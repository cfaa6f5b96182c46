#pragma once
// Programmed ACAMs: a program's thresholds realised with device noise, and fast lookups through
// one realisation (DESIGN §2.5; race-it.md §4.5).
//
// Noise. Each finite threshold t (in input-code units) is realised by
// RramModel::realised_threshold(t, −0.5, 2^n − 0.5, zw, zr): the axis' code window
// [−0.5, 2^n − 0.5] is mapped linearly onto the data-line window. Infinite ("don't care")
// bounds are not perturbed. Draws are keyed by a stable threshold id,
//   id = 2·vars·cell + side,  side 0/1 = x lo/hi, 2/3 = y lo/hi,
// where `cell` numbers the program's cells bit by bit (MSB first), in order within a bit:
//   zw = normal(seed, kAcamWrite, id)                     programming, frozen per seed
//   zr = normal(seed, kAcamRead, search·thresholds + id)  read, one draw per search
//   stuck when uniform(seed, kAcamStuck, cell) < p        a stuck cell never matches
// `frozen` mode folds in the read draw of search 0; `per_read` realises every search anew.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "raceit/acam/program.hpp"
#include "raceit/device/rram.hpp"

namespace raceit::acam {

// Number of threshold ids of a program (2·vars per cell, infinite bounds included).
std::uint64_t threshold_count(const AcamProgram& program);

// The program's cells as realised for (seed, search): perturbed thresholds, stuck cells removed.
// With noise a realised range may be empty (lo >= hi) or overlap its neighbours; a bit is still
// the OR of its cells.
AcamCells realise(const AcamProgram& program, const device::RramModel& model, std::uint64_t seed,
                  std::uint64_t search = 0);

// The output code (decoded) of `cells` at input (x, y) in code units, by checking every cell:
// the direct definition, used per search in per_read mode and as a reference for FrozenAcam.
std::uint32_t scan_cells(const AcamProgram& program, const AcamCells& cells, double x,
                         double y = 0.0);

// A 1-var realisation compiled into breakpoints: every finite realised threshold, sorted, with
// the output code on each open interval between them and at each breakpoint itself (matching
// is strict, lo < x < hi, so a threshold value can differ from both sides). lookup() is a
// binary search; this is also the entry point for an analog value read out of a crossbar.
class FrozenAcam {
 public:
  explicit FrozenAcam(const AcamProgram& program);  // ideal: the program's own thresholds
  FrozenAcam(const AcamProgram& program, const AcamCells& realised);

  // Output code for a real-valued input in code units (input code i is x = i): from the direct
  // table where the input's cell holds no breakpoint, else by search().
  std::uint32_t lookup(double x_code) const;
  // codes[i] = lookup(u[i·stride]·scale − offset) for i < count, the same codes bit for bit (the
  // input code is computed in double exactly as a caller of lookup() would): eight at a time by
  // AVX2 gathers into the direct table where the CPU has them.
  void lookup(const float* u, std::size_t count, std::size_t stride, double scale, double offset, std::uint32_t* codes) const;
  void lookup(std::span<const float> u, double scale, double offset, std::uint32_t* codes) const {
    lookup(u.data(), u.size(), 1, scale, offset, codes);
  }
  // Asks the CPU to fetch the direct table into its caches ahead of a batch lookup: the tables of
  // a crossbar's readout realisations together exceed the caches, and a lookup's gather would
  // otherwise wait on each missing line in turn.
  void prefetch() const;
  // The same by the exact search over the breakpoints (the fallback of lookup()).
  std::uint32_t search(double x_code) const {
    // k = the first breakpoint above x: from x's bucket in at most two branch-free steps (or a
    // short scan in a dense bucket), else by bisection. breakpoints_ ends in a +∞ sentinel.
    std::size_t k;
    const double bucket = (x_code - bucket_lo_) * bucket_scale_;
    if (bucket >= 0 && bucket < static_cast<double>(bucket_first_.size())) {
      const std::uint16_t entry = bucket_first_[static_cast<std::size_t>(bucket)];
      k = entry & (kDense - 1);
      if (entry & kDense) {
        while (breakpoints_[k] <= x_code) ++k;
      } else {
        k += breakpoints_[k] <= x_code;
        k += breakpoints_[k] <= x_code;
      }
    } else {
      k = static_cast<std::size_t>(std::upper_bound(breakpoints_.begin(), breakpoints_.end() - 1, x_code) - breakpoints_.begin());
    }
    if (k > 0 && breakpoints_[k - 1] == x_code) return point_codes_[k - 1];
    return interval_codes_[k];
  }
  // Sorted, distinct, finite.
  std::span<const double> breakpoints() const { return {breakpoints_.data(), breakpoints_.size() - 1}; }
  // Bytes per direct-table entry: 1, 2, or 0 where the program's codes do not fit a table.
  int direct_entry_bytes() const { return entry_bytes_; }

 private:
  std::vector<double> breakpoints_;            // sorted, distinct, then +∞
  std::vector<std::uint32_t> interval_codes_;  // (b[k−1], b[k]), k = 0…K with b[−1] = −∞, b[K] = +∞
  std::vector<std::uint32_t> point_codes_;     // at b[k]
  // Bucket j of [b[0], b[K−1]] (width 1/bucket_scale_) starts the search at the breakpoint
  // bucket_first_[j] & (kDense − 1); kDense marks a bucket holding more than two breakpoints.
  static constexpr std::uint16_t kDense = 0x8000;
  double bucket_lo_ = 0, bucket_scale_ = 0;
  std::vector<std::uint16_t> bucket_first_;
  // Direct table: cell c covers inputs with ⌊(x − direct_lo_)·direct_scale_⌋ = c (a power of two
  // cells per input code) and holds their code, or a marker (≥ marker_) for a cell that holds
  // breakpoints. Most inputs fall in a cell without one: rounding of (x − lo)·scale is monotone,
  // so such a cell lies strictly between two breakpoints and its code is exactly the search's.
  // Entries are one byte where every code fits one (the marker 0xff, shared by code 0xff: search()),
  // which halves the tables a crossbar's readout streams through; else two bytes, the marker kMixed | the
  // first breakpoint in the cell (kSearch when that index does not fit: search()), from which a
  // short scan finds the search's answer. A program with a code ≥ kMixed has no table. Padding
  // after the cells: a marker where lookup(span) sends inputs outside the table, and room for its
  // 32-bit gathers.
  static constexpr std::uint32_t kMixed = 0x8000, kSearch = 0xffff, kByteMarker = 0xff;
  double direct_lo_ = 0, direct_scale_ = 0, direct_cells_ = 0;
  std::uint32_t marker_ = 0;
  int entry_bytes_ = 0;  // 1, 2, or 0: no table
  std::vector<std::uint8_t> direct_;
  std::uint32_t entry(std::size_t cell) const {
    return entry_bytes_ == 1 ? direct_[cell] : static_cast<std::uint32_t>(direct_[2 * cell] | direct_[2 * cell + 1] << 8);
  }
  std::uint32_t resolve(std::uint32_t entry, double x_code) const;
  void build_direct_table();
};

// A 2-var realisation as a table over input-code pairs: the two inputs are digital nibbles
// driven onto the data lines, so only the grid points are ever searched.
class FrozenAcam2Var {
 public:
  explicit FrozenAcam2Var(const AcamProgram& program);  // ideal
  FrozenAcam2Var(const AcamProgram& program, const AcamCells& realised);

  std::uint32_t lookup(std::uint32_t x_code, std::uint32_t y_code) const {
    return table_[static_cast<std::size_t>(x_code) * y_codes_ + y_code];
  }
  // Codes in the program's table order (index x·2^y.bits + y).
  const std::vector<std::uint32_t>& table() const { return table_; }

 private:
  std::uint32_t y_codes_ = 0;
  std::vector<std::uint32_t> table_;
};

// Output code for every input of the program's grid, in table order, through `cells`.
std::vector<std::uint32_t> realised_table(const AcamProgram& program, const AcamCells& cells);

}  // namespace raceit::acam
