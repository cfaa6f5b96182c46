// The cost model on BERT-base (128 tokens, batch 1): evaluating a compiled program (goal < 10 ms),
// and the sweep rate for a cost parameter (re-read the architecture, re-price the program) and for
// a mapping parameter (re-read, re-compile from the cached shapes, re-price). The reference in the
// same run is what is done once per model: loading BERT-base and resolving its shapes.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "raceit/compiler/compile.hpp"
#include "raceit/model/shape_inference.hpp"
#include "raceit/model/zoo.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/report/ppa.hpp"

namespace {

using namespace raceit;

const report::CostStudy& bert() {
  static const report::CostStudy study("bert-base", {});
  return study;
}

const compiler::Program& program() {
  static const compiler::Program p = bert().compile(compiler::load_arch(arch::arch_path("raceit")));
  return p;
}

void BM_LoadAndResolveShapes(benchmark::State& state) {
  for (auto _ : state) {
    const model::Graph g = model::load_model("bert-base");
    benchmark::DoNotOptimize(model::resolve_sample_shapes(g, 128));
  }
}
BENCHMARK(BM_LoadAndResolveShapes)->Unit(benchmark::kMillisecond);

// Program → workload → layer-pipelined model, priced on an already loaded architecture.
void BM_EvaluateBertBase(benchmark::State& state) {
  const arch::ArchSpec spec = compiler::load_arch(arch::arch_path("raceit"));
  program();  // compiled once, outside the timing
  for (auto _ : state) benchmark::DoNotOptimize(bert().estimate(program(), spec, 1));
}
BENCHMARK(BM_EvaluateBertBase)->Unit(benchmark::kMillisecond);

// One design point of a cost sweep: the crossbar read latency changes, the mapping does not.
void BM_SweepPointCost(benchmark::State& state) {
  program();
  int i = 0;
  for (auto _ : state) {
    const arch::ArchSpec spec =
        compiler::load_arch(arch::arch_path("raceit"), {fmt::format("components.crossbar.latency={}ns", 10 + (i++ % 91))});
    benchmark::DoNotOptimize(bert().estimate(program(), spec, 1));
  }
}
BENCHMARK(BM_SweepPointCost)->Unit(benchmark::kMillisecond);

// One design point of a mapping sweep: RACE units per tile change the placement, so it compiles again.
void BM_SweepPointMapping(benchmark::State& state) {
  bert();  // the shapes are resolved once per model
  int i = 0;
  for (auto _ : state) {
    const arch::ArchSpec spec =
        compiler::load_arch(arch::arch_path("raceit"), {fmt::format("tile.race_units={}", 1 + (i++ % 4))});
    benchmark::DoNotOptimize(bert().estimate(bert().compile(spec), spec, 1));
  }
}
BENCHMARK(BM_SweepPointMapping)->Unit(benchmark::kMillisecond);

// The whole of `raceit ppa --model llama-3.2-3b --seq N`: build the shape-only graph, resolve its
// shapes, compile with nominal ranges, price. Shape inference by rules keeps it nearly flat in N.
void BM_PpaLlama3b(benchmark::State& state) {
  for (auto _ : state) {
    const report::CostStudy study("llama-3.2-3b", {.dataset = "", .sequence_length = state.range(0)});
    benchmark::DoNotOptimize(study.estimate("raceit", {}, 1));
  }
}
BENCHMARK(BM_PpaLlama3b)->Arg(128)->Arg(8192)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
