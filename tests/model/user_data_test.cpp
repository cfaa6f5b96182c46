// The user's own data (.npy and spec.yaml) for the committed two-input encoder classifier
// (models/encoder-classifier, exported by tools/export_examples.py): what is read, and that every
// mismatch with the graph is refused before anything runs, naming the input, shapes and file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/core/source_dir.hpp"
#include "raceit/model/dataset_registry.hpp"
#include "raceit/model/zoo.hpp"

namespace raceit::model {
namespace {

const std::string kExample = raceit::source_dir() + "/models/encoder-classifier/";

class UserData : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("raceit_user_data_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string npy(const std::string& name, const Tensor& t) const {
    const std::string path = (dir_ / name).string();
    write_npy(path, t);
    return path;
  }
  // The message of the Error that loading throws.
  std::string error_of(const std::string& data, const std::string& labels = "") const {
    try {
      load_samples(graph_, data, Split::Test, 0, default_data_paths(), labels);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  std::filesystem::path dir_;
  const Graph graph_ = load_model(kExample + "model.onnx");
};

TEST_F(UserData, SpecFeedsEveryInputItsFileWithLabelsPerSplit) {
  const Samples test = load_samples(graph_, kExample + "data.yaml", Split::Test);
  const Tensor values = read_npy(kExample + "values.npy"), labels = read_npy(kExample + "labels.npy");
  ASSERT_EQ(test.inputs.size(), 2u);
  EXPECT_EQ(test.inputs.at("values").shape(), values.shape());
  EXPECT_EQ(test.inputs.at("values").floats()[77], values.floats()[77]);
  EXPECT_EQ(test.label_shape, Shape{values.dim(0)});
  EXPECT_EQ(test.labels[5], labels.ints()[5]);
  // Calibration reads the train split: 8 of its 256 samples, evenly spaced (rows 0, 32, 64, …).
  const Samples train = load_samples(graph_, kExample + "data.yaml", Split::Train, 8);
  const Tensor train_values = read_npy(kExample + "train_values.npy");
  const std::int64_t row = train_values.size() / train_values.dim(0);
  EXPECT_EQ(sample_count(train), 8);
  EXPECT_EQ(train.inputs.at("values").floats()[row * 3 + 1], train_values.floats()[row * 96 + 1]);
}

TEST_F(UserData, NpyOfASingleInputModelNeedsASpecForTwoInputs) {
  EXPECT_NE(error_of(kExample + "values.npy").find("has 2 inputs (values, mask): give a spec.yaml"), std::string::npos);
}

TEST_F(UserData, WrongShapeNamesInputExpectedGivenAndFile) {
  const std::string bad = npy("short.npy", Tensor(DType::Float32, {4, 16, 7}));
  const std::string spec = write("spec.yaml", "inputs: {values: short.npy, mask: " + kExample + "mask.npy}\n");
  const std::string e = error_of(spec);
  EXPECT_NE(e.find("graph input 'values' expects float32[?, ?, 8]"), std::string::npos) << e;
  EXPECT_NE(e.find(bad + " holds float32[4, 16, 7]"), std::string::npos) << e;
  EXPECT_NE(e.find("spec.yaml:1"), std::string::npos) << e;
}

TEST_F(UserData, WrongDtypeIsRefused) {
  npy("ids.npy", Tensor(DType::Int64, {64, 16, 8}));
  const std::string spec = write("spec.yaml", "inputs:\n  mask: " + kExample + "mask.npy\n  values: ids.npy\n");
  const std::string e = error_of(spec);
  EXPECT_NE(e.find("spec.yaml:3: graph input 'values' expects float32"), std::string::npos) << e;
  EXPECT_NE(e.find("holds int64[64, 16, 8]"), std::string::npos) << e;
}

TEST_F(UserData, WrongRankIsRefused) {
  npy("flat.npy", Tensor(DType::Float32, {64, 128}));
  const std::string e = error_of(write("spec.yaml", "inputs: {values: flat.npy, mask: " + kExample + "mask.npy}\n"));
  EXPECT_NE(e.find("holds float32[64, 128]"), std::string::npos) << e;
}

TEST_F(UserData, BatchSizesMustAgree) {
  npy("mask.npy", Tensor(DType::Float32, {3, 16}));
  const std::string e = error_of(write("spec.yaml", "inputs: {values: " + kExample + "values.npy, mask: mask.npy}\n"));
  EXPECT_NE(e.find("holds 3 samples"), std::string::npos) << e;
}

TEST_F(UserData, LabelsMustBeIntegersWithOneRowPerSample) {
  npy("float_labels.npy", Tensor(DType::Float32, {64}));
  npy("few_labels.npy", Tensor(DType::Int64, {10}));
  const std::string base = "inputs: {values: " + kExample + "values.npy, mask: " + kExample + "mask.npy}\n";
  for (const char* file : {"float_labels.npy", "few_labels.npy"}) {
    const std::string e = error_of(write("spec.yaml", base + "labels: " + file + "\n"));
    EXPECT_NE(e.find("labels must be integers [N] or [N, T] with N = 64"), std::string::npos) << e;
  }
}

TEST_F(UserData, SpecErrorsNameFileAndLine) {
  EXPECT_NE(error_of(write("a.yaml", "inputs: {values: x.npy}\nlabelz: y.npy\n")).find("a.yaml:2: unknown key 'labelz'"),
            std::string::npos);
  EXPECT_NE(error_of(write("b.yaml", "test:\n  inputs: {values: x.npy}\n  split: 3\n")).find("b.yaml:3: unknown key 'split'"),
            std::string::npos);
  EXPECT_NE(error_of(write("c.yaml", "inputs: {values: " + kExample + "values.npy, mask: " + kExample +
                                         "mask.npy, extra: x.npy}\n"))
                .find("'extra' is not an input of model"),
            std::string::npos);
  EXPECT_NE(error_of(write("d.yaml", "inputs: {values: " + kExample + "values.npy}\n")).find("no file for graph input 'mask'"),
            std::string::npos);
  EXPECT_NE(error_of(write("e.yaml", "inputs: [\n")).find("e.yaml:"), std::string::npos);
  EXPECT_NE(error_of((dir_ / "none.yaml").string()).find("no such data spec"), std::string::npos);
  const std::string twice = error_of(write("f.yaml", "test:\n  inputs:\n    values: x.npy\n    values: y.npy\n"));
  EXPECT_NE(twice.find("f.yaml:4: key 'test.inputs.values' is given twice (first at line 3)"), std::string::npos) << twice;
}

TEST_F(UserData, RegisteredDataSetsAndUnknownNames) {
  EXPECT_EQ(dataset_names(), (std::vector<std::string>{"digits", "fashion-mnist", "spamassassin", "spamassassin-text"}));
  const std::string e = error_of("cifar-10");
  EXPECT_NE(e.find("unknown data set 'cifar-10'; known: digits, fashion-mnist, spamassassin"), std::string::npos) << e;
  EXPECT_TRUE(is_user_data("x.npy") && is_user_data("dir/spec.yaml") && !is_user_data("digits"));
}

}  // namespace
}  // namespace raceit::model
