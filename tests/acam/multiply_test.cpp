#include "raceit/acam/multiply.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"

namespace raceit::acam {
namespace {

TEST(NibbleMultiplier, IdealEqualsIntegerMultiplication) {
  for (auto encoding : {OutputEncoding::Gray, OutputEncoding::Binary}) {
    const NibbleMultiplier mul(compile_nibble_product(encoding));
    for (int a = -128; a <= 127; ++a)
      for (int b = -128; b <= 127; ++b) ASSERT_EQ(mul.multiply(a, b), a * b) << a << "*" << b;
    for (int a = 0; a <= 255; ++a)
      for (int b = 0; b <= 255; ++b) {
        ASSERT_EQ(mul.multiply(a, b), a * b) << a << "*" << b;
        ASSERT_EQ(mul.multiply(-a, b), -a * b) << -a << "*" << b;
      }
  }
}

TEST(NibbleMultiplier, NoisyRealisationGoesThroughTheNoisyLookups) {
  const auto program = compile_nibble_product();
  auto model = device::load_device_preset(device::default_device_preset_path());
  model.std_scale = 0.0;
  const NibbleMultiplier noiseless(program, realise(program, model, 1));
  model.std_scale = 2.0;
  const NibbleMultiplier noisy(program, realise(program, model, 1));
  int wrong = 0;
  for (int a = -128; a <= 127; ++a)
    for (int b = -128; b <= 127; ++b) {
      ASSERT_EQ(noiseless.multiply(a, b), a * b);
      wrong += noisy.multiply(a, b) != a * b;
      ASSERT_EQ(noisy.multiply(a, b), -noisy.multiply(-a, b)) << "sign is digital";
    }
  EXPECT_GT(wrong, 0);
}

TEST(NibbleMultiplier, RejectsOtherProgramsAndLargeOperands) {
  const NibbleMultiplier mul(compile_nibble_product());
  EXPECT_THROW(mul.multiply(256, 1), Error);
  EXPECT_THROW(mul.multiply(1, -256), Error);
  const InputAxis nibble{4, {0, 15}};
  EXPECT_THROW(NibbleMultiplier(compile_2var(resolve_function("mul"), nibble, nibble)), Error);
}

}  // namespace
}  // namespace raceit::acam
