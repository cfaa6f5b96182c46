#include "raceit/acam/program.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "raceit/acam/frozen.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/gray.hpp"
#include "raceit/core/quantiser.hpp"

namespace raceit::acam {

const char* to_string(OutputEncoding encoding) { return kOutputEncodingNames.name(encoding); }

OutputEncoding parse_output_encoding(std::string_view text) {
  if (const OutputEncoding* e = kOutputEncodingNames.find(text)) return *e;
  throw Error(ErrorKind::InvalidArgument,
              "output encoding must be 'gray' or 'binary', got '" + std::string(text) + "'");
}

std::vector<int> AcamCells::count_per_bit() const {
  std::vector<int> counts;
  for (const auto& r : ranges_per_bit) counts.push_back(static_cast<int>(r.size()));
  for (const auto& r : rects_per_bit) counts.push_back(static_cast<int>(r.size()));
  return counts;
}

int AcamCells::total() const {
  const auto counts = count_per_bit();
  int total = 0;
  for (int c : counts) total += c;
  return total;
}

double InputAxis::value(std::uint32_t code) const {
  return range.lo + code * (range.hi - range.lo) / static_cast<double>(codes() - 1);
}

std::uint32_t AcamProgram::encode(std::uint32_t code) const {
  return encoding == OutputEncoding::Gray ? gray_encode(code, out_bits) : code;
}

std::uint32_t AcamProgram::decode(std::uint32_t encoded) const {
  return encoding == OutputEncoding::Gray ? gray_decode(encoded, out_bits) : encoded;
}

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

void check_bits(const char* what, int bits, int max) {
  if (bits < 1 || bits > max)
    throw Error(ErrorKind::InvalidArgument, std::string(what) + " must be 1…" +
                                                std::to_string(max) + ", got " +
                                                std::to_string(bits));
}

void check_range(const char* what, const ValueRange& r) {
  if (!(std::isfinite(r.lo) && std::isfinite(r.hi) && r.lo < r.hi) || std::abs(r.lo) > kMaxValueMagnitude ||
      std::abs(r.hi) > kMaxValueMagnitude) {
    std::ostringstream s;
    s << what << " must be finite with LO < HI and |LO|, |HI| <= 1e30, got " << r.lo << ":" << r.hi;
    throw Error(ErrorKind::InvalidArgument, s.str());
  }
}

// The interval of input codes [first, last] on an axis of `count` codes, open by half a code
// on each side and unbounded at the ends of the grid.
AcamRange code_interval(std::uint32_t first, std::uint32_t last, std::uint32_t count) {
  return {.lo = first == 0 ? -kInf : first - 0.5, .hi = last + 1 == count ? kInf : last + 0.5};
}

// Fills everything but the cells: reference values, output quantisation and the table.
AcamProgram quantise(const AcamFunction& f, const InputAxis& x, const InputAxis& y,
                     const OutputSpec& out) {
  check_bits("output bits", out.bits, 12);
  if (out.range) check_range("output range", *out.range);
  AcamProgram p;
  p.function = f.name;
  p.expression = f.expression.text();
  p.vars = y.bits > 0 ? 2 : 1;
  p.x = x;
  p.y = y;
  p.out_bits = out.bits;
  p.encoding = out.encoding;
  const std::uint32_t ny = y.bits > 0 ? y.codes() : 1;
  p.reference.resize(static_cast<std::size_t>(x.codes()) * ny);
  for (std::uint32_t i = 0; i < x.codes(); ++i) {
    for (std::uint32_t j = 0; j < ny; ++j) {
      const double xv = x.value(i), yv = y.bits > 0 ? y.value(j) : 0.0;
      const double v = f(xv, yv);
      if (!(std::abs(v) <= kMaxValueMagnitude)) {
        std::ostringstream s;
        s << "function '" << f.name << "' is " << (std::isfinite(v) ? "beyond ±1e30 (" : "not finite (") << v << ") at x = " << xv;
        if (y.bits > 0) s << ", y = " << yv;
        s << "; choose an input range where it is defined";
        throw Error(ErrorKind::InvalidArgument, s.str());
      }
      p.reference[i * ny + j] = v;
    }
  }
  const auto [min_it, max_it] = std::minmax_element(p.reference.begin(), p.reference.end());
  p.out_range = out.range.value_or(ValueRange{.lo = *min_it, .hi = *max_it});
  const double max_code = static_cast<double>((std::uint32_t{1} << out.bits) - 1);
  p.out_step = (p.out_range.hi - p.out_range.lo) / max_code;
  p.table.reserve(p.reference.size());
  for (double v : p.reference) {
    const double c = p.out_step > 0 ? round_half_even((v - p.out_range.lo) / p.out_step) : 0.0;
    p.table.push_back(static_cast<std::uint32_t>(std::clamp(c, 0.0, max_code)));
  }
  return p;
}

// The value of output bit k (0 = MSB) as programmed, for each input.
std::vector<bool> encoded_bit(const AcamProgram& p, int k) {
  const int shift = p.out_bits - 1 - k;
  std::vector<bool> bit(p.table.size());
  for (std::size_t idx = 0; idx < p.table.size(); ++idx) {
    bit[idx] = (p.encode(p.table[idx]) >> shift) & 1u;
  }
  return bit;
}

// A block of matrix cells, rows r1…r2 and columns c1…c2 inclusive.
struct CellBlock {
  int r1, r2, c1, c2;
};

// Greedy cover of the 1s of a bit matrix (one 64-bit mask per row, at most 64 columns). Each
// step scans every row band [r1, r2]; within a band the columns that are 1 in every row form
// runs, and a whole run is always at least as good as any part of it, so only whole runs are
// candidates. The best run covers the most still-uncovered 1s (larger area on a tie).
std::vector<CellBlock> greedy_rectangle_cover(const std::vector<std::uint64_t>& ones, int cols) {
  const int rows = static_cast<int>(ones.size());
  std::vector<std::uint64_t> uncovered = ones;
  std::vector<CellBlock> blocks;
  std::vector<int> column_uncovered(static_cast<std::size_t>(cols));
  for (;;) {
    CellBlock best{};
    int best_new = 0, best_area = 0;
    for (int r1 = 0; r1 < rows; ++r1) {
      std::uint64_t band = ones[r1];
      std::fill(column_uncovered.begin(), column_uncovered.end(), 0);
      for (int r2 = r1; r2 < rows && band; ++r2) {
        band &= ones[r2];
        for (int c = 0; c < cols; ++c) column_uncovered[c] += (uncovered[r2] >> c) & 1u;
        for (int c = 0; c < cols;) {
          if (!((band >> c) & 1u)) {
            ++c;
            continue;
          }
          const int c1 = c;
          int fresh = 0;
          for (; c < cols && ((band >> c) & 1u); ++c) fresh += column_uncovered[c];
          const int area = (r2 - r1 + 1) * (c - c1);
          if (fresh > best_new || (fresh == best_new && fresh > 0 && area > best_area)) {
            best = {.r1 = r1, .r2 = r2, .c1 = c1, .c2 = c - 1};
            best_new = fresh;
            best_area = area;
          }
        }
      }
    }
    if (best_new == 0) return blocks;
    const int width = best.c2 - best.c1 + 1;
    const std::uint64_t mask = (width == 64 ? ~0ull : ((1ull << width) - 1)) << best.c1;
    for (int r = best.r1; r <= best.r2; ++r) uncovered[r] &= ~mask;
    blocks.push_back(best);
  }
}

// The cover is exact when the rectangles, painted onto the grid, give back the table.
void verify_cover(const AcamProgram& p) {
  const FrozenAcam2Var frozen(p);
  const auto& painted = frozen.table();
  for (std::size_t idx = 0; idx < painted.size(); ++idx) {
    if (painted[idx] == p.table[idx]) continue;
    const std::uint32_t ny = p.y.codes();
    throw Error(ErrorKind::Internal,
                "2-var rectangle cover of '" + p.function + "' is not exact at (" +
                    std::to_string(idx / ny) + ", " + std::to_string(idx % ny) + "): bits " +
                    std::to_string(p.encode(painted[idx])) + " instead of " +
                    std::to_string(p.encode(p.table[idx])));
  }
}
}  // namespace

AcamProgram compile_1var(const AcamFunction& f, const InputAxis& x, const OutputSpec& out) {
  if (f.vars() != 1)
    throw Error(ErrorKind::InvalidArgument,
                "function '" + f.name + "' uses y: compile it as a 2-var function");
  check_bits("input bits", x.bits, 12);
  check_range("input range", x.range);
  AcamProgram p = quantise(f, x, InputAxis{.bits = 0, .range = {}}, out);
  for (int k = 0; k < p.out_bits; ++k) {
    const auto bit = encoded_bit(p, k);
    auto& ranges = p.cells.ranges_per_bit.emplace_back();
    for (std::uint32_t i = 0; i < x.codes();) {
      if (!bit[i]) {
        ++i;
        continue;
      }
      const std::uint32_t start = i;
      while (i < x.codes() && bit[i]) ++i;
      ranges.push_back(code_interval(start, i - 1, x.codes()));
    }
  }
  return p;
}

AcamProgram compile_2var(const AcamFunction& f, const InputAxis& x, const InputAxis& y,
                         const OutputSpec& out) {
  check_bits("x input bits", x.bits, 6);
  check_bits("y input bits", y.bits, 6);
  check_range("x input range", x.range);
  check_range("y input range", y.range);
  AcamProgram p = quantise(f, x, y, out);
  const std::uint32_t ny = y.codes();
  for (int k = 0; k < p.out_bits; ++k) {
    const auto bit = encoded_bit(p, k);
    std::vector<std::uint64_t> rows(x.codes());
    for (std::uint32_t i = 0; i < x.codes(); ++i)
      for (std::uint32_t j = 0; j < ny; ++j)
        if (bit[i * ny + j]) rows[i] |= 1ull << j;
    auto& rects = p.cells.rects_per_bit.emplace_back();
    for (const auto& b : greedy_rectangle_cover(rows, static_cast<int>(ny)))
      rects.push_back({code_interval(b.r1, b.r2, x.codes()), code_interval(b.c1, b.c2, ny)});
  }
  verify_cover(p);
  return p;
}

}  // namespace raceit::acam
