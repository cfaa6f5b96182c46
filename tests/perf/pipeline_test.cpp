#include "raceit/perf/pipeline.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"
#include "raceit/compiler/options.hpp"

#include <algorithm>

namespace raceit::perf {

using arch::ArchSpec;
using arch::arch_path;
using compiler::load_arch;

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
// `searches` array searches, `lookups` lookups on RACE pool `pool`.
OpDemand function_op(const std::string& name, std::uint64_t searches, std::int64_t lookups = 1, int pool = 0) {
  OpDemand op;
  op.name = name;
  op.kind = "acam-function";
  op.events.race_1var_lookups = searches;
  op.race = {{.pool = pool, .lookups = lookups, .operand_bits = 0}};
  return op;
}
// `count` pools of one copy each on tile 0.
std::vector<RacePoolSpec> one_copy_pools(int count) { return std::vector<RacePoolSpec>(static_cast<std::size_t>(count)); }
}  // namespace

// Hand-derived from the raceit preset: 24576 crossbars, a read lasting 128 columns / 2 Compute-ACAM
// converters × 1 ns = 64 ns; RACE arrays at 1 ns per lookup.
constexpr double kRead = 64e-9, kLookup = 1e-9;

// One stage on a quarter of the chip: its crossbars are tied to it (busy time × 4); each function
// works on its own RACE arrays (its lookups per copy × 1 ns); with one segment the rows stream, so
// the sample's latency is one row through each operator plus 127 rows at the slowest.
TEST(Pipeline, TiedResourcesOnTheStageShareAndRaceArraysPerPool) {
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
  Workload w{"toy", 1, 128, {function_op("pre", 1024 * 50, 200, 0), fc, function_op("act", 1024 * 500, 5000, 1)}, one_copy_pools(2)};
  const PerfReport r = evaluate_pipeline(w, spec);
  ASSERT_EQ(r.stages.size(), 1u);  // the leading function joins the first stage
  EXPECT_EQ(r.stages[0].ops.size(), 3u);
  EXPECT_EQ(r.chips, 1);
  EXPECT_EQ(r.segments, 1);
  const double crossbar = 128 * kRead;  // 6144·128 reads over 6144 arrays
  EXPECT_NEAR(r.stages[0].time, crossbar, 1e-15);
  EXPECT_EQ(r.stages[0].bottleneck, "crossbar");
  EXPECT_NEAR(r.throughput, 1 / crossbar, 1e-6 / crossbar);
  // Each function takes its own RACE time; fc its crossbar time.
  EXPECT_NEAR(r.ops[0].time, 200 * kLookup, 1e-15);
  EXPECT_NEAR(r.ops[1].time, crossbar, 1e-15);
  EXPECT_NEAR(r.ops[2].time, 5000 * kLookup, 1e-15);
  EXPECT_NEAR(r.latency, (200 * kLookup + crossbar + 5000 * kLookup) / 128 + 127 * crossbar / 128, 1e-15);
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
    scores.race = {{.pool = 0, .lookups = 20000 * batch, .operand_bits = 0}};
    Workload w{"attention", batch, static_cast<std::int64_t>(tokens), {weight("k", rows), scores, weight("out", rows)},
               one_copy_pools(1)};
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

// Pooled work fills the pipeline once: each operator's own adds set its row time; the segment's
// adds together bound the row interval.
TEST(Pipeline, PooledWorkCountsOncePerOperator) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  const ResolvedArch arch = resolve(spec);
  const double adders = static_cast<double>(arch.find("adder")->instances);  // 256 tiles × 8
  OpDemand fc = weight_op("fc", 96, 96 * 16);
  fc.events.dac_conversions = fc.events.acam_searches = 0;
  fc.output_bits = 0;
  OpDemand add1, add2;
  add1.name = "add1";
  add2.name = "add2";
  add1.kind = add2.kind = "digital";
  add1.events.digital_adds = add2.events.digital_adds = 2048 * 100000;
  const Workload w{"adds", 1, 16, {fc, add1, add2}};
  const PerfReport r = evaluate_pipeline(w, spec);
  ASSERT_EQ(r.segments, 1);
  const double own = 2048 * 100000 * 1e-9 / adders;  // each operator's adds over every adder
  const double crossbar = 16 * kRead;  // 96·16 reads on the stage's 96 arrays
  EXPECT_NEAR(r.ops[1].time, own, 1e-15);
  EXPECT_NEAR(r.ops[2].time, own, 1e-15);
  const double interval = std::max(crossbar, 2 * own) / 16;
  EXPECT_NEAR(r.sample_latency, (crossbar + 2 * own) / 16 + 15 * interval, 1e-15);
}

// An operator's output crosses the mesh to the next operator's tile: ceil(bits / 256) flits ×
// (Manhattan distance + 1) routers. raceit: 256 tiles, 4 per router, an 8 × 8 mesh; tile 40 is
// router 10, at (2, 1).
TEST(Pipeline, ActivationsCrossTheMesh) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  const ResolvedArch arch = resolve(spec);
  OpDemand a = weight_op("a", 10, 10), b = weight_op("b", 10, 10);
  a.tile = 0;
  b.tile = 40;
  a.output_bits = 2560;  // 10 flits
  b.output_bits = 0;
  const PerfReport r = evaluate_pipeline(Workload{"mesh", 1, 1, {a, b}}, spec);
  const auto router = std::find_if(r.by_component.begin(), r.by_component.end(),
                                   [](const ComponentCost& c) { return c.component == "router"; });
  ASSERT_NE(router, r.by_component.end());
  EXPECT_NEAR(router->energy, 10 * 4 * arch.find("router")->action("hop").energy, 1e-18);
}

// Two functions on one pool of 4 copies: each alone takes its lookups per copy × 1 ns (1 µs and
// 0.5 µs), but in one segment they share the copies, so the pool's 1.5 µs over the 2 rows bounds
// the row interval; on separate pools the slower function does. In steady state the stage lasts
// the pool's whole 1.5 µs.
TEST(Pipeline, OperatorsOnOnePoolShareItsCopies) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  const ResolvedArch arch = resolve(spec);
  OpDemand fc = weight_op("fc", arch.crossbars / 4, static_cast<std::uint64_t>(arch.crossbars / 4) * 2);
  fc.events.dac_conversions = fc.events.acam_searches = 0;
  fc.output_bits = 0;
  const double crossbar = 2 * kRead;  // two reads of every array of its quarter of the chip
  const std::vector<RacePoolSpec> pools = {{.copies = 4, .first_tile = 0, .tiles = 1}, {.copies = 4, .first_tile = 1, .tiles = 1}};
  const Workload shared{"shared", 1, 2, {fc, function_op("f1", 4000, 4000, 0), function_op("f2", 2000, 2000, 0)}, pools};
  const PerfReport r = evaluate_pipeline(shared, spec);
  ASSERT_EQ(r.segments, 1);
  EXPECT_NEAR(r.ops[1].time, 1e-6, 1e-15);
  EXPECT_NEAR(r.ops[2].time, 0.5e-6, 1e-15);
  EXPECT_NEAR(r.sample_latency, (crossbar + 1.5e-6) / 2 + 1.5e-6 / 2, 1e-15);
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_NEAR(r.stages[0].time, 1.5e-6, 1e-15);
  EXPECT_NEAR(r.throughput, 1 / 1.5e-6, 1e-6 / 1.5e-6);
  const Workload apart{"apart", 1, 2, {fc, function_op("f1", 4000, 4000, 0), function_op("f2", 2000, 2000, 1)}, pools};
  const PerfReport s = evaluate_pipeline(apart, spec);
  EXPECT_NEAR(s.sample_latency, (crossbar + 1.5e-6) / 2 + 1e-6 / 2, 1e-15);
  EXPECT_NEAR(s.stages[0].time, 1e-6, 1e-15);
}

// Operands cross the mesh to the pool's tiles and the results on to the next operator: a pool on
// tiles 40–43 (router 10, at (2, 1) of the 8 × 8 mesh) is 3 routers from tile 0, so 4 router hops
// per flit: 10 operand flits there, 5 result flits back to the weight op on tile 0.
TEST(Pipeline, LookupsReachTheirPoolOverTheMesh) {
  const ArchSpec spec = load_arch(arch_path("raceit"));
  const ResolvedArch arch = resolve(spec);
  OpDemand a = weight_op("a", 10, 10), b = weight_op("b", 10, 10);
  a.tile = b.tile = 0;
  a.output_bits = b.output_bits = 0;
  OpDemand f = function_op("f", 100, 25);
  f.race[0].operand_bits = 2560;  // 10 flits
  f.output_bits = 1280;           // 5 flits
  const PerfReport r = evaluate_pipeline(Workload{"mesh", 1, 1, {a, f, b}, {{.copies = 4, .first_tile = 40, .tiles = 4}}}, spec);
  const auto router = std::find_if(r.by_component.begin(), r.by_component.end(),
                                   [](const ComponentCost& c) { return c.component == "router"; });
  ASSERT_NE(router, r.by_component.end());
  EXPECT_NEAR(router->energy, (10 + 5) * 4 * arch.find("router")->action("hop").energy, 1e-18);
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
  // RACE lookups without arrays placed for them.
  OpDemand unplaced = function_op("f", 10);
  unplaced.race.clear();
  EXPECT_THROW(evaluate_pipeline(Workload{"x", 1, 1, {weight_op("a", 1, 1), unplaced}, one_copy_pools(1)}, spec), Error);
  // A pool the workload does not hold.
  EXPECT_THROW(evaluate_pipeline(Workload{"x", 1, 1, {weight_op("a", 1, 1), function_op("f", 10, 1, 1)}, one_copy_pools(1)}, spec),
               Error);
  EXPECT_THROW(evaluate_pipeline(Workload{"none", 1, 1, {function_op("f", 1)}, one_copy_pools(1)}, spec), Error);
  EXPECT_THROW(evaluate_pipeline(Workload{"empty", 1, 1, {}}, spec), Error);
  EXPECT_THROW(evaluate_pipeline(Workload{"x", 1, 1, {weight_op("a", 1, 1)}}, load_arch(arch_path("h100"))), Error);
}

}  // namespace raceit::perf
