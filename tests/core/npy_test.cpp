#include "raceit/core/npy.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "raceit/core/error.hpp"
#include "raceit/core/source_dir.hpp"

namespace raceit {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("raceit_npy_" + name)).string();
}

TEST(Npy, RoundTripsFloatIntAndBool) {
  const std::string path = temp_path("roundtrip.npy");
  for (const Tensor& t : {Tensor::from_floats({2, 3}, {1, -2, 3.5f, 0, 1e-8f, 7}), Tensor::from_ints({3}, {-1, 0, 1 << 20}),
                          Tensor::from_ints({2, 1}, {1, 0}, DType::Bool), Tensor::scalar(4.0f)}) {
    write_npy(path, t);
    const Tensor back = read_npy(path);
    EXPECT_EQ(back.dtype(), t.dtype());
    EXPECT_EQ(back.shape(), t.shape());
    for (std::int64_t i = 0; i < t.size(); ++i) EXPECT_EQ(back.number(i), t.number(i));
  }
  std::remove(path.c_str());
}

// Written by numpy 1.24 (the digits ViT golden logits, 8 samples × 10 classes).
TEST(Npy, ReadsAFileNumpyWrote) {
  const Tensor t = read_npy(raceit::source_dir() + "/models/vit-digits/golden_output.npy");
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_EQ(t.shape(), (Shape{8, 10}));
}

void expect_error_naming_file(const std::string& bytes, const std::string& what) {
  const std::string path = temp_path("bad.npy");
  std::ofstream(path, std::ios::binary) << bytes;
  try {
    read_npy(path);
    FAIL() << "no error for " << what;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Npy, MalformedFilesAreErrorsNamingTheFile) {
  expect_error_naming_file("", "an empty file");
  expect_error_naming_file("not numpy at all", "a text file");
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }";
  std::string v1 = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
  expect_error_naming_file(v1 + std::string(8, '\0'), "truncated data");
  expect_error_naming_file(v1.substr(0, 20), "a truncated header");
  std::string bad_dtype = v1;
  bad_dtype.replace(bad_dtype.find("<f4"), 3, "<c8");
  expect_error_naming_file(bad_dtype + std::string(32, '\0'), "a complex dtype");
  EXPECT_THROW(read_npy(temp_path("does_not_exist.npy")), Error);
}

// A version-1 file with `shape_text` in its header and `data` after it.
std::string npy_bytes(const std::string& shape_text, const std::string& data) {
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text + ", }";
  return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header + data;
}

// Parse errors of the in-memory reader, each naming the source and containing `part`.
void expect_parse_error(const std::string& bytes, const std::string& part) {
  try {
    parse_npy(bytes, "tiny.npy");
    FAIL() << "no error, expected " << part;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("tiny.npy: ", 0), 0u) << what;
    EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' missing in: " << what;
  }
}

TEST(Npy, NegativeDimensionsAreErrors) {  // "(-8, 2)" read as (8, 2) before
  expect_parse_error(npy_bytes("(-8, 2)", std::string(64, '\0')), "dimension '-8' is not a non-negative integer");
  expect_parse_error(npy_bytes("(2, x)", std::string(8, '\0')), "dimension 'x'");
}

TEST(Npy, AHugeShapeInATinyFileIsAnErrorBeforeAllocating) {  // a 144-byte file took 2.9 GB before
  expect_parse_error(npy_bytes("(30000, 25000)", std::string(16, '\0')),
                     "shape [30000, 25000] needs 3000000000 bytes, the file holds 16");
  expect_parse_error(npy_bytes("(99999999999999, 1)", ""), "larger than 2^40");
  expect_parse_error(npy_bytes("(1048576, 1048576, 1048576)", ""), "more than 2^40 elements");
}

TEST(Npy, ShapesWithTrailingCommasAndScalarsRead) {
  EXPECT_EQ(parse_npy(npy_bytes("(2,)", std::string(8, '\0')), "a.npy").shape(), (Shape{2}));
  EXPECT_EQ(parse_npy(npy_bytes("()", std::string(4, '\0')), "a.npy").shape(), (Shape{}));
  EXPECT_EQ(parse_npy(npy_bytes("(1, 0)", ""), "a.npy").shape(), (Shape{1, 0}));
}

TEST(Npy, AFailedWriteLeavesTheOldFile) {
  const std::string path = temp_path("kept.npy");
  write_npy(path, Tensor::from_floats({2}, {1, 2}));
  EXPECT_THROW(write_npy(temp_path("no_such_folder/x.npy"), Tensor::from_floats({1}, {1})), Error);
  EXPECT_THROW(write_npy("/dev/full", Tensor::from_floats({1}, {1})), Error);
  EXPECT_EQ(read_npy(path).floats()[1], 2.0f);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace raceit
