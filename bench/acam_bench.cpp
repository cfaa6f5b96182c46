// Compute-ACAM compiler and lookup speed: compile time of every built-in function (8-bit) and of
// the 2-var nibble multiply, and the rate of real-valued lookups through a frozen (noisy)
// realisation, FrozenAcam's breakpoint search against the brute-force scan of every range.
#include <benchmark/benchmark.h>

#include <string>

#include "raceit/acam/frozen.hpp"
#include "raceit/acam/multiply.hpp"
#include "raceit/core/rng.hpp"

namespace raceit::acam {
namespace {

AcamProgram compile_builtin(const BuiltinFunction& b) {
  return compile_1var(resolve_function(b.name), {8, b.range}, {8, b.out_range, OutputEncoding::Gray});
}

void compile_one_var(benchmark::State& state, const BuiltinFunction* b) {
  const AcamFunction f = resolve_function(b->name);
  for (auto _ : state) benchmark::DoNotOptimize(compile_1var(f, {8, b->range}, {8, b->out_range}));
}

void compile_nibble_multiply(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(compile_nibble_product());
}

// A frozen realisation of a built-in under the default TaOx preset, and real-valued inputs
// spread over the code window.
struct FrozenCase {
  AcamProgram program;
  AcamCells cells;
  std::vector<double> inputs;

  explicit FrozenCase(const char* name)
      : program(compile_builtin(*find_builtin(name))),
        cells(realise(program,
                      device::load_device_preset(device::default_device_preset_path()), 1)) {
    const CounterRng rng(7);
    for (int i = 0; i < 4096; ++i) inputs.push_back(-0.5 + 256.0 * rng.uniform(streams::kData, i));
  }
};

void frozen_lookup(benchmark::State& state, const char* name) {
  const FrozenCase c(name);
  const FrozenAcam frozen(c.program, c.cells);
  for (auto _ : state)
    for (double x : c.inputs) benchmark::DoNotOptimize(frozen.lookup(x));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c.inputs.size()));
  state.counters["breakpoints"] = static_cast<double>(frozen.breakpoints().size());
}

void range_scan(benchmark::State& state, const char* name) {
  const FrozenCase c(name);
  for (auto _ : state)
    for (double x : c.inputs) benchmark::DoNotOptimize(scan_cells(c.program, c.cells, x));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c.inputs.size()));
  state.counters["ranges"] = c.cells.total();
}

// What one seed of frozen evaluation costs before any lookup: realising every threshold and
// building the breakpoints.
void realise_and_build(benchmark::State& state, const char* name) {
  const AcamProgram program = compile_builtin(*find_builtin(name));
  const auto model = device::load_device_preset(device::default_device_preset_path());
  std::uint64_t seed = 0;
  for (auto _ : state) benchmark::DoNotOptimize(FrozenAcam(program, realise(program, model, ++seed)));
}

}  // namespace
}  // namespace raceit::acam

int main(int argc, char** argv) {
  using namespace raceit::acam;
  for (const auto& b : builtin_functions())
    if (resolve_function(b.name).vars() == 1)
      benchmark::RegisterBenchmark(("compile_1var/" + std::string(b.name)).c_str(), compile_one_var, &b);
  benchmark::RegisterBenchmark("compile_2var/nibble_mul", compile_nibble_multiply);
  for (const char* name : {"identity", "gelu"}) {
    benchmark::RegisterBenchmark(("frozen_lookup/" + std::string(name)).c_str(), frozen_lookup, name);
    benchmark::RegisterBenchmark(("range_scan/" + std::string(name)).c_str(), range_scan, name);
    benchmark::RegisterBenchmark(("realise_and_build/" + std::string(name)).c_str(), realise_and_build, name);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
