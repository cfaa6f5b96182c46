#include "raceit/report/ppa.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "raceit/compiler/place.hpp"
#include "raceit/core/error.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/core/units.hpp"
#include "raceit/arch/arch.hpp"

namespace raceit::report {

namespace {

using compiler::Engine;

const CostStudy& bert_base() {
  static const CostStudy study("bert-base", {});
  return study;
}

const compiler::LoweredOp& op_named(const compiler::Program& p, const std::string& node) {
  for (const auto& op : p.ops)
    if (op.node == node) return op;
  throw Error(ErrorKind::Internal, "no op " + node);
}

}  // namespace

// The adapter scales per-sample events by the batch, keeps programming once,
// takes crossbars from the placement and output bits from the output elements,
// and drops operators that cost nothing.
TEST(Workload, FromACalibratedProgram) {
  exec::CompileRequest request;
  request.model = "vit-digits";
  request.calibration_samples = 4;
  const compiler::Program p = exec::compile_model(request).program;
  const perf::Workload w = workload_of(p, 3, 17);
  EXPECT_EQ(w.batch, 3);
  EXPECT_EQ(w.tokens, 17);
  std::size_t k = 0;
  std::int64_t crossbars = 0, placed = 0;
  int data_matmuls = 0;
  for (const auto& op : p.ops) {
    placed += op.placement.crossbars;
    if (op.engine() == Engine::None || op.engine() == Engine::Folded || op.engine() == Engine::Fused) continue;
    ASSERT_LT(k, w.ops.size());
    const perf::OpDemand& d = w.ops[k++];
    EXPECT_EQ(d.name, op.node);
    EXPECT_EQ(d.events.array_reads, 3 * op.events.array_reads) << op.node;
    // A lookup searches every array of its program's copy.
    std::uint64_t searches = 0;
    for (const auto& program : compiler::race_demand(op, {8, 50}))
      if (program.two_var) searches += program.lookups * static_cast<std::uint64_t>(program.arrays);
    EXPECT_EQ(d.events.race_2var_lookups, 3 * searches) << op.node;
    EXPECT_EQ(d.events.buffer_accesses, 3 * op.events.buffer_accesses) << op.node;
    EXPECT_EQ(d.events.cells_programmed, op.cells_programmed) << op.node;
    EXPECT_EQ(d.output_bits, op.output_elements * 8 * 3) << op.node;
    // Q·Kᵀ, the first data matmul after a weight matmul, waits for the sequence; softmax·V does not.
    if (op.placement.crossbars > 0) data_matmuls = 0;
    EXPECT_EQ(d.whole_sequence, op.op == model::OpType::DataMatMul && data_matmuls == 0) << op.node;
    if (op.op == model::OpType::DataMatMul) ++data_matmuls;
    crossbars += d.crossbars;
  }
  EXPECT_EQ(k, w.ops.size());
  EXPECT_EQ(crossbars, placed);
  EXPECT_EQ(crossbars, 24);
  EXPECT_THROW(workload_of(p, 0, 17), Error);
}

// BERT-base has no weights: it compiles with nominal ranges, and its events
// follow from the shapes alone (hand-derived for 128 tokens on 128x128 arrays,
// analog slicing, separate sign arrays).
TEST(CostStudy, BertBaseCompilesFromShapes) {
  const CostStudy& study = bert_base();
  EXPECT_EQ(study.tokens(), 128);
  const compiler::Program p = study.compile(compiler::load_arch(arch::arch_path("raceit")));
  EXPECT_EQ(p.calibration.samples, 0);
  EXPECT_EQ(p.calibration.method, "nominal");
  // 768x768: 6 row blocks x 12 columns blocks (2 cells per weight) x 2 sign
  // arrays = 144 arrays, each read once per bit plane (8) of each of the 128
  // rows.
  const auto& q = op_named(p, "layer0.attn.q");
  EXPECT_EQ(q.engine(), Engine::Crossbar);
  EXPECT_EQ(q.placement.crossbars, 144);
  EXPECT_EQ(q.events.array_reads, 128u * 8 * 144);
  EXPECT_EQ(q.output_elements, 128 * 768);
  // Q·Kᵀ: 12 heads x 128 x 128 outputs of 64 products, 4 nibble lookups each.
  const auto& scores = op_named(p, "layer0.attn.scores");
  EXPECT_EQ(scores.engine(), Engine::AcamDataMatMul);
  EXPECT_EQ(scores.events.race_2var_lookups, 4u * 12 * 128 * 128 * 64);
  // 12 layers of 4 x 144 + 2 x 576 arrays, and the 768x768 pooler.
  std::int64_t crossbars = 0;
  for (const auto& op : p.ops) crossbars += op.placement.crossbars;
  EXPECT_EQ(crossbars, 12 * (4 * 144 + 2 * 576) + 144);
  EXPECT_EQ(p.chips, 1);
  // ReTransformer writes one operand of each attention matmul into crossbars at
  // run time.
  const compiler::Program r = study.compile(compiler::load_arch(arch::arch_path("retransformer")));
  EXPECT_EQ(op_named(r, "layer0.attn.scores").engine(), Engine::CrossbarWrite);
  EXPECT_GT(op_named(r, "layer0.attn.scores").events.cell_writes, 0u);
  EXPECT_EQ(op_named(r, "layer0.attn.probs").engine(), Engine::Digital);
}

// Every preset gives finite, positive figures; a GPU's are its roofline
// estimate.
TEST(CostStudy, EveryPresetIsCosted) {
  const CostStudy& study = bert_base();
  for (const std::string arch : {"raceit", "raceit-nldpe", "raceit-adc", "isaac", "puma", "retransformer", "h100", "a100"}) {
    const Ppa r = study.estimate(arch, {}, 1);
    EXPECT_EQ(r.arch, arch);
    for (double v : {r.latency, r.throughput, r.energy, r.power, r.area})
      EXPECT_TRUE(std::isfinite(v) && v > 0) << arch;
    EXPECT_GE(r.chips, 1) << arch;
    EXPECT_FALSE(r.assumptions.empty()) << arch;
    double components = 0;
    for (const auto& c : r.by_component) components += c.energy;
    EXPECT_NEAR(components, r.energy, 1e-9 * r.energy) << arch;
  }
  const arch::ArchSpec h100 = compiler::load_arch(arch::arch_path("h100"));
  const perf::GpuEstimate g = perf::estimate_gpu(study.graph(), h100, {.sequence_length = 128, .batch = 1});
  const Ppa gpu = study.estimate("h100", {}, 1);
  EXPECT_DOUBLE_EQ(gpu.latency, g.latency);
  EXPECT_DOUBLE_EQ(gpu.energy, g.energy);
  EXPECT_EQ(gpu.kind, "gpu");
}

// A batch shares the pipeline: energy per inference stays (but for the data matmuls' operands,
// which a pool tile reuses over a larger block of outputs: 1/√4 of the traffic per inference),
// throughput does not drop, and the batch's latency is the first sample's plus one steady-state
// interval per further sample.
TEST(CostStudy, BatchesPipeline) {
  const CostStudy& study = bert_base();
  const Ppa one = study.estimate("raceit", {}, 1), four = study.estimate("raceit", {}, 4);
  EXPECT_LT(four.energy, one.energy);
  EXPECT_NEAR(four.energy, one.energy, 0.02 * one.energy);
  const auto without_traffic = [](const Ppa& r) {
    double e = 0;
    for (const auto& c : r.by_component)
      if (c.component != "router" && c.component != "leakage") e += c.energy;
    return e;
  };
  EXPECT_NEAR(without_traffic(four), without_traffic(one), 1e-9 * one.energy);
  EXPECT_GE(four.throughput, one.throughput * (1 - 1e-12));
  // (to 1e-6: each program copy's lookups are whole, rounded up per batch)
  EXPECT_NEAR(four.latency, one.latency + 3 / four.throughput, 1e-6 * four.latency);
  // An override reaches the compiled program and the cost model.
  const Ppa slow = study.estimate("raceit", {"components.acam.latency=4ns"}, 1);
  EXPECT_GT(slow.latency, one.latency);
}

TEST(CostStudy, JsonHasTheDocumentedKeys) {
  const Ppa r = bert_base().estimate("raceit", {}, 1);
  const nlohmann::json j = to_json(r);
  for (const char* key :
       {"latency_s", "throughput_inf_per_s", "energy_j", "power_w", "area_mm2", "chips", "breakdown", "assumptions"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["breakdown"].contains("by_component"));
  EXPECT_TRUE(j["breakdown"].contains("by_op"));
  // Per layer: the embeddings, twelve encoder layers, the pooler; every operator counted once.
  const auto& layers = j["breakdown"]["by_layer"];
  ASSERT_EQ(layers.size(), 14u);
  EXPECT_EQ(layers[0]["layer"], "input");
  EXPECT_EQ(layers[1]["layer"], "layer0");
  EXPECT_EQ(layers[12]["layer"], "layer11");
  EXPECT_EQ(layers[13]["layer"], "output");
  int ops = 0;
  double energy = 0, op_energy = 0;
  for (const auto& l : layers) {
    ops += l["ops"].get<int>();
    energy += l["energy_j"].get<double>();
  }
  for (const auto& op : r.by_op) op_energy += op.energy;
  EXPECT_EQ(ops, static_cast<int>(r.by_op.size()));
  EXPECT_NEAR(energy, op_energy, 1e-12 * op_energy);
  EXPECT_DOUBLE_EQ(j["area_mm2"].get<double>(), r.area * 1e6);
  const Ppa gpu = bert_base().estimate("h100", {}, 1);
  const nlohmann::json c = comparison_json({r, gpu});
  EXPECT_EQ(c["reference"], "raceit");
  EXPECT_DOUBLE_EQ(c["archs"][0]["speedup"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(c["archs"][1]["speedup"].get<double>(), gpu.latency / r.latency);
  EXPECT_DOUBLE_EQ(c["archs"][1]["energy_ratio"].get<double>(), gpu.energy / r.energy);
}

// The schedule of BERT-base: 13 segments, one per Q·Kᵀ (softmax·V streams: row i of the context
// needs row i of the probabilities, and V is complete with K) plus the first.
TEST(CostStudy, BertBaseHasThirteenSegments) {
  const compiler::Program p = bert_base().compile(compiler::load_arch(arch::arch_path("raceit")));
  const perf::PerfReport r = perf::evaluate_pipeline(workload_of(p, 1, 128), compiler::load_arch(arch::arch_path("raceit")));
  EXPECT_EQ(r.segments, 13);
  for (const auto& op : r.ops) {
    if (op.name == "layer3.attn.scores" || op.name == "layer3.attn.context") {
      EXPECT_EQ(op.segment, 4) << op.name;
    }
  }
}

// RACE arrays: operators whose programs hold the same cells share one pool of copies (BERT's
// nibble multiply serves every attention, softmax and norm), the spare arrays on the chip copies of
// the pool with the most lookups per copy; a lookup is priced by the arrays its program occupies
// (the 4×4-bit multiply needs 64 > 50 cells for its low bits: two arrays).
TEST(CostStudy, RaceArraysArePooledByProgramAndPricedPerArray) {
  const arch::ArchSpec spec = compiler::load_arch(arch::arch_path("raceit"));
  const compiler::Program p = bert_base().compile(spec);
  const auto& scores = op_named(p, "layer0.attn.scores");
  const auto demand = compiler::race_demand(scores, {8, 50});
  ASSERT_EQ(demand.size(), 1u);
  EXPECT_EQ(demand[0].arrays, 2);
  EXPECT_TRUE(demand[0].two_var);
  EXPECT_EQ(demand[0].lookups, scores.events.race_2var_lookups);
  ASSERT_EQ(scores.placement.race_pools.size(), 1u);
  const int multiply = scores.placement.race_pools[0];
  // Every 2-var program is the same multiply, in the same pool, which carries all their lookups.
  std::vector<std::uint64_t> lookups(p.race_pools.size(), 0);
  for (const auto& op : p.ops) {
    const auto programs = compiler::race_demand(op, {8, 50});
    ASSERT_EQ(op.placement.race_pools.size(), programs.size()) << op.node;
    for (std::size_t k = 0; k < programs.size(); ++k) {
      if (programs[k].two_var) {
        EXPECT_EQ(op.placement.race_pools[k], multiply) << op.node;
      }
      lookups.at(static_cast<std::size_t>(op.placement.race_pools[k])) += programs[k].lookups;
    }
  }
  // The pools hold the chip's 1024 arrays but for fewer than the busiest pool's next copy needs.
  int held = 0, largest = 0;
  double slowest = 0;
  for (std::size_t k = 0; k < p.race_pools.size(); ++k) {
    const compiler::RacePool& pool = p.race_pools[k];
    EXPECT_EQ(pool.lookups, lookups[k]);
    held += pool.arrays * pool.copies;
    if (static_cast<double>(pool.lookups) / pool.copies > slowest) {
      slowest = static_cast<double>(pool.lookups) / pool.copies;
      largest = pool.arrays;
    }
  }
  EXPECT_LE(held, 1024);
  EXPECT_GT(held + largest, 1024);
  // The workload: 2-var searches = lookups × 2 arrays, on the multiply pool's copies. The
  // operands: each of the pool's T tiles computes a square block of the 12 × 128 × 128 scores, so
  // receives √(196608 / T) rows of Q and columns of Kᵀ of 64 bytes: 2 · 64 · √(196608 · T) bytes.
  const perf::Workload w = workload_of(p, 1, 128);
  const auto d = std::find_if(w.ops.begin(), w.ops.end(), [](const perf::OpDemand& o) { return o.name == "layer0.attn.scores"; });
  ASSERT_NE(d, w.ops.end());
  EXPECT_EQ(d->events.race_2var_lookups, 2 * scores.events.race_2var_lookups);
  ASSERT_EQ(d->race.size(), 1u);
  EXPECT_EQ(d->race[0].pool, multiply);
  EXPECT_EQ(d->race[0].lookups, static_cast<std::int64_t>(scores.events.race_2var_lookups));
  const int tiles = p.race_pools[static_cast<std::size_t>(multiply)].tiles;
  EXPECT_GT(tiles, 200);
  EXPECT_EQ(d->race[0].operand_bits, 8 * static_cast<std::int64_t>(std::ceil(2 * 64 * std::sqrt(196608.0 * tiles))));
  EXPECT_EQ(w.race_pools.at(static_cast<std::size_t>(multiply)).copies, p.race_pools[static_cast<std::size_t>(multiply)].copies);
  // Without replication each pool has one copy; with a pool per operator (no sharing) attention
  // has a fraction of the arrays: both far slower.
  const compiler::Program single = bert_base().compile(compiler::load_arch(arch::arch_path("raceit"), {"mapping.race_replication=off"}));
  for (const auto& pool : single.race_pools) EXPECT_EQ(pool.copies, 1);
  const double shared = bert_base().estimate(p, spec, 1).latency;
  EXPECT_GT(bert_base().estimate(single, spec, 1).latency, 10 * shared);
  const arch::ArchSpec apart = compiler::load_arch(arch::arch_path("raceit"), {"mapping.race_sharing=operator"});
  const compiler::Program own = bert_base().compile(apart);
  EXPECT_GT(own.race_pools.size(), 24u);
  EXPECT_NE(op_named(own, "layer0.attn.scores").placement.race_pools, op_named(own, "layer0.attn.context").placement.race_pools);
  EXPECT_GT(bert_base().estimate(own, apart, 1).latency, 5 * shared);
}

// Rewriting the RACE arrays at run time (an option): each of the 13 segments first writes every
// array's 8 × 50 cells, two thresholds each, at 1.29 pJ per RRAM device and 7.2 ns per cell
// position; its operators then share all 1,024 arrays.
TEST(CostStudy, RaceReprogrammingIsAnOptionThatPricesTheWrites) {
  const Ppa fixed = bert_base().estimate("raceit", {}, 1);
  const Ppa rewritten = bert_base().estimate("raceit", {"mapping.race_reprogram=on"}, 1);
  EXPECT_LT(rewritten.latency, fixed.latency);
  EXPECT_NEAR(rewritten.energy - fixed.energy, 13 * 1024 * 8 * 50 * 2 * 1.29e-12, 1e-6 * fixed.energy);
  const compiler::Program p = bert_base().compile(compiler::load_arch(arch::arch_path("raceit"), {"mapping.race_reprogram=on"}));
  const perf::PerfReport r =
      perf::evaluate_pipeline(workload_of(p, 1, 128), compiler::load_arch(arch::arch_path("raceit"), {"mapping.race_reprogram=on"}));
  EXPECT_NEAR(r.reprogramming_energy, 13 * 1024 * 8 * 50 * 2 * 1.29e-12, 1e-15);
}

// Every entry of `assumptions` moves the result: each key, perturbed (numbers ×3, a zero to a
// small value, words to another choice), changes latency, throughput, energy, area, chips or the
// weights' programming energy.
TEST(CostStudy, EveryAssumptionChangesTheResult) {
  const CostStudy& study = bert_base();
  for (const std::string arch : {"raceit", "raceit-nldpe", "h100"}) {
    const Ppa base = study.estimate(arch, {}, 1);
    const auto spec = compiler::load_arch(arch::arch_path(arch));
    ASSERT_GT(base.assumptions.size(), 5u) << arch;
    for (const arch::Assumption& a : base.assumptions) {
      const ParamValue& v = spec.params.value(a.key);
      const auto& specs = spec.params.specs();
      const auto key_spec = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == a.key; });
      ASSERT_NE(key_spec, specs.end()) << a.key;
      // Candidates in order; the first the design accepts is used.
      std::vector<std::string> candidates;
      if (!key_spec->choices.empty()) {
        for (const auto& choice : key_spec->choices)
          if (choice != v.text) candidates.push_back(choice);
      } else if (key_spec->dimension == Dimension::Dimensionless && v.number == std::round(v.number)) {
        for (double c : {v.number + 1, v.number - 1, 2 * v.number, 8 * v.number})
          if (c >= 0) candidates.push_back(fmt::format("{}", c));
      } else {
        const std::string unit = key_spec->dimension == Dimension::Dimensionless ? "" : base_unit(key_spec->dimension);
        for (double c : {v.number == 0 ? 1e-3 : 3 * v.number, v.number / 3}) candidates.push_back(fmt::format("{}{}", c, unit));
      }
      Ppa moved;
      std::string changed, errors;
      for (const auto& c : candidates) {
        try {
          moved = study.estimate(arch, {a.key + "=" + c}, 1);
          changed = c;
          break;
        } catch (const Error& e) {
          errors += std::string(" ") + e.what();
        }
      }
      if (changed.empty()) {
        ADD_FAILURE() << arch << ": no accepted perturbation of " << a.key << ":" << errors;
        continue;
      }
      const bool differs = moved.latency != base.latency || moved.throughput != base.throughput ||
                           moved.energy != base.energy || moved.area != base.area || moved.chips != base.chips ||
                           moved.programming_energy != base.programming_energy;
      EXPECT_TRUE(differs) << arch << ": " << a.key << " " << v.text << " -> " << changed << " changes nothing";
    }
  }
  // The JSON keeps them machine-readable.
  const nlohmann::json j = to_json(study.estimate("raceit", {}, 1));
  ASSERT_TRUE(j["assumptions"].is_array());
  EXPECT_TRUE(j["assumptions"][0].contains("key"));
  EXPECT_TRUE(j["assumptions"][0].contains("value"));
  EXPECT_TRUE(j["assumptions"][0].contains("source"));
}

// llama-3.2-1b's chips, by hand. 128 × 128 arrays, 4 cells per weight (analog slice × separate
// signs): q 2048 × 2048 → 16 · 16 · 4 = 1,024 arrays, k and v 2048 × 512 → 256 each, out 1,024,
// gate and up 2048 × 8192 → 4,096 each, down 4,096: 14,848 per layer; the tied LM head
// 2048 × 128,256 → 16 · 1,002 · 4 = 64,128. A chip holds 256 tiles × 96 = 24,576. Packed in order,
// a matmul that does not fit what is left starts the next chip: chip 0 = layer 0 + layer 1's q..gate
// (21,504), chip 1 = layer 1's up, down + layer 2 + layer 3's q, k, v (24,576), chip 2 from layer
// 3's out, … chip 10 = layer 15's gate, up, down; the LM head spans chips 11-13 (2.61 chips): 14.
// Layer 3's attention follows its v, so it runs on chip 1, with layer 2's, on chip 1's RACE pools.
TEST(CostStudy, Llama1bChipAssignmentByHand) {
  const arch::ArchSpec spec = compiler::load_arch(arch::arch_path("raceit"));
  const CostStudy study("llama-3.2-1b", {});
  const compiler::Program p = study.compile(spec);
  const std::vector<std::pair<std::string, int>> chip_starts = {
      {"layer0.attn.q", 0},    {"layer1.ffn.up", 1},     {"layer3.attn.out", 2}, {"layer4.ffn.down", 3},
      {"layer6.ffn.gate", 4},  {"layer7.ffn.down", 5},   {"layer9.ffn.gate", 6}, {"layer10.ffn.down", 7},
      {"layer12.ffn.gate", 8}, {"layer13.ffn.down", 9}, {"layer15.ffn.gate", 10}, {"lm_head", 11}};
  int chip = 0, weight_ops = 0;  // leading weight-free operators join the first stage
  std::vector<int> held(14, 0);
  for (const auto& op : p.ops) {
    if (op.placement.crossbars > 0) {
      ++weight_ops;
      for (const auto& [name, c] : chip_starts)
        if (op.node == name) chip = c;
      EXPECT_EQ(op.placement.first_tile / 256, chip) << op.node;
    }
    // Every lookup stays on the chip of the matmul before it.
    for (const int k : op.placement.race_pools) {
      const compiler::RacePool& pool = p.race_pools.at(static_cast<std::size_t>(k));
      EXPECT_EQ(pool.first_tile / 256, chip) << op.node;
      EXPECT_EQ((pool.first_tile + pool.tiles - 1) / 256, chip) << op.node;
    }
  }
  EXPECT_EQ(weight_ops, 16 * 7 + 1);
  EXPECT_EQ(op_named(p, "lm_head").placement.crossbars, 64128);
  EXPECT_EQ(p.chips, 14);
  EXPECT_EQ(study.estimate(p, spec, 1).chips, 14);
  // Layers 0 and 1 share chip 0's multiply pool; layers 2 and 3 chip 1's.
  const auto pools = [&](const std::string& node) { return op_named(p, node).placement.race_pools; };
  EXPECT_EQ(pools("layer0.attn.scores"), pools("layer1.attn.scores"));
  EXPECT_EQ(pools("layer2.attn.scores"), pools("layer3.attn.scores"));
  EXPECT_NE(pools("layer1.attn.scores"), pools("layer2.attn.scores"));
  // A chip's pools fit its 256 × 4 RACE arrays.
  for (const compiler::RacePool& pool : p.race_pools)
    if (pool.tiles > 0) held.at(static_cast<std::size_t>(pool.first_tile / 256)) += pool.arrays * pool.copies;
  for (std::size_t c = 0; c < held.size(); ++c) EXPECT_LE(held[c], 1024) << "chip " << c;
  EXPECT_GT(held[0], 1000);
  EXPECT_EQ(held[11], 0);  // the LM head's chips look nothing up
}

// mapping.chips: a system of N chips runs floor(N / the model's chips) copies of its pipeline on
// independent inputs. GPT-2 needs 2 chips; 5 give 2 copies (one chip idle): the throughput
// doubles, a sample's latency and energy stay, the area is 5 chips'.
TEST(CostStudy, SystemChipsRunCopiesOfThePipeline) {
  const CostStudy study("gpt2", {});
  const Ppa one = study.estimate("raceit", {}, 1);
  const Ppa five = study.estimate("raceit", {"mapping.chips=5"}, 1);
  EXPECT_EQ(one.chips, 2);
  EXPECT_EQ(one.system_chips, 2);
  EXPECT_EQ(one.copies, 1);
  EXPECT_EQ(five.chips, 2);
  EXPECT_EQ(five.system_chips, 5);
  EXPECT_EQ(five.copies, 2);
  EXPECT_NEAR(five.throughput, 2 * one.throughput, 1e-12 * one.throughput);
  EXPECT_DOUBLE_EQ(five.latency, one.latency);
  EXPECT_NEAR(five.energy, one.energy, 1e-12 * one.energy);  // raceit's components leak nothing
  EXPECT_NEAR(five.area, 2.5 * one.area, 1e-12 * one.area);
  try {
    study.estimate("raceit", {"mapping.chips=1"}, 1);
    ADD_FAILURE() << "a system smaller than the model";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Config);
    EXPECT_NE(std::string(e.what()).find("needs 2 chips"), std::string::npos) << e.what();
  }
}

TEST(CostStudy, BadRequestsAreClearErrors) {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CostStudy::Options seq, data;
  seq.sequence_length = 64;
  data.dataset = "digits";
  EXPECT_NE(message([&] { CostStudy("vit-digits", seq); }).find("sequence length comes from its data set"),
            std::string::npos);
  EXPECT_NE(message([&] { CostStudy("bert-base", data); }).find("without weights"), std::string::npos);
  EXPECT_NE(message([] {
              bert_base().estimate("raceit", {"mapping.softmaks=acam"}, 1);
            }).find("unknown key 'mapping.softmaks'"),
            std::string::npos);
  EXPECT_NE(message([] { bert_base().estimate("no-such-arch", {}, 1); }).find("no-such-arch"), std::string::npos);
  EXPECT_NE(message([] { bert_base().estimate("raceit", {}, 0); }).find("batch"), std::string::npos);
}

}  // namespace raceit::report
