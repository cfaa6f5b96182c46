#include "raceit/perf/pipeline.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"

namespace raceit::perf {

namespace {
OpDemand weight_op(const std::string& name, std::int64_t crossbars, std::uint64_t reads) {
  OpDemand op{name, "weight_matmul"};
  op.crossbars = crossbars;
  op.events.array_reads = reads;
  op.events.dac_conversions = reads * 128;
  op.events.acam_searches = reads * 128;
  op.events.cells_programmed = static_cast<std::uint64_t>(crossbars) * 128 * 128;
  op.output_bits = 768 * 8;
  return op;
}
OpDemand function_op(const std::string& name, std::uint64_t lookups) {
  OpDemand op{name, "gelu"};
  op.events.race_1var_lookups = lookups;
  return op;
}
}  // namespace

// One stage on one chip: its time is the busiest resource over the stage's share of the chip.
TEST(Pipeline, SingleStageUsesItsShareOfTheChip) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  const ResolvedArch arch = resolve(spec);
  Workload w{"toy", 1, 128, {function_op("pre", 1000), weight_op("fc", arch.crossbars / 4, 8000), function_op("act", 50000)}};
  const PerfReport r = evaluate_pipeline(w, spec);
  ASSERT_EQ(r.stages.size(), 1u);  // the leading function joins the first stage
  EXPECT_EQ(r.stages[0].ops.size(), 3u);
  EXPECT_EQ(r.chips, 1);
  EventCounts all;
  for (const auto& op : w.ops) all += op.events;
  all.cells_programmed = 0;
  const EventPricing p = price_events(spec, all);
  double busiest = 0;
  for (const auto& res : p.resources) busiest = std::max(busiest, res.busy_time * 4);  // a quarter of the chip
  EXPECT_DOUBLE_EQ(r.stages[0].time, busiest);
  EXPECT_DOUBLE_EQ(r.latency, busiest);
  EXPECT_DOUBLE_EQ(r.throughput, 1.0 / busiest);
  EXPECT_NEAR(r.energy, p.total_energy + arch.leakage_power * r.latency, 1e-12 * r.energy);
  EXPECT_DOUBLE_EQ(r.programming_energy,
                   price_events(spec, EventCounts{.cells_programmed = w.ops[1].events.cells_programmed}).total_energy);
  EXPECT_DOUBLE_EQ(r.area, arch.area);
}

// Weights larger than a chip: stages spill onto a second chip and the activations between them
// cross a link at 30 pJ/bit (the preset's link energy).
TEST(Pipeline, StagesSpillOntoChipsAndPayForLinks) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  const ResolvedArch arch = resolve(spec);
  const std::int64_t big = arch.crossbars * 3 / 4;
  Workload w{"toy", 2, 128, {weight_op("a", big, 100), weight_op("b", big, 100), weight_op("c", big, 100)}};
  const PerfReport r = evaluate_pipeline(w, spec);
  ASSERT_EQ(r.stages.size(), 3u);
  EXPECT_EQ(r.chips, 3);
  EXPECT_EQ(r.stages[1].chip, 1);
  EXPECT_NEAR(r.link_energy, 2 * 768 * 8 * 30e-12, 1e-18);
  EXPECT_GT(r.link_time, 0);
  EXPECT_DOUBLE_EQ(r.area, 3 * arch.area);
  double slowest = 0;
  for (const auto& s : r.stages) slowest = std::max(slowest, s.time);
  EXPECT_LE(r.throughput, 2 / slowest + 1e-9);
  // One stage alone larger than a chip spans several chips.
  Workload huge{"huge", 1, 1, {weight_op("h", arch.crossbars * 5 / 2, 10)}};
  EXPECT_EQ(evaluate_pipeline(huge, spec).chips, 3);
}

TEST(Pipeline, RejectsGpusAndWeightlessWorkloads) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  EXPECT_THROW(evaluate_pipeline(Workload{"none", 1, 1, {function_op("f", 1)}}, spec), Error);
  EXPECT_THROW(evaluate_pipeline(Workload{"empty", 1, 1, {}}, spec), Error);
  EXPECT_THROW(evaluate_pipeline(Workload{"x", 1, 1, {weight_op("a", 1, 1)}}, load_arch(arch_path("h100"))), Error);
}

}  // namespace raceit::perf
