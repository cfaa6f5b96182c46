// The crossbar MVM, two ways: a reference path that walks every tile, bit plane and cell, and a
// fast path that computes each row block's column values for every plane and readout group at
// once (bit planes by lookup tables in a fixed order, plane_tables.hpp; multi-level inputs by a
// GEMM) and draws per-read noise per column from its exact variance (the same product of squared
// inputs with per-cell variances).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "raceit/acam/functions.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/gemm.hpp"
#include "raceit/core/parallel.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/xbar/crossbar.hpp"
#include "mvm_integer.hpp"
#include "plane_tables.hpp"

namespace raceit::xbar {

namespace {

using device::NoiseMode;

using detail::ReadoutTally;

// Input codes as the crossbar sees them: unsigned codes, or signed values code − zero.
std::vector<std::int32_t> input_levels(const Matrix& x, const AffineQuantiser& xq, bool signed_inputs) {
  std::vector<std::int32_t> v(x.data.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    const std::int64_t code = xq.quantise(x.data[k]);
    v[k] = static_cast<std::int32_t>(signed_inputs ? code - xq.zero : code);
  }
  return v;
}

// Bit planes (or the single multi-level "plane") stacked as rows p·batch + b, and their
// shift-add weights. Signed bit-serial inputs are two's complement: the top plane weighs −2^(a−1).
struct Planes {
  int count = 1;
  std::vector<double> weight;
  Matrix value;  // (count·batch) × in, 0/1 or levels; empty where nothing reads it
  float at(int p, int b, int i, int batch) const { return value.at(p * batch + b, i); }
};

// Bit planes' column values come from the lookup tables of plane_tables.hpp (their patterns hold
// up to 16 planes); multi-level inputs' from a GEMM.
bool plane_tables_apply(const CrossbarConfig& c) { return c.inputs == InputScheme::BitSerial && c.a_bits <= 16; }

// `values`: also the planes as a matrix (the reference path and the GEMM read it).
Planes make_planes(const CrossbarConfig& c, const std::vector<std::int32_t>& levels, int batch, int in, bool values) {
  Planes p;
  const std::size_t n = levels.size();
  if (c.inputs == InputScheme::MultiLevel) {
    p.weight = {1.0};
    p.value = Matrix(batch, in);
    for (std::size_t k = 0; k < n; ++k) p.value.data[k] = static_cast<float>(levels[k]);
    return p;
  }
  p.count = c.a_bits;
  if (values) p.value = Matrix(c.a_bits * batch, in);
  for (int b = 0; b < c.a_bits; ++b) {
    const bool top_signed = c.signed_inputs && b == c.a_bits - 1;
    p.weight.push_back(top_signed ? -std::ldexp(1.0, b) : std::ldexp(1.0, b));
    if (values)
      for (std::size_t k = 0; k < n; ++k)
        p.value.data[b * n + k] = static_cast<float>((static_cast<std::uint32_t>(levels[k]) >> b) & 1u);
  }
  return p;
}

// Converts the column values u[0…G) of one output (one per readout group) and returns their
// weighted sum Σ coefficient_g · reconstructed_g. `column` numbers the output's first
// conversion column; an ACAM readout uses realisation (column + g) mod pool size.
template <class Value>
inline double convert_output(const ProgrammedCrossbar& x, const double* coefficient, const Value* u, int groups,
                             std::size_t column, ReadoutTally& tally) {
  const ReadoutScale& s = x.scale;
  const double inv_step = 1.0 / s.step;  // exact: the step is a power of two
  const double lo = static_cast<double>(s.cmin), hi = static_cast<double>(s.cmax);
  double sum = 0;
  if (x.config.readout == ReadoutKind::Acam) {
    const std::size_t pool = x.readout_acams.size();
    std::size_t realisation = column % pool;  // then (column + g) mod pool, without a division per conversion
    for (int g = 0; g < groups; ++g) {
      tally.peak = std::max(tally.peak, std::abs(static_cast<double>(u[g])));
      const std::uint32_t code = x.readout_acams[realisation].lookup(u[g] * inv_step - lo);
      sum += coefficient[g] * (static_cast<double>(code) + lo);
      if (++realisation == pool) realisation = 0;
    }
    return sum * s.step;
  }
  // Adding and subtracting 1.5·2^52 rounds half to even in the default rounding mode; clamping
  // to one code past each end first keeps the value in the trick's range. (nearbyint is a libm
  // call that preserves FP flags: several times slower in this, the hottest loop.)
  constexpr double kRound = 0x1.8p52;
  for (int g = 0; g < groups; ++g) {
    tally.peak = std::max(tally.peak, std::abs(static_cast<double>(u[g])));
    const double v = std::clamp(u[g] * inv_step, lo - 1.0, hi + 1.0);
    const double code = (v + kRound) - kRound;
    tally.clipped += (code < lo) | (code > hi);
    sum += coefficient[g] * std::clamp(code, lo, hi);
  }
  return sum * s.step;
}

// The largest |v[k]| (NaN ignored, as std::max(peak, |v|) would): non-negative floats order as
// their bit patterns, and a signed integer maximum vectorises (GCC 12 leaves the unsigned one scalar).
RACEIT_XBAR_VECTOR_CLONES float peak_magnitude(const float* v, std::size_t n) {
  constexpr std::int32_t kMagnitude = 0x7fffffff, kInfinity = 0x7f800000;
  std::int32_t top = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::int32_t bits = std::bit_cast<std::int32_t>(v[k]) & kMagnitude;
    top = std::max(top, bits > kInfinity ? 0 : bits);
  }
  return std::bit_cast<float>(top);
}

#if defined(__x86_64__)
// One 8×8 tile of transpose(): eight rows in, eight columns out, through the AVX registers.
__attribute__((target("avx2"))) void transpose_tile(const float* y, std::size_t ld, float* y_t, std::size_t ld_t) {
  __m256 r[8], t[8];
  for (std::size_t k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(y + k * ld);
  for (int k = 0; k < 8; k += 2) {
    t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
    t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
  }
  for (int k = 0; k < 8; k += 4) {
    r[k] = _mm256_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (std::size_t k = 0; k < 4; ++k) {
    _mm256_storeu_ps(y_t + k * ld_t, _mm256_permute2f128_ps(r[k], r[k + 4], 0x20));
    _mm256_storeu_ps(y_t + (k + 4) * ld_t, _mm256_permute2f128_ps(r[k], r[k + 4], 0x31));
  }
}
#endif

// y_t[c·ld_t + r] = y[r·ld + c] for r < rows, c < cols: 8×8 tiles through AVX registers where
// the CPU has them, the rest element by element.
void transpose(const float* y, int rows, int cols, std::size_t ld, float* y_t, std::size_t ld_t) {
  const auto R = static_cast<std::size_t>(rows), C = static_cast<std::size_t>(cols);
  std::size_t tiled_rows = 0, tiled_cols = 0;
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) {
    tiled_rows = R / 8 * 8;
    tiled_cols = C / 8 * 8;
    for (std::size_t r = 0; r < tiled_rows; r += 8)
      for (std::size_t c = 0; c < tiled_cols; c += 8) transpose_tile(y + r * ld + c, ld, y_t + c * ld_t + r, ld_t);
  }
#endif
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t c = r < tiled_rows ? tiled_cols : 0; c < C; ++c) y_t[c * ld_t + r] = y[r * ld + c];
}

// Scratch of one thread for convert_acam_columns().
struct ColumnScratch {
  std::vector<std::uint32_t> codes;  // [g][row]
  std::vector<double> sums;          // [b]
};

// One plane's readout of one output for every vector b: sums[b] = Σ_g coefficient_g ·
// (code_g,b + lo), summed over g in order from 0 as convert_output() does, vectorised over b.
RACEIT_XBAR_VECTOR_CLONES void sum_groups(const std::uint32_t* codes, std::size_t rows, int groups, const double* coefficient, double lo,
                                     int batch, double* sums) {
  std::fill(sums, sums + batch, 0.0);
  for (int g = 0; g < groups; ++g) {
    const auto* code = reinterpret_cast<const std::int32_t*>(codes + static_cast<std::size_t>(g) * rows);  // codes < 2^31
    for (int b = 0; b < batch; ++b) sums[b] += coefficient[g] * (static_cast<double>(code[b]) + lo);
  }
}

// acc[b] += weight · (sums[b] · step): one plane's shift-add into an output's accumulators.
RACEIT_XBAR_VECTOR_CLONES void shift_add(const double* sums, double weight, double step, int batch, double* acc) {
  for (int b = 0; b < batch; ++b) acc[b] += weight * (sums[b] * step);
}

// The Compute-ACAM readout of one GEMM block held column by column, y_t[(jj·G + g)·rows + p·batch
// + b], for the outputs j0 + jj: each conversion column's values (contiguous) go through its one
// realisation, (column + g) mod pool, whose table stays in cache for all of the column; then each
// output sums its groups and planes in the order of convert_output() and the per-output loop, so
// the result is the same bit for bit. The sums go to acc_t[jj·batch + b]. The peak tally (used
// by calibration) reads each column while it is in cache.
void convert_acam_columns(const ProgrammedCrossbar& x, const float* y_t, int rows, int nj, int j0, int rb, int batch,
                          const std::vector<double>& plane_weight, double* acc_t, ReadoutTally& tally, ColumnScratch& scratch) {
  const int G = static_cast<int>(x.groups.size()), P = static_cast<int>(plane_weight.size());
  const ReadoutScale& s = x.scale;
  const double inv_step = 1.0 / s.step, lo = static_cast<double>(s.cmin);
  const auto column_rows = static_cast<std::size_t>(rows);
  const std::size_t pool = x.readout_acams.size();
  scratch.codes.resize(static_cast<std::size_t>(G) * column_rows);
  scratch.sums.resize(batch);
  float peak = 0;
  for (int jj = 0; jj < nj; ++jj) {
    const std::size_t column = (static_cast<std::size_t>(rb) * x.out + j0 + jj) * G;
    for (int g = 0; g < G; ++g) {
      if (jj + 1 < nj || g + 1 < G) x.readout_acams[(column + g + 1) % pool].prefetch();  // the next column's, while this one converts
      const float* u = y_t + (static_cast<std::size_t>(jj) * G + g) * column_rows;
      peak = std::max(peak, peak_magnitude(u, column_rows));
      x.readout_acams[(column + g) % pool].lookup(u, column_rows, 1, inv_step, lo, scratch.codes.data() + static_cast<std::size_t>(g) * column_rows);
    }
    for (int p = 0; p < P; ++p) {
      sum_groups(scratch.codes.data() + static_cast<std::size_t>(p) * batch, column_rows, G, x.coefficient.data() + column, lo, batch,
                 scratch.sums.data());
      shift_add(scratch.sums.data(), plane_weight[p], s.step, batch, acc_t + static_cast<std::size_t>(jj) * batch);
    }
  }
  tally.peak = std::max(tally.peak, static_cast<double>(peak));
}

}  // namespace

// A function fused into the ACAM readout: per output column, f compiled over the values that
// column's readout codes stand for (they differ per column through the weight scale and the
// zero-point term, plus the column's offset), realised with that column's own noise.
FusedReadout fused_readout(const ProgrammedCrossbar& x, const AffineQuantiser& xq, const std::vector<double>& offsets) {
  const CrossbarConfig& c = x.config;
  const acam::AcamFunction f = acam::resolve_function(c.fused_function);
  if (f.vars() != 1)
    throw Error(ErrorKind::InvalidArgument, "fused readout function '" + c.fused_function + "' must be a function of x only");
  if (!offsets.empty() && static_cast<int>(offsets.size()) != x.out)
    throw Error(ErrorKind::InvalidArgument, "fused readout: " + std::to_string(offsets.size()) + " offsets for " +
                                                std::to_string(x.out) + " outputs");
  const CounterRng rng(c.seed);
  FusedReadout fused;
  fused.input = xq;
  const double top = std::ldexp(1.0, c.readout_bits) - 1;
  for (int j = 0; j < x.out; ++j) {
    const double zero_term = c.signed_inputs ? 0.0 : static_cast<double>(xq.zero) * static_cast<double>(x.q_row_sum[j]);
    const double scale = xq.scale * x.w_scale[j];
    const double offset = offsets.empty() ? 0.0 : offsets[static_cast<std::size_t>(j)];
    auto value = [&](double code) {
      return scale * ((code + static_cast<double>(x.scale.cmin)) * x.scale.step - zero_term) + offset;
    };
    fused.programs.push_back(acam::compile_1var(
        f, acam::InputAxis{.bits = c.readout_bits, .range = acam::ValueRange{.lo = value(0), .hi = value(top)}},
        acam::OutputSpec{.bits = c.readout_bits, .range = std::nullopt, .encoding = c.acam_encoding}));
    const acam::AcamProgram& program = fused.programs.back();
    if (c.mode == NoiseMode::Ideal)
      fused.acams.emplace_back(program);
    else
      fused.acams.emplace_back(program, acam::realise(program, c.device, rng.bits64(streams::kXbarAcamReadout, static_cast<std::uint64_t>(c.acam_instances) + j)));
  }
  return fused;
}

namespace {

// Index of a per-read noise draw for column j of vector b.
std::uint64_t read_index(std::uint64_t call, int rb, int plane, int group, int b, int j,
                         const ProgrammedCrossbar& x, int planes, int batch) {
  std::uint64_t id = call;
  id = id * x.layout.row_blocks + rb;
  id = id * planes + plane;
  id = id * x.groups.size() + group;
  id = id * batch + b;
  return id * x.out + j;
}

// acc (batch × out, level units) → dequantised output.
Matrix dequantise(const ProgrammedCrossbar& x, const std::vector<double>& acc, const AffineQuantiser& xq, int batch) {
  Matrix y(batch, x.out);
  std::vector<double> zero_term(x.out, 0.0);
  if (!x.config.signed_inputs)
    for (int j = 0; j < x.out; ++j) {
      zero_term[j] = static_cast<double>(xq.zero) * static_cast<double>(x.q_row_sum[j]);
    }
  for (int b = 0; b < batch; ++b)
    for (int j = 0; j < x.out; ++j)
      y.at(b, j) = static_cast<float>(xq.scale * x.w_scale[j] * (acc[static_cast<std::size_t>(b) * x.out + j] - zero_term[j]));
  return y;
}

// The result of accumulators acc (level units; empty: a fused readout's output, filled by the
// caller) and the conversions' tallies.
MvmResult finish(const ProgrammedCrossbar& x, const AffineQuantiser& xq, int batch, const std::vector<double>& acc,
                 const std::vector<ReadoutTally>& tally) {
  MvmResult r{.output = acc.empty() ? Matrix{} : dequantise(x, acc, xq, batch),
              .events = mvm_events(x.config, x.layout, x.in, x.out, static_cast<std::uint64_t>(batch)),
              .peak_column = 0.0};
  for (const auto& t : tally) {
    if (x.config.readout == ReadoutKind::Adc) r.events.adc_clipped += t.clipped;
    r.peak_column = std::max(r.peak_column, t.peak);
  }
  return r;
}

}  // namespace

EventCounts mvm_events(const CrossbarConfig& c, const TileLayout& t, int in, int out, std::uint64_t batch) {
  const std::uint64_t B = batch, P = c.inputs == InputScheme::BitSerial ? static_cast<std::uint64_t>(c.a_bits) : 1,
                      G = static_cast<std::uint64_t>(t.groups), N = static_cast<std::uint64_t>(out),
                      RB = static_cast<std::uint64_t>(t.row_blocks);
  const std::uint64_t sides = c.sign == SignScheme::SeparateArrays ? 2 : 1;
  EventCounts e;
  e.array_reads = B * P * RB * t.col_blocks * sides;
  e.dac_conversions = B * P * static_cast<std::uint64_t>(in) * t.col_blocks * sides;
  const std::uint64_t conversions = B * P * RB * G * N;
  (c.readout == ReadoutKind::Adc ? e.adc_conversions : e.acam_searches) = conversions;
  e.shift_adds = conversions;
  e.digital_adds = B * N * (RB - 1) + (c.signed_inputs ? 0 : B * N);
  e.cells_programmed = static_cast<std::uint64_t>(in) * out * t.cells_per_weight;
  return e;
}

namespace {

// One mvm() call on the float paths: the inputs' planes, the readout (a fused one prepared for
// this quantiser, or compiled for this call) and the accumulators acc[b·out + j] (level units,
// or the fused readout's output values). Each output sums its conversions in (row block, plane,
// group) order whatever the path or thread count.
class FloatMvm {
 public:
  FloatMvm(const ProgrammedCrossbar& x, const std::vector<std::int32_t>& levels, const AffineQuantiser& xq, int batch,
           std::uint64_t call_index, MvmPath path)
      : x_(x),
        c_(x.config),
        planes_(make_planes(x.config, levels, batch, x.in, path == MvmPath::Reference || !plane_tables_apply(x.config))),
        per_call_(fused_for(x, xq)),
        fused_(prepared(x, xq) ? x.fused : per_call_),
        batch_(batch),
        G_(static_cast<int>(x.groups.size())),
        P_(planes_.count),
        rows_(planes_.count * batch),
        per_read_(x.config.mode == NoiseMode::PerRead),
        call_index_(call_index),
        rng_(x.config.seed),
        groups_per_block_(detail::groups_of(std::min(x.in, x.config.rows))),
        groups_total_(static_cast<std::size_t>(x.layout.row_blocks) * groups_per_block_),
        patterns_(table_patterns(x, levels, batch, groups_per_block_)),
        acc_(static_cast<std::size_t>(batch) * x.out, 0.0) {}

  bool fused() const { return !fused_.acams.empty(); }
  const std::vector<double>& acc() const { return acc_; }

  // Fixed column chunks (independent of the thread count); threads own whole chunks. Per row
  // block one GEMM covers every plane (stacked rows) and every group (adjacent columns).
  std::vector<ReadoutTally> fast(int threads) {
    const int chunks = (x_.out + kChunk - 1) / kChunk;
    std::vector<ReadoutTally> tally(chunks);
    if (per_read_ && c_.inputs == InputScheme::MultiLevel) {
      squares_ = planes_.value;
      for (float& v : squares_.data) v *= v;
    }
    parallel_for(chunks, threads, [&](std::size_t c0, std::size_t c1) {
      // Kept per thread across calls: a frozen run's many calls would otherwise map, fault in
      // and zero megabytes of buffers each time.
      thread_local ChunkBuffers buffers;
      for (std::size_t ch = c0; ch < c1; ++ch) fast_chunk(static_cast<int>(ch), tally[ch], buffers);
    });
    return tally;
  }

  // Reference: per vector, tile, plane, group, column and cell, in double, drawing per-read
  // noise cell by cell.
  std::vector<ReadoutTally> reference(int threads) {
    std::vector<ReadoutTally> tally(batch_);
    parallel_for(batch_, threads, [&](std::size_t b0, std::size_t b1) {
      for (std::size_t b = b0; b < b1; ++b) reference_vector(static_cast<int>(b), tally[b]);
    });
    return tally;
  }

 private:
  static constexpr int kChunk = 128;
  static constexpr int kTransposedColumns = detail::kFloatTile;
  struct ChunkBuffers {
    std::vector<float> y, v;  // a row block's column values and (per-read) their variances
    std::vector<float> y_t;   // y column by column (Compute-ACAM readout)
    std::vector<float> tables, tile;
    std::array<const std::uint8_t*, detail::kTileRows> patterns;  // the tile's rows'
    std::vector<double> u, acc_t;
    ColumnScratch scratch;
  };

  static std::vector<std::uint8_t> table_patterns(const ProgrammedCrossbar& x, const std::vector<std::int32_t>& levels, int batch,
                                                  int groups_per_block) {
    const CrossbarConfig& c = x.config;
    if (!plane_tables_apply(c)) return {};
    return detail::input_patterns(levels, batch, x.in, c.rows, c.a_bits, groups_per_block, x.layout.row_blocks);
  }
  // The patterns of plane row r = p·batch + b in row block rb.
  const std::uint8_t* pattern(int rb, int r) const {
    const int p = r / batch_, b = r % batch_;
    return patterns_.data() + (static_cast<std::size_t>(b) * P_ + p) * groups_total_ + static_cast<std::size_t>(rb) * groups_per_block_;
  }
  // Row block rb's input rows.
  int block_rows(int rb) const { return std::min(x_.in, (rb + 1) * c_.rows) - rb * c_.rows; }
  // Its first row of `level` (in × columns), from column col0.
  const float* block_levels(const Matrix& level, int rb, int col0) const {
    return level.data.data() + static_cast<std::size_t>(rb) * c_.rows * level.cols + col0;
  }

  // y[r·ldy + c] = Σ_i inputs[r][i]·level[i][col0 + c] over row block rb's rows, for the plane
  // rows r and c < ncols: by the lookup tables for bit planes, else by a GEMM.
  void column_values(int rb, const Matrix& level, const Matrix& inputs, int col0, int ncols, float* y, std::size_t ldy,
                     ChunkBuffers& w) const {
    if (patterns_.empty()) {
      sgemm(rows_, ncols, block_rows(rb), {.a = inputs.data.data() + static_cast<std::size_t>(rb) * c_.rows, .lda = x_.in,
                                           .b = block_levels(level, rb, col0), .ldb = level.cols, .c = y,
                                           .ldc = static_cast<std::int64_t>(ldy)});
      return;
    }
    table_values(rb, level, col0, ncols, w, [&](int r0, int nr, int c0, int nt) {
      for (int r = 0; r < nr; ++r)
        std::copy_n(w.tile.data() + static_cast<std::size_t>(r) * detail::kFloatTile, nt, y + static_cast<std::size_t>(r0 + r) * ldy + c0);
    });
  }

  // Bit planes' column values by the lookup tables, a tile of kTileRows plane rows and up to
  // kFloatTile columns at a time in w.tile, handed to take(r0, rows, c0, columns).
  template <class Take>
  void table_values(int rb, const Matrix& level, int col0, int ncols, ChunkBuffers& w, Take take) const {
    const int kb = block_rows(rb), groups = detail::groups_of(kb);
    const float* from = block_levels(level, rb, col0);
    w.tile.resize(static_cast<std::size_t>(detail::kTileRows) * detail::kFloatTile);
    for (int c0 = 0; c0 < ncols; c0 += detail::kFloatTile) {
      const int nt = std::min(detail::kFloatTile, ncols - c0);
      detail::build_tables(from + c0, static_cast<std::size_t>(level.cols), kb, nt, detail::kFloatTile, w.tables);
      for (int r0 = 0; r0 < rows_; r0 += detail::kTileRows) {
        const int nr = std::min(detail::kTileRows, rows_ - r0);
        for (int r = 0; r < nr; ++r) w.patterns[r] = pattern(rb, r0 + r);
        detail::float_table_tile(w.tables.data(), groups, nr, w.patterns.data(), w.tile.data());
        take(r0, nr, c0, nt);
      }
    }
  }

  // The same column by column, y_t[c·rows + r], for bit planes: tiles of table sums transposed
  // while they are in L1.
  void transposed_table_values(int rb, int col0, int ncols, ChunkBuffers& w) const {
    const auto rows = static_cast<std::size_t>(rows_);
    w.y_t.resize(rows * ncols);
    table_values(rb, x_.level, col0, ncols, w, [&](int r0, int nr, int c0, int nt) {
      transpose(w.tile.data(), nr, nt, detail::kFloatTile, w.y_t.data() + static_cast<std::size_t>(c0) * rows + r0, rows);
    });
  }

  // The Compute-ACAM readout of row block rb for the chunk's nj outputs from j0, a few outputs at
  // a time so that their columns stay in L2 while they convert. The GEMM's block is transposed
  // after the GEMM, not by it: a GEMM of the transposed operands may sum in another order.
  void convert_acam_block(int rb, int j0, int nj, ReadoutTally& tally, ChunkBuffers& w) const {
    const int ncols = nj * G_, block = std::max(1, kTransposedColumns / G_);
    if (patterns_.empty()) column_values(rb, x_.level, planes_.value, j0 * G_, ncols, w.y.data(), static_cast<std::size_t>(ncols), w);
    for (int jb = 0; jb < nj; jb += block) {
      const int nb = std::min(block, nj - jb);
      if (patterns_.empty()) {
        w.y_t.resize(static_cast<std::size_t>(rows_) * nb * G_);
        transpose(w.y.data() + static_cast<std::size_t>(jb) * G_, rows_, nb * G_, static_cast<std::size_t>(ncols), w.y_t.data(),
                  static_cast<std::size_t>(rows_));
      } else {
        transposed_table_values(rb, (j0 + jb) * G_, nb * G_, w);
      }
      convert_acam_columns(x_, w.y_t.data(), rows_, nb, j0 + jb, rb, batch_, planes_.weight,
                           w.acc_t.data() + static_cast<std::size_t>(jb) * batch_, tally, w.scratch);
    }
  }

  static bool prepared(const ProgrammedCrossbar& x, const AffineQuantiser& xq) {
    return !x.fused.acams.empty() && x.fused.input == xq;
  }
  static FusedReadout fused_for(const ProgrammedCrossbar& x, const AffineQuantiser& xq) {
    return x.config.fused_function.empty() || prepared(x, xq) ? FusedReadout{} : fused_readout(x, xq);
  }

  // Converts output j's group values u[0…G) for (row block, plane) and accumulates them. A
  // fused readout has one conversion per output and produces the output value itself.
  template <class Value>
  void accumulate(int b, int j, int rb, int p, const Value* u, ReadoutTally& tally) {
    const std::size_t column = (static_cast<std::size_t>(rb) * x_.out + j) * G_;
    double& a = acc_[static_cast<std::size_t>(b) * x_.out + j];
    if (fused()) {
      tally.peak = std::max(tally.peak, std::abs(static_cast<double>(u[0])));
      const double x_code = u[0] / x_.scale.step - static_cast<double>(x_.scale.cmin);
      a = fused_.programs[j].dequantise(fused_.acams[j].lookup(x_code));
      return;
    }
    a += planes_.weight[p] * convert_output(x_, x_.coefficient.data() + column, u, G_, column, tally);
  }

  void fast_chunk(int ch, ReadoutTally& tally, ChunkBuffers& w) {
    const int out = x_.out, j0 = ch * kChunk, nj = std::min(out, j0 + kChunk) - j0, ncols = nj * G_;
    const bool acam_columns = !per_read_ && c_.readout == ReadoutKind::Acam && !fused();
    if (!acam_columns || patterns_.empty()) w.y.resize(static_cast<std::size_t>(rows_) * ncols);
    if (per_read_) w.v.resize(w.y.size());
    if (acam_columns) w.acc_t.assign(static_cast<std::size_t>(nj) * batch_, 0.0);
    for (int rb = 0; rb < x_.layout.row_blocks; ++rb) {
      if (acam_columns) {
        convert_acam_block(rb, j0, nj, tally, w);
        continue;
      }
      column_values(rb, x_.level, planes_.value, j0 * G_, ncols, w.y.data(), static_cast<std::size_t>(ncols), w);
      if (per_read_) {  // bit planes are 0/1: their own squares
        const Matrix& squares = c_.inputs == InputScheme::MultiLevel ? squares_ : planes_.value;
        column_values(rb, x_.read_variance, squares, j0 * G_, ncols, w.v.data(), static_cast<std::size_t>(ncols), w);
      }
      for (int p = 0; p < P_; ++p) {
        if (!per_read_ && c_.readout == ReadoutKind::Adc)
          convert_adc_plane(j0, nj, rb, p, w.y, tally);
        else
          convert_outputs_plane(j0, nj, rb, p, w, tally);
      }
    }
    if (acam_columns)
      for (int jj = 0; jj < nj; ++jj)
        for (int b = 0; b < batch_; ++b)
          acc_[static_cast<std::size_t>(b) * out + j0 + jj] = w.acc_t[static_cast<std::size_t>(jj) * batch_ + b];
  }

  // The common ADC case, as one tight loop over the chunk's outputs per vector.
  void convert_adc_plane(int j0, int nj, int rb, int p, const std::vector<float>& y, ReadoutTally& tally) {
    const int ncols = nj * G_;
    const double* coefficient = x_.coefficient.data() + (static_cast<std::size_t>(rb) * x_.out + j0) * G_;
    const double weight = planes_.weight[p];
    for (int b = 0; b < batch_; ++b) {
      const std::size_t row = static_cast<std::size_t>(p * batch_ + b) * ncols;
      double* acc_row = acc_.data() + static_cast<std::size_t>(b) * x_.out + j0;
      for (int jj = 0; jj < nj; ++jj)
        acc_row[jj] += weight * convert_output(x_, coefficient + static_cast<std::size_t>(jj) * G_,
                                               y.data() + row + static_cast<std::size_t>(jj) * G_, G_, 0, tally);
    }
  }

  // Per-read noise or a fused readout: output by output, every vector in turn.
  void convert_outputs_plane(int j0, int nj, int rb, int p, ChunkBuffers& w, ReadoutTally& tally) {
    const int ncols = nj * G_;
    w.u.resize(G_);
    for (int jj = 0; jj < nj; ++jj)
      for (int b = 0; b < batch_; ++b) {
        const std::size_t k0 = static_cast<std::size_t>(p * batch_ + b) * ncols + static_cast<std::size_t>(jj) * G_;
        if (!per_read_) {
          accumulate(b, j0 + jj, rb, p, w.y.data() + k0, tally);
          continue;
        }
        for (int g = 0; g < G_; ++g)
          w.u[g] = w.y[k0 + g] + std::sqrt(std::max(0.0f, w.v[k0 + g])) *
                                     rng_.normal(streams::kXbarReadPerRead, read_index(call_index_, rb, p, g, b, j0 + jj, x_, P_, batch_));
        accumulate(b, j0 + jj, rb, p, w.u.data(), tally);
      }
  }

  void reference_vector(int b, ReadoutTally& tally) {
    const int R = c_.rows;
    std::vector<double> u(G_);
    for (int rb = 0; rb < x_.layout.row_blocks; ++rb) {
      const int i0 = rb * R, i1 = std::min(x_.in, i0 + R);
      for (int cb = 0; cb < x_.layout.col_blocks; ++cb) {
        const int j0 = cb * x_.layout.outputs_per_tile, j1 = std::min(x_.out, j0 + x_.layout.outputs_per_tile);
        for (int p = 0; p < P_; ++p)
          for (int j = j0; j < j1; ++j) {
            for (int g = 0; g < G_; ++g) u[g] = reference_column(b, j, g, rb, p, i0, i1);
            accumulate(b, j, rb, p, u.data(), tally);
          }
      }
    }
  }

  // Σ_i v_i·level_i of one column, cell by cell, with per-read noise drawn per cell.
  double reference_column(int b, int j, int g, int rb, int p, int i0, int i1) const {
    double u = 0;
    for (int i = i0; i < i1; ++i) {
      const double vin = planes_.at(p, b, i, batch_);
      if (vin == 0) continue;
      double lvl = x_.level.at(i, j * G_ + g);
      if (per_read_) {
        const std::uint64_t id = read_index(call_index_, rb, p, g, b, j, x_, P_, batch_) * static_cast<std::uint64_t>(c_.rows) + (i - i0);
        lvl += std::sqrt(x_.read_variance.at(i, j * G_ + g)) * rng_.normal(streams::kXbarReadPerCell, id);
      }
      u += vin * lvl;
    }
    return u;
  }

  const ProgrammedCrossbar& x_;
  const CrossbarConfig& c_;
  const Planes planes_;
  const FusedReadout per_call_;
  const FusedReadout& fused_;
  const int batch_, G_, P_, rows_;
  const bool per_read_;
  const std::uint64_t call_index_;
  const CounterRng rng_;
  const int groups_per_block_;
  const std::size_t groups_total_;
  const std::vector<std::uint8_t> patterns_;  // bit planes' input patterns (plane_tables.hpp); empty: the GEMM
  Matrix squares_;  // per-read multi-level inputs: the planes' squares
  std::vector<double> acc_;
};

}  // namespace

MvmResult mvm(const ProgrammedCrossbar& x, const Matrix& inputs, const AffineQuantiser& xq, MvmPath path, int threads,
              std::uint64_t call_index) {
  if (inputs.cols != x.in)
    throw Error(ErrorKind::InvalidArgument, "input has " + std::to_string(inputs.cols) +
                                                " features but the crossbar matrix expects " + std::to_string(x.in));
  const int batch = inputs.rows;
  const std::vector<std::int32_t> levels = input_levels(inputs, xq, x.config.signed_inputs);
  if (path == MvmPath::Fast && x.config.fused_function.empty())
    if (auto exact = detail::integer_mvm(x, levels, batch, threads)) return finish(x, xq, batch, exact->acc, exact->tally);
  FloatMvm call(x, levels, xq, batch, call_index, path);
  const std::vector<ReadoutTally> tally = path == MvmPath::Reference ? call.reference(threads) : call.fast(threads);
  if (!call.fused()) return finish(x, xq, batch, call.acc(), tally);
  MvmResult r = finish(x, xq, batch, {}, tally);
  r.output = Matrix(batch, x.out);
  for (std::size_t k = 0; k < call.acc().size(); ++k) r.output.data[k] = static_cast<float>(call.acc()[k]);
  return r;
}

bool integer_path_applies(const ProgrammedCrossbar& x) { return detail::integer_path_applies(x); }

CrossbarConfig calibration_config(const CrossbarConfig& config) {
  CrossbarConfig ideal = config;
  ideal.mode = NoiseMode::Ideal;
  ideal.readout = ReadoutKind::Adc;  // a wide ideal readout sees the columns unclipped
  ideal.readout_bits = 24;
  ideal.full_scale = 1.0;
  ideal.fused_function.clear();
  return ideal;
}

double full_scale_for_peak(const CrossbarConfig& config, const TileLayout& layout, double peak_column) {
  const double largest = largest_column_value(config, layout);
  return std::clamp(peak_column / largest, 1.0 / largest, 1.0);
}

double calibrate_full_scale(const Matrix& weights, const CrossbarConfig& config, const Matrix& calibration_inputs) {
  const CrossbarConfig ideal = calibration_config(config);
  const ProgrammedCrossbar x = program_crossbar(weights, ideal);
  const double peak = mvm(x, calibration_inputs, input_quantiser(calibration_inputs, ideal)).peak_column;
  return full_scale_for_peak(ideal, x.layout, peak);
}

}  // namespace raceit::xbar
