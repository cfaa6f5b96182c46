// FP32 executor throughput on the shipped models (samples/s and GMAC/s in the counters; the
// argument is the thread count).
#include <benchmark/benchmark.h>

#include <filesystem>

#include "raceit/core/npy.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/statistics.hpp"
#include "raceit/model/use_lite.hpp"
#include "raceit/model/zoo.hpp"

namespace {

using namespace raceit;

// `batch` copies of the model's first golden sample.
Tensor repeat_first(const Tensor& t, std::int64_t batch) {
  std::vector<Tensor> rows(static_cast<std::size_t>(batch), exec::slice_batch(t, 0, 1));
  return exec::concat_batch(rows);
}

void run(benchmark::State& state, const model::Graph& graph, const std::map<std::string, Tensor>& inputs, std::int64_t batch) {
  const exec::Executor executor(graph, exec::OpTable::fp32(), {static_cast<int>(state.range(0))});
  const auto macs = model::graph_statistics(graph).total_macs();
  for (auto _ : state) benchmark::DoNotOptimize(executor.run(inputs));
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(batch * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GMAC/s"] =
      benchmark::Counter(1e-9 * static_cast<double>(macs * batch * state.iterations()), benchmark::Counter::kIsRate);
}

void BM_ShippedModel(benchmark::State& state, const std::string& name, std::int64_t batch) {
  const std::string dir = model::default_data_paths().models_dir + "/" + name;
  if (!std::filesystem::exists(dir + "/model.onnx")) {
    state.SkipWithError((dir + "/model.onnx missing").c_str());
    return;
  }
  const auto graph = model::load_model(name);
  run(state, graph, {{graph.inputs[0], repeat_first(read_npy(dir + "/golden_input.npy"), batch)}}, batch);
}

void BM_UseLite(benchmark::State& state) {
  const auto paths = model::default_data_paths();
  if (!std::filesystem::exists(paths.use_lite_dir() + "/model.json")) {
    state.SkipWithError("USE-lite package missing: run make setup");
    return;
  }
  const auto graph = model::build_use_lite(paths.use_lite_dir());
  // 64 copies of a 128-token sequence (the first golden email, which fills the window).
  const std::int64_t batch = 64;
  Tensor ids(DType::Int64, {batch, 128}), mask(DType::Float32, {batch, 128});
  for (std::int64_t i = 0; i < ids.size(); ++i) {
    ids.ints()[i] = 100 + i % 128;
    mask.floats()[i] = 1.0f;
  }
  run(state, graph, {{"ids", ids}, {"mask", mask}}, batch);
}

BENCHMARK_CAPTURE(BM_ShippedModel, vit_digits, std::string("vit-digits"), 256)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ShippedModel, vit_fmnist, std::string("vit-fmnist"), 256)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ShippedModel, spam_transformer, std::string("spam-transformer"), 64)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UseLite)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
