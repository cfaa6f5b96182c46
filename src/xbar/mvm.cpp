// The crossbar MVM, two ways: a reference path that walks every tile, bit plane and cell, and a
// fast path that does each (row block, bit plane, readout group) as one GEMM and draws per-read
// noise per column from its exact variance (a second GEMM of squared inputs with per-cell
// variances).
#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "raceit/core/error.hpp"
#include "raceit/core/parallel.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace raceit::xbar {

namespace {

using device::NoiseMode;

// Input codes as the crossbar sees them: unsigned codes, or signed values code − zero.
std::vector<std::int32_t> input_levels(const Matrix& x, const AffineQuantiser& xq, bool signed_inputs) {
  std::vector<std::int32_t> v(x.data.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    const std::int64_t code = xq.quantise(x.data[k]);
    v[k] = static_cast<std::int32_t>(signed_inputs ? code - xq.zero : code);
  }
  return v;
}

// Bit planes (or the single multi-level "plane") and their shift-add weights. Signed bit-serial
// inputs are two's complement: the top plane weighs −2^(a−1).
struct Planes {
  int count = 1;
  std::vector<double> weight;
  std::vector<Matrix> value;  // batch × in, 0/1 or levels
};

Planes make_planes(const CrossbarConfig& c, const std::vector<std::int32_t>& levels, int batch, int in) {
  Planes p;
  if (c.inputs == InputScheme::MultiLevel) {
    p.weight = {1.0};
    p.value.emplace_back(batch, in);
    for (std::size_t k = 0; k < levels.size(); ++k) p.value[0].data[k] = static_cast<float>(levels[k]);
    return p;
  }
  p.count = c.a_bits;
  const std::uint32_t mask = c.a_bits >= 32 ? ~0u : (1u << c.a_bits) - 1;
  for (int b = 0; b < c.a_bits; ++b) {
    const bool top_signed = c.signed_inputs && b == c.a_bits - 1;
    p.weight.push_back(top_signed ? -std::ldexp(1.0, b) : std::ldexp(1.0, b));
    p.value.emplace_back(batch, in);
    for (std::size_t k = 0; k < levels.size(); ++k)
      p.value[b].data[k] = static_cast<float>(((static_cast<std::uint32_t>(levels[k]) & mask) >> b) & 1u);
  }
  return p;
}

// One conversion: analog column value u (level units) → reconstructed value; counts clipping.
struct Conversion {
  double value;
  bool clipped;
};
Conversion convert(const ReadoutScale& s, double u) {
  const double code = round_half_even(u / s.step);
  const double lo = static_cast<double>(s.cmin), hi = static_cast<double>(s.cmax);
  if (code < lo) return {lo * s.step, true};
  if (code > hi) return {hi * s.step, true};
  return {code * s.step, false};
}

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

EventCounts count_events(const ProgrammedCrossbar& x, int batch, int planes) {
  const TileLayout& t = x.layout;
  const CrossbarConfig& c = x.config;
  const std::uint64_t B = batch, P = planes, G = x.groups.size(), N = x.out, RB = t.row_blocks;
  const std::uint64_t sides = c.sign == SignScheme::SeparateArrays ? 2 : 1;
  EventCounts e;
  e.array_reads = B * P * RB * t.col_blocks * sides;
  e.dac_conversions = B * P * static_cast<std::uint64_t>(x.in) * t.col_blocks * sides;
  const std::uint64_t conversions = B * P * RB * G * N;
  (c.readout == ReadoutKind::Adc ? e.adc_conversions : e.acam_searches) = conversions;
  e.shift_adds = conversions;
  e.digital_adds = B * N * (RB - 1) + (c.signed_inputs ? 0 : B * N);
  e.cells_programmed = static_cast<std::uint64_t>(x.in) * x.out * t.cells_per_weight;
  return e;
}

// acc (batch × out, level units) → dequantised output.
Matrix dequantise(const ProgrammedCrossbar& x, const std::vector<double>& acc, const AffineQuantiser& xq, int batch) {
  Matrix y(batch, x.out);
  std::vector<double> zero_term(x.out, 0.0);
  if (!x.config.signed_inputs)
    for (int j = 0; j < x.out; ++j) {
      std::int64_t rowsum = 0;
      for (int i = 0; i < x.in; ++i) rowsum += x.q[static_cast<std::size_t>(j) * x.in + i];
      zero_term[j] = static_cast<double>(xq.zero) * static_cast<double>(rowsum);
    }
  for (int b = 0; b < batch; ++b)
    for (int j = 0; j < x.out; ++j)
      y.at(b, j) = static_cast<float>(xq.scale * x.w_scale[j] * (acc[static_cast<std::size_t>(b) * x.out + j] - zero_term[j]));
  return y;
}

}  // namespace

MvmResult mvm(const ProgrammedCrossbar& x, const Matrix& inputs, const AffineQuantiser& xq, MvmPath path,
              int threads, std::uint64_t call_index) {
  const CrossbarConfig& c = x.config;
  if (inputs.cols != x.in)
    throw Error(ErrorKind::InvalidArgument, "input has " + std::to_string(inputs.cols) +
                                                " features but the crossbar matrix expects " + std::to_string(x.in));
  if (c.readout == ReadoutKind::Acam)
    throw Error(ErrorKind::Unsupported, "Compute-ACAM readout needs the acam module (not linked in this build)");
  const int batch = inputs.rows, in = x.in, out = x.out, R = c.rows;
  const Planes planes = make_planes(c, input_levels(inputs, xq, c.signed_inputs), batch, in);
  const int G = static_cast<int>(x.groups.size());
  const CounterRng rng(c.seed);
  const bool per_read = c.mode == NoiseMode::PerRead;
  std::vector<double> acc(static_cast<std::size_t>(batch) * out, 0.0);
  std::vector<std::uint64_t> clipped_per_chunk;

  // Accumulation order per output is fixed (row block, plane, group), whatever the threads.
  auto accumulate = [&](int b, int j, int rb, int p, int g, double u) -> bool {
    const Conversion conv = convert(x.scale, u);
    const float factor = x.group_factor[g][static_cast<std::size_t>(rb) * out + j];
    acc[static_cast<std::size_t>(b) * out + j] += planes.weight[p] * x.groups[g].weight * factor * conv.value;
    return conv.clipped;
  };

  std::uint64_t clipped = 0;
  if (path == MvmPath::Fast) {
    // Threads own column ranges, so each thread's GEMMs and accumulations are independent.
    const int chunk = 64;
    const int chunks = (out + chunk - 1) / chunk;
    clipped_per_chunk.assign(chunks, 0);
    openblas_set_num_threads(1);
    parallel_for(chunks, threads, [&](std::size_t c0, std::size_t c1) {
      std::vector<float> y, v, sq;
      for (std::size_t ch = c0; ch < c1; ++ch) {
        const int j0 = static_cast<int>(ch) * chunk, nj = std::min(out, j0 + chunk) - j0;
        y.resize(static_cast<std::size_t>(batch) * nj);
        v.resize(y.size());
        for (int rb = 0; rb < x.layout.row_blocks; ++rb) {
          const int i0 = rb * R, kb = std::min(in, i0 + R) - i0;
          for (int p = 0; p < planes.count; ++p) {
            const float* xp = planes.value[p].data.data() + i0;
            if (per_read && c.inputs == InputScheme::MultiLevel) {
              sq.resize(static_cast<std::size_t>(batch) * kb);
              for (int b = 0; b < batch; ++b)
                for (int i = 0; i < kb; ++i) sq[static_cast<std::size_t>(b) * kb + i] = xp[static_cast<std::size_t>(b) * in + i] * xp[static_cast<std::size_t>(b) * in + i];
            }
            for (int g = 0; g < G; ++g) {
              cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, nj, kb, 1.0f, xp, in,
                          x.level[g].data.data() + static_cast<std::size_t>(i0) * out + j0, out, 0.0f, y.data(), nj);
              if (per_read) {
                // Bit planes are 0/1, so they are their own squares.
                const bool bits = c.inputs == InputScheme::BitSerial;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, nj, kb, 1.0f, bits ? xp : sq.data(),
                            bits ? in : kb, x.read_variance[g].data.data() + static_cast<std::size_t>(i0) * out + j0,
                            out, 0.0f, v.data(), nj);
              }
              for (int b = 0; b < batch; ++b)
                for (int jj = 0; jj < nj; ++jj) {
                  double u = y[static_cast<std::size_t>(b) * nj + jj];
                  if (per_read) {
                    const double var = std::max(0.0f, v[static_cast<std::size_t>(b) * nj + jj]);
                    u += std::sqrt(var) * rng.normal(streams::kXbarReadPerRead,
                                                     read_index(call_index, rb, p, g, b, j0 + jj, x, planes.count, batch));
                  }
                  clipped_per_chunk[ch] += accumulate(b, j0 + jj, rb, p, g, u);
                }
            }
          }
        }
      }
    });
    for (auto n : clipped_per_chunk) clipped += n;
  } else {
    // Reference: per vector, tile, plane, group, column and cell, in double, drawing per-read
    // noise cell by cell.
    std::vector<std::uint64_t> clipped_per_vector(batch, 0);
    parallel_for(batch, threads, [&](std::size_t b0, std::size_t b1) {
      for (std::size_t b = b0; b < b1; ++b)
        for (int rb = 0; rb < x.layout.row_blocks; ++rb) {
          const int i0 = rb * R, i1 = std::min(in, i0 + R);
          for (int cb = 0; cb < x.layout.col_blocks; ++cb) {
            const int j0 = cb * x.layout.outputs_per_tile, j1 = std::min(out, j0 + x.layout.outputs_per_tile);
            for (int p = 0; p < planes.count; ++p)
              for (int g = 0; g < G; ++g)
                for (int j = j0; j < j1; ++j) {
                  double u = 0;
                  for (int i = i0; i < i1; ++i) {
                    const double vin = planes.value[p].at(static_cast<int>(b), i);
                    if (vin == 0) continue;
                    double lvl = x.level[g].at(i, j);
                    if (per_read) {
                      const std::uint64_t id = read_index(call_index, rb, p, g, static_cast<int>(b), j, x, planes.count, batch) *
                                                   static_cast<std::uint64_t>(R) + (i - i0);
                      lvl += std::sqrt(x.read_variance[g].at(i, j)) * rng.normal(streams::kXbarReadPerCell, id);
                    }
                    u += vin * lvl;
                  }
                  clipped_per_vector[b] += accumulate(static_cast<int>(b), j, rb, p, g, u);
                }
          }
        }
    });
    for (auto n : clipped_per_vector) clipped += n;
  }
  MvmResult r{dequantise(x, acc, xq, batch), count_events(x, batch, planes.count)};
  r.events.adc_clipped = c.readout == ReadoutKind::Adc ? clipped : 0;
  return r;
}

}  // namespace raceit::xbar
