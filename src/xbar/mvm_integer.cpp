// The exact integer path of the crossbar MVM for ideal cells (mvm_integer.hpp).
//
// Column values. Input rows go in groups of four: per group and column tile a table holds the 16
// sums of the group's levels that a 4-bit input pattern selects, so one bit plane of one vector
// costs a quarter of the GEMM's adds, in int16 (a row block's column sum is bounded by rows ·
// the largest |level|). Multi-level inputs are their bit planes summed with weights 2^p.
//
// Readout. The float path converts the column value u as the input code u/step − cmin, step =
// 2^e; its conversions only change at the half-codes (an ADC rounds half to even; the ideal
// Compute-ACAM's breakpoints lie on half-codes, which is checked), so the readout is a table over
// h = ⌊2u/step⌋ and whether 2u/step is exact (an ACAM), or the rounding in integers (an ADC).
//
// Sums. Every term the float path adds (coefficient · readout value · step · plane weight) is an
// integer times a power of two and every partial sum is exact in double, so it equals the same
// sum taken in int64 and scaled by the step once.
#include "mvm_integer.hpp"
#include "plane_tables.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "raceit/core/parallel.hpp"

namespace raceit::xbar::detail {

namespace {

constexpr int kTile = 64;                        // columns per table tile: 64 int16 sums fill four AVX2 registers
constexpr int kChunk = 128;                      // outputs per work item, as the float path
constexpr std::int64_t kLargestSum = 32767;      // int16 table sums
constexpr std::int64_t kExactFloatSum = 1 << 24; // the float path's column sums are exact below this

}  // namespace

// The readout value the float path adds per conversion before its coefficient (code + cmin for a
// Compute-ACAM, the clamped code for an ADC), as a function of an integer column value.
class IntegerReadout {
 public:
  static std::optional<IntegerReadout> make(const ProgrammedCrossbar& x) {
    const ReadoutScale& s = x.scale;
    IntegerReadout r;
    r.e_ = std::ilogb(s.step);
    if (std::ldexp(1.0, r.e_) != s.step) return std::nullopt;
    r.lo_ = s.cmin;
    r.hi_ = s.cmax;
    if (x.config.readout == ReadoutKind::Adc) return r;
    if (x.readout_acams.size() != 1) return std::nullopt;
    if (!r.tabulate_acam(x.readout_acams.front())) return std::nullopt;
    return r;
  }

  // r[c] = value(u[c]) for c < n; counts saturated ADC conversions.
  void convert(const std::int32_t* u, int n, std::int64_t* r, std::uint64_t& clipped) const {
    if (table_.empty())
      adc_values(u, n, r, clipped);
    else
      acam_values(u, n, r);
  }
  std::int64_t value(std::int32_t u, std::uint64_t& clipped) const {
    std::int64_t r;
    convert(&u, 1, &r, clipped);
    return r;
  }

 private:
  int e_ = 0;                      // step = 2^e
  std::int64_t lo_ = 0, hi_ = 0;   // codes cmin…cmax
  // ACAM: entry 2(h − h_min) the value at u = h·step/2 exactly, entry 2(h − h_min) + 1 inside
  // (h, h + 1)·step/2; u is first clamped to [u_min, u_max], which lie beyond the table's ends.
  std::vector<std::int32_t> table_;
  std::int64_t h_min_ = 0;
  std::int32_t u_min_ = 0, u_max_ = 0;

  bool tabulate_acam(const acam::FrozenAcam& acam) {
    const auto breakpoints = acam.breakpoints();
    if (breakpoints.empty()) return false;
    for (double b : breakpoints)
      if (std::abs(b) > 1e6 || 2 * b != std::round(2 * b)) return false;
    // h counts half-codes of the code value x = u/step = x_code + cmin.
    h_min_ = 2 * (static_cast<std::int64_t>(std::floor(breakpoints.front())) + lo_) - 2;
    const std::int64_t h_max = 2 * (static_cast<std::int64_t>(std::ceil(breakpoints.back())) + lo_) + 2;
    for (std::int64_t h = h_min_; h <= h_max; ++h)
      for (double inside : {0.0, 0.25})
        table_.push_back(static_cast<std::int32_t>(acam.lookup(0.5 * static_cast<double>(h) + inside - static_cast<double>(lo_))) +
                         static_cast<std::int32_t>(lo_));
    const double step = std::ldexp(1.0, e_), limit = 2147483647.0;
    u_min_ = static_cast<std::int32_t>(std::max(-limit, std::floor(0.5 * static_cast<double>(h_min_ - 2) * step)));
    u_max_ = static_cast<std::int32_t>(std::min(limit, std::ceil(0.5 * static_cast<double>(h_max + 2) * step)));
    return true;
  }
  RACEIT_XBAR_VECTOR_CLONES void acam_values(const std::int32_t* u, int n, std::int64_t* r) const;
  void adc_values(const std::int32_t* u, int n, std::int64_t* r, std::uint64_t& clipped) const;
};

RACEIT_XBAR_VECTOR_CLONES void IntegerReadout::acam_values(const std::int32_t* u, int n, std::int64_t* r) const {
  const int shift = e_ - 1;  // h = ⌊u / 2^(e−1)⌋
  const auto last = static_cast<std::int32_t>(table_.size()) - 1;
  const auto h_min = static_cast<std::int32_t>(h_min_);
  const std::int32_t* table = table_.data();
  if (shift >= 0) {
    const std::int32_t below = (std::int32_t{1} << shift) - 1;
    for (int c = 0; c < n; ++c) {
      const std::int32_t v = std::clamp(u[c], u_min_, u_max_);
      const std::int32_t index = 2 * ((v >> shift) - h_min) + ((v & below) != 0);
      r[c] = table[std::clamp(index, 0, last)];
    }
  } else {
    for (int c = 0; c < n; ++c) {
      const std::int32_t v = std::clamp(u[c], u_min_, u_max_);
      r[c] = table[std::clamp(2 * (v * (std::int32_t{1} << -shift) - h_min), 0, last)];
    }
  }
}

void IntegerReadout::adc_values(const std::int32_t* u, int n, std::int64_t* r, std::uint64_t& clipped) const {
  for (int c = 0; c < n; ++c) {
    std::int64_t code = u[c];
    if (e_ > 0) {  // round half to even
      const std::int64_t floor = code >> e_, rest = code - (floor << e_), half = std::int64_t{1} << (e_ - 1);
      code = floor + (rest > half || (rest == half && (floor & 1)));
    } else {
      code *= std::int64_t{1} << -e_;
    }
    clipped += code < lo_ || code > hi_;
    r[c] = std::clamp(code, lo_, hi_);
  }
}

// Everything a call needs besides its inputs.
struct Plan {
  int planes = 0;                          // input bit planes
  bool bit_serial = true;                  // each plane converted; else the planes sum to one value
  std::vector<std::int64_t> plane_weight;  // ±2^p
  std::vector<int> active;                 // level columns (j·G + g) holding a nonzero level, ascending
  std::vector<std::int16_t> level;         // in × active.size()
  std::vector<std::int64_t> coefficient;   // x.coefficient as integers
};

struct IntegerPath {
  IntegerReadout readout;
  Plan plan;
};

namespace {

// The plan, or nothing when a level or coefficient is not an integer or a sum could leave the
// integer widths (or, for multi-level inputs, the range where the float GEMM is exact).
std::optional<Plan> make_plan(const ProgrammedCrossbar& x) {
  const CrossbarConfig& c = x.config;
  if (c.mode != device::NoiseMode::Ideal || !c.fused_function.empty() || c.a_bits > 16) return std::nullopt;
  Plan plan;
  for (double k : x.coefficient) {
    if (k != std::round(k) || std::abs(k) > 1 << 20) return std::nullopt;
    plan.coefficient.push_back(static_cast<std::int64_t>(k));
  }
  const int columns = x.level.cols;
  std::vector<bool> nonzero(columns, false);
  float largest = 0;
  for (int i = 0; i < x.in; ++i)
    for (int col = 0; col < columns; ++col) {
      const float v = x.level.at(i, col);
      if (!(std::abs(v) <= kLargestSum) || v != static_cast<float>(static_cast<std::int32_t>(v))) return std::nullopt;
      largest = std::max(largest, std::abs(v));
      if (v != 0) nonzero[col] = true;
    }
  const std::int64_t block_sum = static_cast<std::int64_t>(std::min(x.in, c.rows)) * static_cast<std::int64_t>(largest);
  plan.planes = c.a_bits;
  plan.bit_serial = c.inputs == InputScheme::BitSerial;
  if (block_sum > kLargestSum || (!plan.bit_serial && (block_sum << c.a_bits) >= kExactFloatSum)) return std::nullopt;
  for (int p = 0; p < plan.planes; ++p)
    plan.plane_weight.push_back((c.signed_inputs && p == plan.planes - 1 ? -1 : 1) * (std::int64_t{1} << p));
  for (int col = 0; col < columns; ++col)
    if (nonzero[col]) plan.active.push_back(col);
  const std::size_t active = plan.active.size();
  plan.level.resize(static_cast<std::size_t>(x.in) * active);
  for (int i = 0; i < x.in; ++i)
    for (std::size_t a = 0; a < active; ++a)
      plan.level[static_cast<std::size_t>(i) * active + a] = static_cast<std::int16_t>(x.level.at(i, plan.active[a]));
  return plan;
}

// Sixteen int16 lanes (one AVX2 register; two SSE registers in the baseline clone), loaded
// unaligned.
using Lanes = std::int16_t __attribute__((vector_size(32), aligned(2)));
constexpr int kLanes = 16, kTileLanes = kTile / kLanes;

// u[c] = Σ_q tables[q][pattern[q]][c]: one plane's column values for one vector over a tile.
RACEIT_XBAR_VECTOR_CLONES void table_sums(const std::int16_t* tables, const std::uint8_t* pattern, int groups, std::int32_t* u) {
  Lanes sum[kTileLanes] = {};
  for (int q = 0; q < groups; ++q) {
    const auto* entry = reinterpret_cast<const Lanes*>(tables + (static_cast<std::size_t>(q) * kPatterns + pattern[q]) * kTile);
    for (int v = 0; v < kTileLanes; ++v) sum[v] += entry[v];
  }
  for (int v = 0; v < kTileLanes; ++v)
    for (int l = 0; l < kLanes; ++l) u[v * kLanes + l] = sum[v][l];
}

std::int32_t largest_magnitude(const std::int32_t* u, int n) {
  std::int32_t top = 0;
  for (int c = 0; c < n; ++c) top = std::max(top, std::abs(u[c]));
  return top;
}

// Per-thread buffers.
struct Scratch {
  std::vector<std::int16_t> tables;
  std::int32_t u[kTile], value[kTile];
  std::int64_t r[kTile], s[kTile];
  int output[kTile];                  // the tile's columns' outputs and coefficients
  std::int64_t coefficient[kTile];
};

// The readout sums Σ_p w_p · value(u_p) of one vector's tile columns in s (multi-level inputs:
// value(Σ_p w_p·u_p)).
RACEIT_XBAR_VECTOR_CLONES void tile_readout(const Plan& plan, const IntegerReadout& readout, const std::uint8_t* pattern,
                                            std::size_t plane_stride, int groups, int nt, Scratch& w, ReadoutTally& tally) {
  std::fill(w.s, w.s + kTile, 0);
  if (!plan.bit_serial) std::fill(w.value, w.value + kTile, 0);
  for (int p = 0; p < plan.planes; ++p) {
    table_sums(w.tables.data(), pattern + p * plane_stride, groups, w.u);
    const std::int64_t weight = plan.plane_weight[p];
    if (!plan.bit_serial) {
      for (int c = 0; c < kTile; ++c) w.value[c] += static_cast<std::int32_t>(weight) * w.u[c];
      continue;
    }
    tally.peak = std::max(tally.peak, static_cast<double>(largest_magnitude(w.u, nt)));
    readout.convert(w.u, nt, w.r, tally.clipped);
    // weight = ±2^p: a shift, which the baseline build vectorises (it has no 64-bit multiply).
    const int shift = std::countr_zero(static_cast<std::uint64_t>(weight < 0 ? -weight : weight));
    if (weight > 0)
      for (int c = 0; c < nt; ++c) w.s[c] += w.r[c] << shift;
    else
      for (int c = 0; c < nt; ++c) w.s[c] -= w.r[c] << shift;
  }
  if (plan.bit_serial) return;
  tally.peak = std::max(tally.peak, static_cast<double>(largest_magnitude(w.value, nt)));
  readout.convert(w.value, nt, w.s, tally.clipped);
}

}  // namespace

std::shared_ptr<const IntegerPath> integer_path(const ProgrammedCrossbar& x) {
  auto readout = IntegerReadout::make(x);
  if (!readout) return nullptr;
  auto plan = make_plan(x);
  if (!plan) return nullptr;
  return std::make_shared<const IntegerPath>(IntegerPath{.readout = std::move(*readout), .plan = std::move(*plan)});
}

bool integer_path_applies(const ProgrammedCrossbar& x) { return x.config.fused_function.empty() && (x.integer_path || integer_path(x)); }

std::optional<IntegerMvm> integer_mvm(const ProgrammedCrossbar& x, const std::vector<std::int32_t>& input_levels, int batch,
                                      int threads) {
  const std::shared_ptr<const IntegerPath> path = x.integer_path ? x.integer_path : integer_path(x);
  if (!path) return std::nullopt;
  const IntegerReadout* readout = &path->readout;
  const Plan* plan = &path->plan;
  const int out = x.out, in = x.in, R = x.config.rows, G = static_cast<int>(x.groups.size());
  const int row_blocks = x.layout.row_blocks, groups_per_block = groups_of(std::min(in, R));
  const std::size_t groups_total = static_cast<std::size_t>(row_blocks) * groups_per_block;
  const std::vector<std::uint8_t> pattern = input_patterns(input_levels, batch, in, R, plan->planes, groups_per_block, row_blocks);
  // A column of zero levels reads u = 0 for every input: one readout value, once per converted plane.
  std::uint64_t zero_clipped = 0;
  const std::int64_t zero_value = readout->value(0, zero_clipped);
  std::int64_t plane_sum = 1;
  if (plan->bit_serial) {
    plane_sum = 0;
    for (std::int64_t w : plan->plane_weight) plane_sum += w;
  }
  const std::int64_t conversions_per_column = plan->bit_serial ? plan->planes : 1;

  std::vector<std::int64_t> total(static_cast<std::size_t>(batch) * out, 0);
  const int chunks = (out + kChunk - 1) / kChunk;
  IntegerMvm result{.acc = {}, .tally = std::vector<ReadoutTally>(chunks)};
  parallel_for(chunks, threads, [&](std::size_t c0, std::size_t c1) {
    Scratch w;
    for (std::size_t ch = c0; ch < c1; ++ch) {
      ReadoutTally& tally = result.tally[ch];
      const int j0 = static_cast<int>(ch) * kChunk, j1 = std::min(out, j0 + kChunk);
      const auto first = static_cast<std::size_t>(std::lower_bound(plan->active.begin(), plan->active.end(), j0 * G) - plan->active.begin());
      const auto last = static_cast<std::size_t>(std::lower_bound(plan->active.begin(), plan->active.end(), j1 * G) - plan->active.begin());
      for (int rb = 0; rb < row_blocks; ++rb) {
        const int i0 = rb * R, kb = std::min(in, i0 + R) - i0, groups = groups_of(kb);
        const std::int64_t* coefficient = plan->coefficient.data() + static_cast<std::size_t>(rb) * out * G;
        // The zero columns of this chunk.
        std::size_t a = first;
        for (int j = j0; j < j1; ++j) {
          std::int64_t zero_sum = 0;
          for (int g = 0; g < G; ++g) {
            if (a < last && plan->active[a] == j * G + g) {
              ++a;
              continue;
            }
            zero_sum += coefficient[j * G + g] * zero_value * plane_sum;
            tally.clipped += zero_clipped * conversions_per_column * batch;
          }
          for (int b = 0; b < batch; ++b) total[static_cast<std::size_t>(b) * out + j] += zero_sum;
        }
        for (std::size_t t0 = first; t0 < last; t0 += kTile) {
          const int nt = static_cast<int>(std::min<std::size_t>(kTile, last - t0));
          build_tables(plan->level.data() + static_cast<std::size_t>(i0) * plan->active.size() + t0, plan->active.size(), kb, nt, kTile, w.tables);
          for (int c = 0; c < nt; ++c) {
            const int col = plan->active[t0 + c];
            w.output[c] = col / G;
            w.coefficient[c] = coefficient[col];
          }
          for (int b = 0; b < batch; ++b) {
            const std::uint8_t* p = pattern.data() + static_cast<std::size_t>(b) * plan->planes * groups_total +
                                    static_cast<std::size_t>(rb) * groups_per_block;
            tile_readout(*plan, *readout, p, groups_total, groups, nt, w, tally);
            std::int64_t* row = total.data() + static_cast<std::size_t>(b) * out;
            for (int c = 0; c < nt; ++c) row[w.output[c]] += w.coefficient[c] * w.s[c];
          }
        }
      }
    }
  });
  const double step = x.scale.step;
  result.acc.resize(total.size());
  for (std::size_t k = 0; k < total.size(); ++k) result.acc[k] = static_cast<double>(total[k]) * step;
  return result;
}

}  // namespace raceit::xbar::detail
