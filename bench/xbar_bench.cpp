// Crossbar MVM speed: the fast path in frozen mode against a plain float GEMM of the same shape
// (the goal is at most 3x), and against the reference path. The GEMM entry point (oneDNN or
// OpenBLAS) and OpenBLAS directly, in FLOP/s against one core's measured FMA peak.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <immintrin.h>

#include "raceit/core/gemm.hpp"
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

void set_flops(benchmark::State& state, double per_iteration) {
  state.counters["flops"] = benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

// Through the project's GEMM entry point (raceit::sgemm: oneDNN when built with it).
void BM_PlainSgemm(benchmark::State& state) {
  const int in = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)), batch = static_cast<int>(state.range(2));
  const Matrix x = gaussian(batch, in, 1), w = gaussian(in, out, 2);
  Matrix y(batch, out);
  for (auto _ : state) {
    sgemm(batch, out, in, {.a = x.data.data(), .lda = in, .b = w.data.data(), .ldb = out, .c = y.data.data(), .ldc = out});
    benchmark::DoNotOptimize(y.data.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(to_string(gemm_backend()));
  set_flops(state, 2.0 * batch * in * out);
}

// OpenBLAS directly, single threaded (its kernels as this machine's OPENBLAS_CORETYPE selects).
void BM_OpenBlasSgemm(benchmark::State& state) {
  const int in = static_cast<int>(state.range(0)), out = static_cast<int>(state.range(1)), batch = static_cast<int>(state.range(2));
  const Matrix x = gaussian(batch, in, 1), w = gaussian(in, out, 2);
  Matrix y(batch, out);
  openblas_set_num_threads(1);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, out, in, 1.0f, x.data.data(), in, w.data.data(), out,
                0.0f, y.data.data(), out);
    benchmark::DoNotOptimize(y.data.data());
  }
  set_flops(state, 2.0 * batch * in * out);
}

// One core's FP32 peak: independent fused multiply-adds on the widest vectors the CPU has
// (16 accumulators hide the FMA latency on two ports). Returns the FLOPs done.
__attribute__((target("avx512f"))) double fma_peak_avx512(long repeats) {
  const __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-3f);
  __m512 acc[16];
  for (auto& a : acc) a = b;
  for (long r = 0; r < repeats; ++r)
    for (auto& a : acc) a = _mm512_fmadd_ps(a, b, c);
  float out[16];
  for (auto& a : acc) {
    _mm512_storeu_ps(out, a);
    benchmark::DoNotOptimize(out[0]);
  }
  return 2.0 * 16 * 16 * static_cast<double>(repeats);
}
__attribute__((target("avx2,fma"))) double fma_peak_avx2(long repeats) {
  const __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f);
  __m256 acc[16];
  for (auto& a : acc) a = b;
  for (long r = 0; r < repeats; ++r)
    for (auto& a : acc) a = _mm256_fmadd_ps(a, b, c);
  float out[8];
  for (auto& a : acc) {
    _mm256_storeu_ps(out, a);
    benchmark::DoNotOptimize(out[0]);
  }
  return 2.0 * 16 * 8 * static_cast<double>(repeats);
}
void BM_CorePeak(benchmark::State& state) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !__builtin_cpu_supports("fma")) return state.SkipWithError("no FMA vector unit");
  constexpr long kRepeats = 1 << 16;
  double flops = 0;
  for (auto _ : state) flops = avx512 ? fma_peak_avx512(kRepeats) : fma_peak_avx2(kRepeats);
  state.SetLabel(avx512 ? "avx512" : "avx2");
  set_flops(state, flops);
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
BENCHMARK(BM_CorePeak)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlainSgemm)->Args({768, 768, 128})->Args({768, 3072, 128})->Args({3072, 768, 512})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OpenBlasSgemm)->Args({768, 768, 128})->Args({768, 3072, 128})->Args({3072, 768, 512})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CrossbarFast)
    ->Args({768, 768, 128, 0})->Args({768, 3072, 128, 0})->Args({768, 768, 128, 1})->Args({768, 3072, 128, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CrossbarReference)->Args({768, 768, 4, 0})->Args({768, 768, 4, 1})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
