#include "raceit/xbar/crossbar.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "raceit/core/error.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/xbar/integer_reference.hpp"
#include "documented_order.hpp"

namespace raceit::xbar {

namespace {

Matrix gaussian(int rows, int cols, std::uint64_t seed, std::uint64_t stream) {
  Matrix m(rows, cols);
  const CounterRng rng(seed);
  for (std::size_t k = 0; k < m.data.size(); ++k) m.data[k] = static_cast<float>(rng.normal(stream, k));
  return m;
}

bool equal(const Matrix& a, const Matrix& b) { return a.rows == b.rows && a.cols == b.cols && a.data == b.data; }

double nmse(const Matrix& y, const Matrix& ref) {
  double num = 0, den = 0;
  for (std::size_t k = 0; k < y.data.size(); ++k) {
    num += std::pow(y.data[k] - ref.data[k], 2);
    den += std::pow(ref.data[k], 2);
  }
  return num / den;
}

// Small tiles so that 37 inputs and 23 outputs are not multiples of the tile size.
CrossbarConfig small_config() {
  CrossbarConfig c;
  c.rows = 16;
  c.cols = 16;
  c.readout_bits = 16;  // lossless for 16 rows: every integer column sum has its own code
  return c;
}

struct Variant {
  const char* encoding;
  SignScheme sign;
  InputScheme inputs;
  bool signed_inputs;
};

}  // namespace

// Ideal mode equals integer matmul exactly when the readout is lossless, for every encoding,
// sign scheme and input scheme, on both paths.
TEST(Crossbar, IdealLosslessEqualsIntegerMatmul) {
  const Matrix w = gaussian(23, 37, 1, streams::kData);
  const Matrix xin = gaussian(5, 37, 2, streams::kData);
  for (const char* enc : {"single", "analog-slice", "bit-slice:1", "bit-slice:2", "bit-slice:3"})
    for (SignScheme sign : {SignScheme::SeparateArrays, SignScheme::DifferentialPairs})
      for (InputScheme inputs : {InputScheme::BitSerial, InputScheme::MultiLevel})
        for (bool signed_inputs : {false, true}) {
          CrossbarConfig c = small_config();
          parse_encoding(enc, c);
          c.sign = sign;
          c.inputs = inputs;
          c.signed_inputs = signed_inputs;
          if (inputs == InputScheme::MultiLevel) c.readout_bits = 24;
          const auto x = program_crossbar(w, c);
          const auto xq = input_quantiser(xin, c);
          const Matrix exact = quantised_product(x, xin, xq);
          const std::string what = std::string(enc) + (sign == SignScheme::SeparateArrays ? " separate" : " differential") +
                                   (inputs == InputScheme::BitSerial ? " bit-serial" : " multi-level") +
                                   (signed_inputs ? " signed" : " unsigned");
          const auto fast = mvm(x, xin, xq, MvmPath::Fast);
          const auto ref = mvm(x, xin, xq, MvmPath::Reference);
          EXPECT_TRUE(equal(fast.output, exact)) << what;
          EXPECT_TRUE(equal(ref.output, exact)) << what;
          EXPECT_TRUE(equal(ideal_pipeline(x, xin, xq), exact)) << what;
          EXPECT_EQ(fast.events.adc_clipped, 0u) << what;
        }
}

// With an 8-bit readout of 128-row tiles conversions lose bits: both paths still equal the
// integer pipeline model bit for bit, and differ from the lossless product.
TEST(Crossbar, IdealLossyReadoutEqualsIntegerPipeline) {
  const Matrix w = gaussian(70, 300, 3, streams::kData);
  const Matrix xin = gaussian(4, 300, 4, streams::kData);
  for (const char* enc : {"single", "analog-slice", "bit-slice:2"}) {
    CrossbarConfig c;
    parse_encoding(enc, c);
    c.readout_bits = 8;
    const auto x = program_crossbar(w, c);
    const auto xq = input_quantiser(xin, c);
    const Matrix pipeline = ideal_pipeline(x, xin, xq);
    EXPECT_TRUE(equal(mvm(x, xin, xq, MvmPath::Fast).output, pipeline)) << enc;
    EXPECT_TRUE(equal(mvm(x, xin, xq, MvmPath::Reference).output, pipeline)) << enc;
    EXPECT_FALSE(equal(pipeline, quantised_product(x, xin, xq))) << enc;
  }
}

// Hand-derived: 2 inputs, 1 output, weights (127, −64) at 8 bits (scale 1/127), unsigned inputs
// [0, 1] → codes 0 and 255 for x = (0, 1)… With a full scale of 1/16 of 128·127 and 8-bit codes
// the positive array's column (255·… ) clips.
TEST(Crossbar, AdcClipsAtFullScaleAndCounts) {
  Matrix w(1, 2);
  w.at(0, 0) = 1.0f;
  w.at(0, 1) = -0.5f;
  Matrix xin(1, 2);
  xin.at(0, 0) = 1.0f;
  xin.at(0, 1) = 1.0f;
  CrossbarConfig c;
  c.encoding = WeightEncoding::Single;
  c.inputs = InputScheme::MultiLevel;
  c.readout_bits = 8;
  c.full_scale = 1.0 / 1024;  // 128·255·127/1024 ≈ 4047 → step 16, top code 255 → 4080
  const auto x = program_crossbar(w, c);
  const auto xq = input_quantiser(xin, c);
  EXPECT_EQ(x.scale.step, 16.0);
  const auto r = mvm(x, xin, xq);
  // Positive column: 255·127 = 32385 > 4080 → clipped; negative: 255·64 = 16320 → clipped.
  EXPECT_EQ(r.events.adc_conversions, 2u);
  EXPECT_EQ(r.events.adc_clipped, 2u);
  const double expected = xq.scale * x.w_scale[0] * (4080.0 - 4080.0);
  EXPECT_DOUBLE_EQ(r.output.at(0, 0), expected);
  c.full_scale = 1.0;
  const auto full = program_crossbar(w, c);
  EXPECT_EQ(mvm(full, xin, xq).events.adc_clipped, 0u);
}

// Finding 11 as an option: with analog_combine the main and error cells and both signs are summed
// before one conversion. Hand-derived: weights (1, −0.5) → q = (127, −64), inputs (1, 1) → codes
// 255: one signed conversion of 255·127 − 255·64 = 16065 (lossless at 24 bits), so y =
// 16065 / (255 · 127) = 63/127, with 1 conversion where the separate columns take 4.
TEST(Crossbar, AnalogCombineConvertsOncePerOutputPerSlice) {
  Matrix w(1, 2);
  w.at(0, 0) = 1.0f;
  w.at(0, 1) = -0.5f;
  Matrix xin(1, 2);
  xin.at(0, 0) = 1.0f;
  xin.at(0, 1) = 1.0f;
  CrossbarConfig c;
  c.inputs = InputScheme::MultiLevel;
  c.readout_bits = 24;
  const auto xq = input_quantiser(xin, c);
  EXPECT_EQ(mvm(program_crossbar(w, c), xin, xq).events.adc_conversions, 4u);
  c.analog_combine = true;
  const auto x = program_crossbar(w, c);
  ASSERT_EQ(x.groups.size(), 1u);
  const auto r = mvm(x, xin, xq);
  EXPECT_EQ(r.events.adc_conversions, 1u);
  EXPECT_EQ(r.events.shift_adds, 1u);
  EXPECT_NEAR(r.output.at(0, 0), 63.0 / 127, 1e-6);
  // Ideal mode equals the integer product for every encoding and sign scheme, on both paths, and
  // the integer pipeline model at a lossy 8-bit readout.
  const Matrix wg = gaussian(23, 37, 1, streams::kData), xg = gaussian(5, 37, 2, streams::kData);
  for (const char* enc : {"single", "analog-slice", "bit-slice:2"})
    for (SignScheme sign : {SignScheme::SeparateArrays, SignScheme::DifferentialPairs}) {
      CrossbarConfig k = small_config();
      parse_encoding(enc, k);
      k.sign = sign;
      k.analog_combine = true;
      const auto xk = program_crossbar(wg, k);
      EXPECT_EQ(xk.layout.groups, xk.layout.magnitude_slices) << enc;
      const auto q = input_quantiser(xg, k);
      EXPECT_TRUE(equal(mvm(xk, xg, q, MvmPath::Fast).output, quantised_product(xk, xg, q))) << enc;
      EXPECT_TRUE(equal(mvm(xk, xg, q, MvmPath::Reference).output, quantised_product(xk, xg, q))) << enc;
      k.readout_bits = 8;
      const auto lossy = program_crossbar(wg, k);
      EXPECT_TRUE(equal(mvm(lossy, xg, q, MvmPath::Fast).output, ideal_pipeline(lossy, xg, q))) << enc;
    }
}

// Analog slicing cancels most of the programming error: at the same σ its error against the
// quantised product is below single-cell encoding's (averaged over 3 seeds).
TEST(Crossbar, AnalogSliceBeatsSingleUnderWriteNoise) {
  const Matrix w = gaussian(64, 256, 5, streams::kData);
  const Matrix xin = gaussian(16, 256, 6, streams::kData);
  double e_single = 0, e_slice = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed)
    for (const char* enc : {"single", "analog-slice"}) {
      CrossbarConfig c;
      parse_encoding(enc, c);
      c.readout_bits = 16;
      c.mode = device::NoiseMode::Frozen;
      c.seed = seed;
      const auto x = program_crossbar(w, c);
      const auto xq = input_quantiser(xin, c);
      const double e = nmse(mvm(x, xin, xq).output, quantised_product(x, xin, xq));
      (std::string(enc) == "single" ? e_single : e_slice) += e;
    }
  std::cout << "NMSE single " << e_single / 3 << ", analog-slice " << e_slice / 3 << ", ratio "
            << e_single / e_slice << "\n";
  EXPECT_LT(e_slice, e_single);
}

// Frozen: the two paths read the same programmed cells; only float-vs-double summation differs.
// Per-read: independent draws, same statistics (NMSE within 15% over 64 vectors × 64 outputs).
TEST(Crossbar, ReferenceAndFastPathsAgree) {
  const Matrix w = gaussian(64, 200, 7, streams::kData);
  const Matrix xin = gaussian(64, 200, 8, streams::kData);
  for (auto mode : {device::NoiseMode::Frozen, device::NoiseMode::PerRead}) {
    CrossbarConfig c;
    c.mode = mode;
    c.readout_bits = 12;
    c.device.std_scale = 3.0;
    const auto x = program_crossbar(w, c);
    const auto xq = input_quantiser(xin, c);
    const Matrix exact = quantised_product(x, xin, xq);
    const Matrix fast = mvm(x, xin, xq, MvmPath::Fast).output;
    const Matrix ref = mvm(x, xin, xq, MvmPath::Reference).output;
    const double ef = nmse(fast, exact), er = nmse(ref, exact);
    if (mode == device::NoiseMode::Frozen) {
      EXPECT_LT(nmse(fast, ref), 1e-3 * ef);
    } else {
      EXPECT_NEAR(ef / er, 1.0, 0.15) << "fast " << ef << " reference " << er;
    }
  }
}

TEST(Crossbar, IdenticalForOneAndTwoThreads) {
  const Matrix w = gaussian(150, 130, 9, streams::kData);
  const Matrix xin = gaussian(9, 130, 10, streams::kData);
  for (auto mode : {device::NoiseMode::Frozen, device::NoiseMode::PerRead}) {
    CrossbarConfig c;
    c.mode = mode;
    c.device.stuck_probability = 0.01;
    const auto x1 = program_crossbar(w, c, 1), x2 = program_crossbar(w, c, 2);
    const auto xq = input_quantiser(xin, c);
    for (auto path : {MvmPath::Fast, MvmPath::Reference}) {
      const auto a = mvm(x1, xin, xq, path, 1), b = mvm(x2, xin, xq, path, 2);
      EXPECT_TRUE(equal(a.output, b.output));
      EXPECT_EQ(a.events, b.events);
    }
  }
}

// Hand-counted events: 300 inputs, 70 outputs, 128×128 tiles, analog-slice in separate arrays
// (2 columns per output → 64 outputs per tile), 8 bit planes, batch 2.
TEST(Crossbar, EventCounts) {
  const Matrix w = gaussian(70, 300, 11, streams::kData);
  const Matrix xin = gaussian(2, 300, 12, streams::kData);
  CrossbarConfig c;
  const auto x = program_crossbar(w, c);
  EXPECT_EQ(x.layout.row_blocks, 3);
  EXPECT_EQ(x.layout.outputs_per_tile, 64);
  EXPECT_EQ(x.layout.col_blocks, 2);
  EXPECT_EQ(x.layout.arrays, 12);
  const auto e = mvm(x, xin, input_quantiser(xin, c)).events;
  EXPECT_EQ(e.array_reads, 2u * 8 * 3 * 2 * 2);
  EXPECT_EQ(e.dac_conversions, 2u * 8 * 300 * 2 * 2);
  EXPECT_EQ(e.adc_conversions, 2u * 8 * 3 * 4 * 70);  // 4 groups: (main, error) × (+, −)
  EXPECT_EQ(e.acam_searches, 0u);
  EXPECT_EQ(e.digital_adds, 2u * 70 * 2 + 2u * 70);
  EXPECT_EQ(e.cells_programmed, 300u * 70 * 4);
}

TEST(Crossbar, RejectsBadConfigurations) {
  CrossbarConfig c;
  EXPECT_THROW(parse_encoding("bit-slice:x", c), Error);
  EXPECT_THROW(parse_encoding("ternary", c), Error);
  EXPECT_THROW(parse_readout("adc", c), Error);
  c.cols = 1;  // analog-slice needs 2 columns per output
  EXPECT_THROW(program_crossbar(gaussian(2, 2, 1, 1), c), Error);
  c = CrossbarConfig{};
  c.readout_bits = 1;
  EXPECT_THROW(c.validate(), Error);
  c = CrossbarConfig{};
  const auto x = program_crossbar(gaussian(2, 3, 1, 1), c);
  const Matrix wrong = gaussian(1, 4, 1, 2);
  EXPECT_THROW(mvm(x, wrong, AffineQuantiser{}), Error);
}


// Calibration shrinks the readout range to the columns that occur, so an 8-bit readout loses
// far less than with the worst-case range, and still clips nothing on the calibration data.
TEST(Crossbar, CalibratedFullScaleCoversObservedColumns) {
  const Matrix w = gaussian(64, 256, 13, streams::kData);
  const Matrix xin = gaussian(32, 256, 14, streams::kData);
  CrossbarConfig c;
  const auto worst = program_crossbar(w, c);
  const auto xq = input_quantiser(xin, c);
  const Matrix exact = quantised_product(worst, xin, xq);
  const double e_worst = nmse(mvm(worst, xin, xq).output, exact);
  c.full_scale = calibrate_full_scale(w, c, xin);
  EXPECT_LT(c.full_scale, 0.5);
  const auto calibrated = program_crossbar(w, c);
  const auto r = mvm(calibrated, xin, xq);
  EXPECT_EQ(r.events.adc_clipped, 0u);
  EXPECT_LT(nmse(r.output, exact), 0.25 * e_worst);
}


// Compute-ACAM readout (identity, Gray): lossless → the integer product; lossy 8-bit → the
// integer pipeline with the ACAM's half-way tie rule, bit for bit, on both paths.
TEST(CrossbarAcamReadout, IdealEqualsIntegerReferences) {
  const Matrix w = gaussian(23, 37, 15, streams::kData);
  const Matrix xin = gaussian(5, 37, 16, streams::kData);
  for (SignScheme sign : {SignScheme::SeparateArrays, SignScheme::DifferentialPairs}) {
    CrossbarConfig c;
    c.rows = 8;
    c.cols = 16;
    c.w_bits = 5;
    c.sign = sign;
    c.readout = ReadoutKind::Acam;
    c.readout_bits = 12;  // 8 rows × 15 levels = 120: every column value has its own code
    const auto x = program_crossbar(w, c);
    const auto xq = input_quantiser(xin, c);
    EXPECT_TRUE(equal(mvm(x, xin, xq).output, quantised_product(x, xin, xq)));
  }
  const Matrix w2 = gaussian(70, 300, 17, streams::kData);
  const Matrix x2 = gaussian(6, 300, 18, streams::kData);
  for (const char* enc : {"single", "analog-slice", "bit-slice:2"})
    for (auto code : {acam::OutputEncoding::Gray, acam::OutputEncoding::Binary}) {
      CrossbarConfig c;
      parse_encoding(enc, c);
      c.readout = ReadoutKind::Acam;
      c.acam_encoding = code;
      c.full_scale = 0.05;  // single/analog-slice: steps of 4 levels, many half-way ties
      const auto x = program_crossbar(w2, c);
      const auto xq = input_quantiser(x2, c);
      const Matrix pipeline = ideal_pipeline(x, x2, xq);
      EXPECT_TRUE(equal(mvm(x, x2, xq, MvmPath::Fast).output, pipeline)) << enc;
      EXPECT_TRUE(equal(mvm(x, x2, xq, MvmPath::Reference).output, pipeline)) << enc;
      // With steps of several levels there are ties, which an ADC rounds to even instead.
      if (x.scale.step < 2) continue;  // bit-slice:2 columns are small: steps below one level
      c.readout = ReadoutKind::Adc;
      const auto adc = program_crossbar(w2, c);
      EXPECT_FALSE(equal(mvm(adc, x2, xq).output, pipeline)) << enc;
    }
}

// The fast path converts Compute-ACAM columns column by column. Under frozen noise it equals, bit
// for bit, the per-output definition re-done here: the bit planes' column values over the
// realised levels in their documented order (one row block), each output's G conversions through
// realisations (column + g) mod pool by the exact search, summed in (plane, group) order.
TEST(CrossbarAcamReadout, FrozenColumnConversionEqualsPerOutputDefinition) {
  const int in = 100, out = 60, batch = 7;
  const Matrix w = gaussian(out, in, 21, streams::kData);
  const Matrix xin = gaussian(batch, in, 22, streams::kData);
  CrossbarConfig c;
  c.readout = ReadoutKind::Acam;
  c.acam_instances = 13;  // so that realisations wrap around within an output's columns
  c.full_scale = calibrate_full_scale(w, c, xin);
  c.mode = device::NoiseMode::Frozen;
  c.seed = 5;
  const auto x = program_crossbar(w, c);
  const auto xq = input_quantiser(xin, c);
  ASSERT_EQ(x.layout.row_blocks, 1);
  const int G = static_cast<int>(x.groups.size()), P = c.a_bits, rows = P * batch, ncols = out * G;
  // Column values in the documented order of the bit planes' lookup tables.
  std::vector<float> y(static_cast<std::size_t>(rows) * ncols);
  for (int p = 0; p < P; ++p)
    for (int b = 0; b < batch; ++b) {
      std::vector<int> bits(in);
      for (int i = 0; i < in; ++i) bits[i] = static_cast<int>((xq.quantise(xin.at(b, i)) >> p) & 1);
      for (int column = 0; column < ncols; ++column)
        y[(static_cast<std::size_t>(p) * batch + b) * ncols + column] =
            documented_column_value(bits, x.level.data.data(), static_cast<std::size_t>(ncols), in, column);
    }
  const double lo = static_cast<double>(x.scale.cmin);
  Matrix expected(batch, out);
  for (int b = 0; b < batch; ++b)
    for (int j = 0; j < out; ++j) {
      double acc = 0;
      for (int p = 0; p < P; ++p) {
        double sum = 0;
        for (int g = 0; g < G; ++g) {
          const std::size_t column = static_cast<std::size_t>(j) * G + g;
          const double u = y[(static_cast<std::size_t>(p) * batch + b) * ncols + column];
          const auto code = x.readout_acams[column % x.readout_acams.size()].search(u / x.scale.step - lo);
          sum += x.coefficient[column] * (static_cast<double>(code) + lo);
        }
        acc += std::ldexp(1.0, p) * (sum * x.scale.step);
      }
      const double zero_term = static_cast<double>(xq.zero) * static_cast<double>(x.q_row_sum[j]);
      expected.at(b, j) = static_cast<float>(xq.scale * x.w_scale[j] * (acc - zero_term));
    }
  EXPECT_TRUE(equal(mvm(x, xin, xq, MvmPath::Fast).output, expected));
}

// Under frozen noise the ACAM readout misconverts some columns: error above the ideal ACAM's,
// reproducible, and identical for 1 and 2 threads.
TEST(CrossbarAcamReadout, FrozenNoiseIsDeterministic) {
  const Matrix w = gaussian(40, 200, 19, streams::kData);
  const Matrix xin = gaussian(16, 200, 20, streams::kData);
  CrossbarConfig c;
  c.readout = ReadoutKind::Acam;
  c.full_scale = calibrate_full_scale(w, c, xin);
  const auto xq = input_quantiser(xin, c);
  const auto ideal = program_crossbar(w, c);
  const Matrix exact = quantised_product(ideal, xin, xq);
  c.mode = device::NoiseMode::Frozen;
  c.encoding = WeightEncoding::BitSlice;  // crossbar noise small, so the readout's shows
  c.device.std_scale = 2;
  const auto a = program_crossbar(w, c, 1), b = program_crossbar(w, c, 2);
  const auto ra = mvm(a, xin, xq, MvmPath::Fast, 1), rb = mvm(b, xin, xq, MvmPath::Fast, 2);
  EXPECT_TRUE(equal(ra.output, rb.output));
  EXPECT_EQ(ra.events.acam_searches, ra.events.shift_adds);
  EXPECT_EQ(ra.events.adc_conversions, 0u);
  EXPECT_GT(nmse(ra.output, exact), nmse(mvm(ideal, xin, xq).output, exact));
}

// GELU fused into the readout: f(X·Wᵀ) straight from the ACAM columns, against float GELU of
// the float product (8-bit codes on ~[−4, 4] outputs: NMSE well below 1e-2).
TEST(CrossbarAcamReadout, FusedGeluMatchesFloatGelu) {
  const Matrix w = gaussian(32, 64, 21, streams::kData);
  const Matrix xin = gaussian(8, 64, 22, streams::kData);
  CrossbarConfig c;
  c.readout = ReadoutKind::Acam;
  c.inputs = InputScheme::MultiLevel;
  c.encoding = WeightEncoding::Single;
  c.sign = SignScheme::DifferentialPairs;
  c.full_scale = calibrate_full_scale(w, c, xin);
  c.fused_function = "gelu";
  const auto x = program_crossbar(w, c);
  const auto r = mvm(x, xin, input_quantiser(xin, c));
  Matrix expected(8, 32);
  for (int b = 0; b < 8; ++b)
    for (int j = 0; j < 32; ++j) {
      double s = 0;
      for (int i = 0; i < 64; ++i) s += static_cast<double>(xin.at(b, i)) * w.at(j, i);
      expected.at(b, j) = static_cast<float>(0.5 * s * (1 + std::erf(s / std::sqrt(2.0))));
    }
  EXPECT_LT(nmse(r.output, expected), 1e-2);
  c.sign = SignScheme::SeparateArrays;  // two conversions per output: fusion is illegal
  EXPECT_THROW(program_crossbar(w, c), Error);
}


// The Fast path's integer path for ideal cells equals the float path it replaces (GEMM, float
// conversions, double shift-adds) bit for bit — outputs, clipped conversions and the peak
// column — across readouts, encodings, sign and input schemes, tile heights that are not a
// multiple of the four-row table groups, several row blocks and output chunks, and calibration's
// 24-bit ADC.
TEST(Crossbar, IdealIntegerPathEqualsFloatPath) {
  const Matrix w = gaussian(150, 301, 31, streams::kData);
  const Matrix xin = gaussian(11, 301, 32, streams::kData);
  int cases = 0;
  for (const char* enc : {"single", "analog-slice", "bit-slice:2"})
    for (SignScheme sign : {SignScheme::SeparateArrays, SignScheme::DifferentialPairs})
      for (InputScheme inputs : {InputScheme::BitSerial, InputScheme::MultiLevel})
        for (const char* readout : {"acam:8", "acam:5", "adc:6", "adc:24"})
          for (int rows : {128, 37}) {
            CrossbarConfig c;
            parse_encoding(enc, c);
            parse_readout(readout, c);
            c.sign = sign;
            c.inputs = inputs;
            c.signed_inputs = (cases % 3) == 1;
            c.rows = rows;
            c.full_scale = (cases % 4) == 0 ? 1.0 : 0.07;
            ++cases;
            const auto x = program_crossbar(w, c);
            const std::string what = std::string(enc) + " " + readout + " rows " + std::to_string(rows) +
                                     (inputs == InputScheme::BitSerial ? " bit-serial" : " multi-level") +
                                     (sign == SignScheme::SeparateArrays ? " separate" : " differential");
            ASSERT_TRUE(integer_path_applies(x)) << what;
            const auto xq = input_quantiser(xin, c);
            const auto fast = mvm(x, xin, xq, MvmPath::Fast, 2), floats = mvm(x, xin, xq, MvmPath::FastFloat, 1);
            EXPECT_TRUE(equal(fast.output, floats.output)) << what;
            EXPECT_EQ(fast.events, floats.events) << what;
            EXPECT_EQ(fast.peak_column, floats.peak_column) << what;
          }
  // Noisy cells are not integers: those crossbars keep the float path.
  CrossbarConfig frozen;
  frozen.mode = device::NoiseMode::Frozen;
  EXPECT_FALSE(integer_path_applies(program_crossbar(w, frozen)));
}


// A crossbar with fewer conversion columns than the realisation pool realises only those it
// reads (3 outputs × 4 groups = 12 of 256); a pool of exactly 12 gives the same outputs.
TEST(CrossbarAcamReadout, RealisesOnlyTheColumnsItReads) {
  const Matrix w = gaussian(3, 10, 41, streams::kData);
  const Matrix xin = gaussian(4, 10, 42, streams::kData);
  CrossbarConfig c;
  c.readout = ReadoutKind::Acam;
  c.mode = device::NoiseMode::Frozen;
  const auto x = program_crossbar(w, c);
  EXPECT_EQ(x.readout_acams.size(), 12u);
  EXPECT_EQ(program_crossbar(gaussian(100, 10, 43, streams::kData), c).readout_acams.size(), 256u);
  c.acam_instances = 12;
  const auto xq = input_quantiser(xin, c);
  EXPECT_TRUE(equal(mvm(x, xin, xq).output, mvm(program_crossbar(w, c), xin, xq).output));
}

}  // namespace raceit::xbar
