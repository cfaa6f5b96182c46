#pragma once
// Error of a programmed ACAM over its whole input grid, in the three modes of DESIGN §2.5,
// against the quantised table and against f in double, averaged over seeds.
#include <cstdint>
#include <vector>

#include "raceit/acam/program.hpp"
#include "raceit/device/rram.hpp"

namespace raceit::acam {

// Modes (device::NoiseMode): ideal — thresholds exact, quantisation error only; frozen — per
// seed every threshold realised once (programming plus one read draw); per_read — per seed
// programming frozen, read noise redrawn at every search.
struct EvalOptions {
  device::NoiseMode mode = device::NoiseMode::Frozen;
  int seeds = 1;                // noisy modes use seeds base_seed … base_seed + seeds − 1
  std::uint64_t base_seed = 1;
  int threads = 0;              // 0: default_threads(); results do not depend on it
};

// Over all inputs of the grid, y being the dequantised output codes: raceit::compare's statistics
// with errors in output LSB (Δ; 1 if f is constant). Against the table a code is wrong when it
// differs from the table's; against f when y is more than half an LSB from f (not the nearest
// code, e.g. clipped). NMSE = Σ(y − ref)² / Σ ref² (0 when both sums are 0, +infinity when only
// the reference sum is).
struct ErrorMetrics {
  double max_abs_err_lsb = 0.0;
  double rms_err_lsb = 0.0;
  double wrong_code_fraction = 0.0;
  double nmse = 0.0;
};

struct EvalResult {
  device::NoiseMode mode = device::NoiseMode::Ideal;
  std::vector<std::uint64_t> seeds;  // the seeds used; empty in ideal mode (one noiseless run)
  std::vector<ErrorMetrics> vs_table;  // one per run
  std::vector<ErrorMetrics> vs_float;
};

// Mean and sample standard deviation (0 for one run) of each metric over runs.
ErrorMetrics mean(const std::vector<ErrorMetrics>& runs);
ErrorMetrics stddev(const std::vector<ErrorMetrics>& runs);

ErrorMetrics compare_to_table(const AcamProgram& program, const std::vector<std::uint32_t>& codes);
ErrorMetrics compare_to_float(const AcamProgram& program, const std::vector<std::uint32_t>& codes);

// Output code of every input in table order, one vector per run (per seed; one in ideal mode).
// Parallel over seeds (frozen) or over seeds × inputs (per_read).
std::vector<std::vector<std::uint32_t>> evaluate_codes(const AcamProgram& program,
                                                       const device::RramModel& model,
                                                       const EvalOptions& options);

EvalResult evaluate(const AcamProgram& program, const device::RramModel& model,
                    const EvalOptions& options);

}  // namespace raceit::acam
