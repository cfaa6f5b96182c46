#include "raceit/perf/pipeline.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"

namespace raceit::perf {

namespace {
OpDemand weight_op(const std::string& name, std::int64_t crossbars, std::uint64_t reads) {
  OpDemand op;
  op.name = name;
  op.kind = "weight_matmul";
  op.crossbars = crossbars;
  op.events.array_reads = reads;
  op.events.dac_conversions = reads * 128;
  op.events.acam_searches = reads * 128;
  op.events.cells_programmed = static_cast<std::uint64_t>(crossbars) * 128 * 128;
  op.output_bits = 768 * 8;
  return op;
}
OpDemand function_op(const std::string& name, std::uint64_t lookups) {
  OpDemand op;
  op.name = name;
  op.kind = "acam-function";
  op.events.race_1var_lookups = lookups;
  return op;
}
}  // namespace

// Hand-derived from the raceit preset: 24576 crossbars at 100 ns per read, 1024 RACE arrays at
// 1 ns per lookup.
constexpr double kRead = 100e-9, kLookup = 1e-9;

// One stage on a quarter of the chip: its crossbars are tied to it (busy time × 4), the RACE
// arrays are pooled (the whole chip's); with one segment the rows stream, so the sample's latency
// is one row through each operator plus 127 rows at the slowest.
TEST(Pipeline, TiedResourcesOnTheStageShareAndPooledOnTheChip) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  const ResolvedArch arch = resolve(spec);
  ASSERT_EQ(arch.crossbars, 24576);
  ASSERT_EQ(arch.race_arrays, 1024);
  OpDemand fc;
  fc.name = "fc";
  fc.kind = "crossbar";
  fc.crossbars = arch.crossbars / 4;
  fc.events.array_reads = 6144 * 128;  // every quarter-chip array read once per row
  fc.events.cells_programmed = 1000;
  Workload w{"toy", 1, 128, {function_op("pre", 1024 * 50), fc, function_op("act", 1024 * 500)}};
  const PerfReport r = evaluate_pipeline(w, spec);
  ASSERT_EQ(r.stages.size(), 1u);  // the leading function joins the first stage
  EXPECT_EQ(r.stages[0].ops.size(), 3u);
  EXPECT_EQ(r.chips, 1);
  EXPECT_EQ(r.segments, 1);
  const double crossbar = 128 * kRead;     // 6144·128 reads over 6144 arrays
  const double race = 550 * kLookup;       // 1024·550 lookups over 1024 arrays
  EXPECT_NEAR(r.stages[0].time, crossbar, 1e-15);
  EXPECT_EQ(r.stages[0].bottleneck, "crossbar");
  EXPECT_NEAR(r.throughput, 1 / crossbar, 1e-6 / crossbar);
  // Both functions take the segment's pooled RACE time; fc its crossbar time.
  EXPECT_NEAR(r.ops[0].time, race, 1e-15);
  EXPECT_NEAR(r.ops[1].time, crossbar, 1e-15);
  EXPECT_NEAR(r.latency, (2 * race + crossbar) / 128 + 127 * crossbar / 128, 1e-15);
  EventCounts all;
  for (const auto& op : w.ops) all += op.events;
  all.cells_programmed = 0;
  EXPECT_NEAR(r.energy, price_events(spec, all).total_energy + arch.leakage_power * r.latency, 1e-12 * r.energy);
  EXPECT_DOUBLE_EQ(r.programming_energy, price_events(spec, EventCounts{.cells_programmed = 1000}).total_energy);
  EXPECT_DOUBLE_EQ(r.area, arch.area);
}

// Q·Kᵀ needs every key: it starts a segment, and the segments of a sample run one after
// another. Throughput sees the chip's whole pooled demand; each further sample of a batch adds
// one steady-state interval.
TEST(Pipeline, WholeSequenceOperatorsSplitSegmentsAndBatchesAddIntervals) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  const ResolvedArch arch = resolve(spec);
  auto weight = [&](const std::string& name, std::uint64_t rows) {
    OpDemand op;
  op.name = name;
  op.kind = "crossbar";
    op.crossbars = arch.crossbars / 8;
    op.events.array_reads = static_cast<std::uint64_t>(arch.crossbars / 8) * rows;
    return op;
  };
  OpDemand scores;
  scores.name = "scores";
  scores.kind = "acam-data-matmul";
  scores.whole_sequence = true;
  scores.events.race_2var_lookups = 1024 * 20000;
  const std::uint64_t tokens = 64;
  for (std::int64_t batch : {1, 3}) {
    const auto rows = tokens * static_cast<std::uint64_t>(batch);
    scores.events.race_2var_lookups = 1024 * 20000 * static_cast<std::uint64_t>(batch);
    Workload w{"attention", batch, static_cast<std::int64_t>(tokens), {weight("k", rows), scores, weight("out", rows)}};
    const PerfReport r = evaluate_pipeline(w, spec);
    ASSERT_EQ(r.stages.size(), 2u);
    EXPECT_EQ(r.segments, 2);
    const double b = static_cast<double>(batch);
    const double crossbar = static_cast<double>(rows) * kRead, race = 20000 * b * kLookup;
    // Stage 0 holds k and scores: its crossbars or the chip's RACE time, whichever is longer.
    EXPECT_NEAR(r.stages[0].time, std::max(crossbar, race), 1e-15);
    EXPECT_NEAR(r.throughput, b / std::max(crossbar, race), 1e-6 * r.throughput);
    // Segment 1: k streams alone. Segment 2: scores then out, streaming.
    const double per_row = 1.0 / static_cast<double>(rows), t = static_cast<double>(tokens);
    const double segment1 = crossbar * per_row * t;
    const double segment2 = (race + crossbar) * per_row + (t - 1) * std::max(race, crossbar) * per_row;
    EXPECT_NEAR(r.sample_latency, segment1 + segment2, 1e-15);
    EXPECT_NEAR(r.latency, r.sample_latency + (b - 1) / r.throughput, 1e-15);
  }
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
