#include "raceit/report/ppa.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "raceit/core/error.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/perf/arch.hpp"

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
  for (const auto& op : p.ops) {
    placed += op.placement.crossbars;
    if (op.engine == Engine::None || op.engine == Engine::Folded || op.engine == Engine::Fused) continue;
    ASSERT_LT(k, w.ops.size());
    const perf::OpDemand& d = w.ops[k++];
    EXPECT_EQ(d.name, op.node);
    EXPECT_EQ(d.events.array_reads, 3 * op.events.array_reads) << op.node;
    EXPECT_EQ(d.events.race_2var_lookups, 3 * op.events.race_2var_lookups) << op.node;
    EXPECT_EQ(d.events.buffer_accesses, 3 * op.events.buffer_accesses) << op.node;
    EXPECT_EQ(d.events.cells_programmed, op.cells_programmed) << op.node;
    EXPECT_EQ(d.output_bits, op.output_elements * 8 * 3) << op.node;
    EXPECT_EQ(d.whole_sequence, op.op == model::OpType::DataMatMul) << op.node;
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
  const compiler::Program p = study.compile(perf::load_arch(perf::arch_path("raceit")));
  EXPECT_EQ(p.calibration.samples, 0);
  EXPECT_EQ(p.calibration.method, "nominal");
  // 768x768: 6 row blocks x 12 columns blocks (2 cells per weight) x 2 sign
  // arrays = 144 arrays, each read once per bit plane (8) of each of the 128
  // rows.
  const auto& q = op_named(p, "layer0.attn.q");
  EXPECT_EQ(q.engine, Engine::Crossbar);
  EXPECT_EQ(q.placement.crossbars, 144);
  EXPECT_EQ(q.events.array_reads, 128u * 8 * 144);
  EXPECT_EQ(q.output_elements, 128 * 768);
  // Q·Kᵀ: 12 heads x 128 x 128 outputs of 64 products, 4 nibble lookups each.
  const auto& scores = op_named(p, "layer0.attn.scores");
  EXPECT_EQ(scores.engine, Engine::AcamDataMatMul);
  EXPECT_EQ(scores.events.race_2var_lookups, 4u * 12 * 128 * 128 * 64);
  // 12 layers of 4 x 144 + 2 x 576 arrays, and the 768x768 pooler.
  std::int64_t crossbars = 0;
  for (const auto& op : p.ops) crossbars += op.placement.crossbars;
  EXPECT_EQ(crossbars, 12 * (4 * 144 + 2 * 576) + 144);
  EXPECT_EQ(p.chips, 1);
  // ReTransformer writes one operand of each attention matmul into crossbars at
  // run time.
  const compiler::Program r = study.compile(perf::load_arch(perf::arch_path("retransformer")));
  EXPECT_EQ(op_named(r, "layer0.attn.scores").engine, Engine::CrossbarWrite);
  EXPECT_GT(op_named(r, "layer0.attn.scores").events.cell_writes, 0u);
  EXPECT_EQ(op_named(r, "layer0.attn.probs").engine, Engine::Digital);
}

// Every preset gives finite, positive figures; a GPU's are its roofline
// estimate.
TEST(CostStudy, EveryPresetIsCosted) {
  const CostStudy& study = bert_base();
  for (const std::string arch : {"raceit", "raceit-adc", "isaac", "puma", "retransformer", "h100", "a100"}) {
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
  const perf::ArchSpec h100 = perf::load_arch(perf::arch_path("h100"));
  const perf::GpuEstimate g = perf::estimate_gpu(study.graph(), h100, {128, 1});
  const Ppa gpu = study.estimate("h100", {}, 1);
  EXPECT_DOUBLE_EQ(gpu.latency, g.latency);
  EXPECT_DOUBLE_EQ(gpu.energy, g.energy);
  EXPECT_EQ(gpu.kind, "gpu");
}

// A batch shares the pipeline: energy per inference stays, throughput does not
// drop, and the batch's latency is the first sample's plus one steady-state
// interval per further sample.
TEST(CostStudy, BatchesPipeline) {
  const CostStudy& study = bert_base();
  const Ppa one = study.estimate("raceit", {}, 1), four = study.estimate("raceit", {}, 4);
  EXPECT_NEAR(four.energy, one.energy, 1e-9 * one.energy);
  EXPECT_GE(four.throughput, one.throughput * (1 - 1e-12));
  EXPECT_NEAR(four.latency, one.latency + 3 / four.throughput, 1e-9 * four.latency);
  // An override reaches the compiled program and the cost model.
  const Ppa slow = study.estimate("raceit", {"components.crossbar.latency=200ns"}, 1);
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
