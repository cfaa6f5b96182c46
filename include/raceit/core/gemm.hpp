#pragma once
// The project's one GEMM entry point, picked at run time (once, at the first call): oneDNN's
// sgemm when raceit is built with oneDNN and the CPU has AVX-512, OpenBLAS otherwise;
// RACEIT_GEMM=onednn|openblas in the environment overrides the choice. Every call is single
// threaded: callers parallelise over independent blocks, so a result never depends on the
// thread count. Integer-valued operands (ideal-mode bit planes) give exact results on either.
#include <cstdint>

namespace raceit {

enum class GemmBackend { OneDnn, OpenBlas };

// The backend sgemm() uses in this process.
GemmBackend gemm_backend();
const char* to_string(GemmBackend backend);

// Row-major C[m×n] = A·B (A m×k, or k×m read transposed; B k×n, or n×k read transposed) + beta·C.
struct GemmOperands {
  const float* a = nullptr;
  std::int64_t lda = 0;
  bool transpose_a = false;
  const float* b = nullptr;
  std::int64_t ldb = 0;
  bool transpose_b = false;
  float* c = nullptr;
  std::int64_t ldc = 0;
  float beta = 0.0f;
};
void sgemm(std::int64_t m, std::int64_t n, std::int64_t k, const GemmOperands& operands);

// Row-major C[m×n] = A[m×k]·B[k×n] in double precision (OpenBLAS), single threaded.
void dgemm(std::int64_t m, std::int64_t n, std::int64_t k, const double* a, const double* b, double* c);

}  // namespace raceit
