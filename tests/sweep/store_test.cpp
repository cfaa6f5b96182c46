#include "raceit/sweep/store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "raceit/core/error.hpp"

namespace raceit::sweep {

namespace {

std::string temp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("raceit_store_" + std::to_string(::getpid()) + "_" + name)).string();
}

SweepSpec spec_from(const std::string& name, const std::string& text) {
  const std::string path = temp(name + ".yaml");
  std::ofstream(path) << text;
  SweepSpec s = load_sweep_spec(path);
  std::filesystem::remove(path);
  return s;
}

const std::string kGrid = "model: bert-base\naxes:\n  crossbar.rows: [64, 128]\n  tile.race_units: [1, 2]\n";

PointResult result(std::size_t index, double latency) {
  return {.index = index,
          .metrics = {.latency = latency, .throughput = 1 / latency, .energy = 2 * latency, .power = 0.5, .area = 1e-4, .chips = 1},
          .config_hash = "fnv1a64:0",
          .started = "2026-01-01T00:00:00Z",
          .seconds = 0.25};
}

struct TempStore {
  std::string path = temp("store.db");
  ~TempStore() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

}  // namespace

// Every point is written when the store is made; results fill a pending row once, and a store
// opened again for the same plan has only the rest pending.
TEST(SweepStore, ResumesWithThePendingPoints) {
  TempStore t;
  const SweepSpec spec = spec_from("grid", kGrid);
  {
    Store store(t.path, spec, "test");
    EXPECT_EQ(store.pending(), (std::vector<std::size_t>{0, 1, 2, 3}));
    store.record(result(0, 1e-3));
    store.record(result(2, 3e-3));
    store.record(result(0, 9e-3));  // already done: left as it is
  }
  Store again(t.path, spec, "test");
  EXPECT_EQ(again.pending(), (std::vector<std::size_t>{1, 3}));
  again.record({.index = 1, .ok = false, .error = "does not fit", .started = "x"});

  const report::SweepTable table = read_store(t.path);
  ASSERT_EQ(table.rows.size(), 4u);
  EXPECT_EQ(table.axes, (std::vector<std::string>{"crossbar.rows", "tile.race_units"}));
  EXPECT_EQ(table.columns, (std::vector<std::string>{"model", "arch", "crossbar.rows", "tile.race_units"}));
  EXPECT_EQ(table.rows[0].status, "done");
  EXPECT_EQ(table.rows[0].metrics.latency, 1e-3);
  EXPECT_EQ(table.rows[0].metrics.energy, 2e-3);
  EXPECT_DOUBLE_EQ(table.rows[0].metrics.area, 1e-4);
  EXPECT_EQ(table.rows[0].settings.at("crossbar.rows"), "64");
  EXPECT_EQ(table.rows[0].settings.at("model"), "bert-base");
  EXPECT_EQ(table.rows[1].status, "error");
  EXPECT_EQ(table.rows[1].error, "does not fit");
  EXPECT_EQ(table.rows[2].metrics.latency, 3e-3);
  EXPECT_EQ(table.rows[2].settings.at("tile.race_units"), "1");
  EXPECT_EQ(table.rows[3].status, "pending");
  EXPECT_EQ(table.tool_version, "test");
  EXPECT_EQ(table.plan_hash, spec.plan_hash());
}

// A spec with other points is refused, saying how it differs; one with the same points resumes.
TEST(SweepStore, RefusesAnotherPlan) {
  TempStore t;
  { Store store(t.path, spec_from("grid", kGrid), "test"); }
  const std::string same = "# a comment changes nothing\n" + kGrid;
  EXPECT_NO_THROW(Store(t.path, spec_from("same", same), "test"));
  try {
    Store(t.path, spec_from("other", "model: bert-base\naxes:\n  crossbar.rows: [64, 256]\n  tile.race_units: [1, 2]\n"),
          "test");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    const std::string m = e.what();
    EXPECT_NE(m.find("holds another sweep"), std::string::npos) << m;
    EXPECT_NE(m.find("2 of them not in the store"), std::string::npos) << m;
  }
}

TEST(SweepStore, RefusesFilesThatAreNotStores) {
  TempStore t;
  std::ofstream(t.path) << "not a database, just text that is long enough to have a header........................\n";
  EXPECT_THROW(Store(t.path, spec_from("grid", kGrid), "test"), Error);
  EXPECT_THROW(read_store(t.path), Error);
  EXPECT_THROW(read_store(temp("missing.db")), Error);
}

}  // namespace raceit::sweep
