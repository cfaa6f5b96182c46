#pragma once
// What the engine runtimes (exec/engines/*.cpp) share: ACAM tables realised once or per read, the
// 2-var multiplier, sign-magnitude codes, and the interface one operator's runtime implements.
// Private to exec.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "raceit/acam/frozen.hpp"
#include "raceit/acam/multiply.hpp"
#include "raceit/compiler/program.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/exec/raceit_executor.hpp"

namespace raceit::exec {

using device::NoiseMode;

inline Tensor like(const Shape& shape, std::vector<float> values) { return Tensor::from_floats(shape, std::move(values)); }

// Rows of the last axis.
inline std::int64_t row_length(const Tensor& t) { return t.rank() ? t.dim(-1) : 1; }

// A table computed from an ACAM's realisation: once for its own cells (ideal) or one frozen
// realisation per seed (search 0), or anew for each chunk of samples (per_read, search chunk + 1).
template <class T>
class Realised {
 public:
  Realised(const RunOptions& options, std::function<T(const acam::AcamCells*)> make, const acam::AcamProgram& program,
           std::uint64_t seed)
      : options_(options), make_(std::move(make)), program_(program), seed_(seed) {
    if (!per_read()) table_ = table_for(0);
  }
  bool per_read() const { return options_.mode == NoiseMode::PerRead; }
  // The table for this chunk; `scratch` holds a per-read one.
  const T& get(std::size_t chunk, T& scratch) const {
    if (!per_read()) return table_;
    scratch = table_for(chunk + 1);
    return scratch;
  }

 private:
  T table_for(std::uint64_t search) const {
    if (options_.mode == NoiseMode::Ideal) return make_(&program_.cells);
    const acam::AcamCells cells = acam::realise(program_, options_.device, seed_, search);
    return make_(&cells);
  }
  const RunOptions& options_;
  std::function<T(const acam::AcamCells*)> make_;
  const acam::AcamProgram& program_;
  std::uint64_t seed_;
  T table_;
};

// Output code per input code (table order).
using Codes = std::vector<std::uint32_t>;
inline Realised<Codes> realised_codes(const acam::AcamProgram& program, const RunOptions& options, std::uint64_t seed) {
  return {options, [&program](const acam::AcamCells* cells) { return acam::realised_table(program, *cells); }, program, seed};
}

// Sign-magnitude 8×8 products on a 2-var realisation: |a|·|b| at index |a|·256 + |b| as the four
// nibble lookups and their shift-add give it (acam::NibbleMultiplier).
using Products = std::vector<std::int32_t>;

class Multiplier {
 public:
  // One realisation's products; `exact` when they are integer multiplication — always in ideal
  // mode and in most frozen realisations (noise rarely moves a 4-bit rectangle's threshold by
  // half a code) — so callers can multiply directly.
  struct View {
    const Products& table;
    bool exact;
    std::int64_t operator()(std::int64_t a, std::int64_t b) const {
      if (exact) return a * b;
      const std::int64_t m = table[static_cast<std::size_t>(std::abs(a) * 256 + std::abs(b))];
      return (a < 0) != (b < 0) ? -m : m;
    }
  };

  Multiplier(const acam::AcamProgram& program, const RunOptions& options, std::uint64_t seed)
      : realised_(options,
                  [&program](const acam::AcamCells* cells) {
                    const acam::NibbleMultiplier multiplier(program, *cells);
                    Products p(256 * 256);
                    for (std::int32_t a = 0; a < 256; ++a)
                      for (std::int32_t b = 0; b < 256; ++b) p[static_cast<std::size_t>(a * 256 + b)] = multiplier.multiply(a, b);
                    return p;
                  },
                  program, seed) {
    Products scratch;
    if (!realised_.per_read()) exact_ = is_exact(realised_.get(0, scratch));
  }
  // The products for this chunk; `scratch` holds a per-read table.
  View at(std::size_t chunk, Products& scratch) const {
    const Products& table = realised_.get(chunk, scratch);
    return {table, realised_.per_read() ? is_exact(table) : exact_};
  }

 private:
  static bool is_exact(const Products& p) {
    for (std::int32_t a = 0; a < 256; ++a)
      for (std::int32_t b = 0; b < 256; ++b)
        if (p[static_cast<std::size_t>(a * 256 + b)] != a * b) return false;
    return true;
  }
  Realised<Products> realised_;
  bool exact_ = false;
};

// Sign-magnitude code of x on a symmetric quantiser: quantise(x) − zero limited to
// |code| <= 2^(bits−1) − 1 (the quantiser's code 0 would be one step beyond the symmetric range).
inline std::int64_t sign_magnitude(const AffineQuantiser& q, double x) {
  const std::int64_t top = q.zero - 1;
  return std::clamp(q.quantise(x) - q.zero, -top, top);
}

class OpEngine {
 public:
  virtual ~OpEngine() = default;
  virtual std::vector<Tensor> run(std::span<const Tensor* const> in, const OpContext& context) const = 0;
};

// What an engine's runtime is built from: the graph (weights), the run's options, and the node.
struct RuntimeContext {
  const model::Graph& graph;
  const RunOptions& options;
  const compiler::LoweredOp& op;
  std::size_t node = 0;

  // The seed of the node's ACAM program or crossbar in `slot`.
  std::uint64_t seed(int slot) const {
    return CounterRng(options.seed).bits64(streams::kProgramSeeds, node * 8 + static_cast<std::uint64_t>(slot));
  }
};

// Checks a [..., M, K] · b [..., K, N] with equal batch dimensions; returns the batch count.
std::int64_t matmul_batches(const Tensor& a, const Tensor& b);

// Folded and fused operators: their activation input passes through (the op after or before
// computes them).
std::unique_ptr<OpEngine> pass_through(const RuntimeContext& context);

// One runtime per engine (src/exec/engines/<engine>.cpp); nullptr: the FP32 kernel runs it.
std::unique_ptr<OpEngine> make_runtime(const compiler::CrossbarOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::FunctionOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::SoftmaxOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::NormOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::DataMatMulOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::CrossbarWriteOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::DigitalOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::FusedOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::FoldedOp& op, const RuntimeContext& context);
std::unique_ptr<OpEngine> make_runtime(const compiler::NoneOp& op, const RuntimeContext& context);

}  // namespace raceit::exec
