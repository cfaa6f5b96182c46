#include "raceit/acam/evaluate.hpp"

#include <cmath>
#include <span>

#include "raceit/acam/frozen.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/metrics.hpp"
#include "raceit/core/parallel.hpp"

namespace raceit::acam {

namespace {
constexpr double ErrorMetrics::*kFields[] = {
    &ErrorMetrics::max_abs_err_lsb, &ErrorMetrics::rms_err_lsb,
    &ErrorMetrics::wrong_code_fraction, &ErrorMetrics::nmse};

std::vector<double> dequantised(const AcamProgram& p, const std::vector<std::uint32_t>& codes) {
  std::vector<double> y;
  y.reserve(codes.size());
  for (auto c : codes) y.push_back(p.dequantise(c));
  return y;
}

// raceit::compare's statistics with the errors in LSB; wrong means y != reference.
ErrorMetrics in_lsb(const AcamProgram& p, const std::vector<double>& y,
                    const std::vector<double>& reference) {
  const ErrorStats s = compare(std::span<const double>(y), std::span<const double>(reference));
  const double lsb = p.out_step > 0 ? p.out_step : 1.0;
  return {.max_abs_err_lsb = s.max_abs / lsb,
          .rms_err_lsb = s.rms / lsb,
          .wrong_code_fraction = s.wrong_fraction,
          .nmse = s.nmse};
}
}  // namespace

ErrorMetrics compare_to_table(const AcamProgram& p, const std::vector<std::uint32_t>& codes) {
  return in_lsb(p, dequantised(p, codes), dequantised(p, p.table));
}

ErrorMetrics compare_to_float(const AcamProgram& p, const std::vector<std::uint32_t>& codes) {
  const std::vector<double> y = dequantised(p, codes);
  ErrorMetrics m = in_lsb(p, y, p.reference);
  // Wrong: further than half an LSB from f (with room for the rounding of y and f themselves).
  const double half_lsb = 0.5 * (p.out_step > 0 ? p.out_step : 1.0) * (1 + 1e-9);
  double wrong = 0;
  for (std::size_t i = 0; i < y.size(); ++i) wrong += std::abs(y[i] - p.reference[i]) > half_lsb;
  m.wrong_code_fraction = wrong / static_cast<double>(y.size());
  return m;
}

ErrorMetrics mean(const std::vector<ErrorMetrics>& runs) {
  ErrorMetrics m{};
  for (const auto& r : runs)
    for (auto field : kFields) m.*field += r.*field / static_cast<double>(runs.size());
  return m;
}

ErrorMetrics stddev(const std::vector<ErrorMetrics>& runs) {
  ErrorMetrics s{};
  if (runs.size() < 2) return s;
  const ErrorMetrics m = mean(runs);
  for (auto field : kFields) {
    double sum = 0;
    for (const auto& r : runs) sum += (r.*field - m.*field) * (r.*field - m.*field);
    s.*field = std::sqrt(sum / static_cast<double>(runs.size() - 1));
  }
  return s;
}

std::vector<std::vector<std::uint32_t>> evaluate_codes(const AcamProgram& p,
                                                       const device::RramModel& model,
                                                       const EvalOptions& options) {
  if (options.mode == device::NoiseMode::Ideal) return {realised_table(p, p.cells)};
  if (options.seeds < 1)
    throw Error(ErrorKind::InvalidArgument,
                "seeds must be >= 1, got " + std::to_string(options.seeds));
  const auto runs = static_cast<std::size_t>(options.seeds);
  const std::size_t inputs = p.input_count();
  std::vector<std::vector<std::uint32_t>> codes(runs, std::vector<std::uint32_t>(inputs));
  if (options.mode == device::NoiseMode::Frozen) {
    parallel_for(runs, options.threads, [&](std::size_t begin, std::size_t end) {
      for (std::size_t s = begin; s < end; ++s)
        codes[s] = realised_table(p, realise(p, model, options.base_seed + s));
    });
    return codes;
  }
  // per_read: the search id is the input's index, so each read draw has a fixed place.
  const std::uint32_t ny = p.vars == 2 ? p.y.codes() : 1;
  parallel_for(runs * inputs, options.threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t item = begin; item < end; ++item) {
      const std::size_t s = item / inputs, i = item % inputs;
      const AcamCells cells = realise(p, model, options.base_seed + s, i);
      codes[s][i] = scan_cells(p, cells, static_cast<double>(i / ny), static_cast<double>(i % ny));
    }
  });
  return codes;
}

EvalResult evaluate(const AcamProgram& p, const device::RramModel& model,
                    const EvalOptions& options) {
  EvalResult result;
  result.mode = options.mode;
  const auto codes = evaluate_codes(p, model, options);
  for (std::size_t s = 0; s < codes.size(); ++s) {
    if (options.mode != device::NoiseMode::Ideal) result.seeds.push_back(options.base_seed + s);
    result.vs_table.push_back(compare_to_table(p, codes[s]));
    result.vs_float.push_back(compare_to_float(p, codes[s]));
  }
  return result;
}

}  // namespace raceit::acam
