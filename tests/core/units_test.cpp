#include "raceit/core/units.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"

namespace raceit {

TEST(Units, ParsesTheConfigExamples) {
  EXPECT_DOUBLE_EQ(parse_quantity("150uS", Dimension::Conductance).value, 150e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("0.3V", Dimension::Voltage).value, 0.3);
  EXPECT_DOUBLE_EQ(parse_quantity("1GHz", Dimension::Frequency).value, 1e9);
  EXPECT_DOUBLE_EQ(parse_quantity("100ns", Dimension::Time).value, 100e-9);
  EXPECT_DOUBLE_EQ(parse_quantity("20.45pJ", Dimension::Energy).value, 20.45e-12);
  EXPECT_DOUBLE_EQ(parse_quantity("0.72um2", Dimension::Area).value, 0.72e-12);
  EXPECT_DOUBLE_EQ(parse_quantity("85.4 mm2", Dimension::Area).value, 85.4e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("10Gbps", Dimension::DataRate).value, 10e9);
  EXPECT_DOUBLE_EQ(parse_quantity("30pJ/b", Dimension::EnergyPerBit).value, 30e-12);
  EXPECT_DOUBLE_EQ(parse_quantity("64KB", Dimension::Bytes).value, 65536);
  EXPECT_DOUBLE_EQ(parse_quantity("2ms", Dimension::Time).value, 2e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("2mS", Dimension::Conductance).value, 2e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("-1.5e-3", Dimension::Dimensionless).value, -1.5e-3);
  EXPECT_DOUBLE_EQ(parse_quantity("1\xC2\xB5" "S", Dimension::Conductance).value, 1e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("3.35TB/s", Dimension::DataRate).value, 3.35e12 * 8);
  EXPECT_DOUBLE_EQ(parse_quantity("989.4TFLOPS", Dimension::OpRate).value, 989.4e12);
  EXPECT_DOUBLE_EQ(parse_quantity("624 TOPS", Dimension::OpRate).value, 624e12);
}

TEST(Units, RejectsUnknownUnitsAndWrongDimensions) {
  EXPECT_THROW(parse_quantity("150uX", Dimension::Conductance), Error);
  EXPECT_THROW(parse_quantity("150qS", Dimension::Conductance), Error);
  EXPECT_THROW(parse_quantity("abc", Dimension::Dimensionless), Error);
  EXPECT_THROW(parse_quantity("", Dimension::Dimensionless), Error);
  try {
    parse_quantity("100ns", Dimension::Energy);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("time"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("energy"), std::string::npos);
  }
  EXPECT_THROW(parse_quantity("150", Dimension::Conductance), Error);  // unit required
  EXPECT_THROW(parse_quantity("1V", Dimension::Dimensionless), Error);
}

TEST(Units, FormatsWithReadablePrefixes) {
  EXPECT_EQ(format_quantity(150e-6, Dimension::Conductance), "150 uS");
  EXPECT_EQ(format_quantity(0.72e-12, Dimension::Area), "0.72 um2");
  EXPECT_EQ(format_quantity(85.4e-6, Dimension::Area), "85.4 mm2");
  EXPECT_EQ(format_quantity(1e9, Dimension::Frequency), "1 GHz");
  EXPECT_EQ(format_quantity(65536, Dimension::Bytes), "64 KiB");
  EXPECT_EQ(format_quantity(1978.9e12, Dimension::OpRate), "1979 TOPS");
}

}  // namespace raceit
