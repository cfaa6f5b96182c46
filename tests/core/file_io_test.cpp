// Whole-file reading and atomic writing: a write that fails leaves the old file as it was, and
// errors name the file and the system's reason.
#include "raceit/core/file_io.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>

#include "raceit/core/error.hpp"
#include "raceit/core/tensor_size_limit.hpp"
#include "raceit/core/tensor.hpp"

namespace raceit {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("raceit_file_io_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

void expect_io_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    FAIL() << "no error, expected " << part;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << "'" << part << "' missing in: " << e.what();
  }
}

TEST(FileIo, WritesReplaceTheTargetAndLeaveNoTemporaryFile) {
  const TempDir dir;
  const std::string file = (dir.path / "out.json").string();
  write_file_atomic(file, "first");
  write_file_atomic(file, "second, longer");
  EXPECT_EQ(read_file(file), "second, longer");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1);
}

TEST(FileIo, AFullDeviceIsAnError) {  // `infer --output /dev/full` said "wrote" before
  expect_io_error([] { write_file_atomic("/dev/full", "data"); }, "/dev/full: cannot write: No space left on device");
}

TEST(FileIo, AFailedWriteLeavesTheOldFileAndNoTemporaryFile) {
  const TempDir dir;
  const std::string file = (dir.path / "kept.txt").string();
  write_file_atomic(file, "old");
  fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_exec);  // no new files in the folder
  if (::geteuid() != 0) {  // root ignores permissions
    expect_io_error([&] { write_file_atomic(file, "new"); }, "kept.txt: cannot create a temporary file");
    EXPECT_EQ(read_file(file), "old");
  }
  fs::permissions(dir.path, fs::perms::owner_all);
  expect_io_error([&] { write_file_atomic((dir.path / "missing" / "x").string(), "new"); }, "No such file or directory");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1);
}

TEST(FileIo, DirectoriesAreErrorsNotFiles) {  // a directory given as a model ended in "internal error"
  const TempDir dir;
  expect_io_error([&] { read_file(dir.path.string()); }, "is a directory");
  expect_io_error([&] { write_file_atomic(dir.path.string(), "x"); }, "is a directory");
  expect_io_error([&] { read_file((dir.path / "none").string()); }, "No such file or directory");
}

TEST(TensorSizeLimit, RefusesLargerTensorsWhileAliveAndNests) {
  {
    const TensorSizeLimit limit(1000);
    EXPECT_NO_THROW(Tensor(DType::Float32, {10, 100}));
    EXPECT_THROW(Tensor(DType::Float32, {10, 101}), Error);
    EXPECT_THROW(Tensor(DType::Float32, {1'000'000, 0, 1'000'000}), Error);  // empty, but its loops are not
    {
      const TensorSizeLimit inner(10);
      EXPECT_THROW(Tensor(DType::Float32, {11}), Error);
    }
    EXPECT_NO_THROW(Tensor(DType::Float32, {11}));
  }
  EXPECT_NO_THROW(Tensor(DType::Float32, {1'000'000, 0, 1'000'000}));
}

TEST(TensorSizeLimit, ElementCountsThatOverflowAreErrors) {
  EXPECT_THROW(element_count({std::int64_t{1} << 40, std::int64_t{1} << 40}), Error);
}

}  // namespace
}  // namespace raceit
