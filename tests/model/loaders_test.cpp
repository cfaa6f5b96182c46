// Malformed data and weight files are errors that name the file and the problem.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "raceit/core/error.hpp"
#include "raceit/model/datasets.hpp"
#include "raceit/model/use_lite.hpp"

namespace raceit::model {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("raceit_loaders_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

void write_gzip(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

template <class F>
void expect_error_naming(F&& f, const std::string& file, const std::string& problem) {
  try {
    f();
    FAIL() << "no error for " << file;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
  }
}

TEST(Loaders, FashionMnistIdxErrors) {
  const auto dir = fresh_dir("idx");
  DataPaths paths;
  paths.fashion_mnist_dir = dir.string();
  const auto images = (dir / "t10k-images-idx3-ubyte.gz").string();
  expect_error_naming([&] { load_fashion_mnist_test(paths); }, images, "not found");
  write_gzip(images, std::string("\0\0\x08\x03\0\0\0\x02\0\0\0\x1c\0\0\0\x1c", 16) + std::string(100, '\0'));
  write_gzip(dir / "t10k-labels-idx1-ubyte.gz", std::string("\0\0\x08\x01\0\0\0\x02\0\0", 10));
  expect_error_naming([&] { load_fashion_mnist_test(paths); }, images, "IDX data holds 100 bytes");
  write(images, "not gzip and not IDX");
  expect_error_naming([&] { load_fashion_mnist_test(paths); }, images, "not an unsigned-byte IDX file");
}

TEST(Loaders, DigitsCsvErrors) {
  const auto dir = fresh_dir("digits");
  DataPaths paths;
  paths.digits_csv = (dir / "digits.csv.gz").string();
  write_gzip(paths.digits_csv, "1,2,3\n");
  expect_error_naming([&] { load_digits_test(paths); }, paths.digits_csv, "line 1 has 3 values");
}

TEST(Loaders, TfjsManifestErrors) {
  const auto dir = fresh_dir("tfjs");
  const auto model = (dir / "model.json").string();
  write(model, "{ not json");
  expect_error_naming([&] { read_tfjs_weights(model); }, model, "not valid JSON");
  write(model, R"({"weightsManifest": [{"paths": ["shard"], "weights": [{"name": "w", "shape": [4, 4], "dtype": "float32"}]}]})");
  write(dir / "shard", std::string(20, '\0'));
  expect_error_naming([&] { read_tfjs_weights(model); }, model, "weight 'w' runs past the end of the shards");
  write(model, R"({"weightsManifest": [{"paths": ["shard"]}]})");
  expect_error_naming([&] { read_tfjs_weights(model); }, model, "malformed weightsManifest");
  expect_error_naming([&] { build_use_lite(dir.string() + "/nowhere"); }, "nowhere/model.json", "make setup");
}

}  // namespace
}  // namespace raceit::model
