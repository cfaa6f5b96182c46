#include "raceit/acam/evaluate.hpp"

#include <cmath>
#include <limits>

#include "raceit/acam/frozen.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/parallel.hpp"

namespace raceit::acam {

const char* to_string(EvalMode mode) {
  switch (mode) {
    case EvalMode::Ideal: return "ideal";
    case EvalMode::Frozen: return "frozen";
    case EvalMode::PerRead: return "per_read";
  }
  return "?";
}

EvalMode parse_eval_mode(std::string_view text) {
  for (auto mode : {EvalMode::Ideal, EvalMode::Frozen, EvalMode::PerRead})
    if (text == to_string(mode)) return mode;
  throw Error(ErrorKind::InvalidArgument,
              "evaluation mode must be ideal, frozen or per_read, got '" + std::string(text) + "'");
}

namespace {
constexpr double ErrorMetrics::*kFields[] = {
    &ErrorMetrics::max_abs_err_lsb, &ErrorMetrics::rms_err_lsb,
    &ErrorMetrics::wrong_code_fraction, &ErrorMetrics::nmse};

double normalised_mse(double error_energy, double reference_energy) {
  if (reference_energy > 0) return error_energy / reference_energy;
  return error_energy == 0 ? 0.0 : std::numeric_limits<double>::infinity();
}

// Metrics of outputs y_i (the dequantised codes) against references r_i, with errors in LSB
// and `wrong(i)` deciding which outputs count as wrong codes.
template <class Reference, class Wrong>
ErrorMetrics compare(const AcamProgram& p, const std::vector<std::uint32_t>& codes,
                     Reference reference, Wrong wrong) {
  if (codes.size() != p.input_count())
    throw Error(ErrorKind::InvalidArgument, "one output code per input expected");
  const double lsb = p.out_step > 0 ? p.out_step : 1.0;
  ErrorMetrics m;
  double squared_lsb = 0, error_energy = 0, reference_energy = 0, wrong_count = 0;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const double y = p.dequantise(codes[i]), r = reference(i);
    const double err = (y - r) / lsb;
    m.max_abs_err_lsb = std::max(m.max_abs_err_lsb, std::abs(err));
    squared_lsb += err * err;
    error_energy += (y - r) * (y - r);
    reference_energy += r * r;
    wrong_count += wrong(i, err) ? 1 : 0;
  }
  const double n = static_cast<double>(codes.size());
  m.rms_err_lsb = std::sqrt(squared_lsb / n);
  m.wrong_code_fraction = wrong_count / n;
  m.nmse = normalised_mse(error_energy, reference_energy);
  return m;
}
}  // namespace

ErrorMetrics compare_to_table(const AcamProgram& p, const std::vector<std::uint32_t>& codes) {
  return compare(
      p, codes, [&](std::size_t i) { return p.dequantise(p.table[i]); },
      [&](std::size_t i, double) { return codes[i] != p.table[i]; });
}

ErrorMetrics compare_to_float(const AcamProgram& p, const std::vector<std::uint32_t>& codes) {
  // Half an LSB, with room for the rounding of y and f themselves.
  constexpr double kNearest = 0.5 + 1e-9;
  return compare(
      p, codes, [&](std::size_t i) { return p.reference[i]; },
      [](std::size_t, double err) { return std::abs(err) > kNearest; });
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
  if (options.mode == EvalMode::Ideal) return {realised_table(p, p.cells)};
  if (options.seeds < 1)
    throw Error(ErrorKind::InvalidArgument,
                "seeds must be >= 1, got " + std::to_string(options.seeds));
  const auto runs = static_cast<std::size_t>(options.seeds);
  const std::size_t inputs = p.input_count();
  std::vector<std::vector<std::uint32_t>> codes(runs, std::vector<std::uint32_t>(inputs));
  if (options.mode == EvalMode::Frozen) {
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
    if (options.mode != EvalMode::Ideal) result.seeds.push_back(options.base_seed + s);
    result.vs_table.push_back(compare_to_table(p, codes[s]));
    result.vs_float.push_back(compare_to_float(p, codes[s]));
  }
  return result;
}

}  // namespace raceit::acam
