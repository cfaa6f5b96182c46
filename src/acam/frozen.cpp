#include "raceit/acam/frozen.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "raceit/core/error.hpp"
#include "raceit/core/rng.hpp"

namespace raceit::acam {

std::uint64_t threshold_count(const AcamProgram& program) {
  return static_cast<std::uint64_t>(2 * program.vars) * program.cells.total();
}

namespace {
// Realises the thresholds of one (seed, search).
class ThresholdNoise {
 public:
  ThresholdNoise(const AcamProgram& p, const device::RramModel& m, std::uint64_t seed,
                 std::uint64_t search)
      : p_(p), m_(m), rng_(seed), read_base_(search * threshold_count(p)) {}

  bool stuck(std::uint64_t cell) const {
    return m_.stuck_probability > 0 &&
           rng_.uniform(streams::kAcamStuck, cell) < m_.stuck_probability;
  }
  AcamRange realise(const AcamRange& r, std::uint64_t cell) const {
    return realise(r, p_.x, 2 * cell);
  }
  AcamRect realise(const AcamRect& r, std::uint64_t cell) const {
    return {.x = realise(r.x, p_.x, 4 * cell), .y = realise(r.y, p_.y, 4 * cell + 2)};
  }

 private:
  AcamRange realise(const AcamRange& r, const InputAxis& axis, std::uint64_t id) const {
    return {.lo = threshold(r.lo, axis, id), .hi = threshold(r.hi, axis, id + 1)};
  }
  double threshold(double t, const InputAxis& axis, std::uint64_t id) const {
    if (std::isinf(t)) return t;
    return m_.realised_threshold(t, -0.5, axis.codes() - 0.5,
                                 rng_.normal(streams::kAcamWrite, id),
                                 rng_.normal(streams::kAcamRead, read_base_ + id));
  }

  const AcamProgram& p_;
  const device::RramModel& m_;
  CounterRng rng_;
  std::uint64_t read_base_;
};

template <class Cell>
std::vector<std::vector<Cell>> realise_bits(const std::vector<std::vector<Cell>>& bits,
                                            const ThresholdNoise& noise) {
  std::vector<std::vector<Cell>> out;
  std::uint64_t cell = 0;
  for (const auto& cells : bits) {
    auto& realised = out.emplace_back();
    for (const auto& c : cells) {
      if (!noise.stuck(cell)) realised.push_back(noise.realise(c, cell));
      ++cell;
    }
  }
  return out;
}

// Bits as read from the rows: row k (MSB first) is 1 when any of its cells matches.
template <class Cell, class Matches>
std::uint32_t read_rows(const std::vector<std::vector<Cell>>& bits, int out_bits,
                        Matches matches) {
  std::uint32_t encoded = 0;
  for (std::size_t k = 0; k < bits.size(); ++k)
    for (const auto& c : bits[k])
      if (matches(c)) {
        encoded |= 1u << (out_bits - 1 - static_cast<int>(k));
        break;
      }
  return encoded;
}

// Input codes an interval contains on an axis of n codes, as [first, last] (empty if first > last).
std::pair<double, double> code_span(const AcamRange& r, std::uint32_t n) {
  const double first = std::isinf(r.lo) ? 0.0 : std::max(0.0, std::floor(r.lo) + 1);
  const double last = std::isinf(r.hi) ? n - 1.0 : std::min(n - 1.0, std::ceil(r.hi) - 1);
  return {first, last};
}

void require_vars(const AcamProgram& p, int vars, const char* what) {
  if (p.vars != vars)
    throw Error(ErrorKind::InvalidArgument, std::string(what) + " needs a " +
                                                std::to_string(vars) + "-var program, got '" +
                                                p.function + "' with " +
                                                std::to_string(p.vars));
}
}  // namespace

AcamCells realise(const AcamProgram& program, const device::RramModel& model, std::uint64_t seed,
                  std::uint64_t search) {
  const ThresholdNoise noise(program, model, seed, search);
  return {.ranges_per_bit = realise_bits(program.cells.ranges_per_bit, noise),
          .rects_per_bit = realise_bits(program.cells.rects_per_bit, noise)};
}

std::uint32_t scan_cells(const AcamProgram& program, const AcamCells& cells, double x, double y) {
  const std::uint32_t encoded =
      program.vars == 1
          ? read_rows(cells.ranges_per_bit, program.out_bits,
                      [x](const AcamRange& r) { return r.contains(x); })
          : read_rows(cells.rects_per_bit, program.out_bits,
                      [x, y](const AcamRect& r) { return r.contains(x, y); });
  return program.decode(encoded);
}

FrozenAcam::FrozenAcam(const AcamProgram& program) : FrozenAcam(program, program.cells) {}

FrozenAcam::FrozenAcam(const AcamProgram& program, const AcamCells& realised) {
  require_vars(program, 1, "FrozenAcam");
  for (const auto& ranges : realised.ranges_per_bit)
    for (const auto& r : ranges)
      if (r.lo < r.hi)
        for (double t : {r.lo, r.hi})
          if (!std::isinf(t)) breakpoints_.push_back(t);
  std::sort(breakpoints_.begin(), breakpoints_.end());
  breakpoints_.erase(std::unique(breakpoints_.begin(), breakpoints_.end()), breakpoints_.end());
  const std::size_t k_count = breakpoints_.size();
  auto index_of = [&](double t) {
    return static_cast<std::ptrdiff_t>(
        std::lower_bound(breakpoints_.begin(), breakpoints_.end(), t) - breakpoints_.begin());
  };
  // Per bit, difference arrays count the ranges covering each interval and each point. A range
  // (b[a], b[c]) covers intervals a+1…c and points a+1…c−1.
  std::vector<std::uint32_t> interval_bits(k_count + 1, 0), point_bits(k_count, 0);
  std::vector<int> interval_cover(k_count + 2), point_cover(k_count + 1);
  for (std::size_t k = 0; k < realised.ranges_per_bit.size(); ++k) {
    std::fill(interval_cover.begin(), interval_cover.end(), 0);
    std::fill(point_cover.begin(), point_cover.end(), 0);
    for (const auto& r : realised.ranges_per_bit[k]) {
      if (!(r.lo < r.hi)) continue;
      const std::ptrdiff_t a = std::isinf(r.lo) ? -1 : index_of(r.lo);
      const std::ptrdiff_t c = std::isinf(r.hi) ? static_cast<std::ptrdiff_t>(k_count) : index_of(r.hi);
      ++interval_cover[a + 1];
      --interval_cover[c + 1];
      if (a + 1 <= c - 1) {
        ++point_cover[a + 1];
        --point_cover[c];
      }
    }
    const std::uint32_t weight = 1u << (program.out_bits - 1 - static_cast<int>(k));
    int covering = 0;
    for (std::size_t i = 0; i <= k_count; ++i)
      if ((covering += interval_cover[i]) > 0) interval_bits[i] |= weight;
    covering = 0;
    for (std::size_t i = 0; i < k_count; ++i)
      if ((covering += point_cover[i]) > 0) point_bits[i] |= weight;
  }
  for (auto b : interval_bits) interval_codes_.push_back(program.decode(b));
  for (auto b : point_bits) point_codes_.push_back(program.decode(b));
  // Buckets of equal width over [first, last breakpoint], four per breakpoint: each starts the
  // search at the first breakpoint not below its left edge and says whether it holds more than two.
  breakpoints_.push_back(std::numeric_limits<double>::infinity());  // sentinel: the search never runs past the end
  build_direct_table();
  if (k_count < 2 || k_count >= kDense) return;
  const std::size_t buckets = 4 * k_count;
  bucket_lo_ = breakpoints_.front();
  bucket_scale_ = static_cast<double>(buckets) / (breakpoints_[k_count - 1] - bucket_lo_);
  bucket_first_.resize(buckets + 1);
  for (std::size_t b = 0; b <= buckets; ++b) {
    const auto first = index_of(bucket_lo_ + static_cast<double>(b) / bucket_scale_);
    const auto next = index_of(bucket_lo_ + static_cast<double>(b + 1) / bucket_scale_);
    bucket_first_[b] = static_cast<std::uint16_t>(first | (next - first > 2 ? kDense : 0));
  }
}

namespace {
// Direct-table cells per input code, 2^kCellBits: more cells leave fewer inputs in a cell that
// holds a breakpoint, but make the tables larger.
constexpr int kCellBits = 4;
constexpr double kCellsPerCode = 1 << kCellBits;

// A one-byte table carries, after its entries, what resolving its markers in bulk needs
// (resolve_listed()): for each input code q it spans the first breakpoint whose cell is ≥ q·2^kCellBits
// (16 bits), then every interval's and every breakpoint's code in a byte; padding after each part
// leaves room for a 32-bit gather at its last element.
struct ByteTableLayout {
  std::size_t first_at, interval_at, point_at, bytes;
  ByteTableLayout(std::size_t cells, std::size_t k_count)
      : first_at((cells + 5) & ~std::size_t{1}),
        interval_at(first_at + 2 * ((cells >> kCellBits) + 2)),
        point_at(interval_at + k_count + 1),
        bytes(point_at + k_count + 3) {}
};
}  // namespace

void FrozenAcam::build_direct_table() {
  const std::size_t k_count = breakpoints_.size() - 1;
  if (k_count == 0) return;
  const std::uint32_t top = std::max(*std::max_element(interval_codes_.begin(), interval_codes_.end()),
                                     *std::max_element(point_codes_.begin(), point_codes_.end()));
  if (top >= kMixed) return;
  // One code past the breakpoints on each side; a table far wider than the program's input grid
  // (breakpoints pushed out by noise) is left to the search.
  const double lo = std::floor(breakpoints_.front()) - 1;
  const double span = std::ceil(breakpoints_[k_count - 1]) + 1 - lo;
  if (!(span * kCellsPerCode <= (1 << 20))) return;
  direct_lo_ = lo;
  direct_scale_ = kCellsPerCode;
  direct_cells_ = span * kCellsPerCode;
  entry_bytes_ = top <= kByteMarker && k_count < 0xffff ? 1 : 2;
  marker_ = entry_bytes_ == 1 ? kByteMarker : kMixed;
  const auto cells = static_cast<std::size_t>(direct_cells_);
  const auto cell_of = [&](std::size_t k) { return static_cast<std::size_t>((breakpoints_[k] - direct_lo_) * direct_scale_); };
  std::vector<std::uint32_t> entries(cells + 1, entry_bytes_ == 1 ? kByteMarker : kSearch);
  // Cells from the one after breakpoint k−1's to the one before breakpoint k's lie in interval k;
  // breakpoint k's own cell starts its scan at k unless an earlier breakpoint shares it.
  std::size_t first = 0;
  for (std::size_t k = 0; k <= k_count; ++k) {
    const auto end = k < k_count ? cell_of(k) : cells;
    std::fill(entries.begin() + static_cast<std::ptrdiff_t>(std::min(first, end)), entries.begin() + static_cast<std::ptrdiff_t>(end),
              std::min(interval_codes_[k], entry_bytes_ == 1 ? kByteMarker : kSearch));
    if (k < k_count && end >= first)
      entries[end] = entry_bytes_ == 1 ? kByteMarker : k < kMixed - 1 ? static_cast<std::uint32_t>(kMixed | k) : kSearch;
    first = std::max(first, k < k_count ? end + 1 : end);
  }
  // Each entry little-endian, then room for a 32-bit gather at the last one.
  direct_.assign(entry_bytes_ == 1 ? ByteTableLayout(cells, k_count).bytes : entries.size() * 2 + 3, 0);
  for (std::size_t c = 0; c < entries.size(); ++c)
    for (int byte = 0; byte < entry_bytes_; ++byte) direct_[c * entry_bytes_ + byte] = static_cast<std::uint8_t>(entries[c] >> (8 * byte));
  if (entry_bytes_ == 2) return;
  const ByteTableLayout at(cells, k_count);
  std::size_t k = 0;
  for (std::size_t q = 0; q <= cells >> kCellBits; ++q) {
    while (k < k_count && cell_of(k) < q << kCellBits) ++k;
    direct_[at.first_at + 2 * q] = static_cast<std::uint8_t>(k);
    direct_[at.first_at + 2 * q + 1] = static_cast<std::uint8_t>(k >> 8);
  }
  for (std::size_t i = 0; i <= k_count; ++i) direct_[at.interval_at + i] = static_cast<std::uint8_t>(interval_codes_[i]);
  for (std::size_t i = 0; i < k_count; ++i) direct_[at.point_at + i] = static_cast<std::uint8_t>(point_codes_[i]);
}

std::uint32_t FrozenAcam::lookup(double x_code) const {
  const double cell = (x_code - direct_lo_) * direct_scale_;
  if (cell >= 0 && cell < direct_cells_) {
    const std::uint32_t e = entry(static_cast<std::size_t>(cell));
    return e < marker_ ? e : resolve(e, x_code);
  }
  return search(x_code);
}

std::uint32_t FrozenAcam::resolve(std::uint32_t entry, double x_code) const {
  if (entry_bytes_ == 1 || entry == kSearch) return search(x_code);
  std::size_t k = entry & (kMixed - 1);
  while (breakpoints_[k] <= x_code) ++k;
  if (k > 0 && breakpoints_[k - 1] == x_code) return point_codes_[k - 1];
  return interval_codes_[k];
}

namespace {

#if defined(__x86_64__)
struct CellIndexing {
  __m256d scale, offset, lo, cell_scale, cells;
};

// Four inputs' cells: the input code and its cell in double, the operations of
// FrozenAcam::lookup(double) in the same order; inputs outside the table (NaN included) get
// the index `cells`.
__attribute__((target("avx2"))) inline __m128i cell_index(__m128 f, const CellIndexing& c) {
  const __m256d x_code = _mm256_sub_pd(_mm256_mul_pd(_mm256_cvtps_pd(f), c.scale), c.offset);
  const __m256d cell = _mm256_mul_pd(_mm256_sub_pd(x_code, c.lo), c.cell_scale);
  const __m256d inside = _mm256_and_pd(_mm256_cmp_pd(cell, _mm256_setzero_pd(), _CMP_GE_OQ), _mm256_cmp_pd(cell, c.cells, _CMP_LT_OQ));
  return _mm256_cvttpd_epi32(_mm256_blendv_pd(c.cells, cell, inside));
}

__attribute__((target("avx2"))) inline __m256i cell_index(__m256 f, const CellIndexing& c) {
  return _mm256_set_m128i(cell_index(_mm256_extractf128_ps(f, 1), c), cell_index(_mm256_castps256_ps128(f), c));
}

// The same cells for eight inputs at once in float, where FloatCells::applies(): with
// scale·cell_scale a power of two ≥ 1, a = u·scale·cell_scale is exact in float, and the double
// path's cell (u·scale − offset − lo)·cell_scale is exactly a − first (first = (offset + lo)·
// cell_scale, an integer): both subtractions are exact for |offset|, |offset + lo| ≤ 2^12 unless
// |u·scale| < 2^−12 (then u·scale − offset may round). Such inputs below zero could round up into
// the next cell, so an eight holding one takes the double path; above zero rounding stays in the
// cell of a = 0.
struct FloatCells {
  __m256 scale, first, end, tiny;
  __m256i first_cell, cells;

  static bool applies(double scale, double offset, double lo, double cell_scale) {
    int exponent = 0;
    const double a_scale = scale * cell_scale;
    const double limit = 4096;
    return std::frexp(a_scale, &exponent) == 0.5 && a_scale >= 1 && a_scale < 0x1p100 && offset == std::floor(offset) &&
           std::abs(offset) <= limit && std::abs(offset + lo) <= limit;
  }
};

__attribute__((target("avx2"))) inline __m256i float_cell_index(__m256 f, const FloatCells& c, const CellIndexing& exact) {
  const __m256 a = _mm256_mul_ps(f, c.scale);
  const __m256 below_zero = _mm256_and_ps(_mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_LT_OQ), _mm256_cmp_ps(a, c.tiny, _CMP_GT_OQ));
  if (!_mm256_testz_ps(below_zero, below_zero)) return cell_index(f, exact);
  const __m256 inside = _mm256_and_ps(_mm256_cmp_ps(a, c.first, _CMP_GE_OQ), _mm256_cmp_ps(a, c.end, _CMP_LT_OQ));
  const __m256i cell = _mm256_sub_epi32(_mm256_cvtps_epi32(_mm256_floor_ps(a)), c.first_cell);
  return _mm256_blendv_epi8(c.cells, cell, _mm256_castps_si256(inside));
}

// The numbers of the set bits of each 8-bit mask, in order: the lanes to list.
struct SetLanes {
  std::array<std::array<std::uint8_t, 8>, 256> lane{};
  constexpr SetLanes() {
    for (unsigned mask = 0; mask < 256; ++mask) {
      std::size_t count = 0;
      for (std::uint8_t bit = 0; bit < 8; ++bit)
        if ((mask >> bit) & 1u) lane[mask][count++] = bit;
    }
  }
};
constexpr SetLanes kSetLanes;

// The direct-table entries of u·scale − offset, eight at a time: a 32-bit gather at each cell's
// entry of kBytes bytes, kept in its low bytes; entries at or above `marker` go through
// resolve_listed(inputs, count), which sets their codes. Returns how many inputs it did (a
// multiple of eight).
template <int kBytes, bool kFloatCells, class Resolve>
__attribute__((target("avx2"))) std::size_t gather_direct_entries(const float* u, std::size_t n, std::size_t stride, double scale, double offset,
                                                                  const std::uint8_t* table, double lo, double cell_scale,
                                                                  double cells, std::uint32_t marker, std::uint32_t* codes,
                                                                  Resolve resolve) {
  const CellIndexing c{.scale = _mm256_set1_pd(scale), .offset = _mm256_set1_pd(offset), .lo = _mm256_set1_pd(lo),
                       .cell_scale = _mm256_set1_pd(cell_scale), .cells = _mm256_set1_pd(cells)};
  const double first = (offset + lo) * cell_scale;
  const FloatCells fc{.scale = _mm256_set1_ps(static_cast<float>(scale * cell_scale)),
                      .first = _mm256_set1_ps(static_cast<float>(first)),
                      .end = _mm256_set1_ps(static_cast<float>(first + cells)),
                      .tiny = _mm256_set1_ps(static_cast<float>(-0x1p-12 * cell_scale)),
                      .first_cell = _mm256_set1_epi32(static_cast<int>(first)),
                      .cells = _mm256_set1_epi32(static_cast<int>(cells))};
  const __m256i entry_bits = _mm256_set1_epi32(kBytes == 1 ? 0xff : 0xffff), below_marker = _mm256_set1_epi32(static_cast<int>(marker - 1));
  const __m256i lanes_apart = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(static_cast<int>(stride)));
  // Inputs whose entry is a marker are listed (branch-free) and resolved a few hundred at a time:
  // a branch per eight on whether any lane needs resolving would often be mispredicted.
  constexpr int kPending = 256;
  std::uint32_t marked[kPending + 8];
  int pending = 0;
  const auto resolve_marked = [&] {
    resolve(marked, pending);
    pending = 0;
  };
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 f = stride == 1 ? _mm256_loadu_ps(u + i) : _mm256_i32gather_ps(u + i * stride, lanes_apart, 4);
    const __m256i index = kFloatCells ? float_cell_index(f, fc, c) : cell_index(f, c);
    const __m256i entry = _mm256_and_si256(_mm256_i32gather_epi32(reinterpret_cast<const int*>(table), index, kBytes), entry_bits);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + i), entry);
    const auto lanes = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(entry, below_marker))));
    const __m128i packed = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kSetLanes.lane[lanes].data()));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(marked + pending),
                        _mm256_add_epi32(_mm256_cvtepu8_epi32(packed), _mm256_set1_epi32(static_cast<int>(i))));
    pending += std::popcount(lanes);
    if (pending > kPending - 8) resolve_marked();
  }
  resolve_marked();
  return i;
}

// gather_direct_entries() for a table of kBytes-byte entries, its cells in float where they can be.
template <int kBytes, class Resolve>
std::size_t gather_direct_entries(const float* u, std::size_t n, std::size_t stride, double scale, double offset, const std::uint8_t* table,
                                  double lo, double cell_scale, double cells, std::uint32_t marker, std::uint32_t* codes,
                                  Resolve resolve) {
  return FloatCells::applies(scale, offset, lo, cell_scale)
             ? gather_direct_entries<kBytes, true>(u, n, stride, scale, offset, table, lo, cell_scale, cells, marker, codes, resolve)
             : gather_direct_entries<kBytes, false>(u, n, stride, scale, offset, table, lo, cell_scale, cells, marker, codes, resolve);
}

// What resolve_listed() reads: a one-byte table with its ByteTableLayout, and the breakpoints.
struct ByteTable {
  const std::uint8_t* table;
  ByteTableLayout at;
  const double* breakpoints;  // then +∞
  double lo, cell_scale, cells;
};

// codes[i] = lookup(x_i), x_i = u[i·stride]·scale − offset in double, for the listed inputs i of
// a one-byte table (in cells that hold a breakpoint): from the first breakpoint of x_i's input
// code (all before it lie below x_i, as their cells are lower), two branch-free steps of search()
// and the breakpoint's own code. Inputs outside the table, or with a third breakpoint of their
// code at or below them, go to search(i). One input at a time: the loads of consecutive inputs
// overlap, where AVX2 gathers of four made one chain of six gathers (the conversions took 18%
// less CPU time).
template <class Search>
void resolve_listed(const ByteTable& t, const float* u, std::size_t stride, double scale, double offset, const std::uint32_t* listed,
                    int n, std::uint32_t* codes, Search search) {
  const std::uint8_t* first = t.table + t.at.first_at;
  const std::uint8_t* interval = t.table + t.at.interval_at;
  const std::uint8_t* point = t.table + t.at.point_at;
  const double* b = t.breakpoints;
  for (int p = 0; p < n; ++p) {
    const std::uint32_t i = listed[p];
    const double x = static_cast<double>(u[i * stride]) * scale - offset;
    const double cell = (x - t.lo) * t.cell_scale;
    if (!(cell >= 0 && cell < t.cells)) {
      codes[i] = search(i);
      continue;
    }
    const std::size_t q = static_cast<std::size_t>(cell) >> kCellBits;
    std::size_t k = first[2 * q] | static_cast<std::size_t>(first[2 * q + 1]) << 8;
    k += b[k] <= x;
    k += b[k] <= x;
    if (b[k] <= x) {
      codes[i] = search(i);
      continue;
    }
    codes[i] = k > 0 && b[k - 1] == x ? point[k - 1] : interval[k];
  }
}
#endif

}  // namespace

void FrozenAcam::lookup(const float* u, std::size_t count, std::size_t stride, double scale, double offset, std::uint32_t* codes) const {
  std::size_t done = 0;
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  // Gathers address lanes by 32-bit offsets.
  if (avx2 && entry_bytes_ != 0 && count * stride < (std::size_t{1} << 31)) {
    const auto x_code = [&](std::size_t i) { return static_cast<double>(u[i * stride]) * scale - offset; };
    const auto resolve_each = [&](const std::uint32_t* listed, int n) {
      for (int p = 0; p < n; ++p) codes[listed[p]] = resolve(codes[listed[p]], x_code(listed[p]));
    };
    const ByteTable byte_table{.table = direct_.data(),
                               .at = ByteTableLayout(static_cast<std::size_t>(direct_cells_), breakpoints_.size() - 1),
                               .breakpoints = breakpoints_.data(),
                               .lo = direct_lo_,
                               .cell_scale = direct_scale_,
                               .cells = direct_cells_};
    const auto resolve_bytes = [&](const std::uint32_t* listed, int n) {
      resolve_listed(byte_table, u, stride, scale, offset, listed, n, codes, [&](std::uint32_t i) { return search(x_code(i)); });
    };
    if (entry_bytes_ == 2)
      done = gather_direct_entries<2>(u, count, stride, scale, offset, direct_.data(), direct_lo_, direct_scale_, direct_cells_, marker_,
                                      codes, resolve_each);
    else
      done = gather_direct_entries<1>(u, count, stride, scale, offset, direct_.data(), direct_lo_, direct_scale_, direct_cells_, marker_,
                                      codes, resolve_bytes);
  }
#endif
  for (std::size_t i = done; i < count; ++i) codes[i] = lookup(static_cast<double>(u[i * stride]) * scale - offset);
}

void FrozenAcam::prefetch() const {
  // The direct table, and what resolving its markers reads.
  const auto fetch = [](const void* data, std::size_t bytes) {
    constexpr std::size_t kLine = 64;
    for (std::size_t k = 0; k < bytes; k += kLine) __builtin_prefetch(static_cast<const char*>(data) + k);
  };
  fetch(direct_.data(), direct_.size());
  fetch(breakpoints_.data(), breakpoints_.size() * sizeof(double));
  if (entry_bytes_ == 1) return;  // its codes are in direct_
  fetch(interval_codes_.data(), interval_codes_.size() * sizeof(std::uint32_t));
  fetch(point_codes_.data(), point_codes_.size() * sizeof(std::uint32_t));
}

FrozenAcam2Var::FrozenAcam2Var(const AcamProgram& program)
    : FrozenAcam2Var(program, program.cells) {}

FrozenAcam2Var::FrozenAcam2Var(const AcamProgram& program, const AcamCells& realised)
    : y_codes_(program.y.codes()) {
  require_vars(program, 2, "FrozenAcam2Var");
  std::vector<std::uint32_t> encoded(program.input_count(), 0);
  for (std::size_t k = 0; k < realised.rects_per_bit.size(); ++k) {
    const std::uint32_t weight = 1u << (program.out_bits - 1 - static_cast<int>(k));
    for (const auto& r : realised.rects_per_bit[k]) {
      const auto [i0, i1] = code_span(r.x, program.x.codes());
      const auto [j0, j1] = code_span(r.y, y_codes_);
      for (double i = i0; i <= i1; ++i)
        for (double j = j0; j <= j1; ++j)
          encoded[static_cast<std::size_t>(i) * y_codes_ + static_cast<std::size_t>(j)] |= weight;
    }
  }
  table_.reserve(encoded.size());
  for (auto b : encoded) table_.push_back(program.decode(b));
}

std::vector<std::uint32_t> realised_table(const AcamProgram& program, const AcamCells& cells) {
  if (program.vars == 2) return FrozenAcam2Var(program, cells).table();
  const FrozenAcam frozen(program, cells);
  std::vector<std::uint32_t> codes;
  codes.reserve(program.input_count());
  for (std::uint32_t i = 0; i < program.x.codes(); ++i) codes.push_back(frozen.lookup(i));
  return codes;
}

}  // namespace raceit::acam
