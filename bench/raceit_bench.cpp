// The RACE-IT functional executor in frozen and ideal mode against the FP32 executor, on the same model and
// the same inputs (the first 64 test samples), one thread each. tools/bench_ratios.py prints the
// ratio. Configurations: the raceit preset (bit-serial inputs, analog-sliced weights in separate
// arrays: 8 planes × 4 columns, 32 Compute-ACAM conversions per output and row block) and the
// one-read mapping (multi-level inputs, single cells in differential pairs: one conversion).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>

#include "raceit/core/error.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/exec/evaluate.hpp"
#include "raceit/exec/raceit_executor.hpp"

namespace {

using namespace raceit;

struct Workload {
  exec::CompiledModel compiled;
  exec::Samples samples;
};

const std::vector<std::string> kOneRead{"crossbar.dac_bits=8", "mapping.weight_encoding=single", "mapping.weight_sign=differential"};

// Compiled once per (model, mapping); null when the model or its data is not installed.
const Workload* workload(const std::string& model, const std::string& dataset, bool one_read) {
  static std::map<std::string, std::unique_ptr<Workload>> cache;
  const std::string key = model + (one_read ? "/one-read" : "");
  if (const auto it = cache.find(key); it != cache.end()) return it->second.get();
  std::unique_ptr<Workload> w;
  try {
    auto compiled = exec::compile_model({.model = model,
                                          .dataset = dataset,
                                          .overrides = one_read ? kOneRead : std::vector<std::string>{},
                                          .calibration_samples = 32,
                                          .threads = 1});
    auto samples = exec::load_samples(compiled.graph, dataset, exec::Split::Test, 64);
    w = std::make_unique<Workload>(Workload{std::move(compiled), std::move(samples)});
  } catch (const Error&) {
  }
  return (cache[key] = std::move(w)).get();
}

void BM_Fp32(benchmark::State& state, const std::string& model, const std::string& dataset) {
  const Workload* w = workload(model, dataset, false);
  if (!w) return state.SkipWithError((model + " or its data is not installed").c_str());
  const exec::Executor executor(w->compiled.graph, exec::OpTable::fp32(), {1});
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(w->samples.inputs));
  state.SetItemsProcessed(state.iterations() * 64);
}

void BM_RaceitRun(benchmark::State& state, const std::string& model, const std::string& dataset, bool one_read,
                  device::NoiseMode mode) {
  const Workload* w = workload(model, dataset, one_read);
  if (!w) return state.SkipWithError((model + " or its data is not installed").c_str());
  const exec::RaceitExecutor executor(w->compiled.program, w->compiled.graph, {mode, 1, {}, {1}});
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(w->samples.inputs));
  state.SetItemsProcessed(state.iterations() * 64);
}
void BM_RaceitFrozen(benchmark::State& state, const std::string& model, const std::string& dataset, bool one_read) {
  BM_RaceitRun(state, model, dataset, one_read, device::NoiseMode::Frozen);
}
void BM_RaceitIdeal(benchmark::State& state, const std::string& model, const std::string& dataset) {
  BM_RaceitRun(state, model, dataset, false, device::NoiseMode::Ideal);
}

#define RACEIT_MODEL_BENCHMARKS(id, model, dataset)                                                                      \
  BENCHMARK_CAPTURE(BM_Fp32, id, std::string(model), std::string(dataset))->UseRealTime()->Unit(benchmark::kMillisecond); \
  BENCHMARK_CAPTURE(BM_RaceitFrozen, id, std::string(model), std::string(dataset), false)                                 \
      ->UseRealTime()->Unit(benchmark::kMillisecond);                                                                     \
  BENCHMARK_CAPTURE(BM_RaceitIdeal, id, std::string(model), std::string(dataset))->UseRealTime()->Unit(benchmark::kMillisecond); \
  BENCHMARK_CAPTURE(BM_RaceitFrozen, id##_one_read, std::string(model), std::string(dataset), true)                      \
      ->UseRealTime()->Unit(benchmark::kMillisecond)

RACEIT_MODEL_BENCHMARKS(vit_digits, "vit-digits", "digits");
RACEIT_MODEL_BENCHMARKS(vit_fmnist, "vit-fmnist", "fashion-mnist");
RACEIT_MODEL_BENCHMARKS(spam_transformer, "spam-transformer", "spamassassin");

}  // namespace

BENCHMARK_MAIN();
