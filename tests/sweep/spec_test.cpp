#include "raceit/sweep/spec.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "raceit/core/error.hpp"

namespace raceit::sweep {

namespace {

std::string write_spec(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("raceit_sweep_" + std::to_string(::getpid()) + "_" + name + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

// The error a spec gives, or "" when it loads.
std::string error_of(const std::string& text) {
  const std::string path = write_spec("bad", text);
  try {
    load_sweep_spec(path);
  } catch (const Error& e) {
    std::filesystem::remove(path);
    return e.what();
  }
  std::filesystem::remove(path);
  return "";
}

}  // namespace

// The smallest spec of the issue: a 3 × 3 grid, the first axis varying slowest, every point
// carrying the fixed settings.
TEST(SweepSpec, GridOverEveryCombination) {
  const std::string path = write_spec("grid",
                                      "model: bert-base\narch: raceit\nseq: 128\naxes:\n"
                                      "  crossbar.rows: [64, 128, 256]\n  tile.race_units: [1, 2, 4]\n");
  const SweepSpec s = load_sweep_spec(path);
  ASSERT_EQ(s.points.size(), 9u);
  EXPECT_EQ(s.axes, (std::vector<std::string>{"crossbar.rows", "tile.race_units"}));
  EXPECT_EQ(s.points[0].key(), "arch=raceit;crossbar.rows=64;model=bert-base;seq=128;tile.race_units=1");
  EXPECT_EQ(s.points[1].at("tile.race_units"), "2");
  EXPECT_EQ(s.points[3].at("crossbar.rows"), "128");
  EXPECT_EQ(s.points[8].at("crossbar.rows"), "256");
  EXPECT_EQ(s.points[8].at("tile.race_units"), "4");
  EXPECT_FALSE(s.accuracy.has_value());
  // The same plan from the same file; a different value changes the plan.
  EXPECT_EQ(load_sweep_spec(path).plan_hash(), s.plan_hash());
  std::ofstream(path) << "model: bert-base\narch: raceit\nseq: 128\naxes:\n  crossbar.rows: [64, 128, 512]\n"
                         "  tile.race_units: [1, 2, 4]\n";
  EXPECT_NE(load_sweep_spec(path).plan_hash(), s.plan_hash());
  std::filesystem::remove(path);
}

// A model list is an axis of its own, before the spec's axes; explicit points are taken as listed.
TEST(SweepSpec, ModelListsAndExplicitPoints) {
  const std::string path = write_spec("points",
                                      "model: [bert-base, gpt2]\npoints:\n"
                                      "  - {crossbar.rows: 64, batch: 2}\n  - {crossbar.rows: 256, batch: 1}\n");
  const SweepSpec s = load_sweep_spec(path);
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_EQ(s.axes, (std::vector<std::string>{"model", "crossbar.rows", "batch"}));
  EXPECT_EQ(s.points[0].at("model"), "bert-base");
  EXPECT_EQ(s.points[0].at("arch"), "raceit");  // the default architecture
  EXPECT_EQ(s.points[1].at("crossbar.rows"), "256");
  EXPECT_EQ(s.points[2].at("model"), "gpt2");
  std::filesystem::remove(path);
}

// Random samples are a function of the seed: the same seed, the same points; values stay in
// range, whole numbers stay whole, and units are kept.
TEST(SweepSpec, RandomSamplesAreSeeded) {
  const std::string text =
      "model: vit-digits\naccuracy: {limit: 10}\nrandom:\n  samples: 12\n  seed: SEED\n  axes:\n"
      "    crossbar.rows: [64, 128, 256]\n    std_scale: {min: 0.5, max: 2}\n    tile.race_units: {min: 1, max: 8}\n"
      "    components.crossbar.latency: {min: 10ns, max: 100ns, log: true}\n";
  auto load = [&](const std::string& seed) {
    std::string t = text;
    t.replace(t.find("SEED"), 4, seed);
    const std::string path = write_spec("random" + seed, t);
    SweepSpec s = load_sweep_spec(path);
    std::filesystem::remove(path);
    return s;
  };
  const SweepSpec a = load("7"), b = load("7"), c = load("8");
  ASSERT_EQ(a.points.size(), 12u);
  EXPECT_EQ(a.plan_hash(), b.plan_hash());
  EXPECT_NE(a.plan_hash(), c.plan_hash());
  std::set<std::string> rows;
  for (const Point& p : a.points) {
    rows.insert(p.at("crossbar.rows"));
    const double scale = std::stod(p.at("std_scale"));
    EXPECT_GE(scale, 0.5);
    EXPECT_LE(scale, 2.0);
    const int units = std::stoi(p.at("tile.race_units"));
    EXPECT_EQ(p.at("tile.race_units"), std::to_string(units));
    EXPECT_GE(units, 1);
    EXPECT_LE(units, 8);
    const std::string& latency = p.at("components.crossbar.latency");
    EXPECT_EQ(latency.substr(latency.size() - 3), " ns") << latency;
    const double ns = std::stod(latency);
    EXPECT_GE(ns, 10 - 1e-6);
    EXPECT_LE(ns, 100 + 1e-6);
  }
  EXPECT_GT(rows.size(), 1u);  // 12 draws from 3 choices
}

// Bad keys and values fail before anything runs, naming the file and the line.
TEST(SweepSpec, ErrorsNameFileAndLine) {
  const std::string head = "model: bert-base\narch: raceit\naxes:\n";
  auto expect = [&](const std::string& text, const std::string& line, const std::string& what) {
    const std::string e = error_of(text);
    EXPECT_NE(e.find(".yaml:" + line + ":"), std::string::npos) << e;
    EXPECT_NE(e.find(what), std::string::npos) << e;
  };
  expect(head + "  crossbar.rowz: [64]\n", "4", "unknown key 'crossbar.rowz'");
  expect(head + "  crossbar.rows: [64,\n    sixty]\n", "5", "crossbar.rows");
  expect(head + "  components.crossbar.latency: [100ns, 5V]\n", "4", "components.crossbar.latency");
  expect(head + "  crossbar.rows: []\n", "4", "non-empty list");
  expect(head + "  crossbar.rows: [64, 64]\n", "4", "listed twice");
  expect(head + "  std_scale: [0.5, 1]\n", "4", "add an 'accuracy:' block");
  expect(head + "  seeds: [1, 2]\n", "4", "accuracy");
  expect(head + "  mapping.softmax: [acam, abacus]\n", "4", "abacus");
  expect(head + "  gpu.launch_graph: [5us]\n", "4", "arch 'raceit'");
  expect("model: bert-base\narch: no-such-arch\naxes:\n  crossbar.rows: [64]\n", "2", "no-such-arch");
  expect("model: bert-base\nbogus: 1\naxes:\n  crossbar.rows: [64]\n", "2", "unknown key 'bogus'");
  expect("model: bert-base\nseq: 0\naxes:\n  crossbar.rows: [64]\n", "2", "seq");
  expect("model: bert-base\naccuracy: {mode: noisy}\naxes:\n  crossbar.rows: [64]\n", "2", "noisy");
  expect("model: bert-base\nrandom: {samples: 2, axes: {std_scale: {min: 2, max: 1}}}\naccuracy: {}\n", "2", "above max");
  expect("model: bert-base\naxes:\n  crossbar.rows: [64]\n  crossbar.rows: [128]\n", "4", "set twice");
  expect("model: bert-base\nmodel: gpt2\naxes:\n  crossbar.rows: [64]\n", "2", "'model' is set twice (first at line 1)");
  expect("model: bert-base\npoints:\n  - {crossbar.rows: 64, crossbar.rows: 128}\n", "3", "'crossbar.rows' is set twice");
  expect("model: vit-digits\naccuracy:\n  limit: 0\naxes:\n  crossbar.rows: [64]\n", "3", "accuracy.limit: 0 is outside");
  expect("model: bert-base\naxes:\n  crossbar.rows: [64\n", "4", "");
  EXPECT_NE(error_of("arch: raceit\naxes:\n  crossbar.rows: [64]\n").find("names no model"), std::string::npos);
  EXPECT_NE(error_of("model: bert-base\naxes:\n  a: [1]\npoints:\n  - {b: 1}\n").find("not several"), std::string::npos);
}

TEST(SweepSpec, MissingFileIsAnIoError) {
  try {
    load_sweep_spec("/nonexistent/spec.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/spec.yaml"), std::string::npos);
  }
}

// A grid larger than the limit is refused before it is built.
TEST(SweepSpec, TooManyPoints) {
  const std::string path = write_spec("big", "model: bert-base\naxes:\n  crossbar.rows: [16, 32, 64, 128]\n"
                                             "  crossbar.cols: [16, 32, 64, 128]\n");
  EXPECT_THROW(load_sweep_spec(path, 10), Error);
  EXPECT_EQ(load_sweep_spec(path, 16).points.size(), 16u);
  std::filesystem::remove(path);
}

}  // namespace raceit::sweep
