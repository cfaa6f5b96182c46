#include "raceit/acam/frozen.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "raceit/acam/evaluate.hpp"
#include "raceit/core/rng.hpp"
#include "reference.hpp"

namespace raceit::acam {
namespace {

AcamProgram builtin(const char* name, OutputEncoding encoding = OutputEncoding::Gray, int out_bits = 8) {
  return compile_1var(resolve_function(name), {8, find_builtin(name)->range}, {out_bits, {}, encoding});
}

device::RramModel taox(double std_scale = 1.0, double stuck = 0.0) {
  auto m = device::load_device_preset(device::default_device_preset_path());
  m.std_scale = std_scale;
  m.stuck_probability = stuck;
  return m;
}

// The definition, independently: bit k (MSB first) is 1 when any of its ranges has lo < x < hi.
std::uint32_t brute_force(const AcamProgram& p, const AcamCells& cells, double x) {
  std::uint32_t bits = 0;
  for (std::size_t k = 0; k < cells.ranges_per_bit.size(); ++k) {
    bool on = false;
    for (const auto& r : cells.ranges_per_bit[k]) on = on || (r.lo < x && x < r.hi);
    bits = bits << 1 | (on ? 1u : 0u);
  }
  return p.encoding == OutputEncoding::Gray ? reference::from_gray(bits, p.out_bits) : bits;
}

// Codes of 8 bits have a direct table of one-byte entries, codes of 10 bits one of two-byte entries.
TEST(FrozenAcam, BreakpointLookupEqualsBruteForceScan) {
  for (auto [encoding, out_bits] : {std::pair{OutputEncoding::Gray, 8}, std::pair{OutputEncoding::Binary, 8}, std::pair{OutputEncoding::Gray, 10}}) {
    const auto p = builtin("gelu", encoding, out_bits);
    // Twice the nominal noise, so realised ranges of one bit overlap and leave gaps.
    const auto cells = realise(p, taox(2.0), 11);
    const FrozenAcam frozen(p, cells);
    ASSERT_EQ(frozen.direct_entry_bytes(), out_bits == 8 ? 1 : 2);
    const CounterRng rng(5);
    for (int n = 0; n < 200000; ++n) {
      const double x = -3.0 + 262.0 * rng.uniform(streams::kData, n);
      ASSERT_EQ(frozen.lookup(x), brute_force(p, cells, x)) << "x = " << x;
    }
    // At and next to every breakpoint, where strict matching decides.
    for (double b : frozen.breakpoints())
      for (double x : {std::nextafter(b, -1e9), b, std::nextafter(b, 1e9)})
        ASSERT_EQ(frozen.lookup(x), brute_force(p, cells, x)) << "x = " << x;
    for (std::uint32_t i = 0; i < 256; ++i) ASSERT_EQ(frozen.lookup(i), brute_force(p, cells, i));
    // At the edges of the direct table's cells (1/16 of a code) and far outside it; lookup()
    // answers from the table there, search() by bisection: both equal the definition.
    for (double x = -4.0; x < 260.0; x += 1.0 / 16)
      for (double y : {std::nextafter(x, -1e9), x, std::nextafter(x, 1e9)}) {
        ASSERT_EQ(frozen.lookup(y), brute_force(p, cells, y)) << "x = " << y;
        ASSERT_EQ(frozen.search(y), brute_force(p, cells, y)) << "x = " << y;
      }
    for (double x : {-1e9, -300.0, 1e4, 1e9}) ASSERT_EQ(frozen.lookup(x), brute_force(p, cells, x));
  }
}

// The batch lookup gathers from the direct table eight inputs at a time (AVX2) and resolves the
// cells holding breakpoints by a scan: every code equals lookup() of the same input code. Its
// cells are computed in float where the scale is a power of two and the offset an integer (the
// first three pairs; inputs within 2^−30…2^−1 of zero probe the float path's rounding argument),
// in double otherwise (the last).
TEST(FrozenAcam, BatchLookupEqualsOneByOne) {
  const auto identity = builtin("identity"), gelu = builtin("gelu"), wide = builtin("identity", OutputEncoding::Gray, 10);
  const std::vector<std::pair<const AcamProgram*, AcamCells>> realisations{{&identity, identity.cells},
                                                                           {&identity, realise(identity, taox(), 7)},
                                                                           {&gelu, realise(gelu, taox(2.0), 11)},
                                                                           {&wide, realise(wide, taox(), 7)}};
  const CounterRng rng(9);
  for (const auto& [program, cells] : realisations) {
    const FrozenAcam frozen(*program, cells);
    ASSERT_EQ(frozen.direct_entry_bytes(), program == &wide ? 2 : 1);  // both tables' gathers
    for (const auto& [scale, offset] : {std::pair{1.0, 0.0}, std::pair{0.25, -3.0}, std::pair{4.0, 128.0}, std::pair{1.0 / 3, 0.5}}) {
      std::vector<float> u;
      for (int n = 0; n < 50000; ++n) u.push_back(static_cast<float>((-8.0 + 272.0 * rng.uniform(streams::kData, n) + offset) / scale));
      for (double b : frozen.breakpoints()) {
        const auto f = static_cast<float>((b + offset) / scale);
        for (float v : {std::nextafter(f, -1e9f), f, std::nextafter(f, 1e9f)}) u.push_back(v);
      }
      for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN}) u.push_back(v);
      for (int e = 1; e <= 30; ++e)
        for (float sign : {1.0f, -1.0f}) u.push_back(sign * std::ldexp(1.0f, -e));
      while (u.size() % 8 != 5) u.push_back(0.5f);  // a tail shorter than one vector
      std::vector<std::uint32_t> codes(u.size());
      frozen.lookup(u, scale, offset, codes.data());
      for (std::size_t i = 0; i < u.size(); ++i)
        ASSERT_EQ(codes[i], frozen.lookup(static_cast<double>(u[i]) * scale - offset)) << "u = " << u[i];
      // Every third input, as a column of a row-major block with three columns is read.
      frozen.lookup(u.data() + 1, u.size() / 3, 3, scale, offset, codes.data());
      for (std::size_t i = 0; i < u.size() / 3; ++i)
        ASSERT_EQ(codes[i], frozen.lookup(static_cast<double>(u[1 + 3 * i]) * scale - offset)) << "u = " << u[1 + 3 * i];
    }
  }
}

TEST(FrozenAcam, TouchingRangesLeaveTheSharedThresholdUnmatched) {
  AcamProgram p = compile_1var(resolve_function("x"), {2, {0, 3}}, {1, {}, OutputEncoding::Binary});
  AcamCells cells;
  cells.ranges_per_bit = {{{0.0, 1.0}, {1.0, 2.0}, {1.5, 3.0}}};
  const FrozenAcam frozen(p, cells);
  EXPECT_EQ(frozen.lookup(0.0), 0u);
  EXPECT_EQ(frozen.lookup(0.5), 1u);
  EXPECT_EQ(frozen.lookup(1.0), 0u);  // in neither (0,1) nor (1,2)
  EXPECT_EQ(frozen.lookup(1.5), 1u);
  EXPECT_EQ(frozen.lookup(2.0), 1u);  // inside (1.5, 3)
  EXPECT_EQ(frozen.lookup(3.0), 0u);
}

TEST(FrozenAcam2Var, TableEqualsBruteForceScan) {
  const InputAxis nibble{4, {0, 15}};
  const auto p = compile_2var(resolve_function("mul"), nibble, nibble, {8, ValueRange{0, 255}});
  const auto cells = realise(p, taox(2.0), 3);
  const FrozenAcam2Var frozen(p, cells);
  int differing = 0;
  for (std::uint32_t i = 0; i < 16; ++i)
    for (std::uint32_t j = 0; j < 16; ++j) {
      std::uint32_t bits = 0;
      for (const auto& rects : cells.rects_per_bit) {
        bool on = false;
        for (const auto& r : rects) on = on || (r.x.lo < i && i < r.x.hi && r.y.lo < j && j < r.y.hi);
        bits = bits << 1 | (on ? 1u : 0u);
      }
      ASSERT_EQ(frozen.lookup(i, j), reference::from_gray(bits, 8)) << i << "," << j;
      differing += frozen.lookup(i, j) != i * j;
    }
  EXPECT_GT(differing, 0);  // the noise is strong enough to matter
}

TEST(Evaluate, ResultsDoNotDependOnThreadCount) {
  const auto model = taox();
  for (const auto& p : {builtin("gelu"), compile_2var(resolve_function("mul"), {4, {0, 15}},
                                                      {4, {0, 15}}, {8, ValueRange{0, 255}})}) {
    for (auto mode : {device::NoiseMode::Frozen, device::NoiseMode::PerRead}) {
      const auto one = evaluate_codes(p, model, {mode, 5, 1, 1});
      const auto two = evaluate_codes(p, model, {mode, 5, 1, 2});
      EXPECT_EQ(one, two) << to_string(mode);
    }
  }
}

TEST(Evaluate, PerReadDiffersFromFrozenButIsReproducible) {
  const auto p = builtin("gelu");
  const auto model = taox();
  const auto frozen = evaluate_codes(p, model, {device::NoiseMode::Frozen, 3});
  const auto per_read = evaluate_codes(p, model, {device::NoiseMode::PerRead, 3});
  EXPECT_NE(frozen, per_read);
  EXPECT_EQ(per_read, evaluate_codes(p, model, {device::NoiseMode::PerRead, 3}));
  EXPECT_NE(frozen[0], frozen[1]);  // seeds differ
}

TEST(Evaluate, ZeroNoiseEqualsIdeal) {
  const auto p = builtin("exp");
  const auto ideal = evaluate_codes(p, {}, {device::NoiseMode::Ideal});
  EXPECT_EQ(ideal[0], p.table);
  for (auto mode : {device::NoiseMode::Frozen, device::NoiseMode::PerRead})
    EXPECT_EQ(evaluate_codes(p, taox(0.0), {mode, 1})[0], p.table);
  const auto r = evaluate(p, {}, {device::NoiseMode::Ideal});
  EXPECT_TRUE(r.seeds.empty());
  EXPECT_EQ(r.vs_table[0].max_abs_err_lsb, 0.0);
  EXPECT_EQ(r.vs_table[0].nmse, 0.0);
  EXPECT_LE(r.vs_float[0].max_abs_err_lsb, 0.5 + 1e-9);  // rounding only
  EXPECT_EQ(r.vs_float[0].wrong_code_fraction, 0.0);
}

TEST(Evaluate, StuckCellsNeverMatch) {
  for (const char* name : {"gelu", "identity"})
    for (auto mode : {device::NoiseMode::Frozen, device::NoiseMode::PerRead})
      for (const auto& codes : evaluate_codes(builtin(name), taox(1.0, 1.0), {mode, 2}))
        EXPECT_EQ(codes, std::vector<std::uint32_t>(256, 0)) << name;
}

// Same seeds and noise: Gray's one-bit boundaries keep errors at ±1 code, binary's multi-bit
// boundaries (127 → 128 flips all 8 rows) let independent threshold noise produce large errors.
TEST(Evaluate, GrayIdentityHasLowerRmsErrorThanBinary) {
  const auto model = taox(1.0);
  const EvalOptions options{device::NoiseMode::Frozen, 20, 1};
  const double gray = mean(evaluate(builtin("identity"), model, options).vs_table).rms_err_lsb;
  const double binary =
      mean(evaluate(builtin("identity", OutputEncoding::Binary), model, options).vs_table).rms_err_lsb;
  EXPECT_LT(gray, binary);
  RecordProperty("gray_rms_lsb", std::to_string(gray));
  RecordProperty("binary_rms_lsb", std::to_string(binary));
  std::cout << "identity RMS error, frozen, 20 seeds: Gray " << gray << " LSB, binary " << binary
            << " LSB, binary/Gray = " << binary / gray << "\n";
}

TEST(Evaluate, MetricsOnAHandMadeCase) {
  auto p = compile_1var(resolve_function("x"), {2, {0, 3}}, {2, {}, OutputEncoding::Binary});
  ASSERT_EQ(p.table, (std::vector<std::uint32_t>{0, 1, 2, 3}));
  const std::vector<std::uint32_t> codes{0, 3, 2, 2};  // errors 0, +2, 0, −1
  const auto m = compare_to_table(p, codes);
  EXPECT_EQ(m.max_abs_err_lsb, 2.0);
  EXPECT_DOUBLE_EQ(m.rms_err_lsb, std::sqrt(5.0 / 4));
  EXPECT_EQ(m.wrong_code_fraction, 0.5);
  EXPECT_DOUBLE_EQ(m.nmse, 5.0 / 14);
  const std::vector<ErrorMetrics> runs{{1, 2, 0.5, 0.1}, {3, 4, 0.5, 0.3}};
  EXPECT_EQ(mean(runs).rms_err_lsb, 3.0);
  EXPECT_DOUBLE_EQ(stddev(runs).max_abs_err_lsb, std::sqrt(2.0));
  EXPECT_EQ(stddev(runs).wrong_code_fraction, 0.0);
}

// Realised thresholds spread as the device model predicts, to first order:
// σ_t = dt/dV · dV/dG · sqrt(σ_w(G)² + σ_r(G)²) with V_th(G) = exp(a ln G + b) + v0 (race-it.md §2.2).
TEST(Realise, ThresholdSigmaMatchesTheDeviceModel) {
  const auto model = taox();
  const auto p = builtin("identity", OutputEncoding::Binary);
  const double a = 0.5007, b = -3.7561, v0 = 0.6836;
  const double wlo = v0, whi = std::exp(a * std::log(150.0) + b) + v0;
  constexpr int kSeeds = 10000;
  struct Probe {
    int bit, side;
    double t;
    double sum = 0, sum2 = 0;
  };
  // Binary MSB: one range (127.5, ∞); bit 5's first range is (31.5, 63.5).
  std::vector<Probe> probes{{0, 0, 127.5}, {2, 0, 31.5}, {2, 1, 63.5}};
  for (int s = 0; s < kSeeds; ++s) {
    const AcamCells cells = realise(p, model, s);
    for (auto& probe : probes) {
      const auto& r = cells.ranges_per_bit[probe.bit][0];
      const double realised = probe.side == 0 ? r.lo : r.hi;
      probe.sum += realised;
      probe.sum2 += realised * realised;
    }
  }
  for (const auto& probe : probes) {
    const double v = wlo + (probe.t + 0.5) / 256 * (whi - wlo);
    const double g = std::exp((std::log(v - v0) - b) / a);
    const double sw = std::exp(0.95 * std::log(std::min(g, 2.0)) - 1.86);
    const double sr = std::exp(0.98 * std::log(std::min(g, 10.0)) - 3.1);
    const double dv_dg = a * std::exp(b) * std::pow(g, a - 1);
    const double predicted = 256 / (whi - wlo) * dv_dg * std::sqrt(sw * sw + sr * sr);
    const double m = probe.sum / kSeeds, sd = std::sqrt(probe.sum2 / kSeeds - m * m);
    // 5%: the sampling error of sd is 0.7%; the rest is the first-order approximation.
    EXPECT_NEAR(sd / predicted, 1.0, 0.05) << "t = " << probe.t << ": σ " << sd << " vs " << predicted;
    EXPECT_NEAR(m, probe.t, 5 * predicted / std::sqrt(kSeeds) + 0.05 * predicted) << "t = " << probe.t;
  }
}

}  // namespace
}  // namespace raceit::acam
