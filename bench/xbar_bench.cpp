// Crossbar MVM speed: the fast path in frozen mode against a plain float GEMM of the same shape
// (the goal is at most 3x), and against the reference path.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include "raceit/core/rng.hpp"
#include "raceit/xbar/crossbar.hpp"

namespace {

using namespace raceit;
using namespace raceit::xbar;

Matrix gaussian(int rows, int cols, std::uint64_t stream) {
  Matrix m(rows, cols);
  const CounterRng rng(1);
  for (std::size_t k = 0; k < m.data.size(); ++k) m.data[k] = static_cast<float>(rng.normal(stream, k));
  return m;
}

// Named configurations: the default (bit-serial inputs, analog slicing in separate arrays: 8
// planes × 4 conversion columns per output) and a one-read configuration (multi-level inputs,
// single cells in differential pairs).
CrossbarConfig config(int which) {
  CrossbarConfig c;
  c.mode = device::NoiseMode::Frozen;
  if (which == 1) {
    c.inputs = InputScheme::MultiLevel;
    c.encoding = WeightEncoding::Single;
    c.sign = SignScheme::DifferentialPairs;
  }
  return c;
}

void BM_PlainSgemm(benchmark::State& state) {
  const int in = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)), batch = static_cast<int>(state.range(2));
  const Matrix x = gaussian(batch, in, 1), w = gaussian(in, out, 2);
  Matrix y(batch, out);
  openblas_set_num_threads(1);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, out, in, 1.0f, x.data.data(), in, w.data.data(), out,
                0.0f, y.data.data(), out);
    benchmark::DoNotOptimize(y.data.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_CrossbarMvm(benchmark::State& state, MvmPath path) {
  const int in = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)), batch = static_cast<int>(state.range(2));
  const CrossbarConfig c = config(static_cast<int>(state.range(3)));
  const Matrix x = gaussian(batch, in, 1), w = gaussian(out, in, 2);
  const auto xbar = program_crossbar(w, c);
  const auto xq = input_quantiser(x, c);
  for (auto _ : state) benchmark::DoNotOptimize(mvm(xbar, x, xq, path, 1).output.data.data());
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_CrossbarFast(benchmark::State& s) { BM_CrossbarMvm(s, MvmPath::Fast); }
void BM_CrossbarReference(benchmark::State& s) { BM_CrossbarMvm(s, MvmPath::Reference); }

}  // namespace

// Arguments: in, out, batch[, configuration 0 = default, 1 = one-read]. All single-threaded.
BENCHMARK(BM_PlainSgemm)->Args({768, 768, 128})->Args({768, 3072, 128})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CrossbarFast)
    ->Args({768, 768, 128, 0})->Args({768, 3072, 128, 0})->Args({768, 768, 128, 1})->Args({768, 3072, 128, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CrossbarReference)->Args({768, 768, 4, 0})->Args({768, 768, 4, 1})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
