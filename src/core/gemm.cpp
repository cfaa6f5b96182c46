#include "raceit/core/gemm.hpp"

#include <cblas.h>

#include <cstdlib>
#include <string_view>

#ifdef RACEIT_HAVE_DNNL
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#endif

namespace raceit {

namespace {

// oneDNN where the CPU has AVX-512: Debian's OpenBLAS 0.3.21 runs its AVX2 kernels there (at
// about 44% of peak, against oneDNN's 90–96%). On AVX2 machines OpenBLAS is as fast or faster.
// RACEIT_GEMM=onednn|openblas overrides the choice.
GemmBackend pick_backend() {
#ifdef RACEIT_HAVE_DNNL
  const char* wanted = std::getenv("RACEIT_GEMM");
  if (wanted && std::string_view(wanted) == "openblas") return GemmBackend::OpenBlas;
  if (wanted && std::string_view(wanted) == "onednn") return GemmBackend::OneDnn;
  return __builtin_cpu_supports("avx512f") ? GemmBackend::OneDnn : GemmBackend::OpenBlas;
#else
  return GemmBackend::OpenBlas;
#endif
}

}  // namespace

GemmBackend gemm_backend() {
  static const GemmBackend backend = [] {
    openblas_set_num_threads(1);  // callers parallelise; BLAS threads would only compete
    return pick_backend();
  }();
  return backend;
}

const char* to_string(GemmBackend backend) { return backend == GemmBackend::OneDnn ? "onednn" : "openblas"; }

void sgemm(std::int64_t m, std::int64_t n, std::int64_t k, const GemmOperands& o) {
  if (m == 0 || n == 0) return;
#ifdef RACEIT_HAVE_DNNL
  if (gemm_backend() == GemmBackend::OneDnn) {
    // oneDNN threads through OpenMP: one thread per call, on whichever thread calls.
    thread_local const bool single = (omp_set_num_threads(1), true);
    (void)single;
    dnnl_sgemm(o.transpose_a ? 'T' : 'N', o.transpose_b ? 'T' : 'N', m, n, k, 1.0f, o.a, o.lda, o.b, o.ldb, o.beta, o.c,
               o.ldc);
    return;
  }
#endif
  gemm_backend();
  cblas_sgemm(CblasRowMajor, o.transpose_a ? CblasTrans : CblasNoTrans, o.transpose_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, o.a, static_cast<int>(o.lda), o.b,
              static_cast<int>(o.ldb), o.beta, o.c, static_cast<int>(o.ldc));
}

void dgemm(std::int64_t m, std::int64_t n, std::int64_t k, const double* a, const double* b, double* c) {
  gemm_backend();
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0, a,
              static_cast<int>(k), b, static_cast<int>(n), 0.0, c, static_cast<int>(n));
}

}  // namespace raceit
