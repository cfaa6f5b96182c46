#include "raceit/exec/raceit_evaluate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <cmath>
#include <numeric>

#include "raceit/core/error.hpp"
#include "raceit/device/rram.hpp"

namespace raceit::exec {

namespace {

using compiler::Engine;

struct MeanStd {
  double mean = 0, std = 0;
};

// Mean and sample standard deviation; `fallback` and 0 for no values.
MeanStd mean_std(const std::vector<double>& values, double fallback) {
  if (values.empty()) return {.mean = fallback, .std = 0};
  const double n = static_cast<double>(values.size());
  MeanStd m{.mean = std::accumulate(values.begin(), values.end(), 0.0) / n, .std = 0};
  double var = 0;
  for (double v : values) var += (v - m.mean) * (v - m.mean);
  m.std = values.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0;
  return m;
}

// Next-token targets of a causal language model: the labels [N, T] when given, else the token ids
// shifted by one (position t predicts ids[t + 1]; the last position has none, −1).
std::vector<std::int64_t> lm_targets(const model::Graph& graph, const Samples& samples) {
  if (samples.label_shape.size() == 2) return samples.labels;
  for (const auto& name : graph.inputs) {
    const Tensor& ids = samples.inputs.at(name);
    if (ids.is_float() || ids.rank() != 2) continue;
    const std::int64_t rows = ids.dim(0), length = ids.dim(1);
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows * length), -1);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t t = 0; t + 1 < length; ++t) targets[static_cast<std::size_t>(r * length + t)] = ids.ints()[r * length + t + 1];
    return targets;
  }
  throw Error(ErrorKind::InvalidArgument,
              fmt::format("--task lm: model {} has no int64 [N, T] input of token ids to predict (and no [N, T] labels)",
                          graph.source));
}

// The checks that need no run: labels and language-model targets fit the first output.
void check_task(const model::Graph& graph, const Samples& samples, bool lm) {
  const Shape& out = graph.values.at(graph.outputs.at(0)).shape;
  if (!samples.labels.empty() && out.size() != samples.label_shape.size() + 1)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("labels of shape {} need a first output of shape [{}, classes]; output '{}' is {}",
                            to_string(samples.label_shape), fmt::join(samples.label_shape, ", "), graph.outputs[0],
                            to_string(out)));
  if (lm && out.size() != 3)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("--task lm needs logits [N, T, vocabulary] as the first output; output '{}' is {}",
                            graph.outputs[0], to_string(out)));
}

// Whether an operator's output is what the graph says it is (compared with FP32): not a folded
// op passing its unscaled input on to the op that absorbs its constant, nor an op whose output
// also carries a folded constant or a fused function.
bool compared(const compiler::Program& program, std::size_t i) {
  const compiler::LoweredOp& op = program.ops[i];
  if (op.engine() == Engine::None) return false;
  if (op.engine() == Engine::Folded) return op.partner < static_cast<std::int64_t>(i);
  if (const auto* x = std::get_if<compiler::CrossbarOp>(&op.detail)) return x->config.fused_function.empty();
  if (const auto* d = std::get_if<compiler::DataMatMulOp>(&op.detail)) return d->output_factor == 1.0;
  if (const auto* d = std::get_if<compiler::CrossbarWriteOp>(&op.detail)) return d->output_factor == 1.0;
  return true;
}

// FP32 outputs of the compared operators for the first chunks, [node][chunk].
using Outputs = std::vector<std::vector<Tensor>>;

// Error accumulators [node][chunk], merged in chunk order.
struct Errors {
  std::vector<std::vector<ErrorAccumulator>> pieces;
  ErrorAccumulator merged(std::size_t node) const {
    ErrorAccumulator a;
    for (const auto& p : pieces[node]) a.merge(p);
    return a;
  }
};

struct Timed {
  std::vector<Tensor> outputs;
  double seconds = 0;
};

template <class F>
Timed timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  Timed t{f(), 0};
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return t;
}

}  // namespace

Fidelity output_fidelity(const Tensor& y, const Tensor& reference) {
  if (!y.is_float() || !reference.is_float() || y.shape() != reference.shape())
    throw Error(ErrorKind::InvalidArgument, fmt::format("fidelity: compared outputs must be float tensors of one shape, got {} {} and {} {}",
                                                        to_string(y.dtype()), to_string(y.shape()), to_string(reference.dtype()),
                                                        to_string(reference.shape())));
  const ErrorStats e = compare(y.floats(), reference.floats());
  double dot = 0, yy = 0, rr = 0;
  for (std::int64_t k = 0; k < y.size(); ++k) {
    const double a = y.floats()[k], b = reference.floats()[k];
    dot += a * b;
    yy += a * a;
    rr += b * b;
  }
  Fidelity f{.nmse = e.nmse, .snr_db = e.snr_db};
  f.cosine = yy == 0 && rr == 0 ? 1.0 : (yy == 0 || rr == 0 ? 0.0 : dot / std::sqrt(yy * rr));
  if (y.rank() == 0 || y.dim(-1) < 2 || y.size() == 0) {
    f.top1_agreement = std::numeric_limits<double>::quiet_NaN();
  } else {
    const auto a = argmax_last_axis(y), b = argmax_last_axis(reference);
    std::int64_t agree = 0;
    for (std::size_t k = 0; k < a.size(); ++k) agree += a[k] == b[k];
    f.top1_agreement = static_cast<double>(agree) / static_cast<double>(a.size());
  }
  return f;
}

double perplexity(const Tensor& logits, const std::vector<std::int64_t>& targets) {
  const std::int64_t width = logits.rank() > 0 ? logits.dim(-1) : 0;
  if (!logits.is_float() || width < 1 || logits.size() / width != static_cast<std::int64_t>(targets.size()))
    throw Error(ErrorKind::InvalidArgument, fmt::format("perplexity: {} targets for logits of shape {}", targets.size(),
                                                        to_string(logits.shape())));
  double nll = 0;
  std::int64_t counted = 0;
  for (std::size_t p = 0; p < targets.size(); ++p) {
    if (targets[p] < 0) continue;
    if (targets[p] >= width)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("perplexity: target {} at position {} is outside the vocabulary of {}", targets[p], p, width));
    const auto row = logits.floats().subspan(p * static_cast<std::size_t>(width), static_cast<std::size_t>(width));
    const double top = *std::max_element(row.begin(), row.end());
    double sum = 0;
    for (float v : row) sum += std::exp(static_cast<double>(v) - top);
    nll += top + std::log(sum) - row[static_cast<std::size_t>(targets[p])];
    ++counted;
  }
  return counted ? std::exp(nll / static_cast<double>(counted)) : std::numeric_limits<double>::quiet_NaN();
}

namespace {

// One evaluation: the samples, the FP32 reference of the compared operators on the first chunks,
// and the RACE-IT runs (ideal, then each noisy seed) scored and compared against it.
struct RaceitRuns {
  const compiler::Program& program;
  const model::Graph& graph;
  const RaceitEvalOptions& options;
  Samples samples;
  std::vector<std::int64_t> targets;  // next-token targets (options.lm)
  RaceitEvaluation r;
  std::size_t error_chunks = 0, nodes = 0;
  Outputs reference;
  std::vector<Tensor> fp32_outputs;

  void start() {
    check_task(graph, samples, options.lm);
    if (options.lm) targets = lm_targets(graph, samples);
    r.data_source = samples.source;
    r.n = model::sample_count(samples);
    r.has_accuracy = !samples.labels.empty();
    r.has_perplexity = options.lm;
    const std::int64_t chunk = options.exec.chunk_samples > 0 ? options.exec.chunk_samples : r.n;
    r.error_samples = std::min(r.n, (options.error_samples + chunk - 1) / chunk * chunk);
    error_chunks = static_cast<std::size_t>((r.error_samples + chunk - 1) / chunk);
    nodes = graph.nodes.size();
    reference = Outputs(nodes, std::vector<Tensor>(error_chunks));
  }

  // Task scores of one run's outputs.
  double accuracy(const std::vector<Tensor>& outputs) {
    if (!r.has_accuracy) return 0.0;
    const LabelScore score = score_labels(outputs.at(0), samples.labels, samples.label_shape);
    r.labelled = score.total;
    return score.accuracy();
  }
  double lm_perplexity(const std::vector<Tensor>& outputs) const {
    return options.lm ? perplexity(outputs.at(0), targets) : 0.0;
  }
  // Fidelity of one run's float outputs against FP32.
  std::vector<Fidelity> fidelities(const std::vector<Tensor>& outputs) const {
    std::vector<Fidelity> v;
    for (std::size_t o = 0; o < outputs.size(); ++o)
      if (fp32_outputs[o].is_float()) v.push_back(output_fidelity(outputs[o], fp32_outputs[o]));
    return v;
  }
  Errors fresh() const {
    return Errors{std::vector<std::vector<ErrorAccumulator>>(nodes, std::vector<ErrorAccumulator>(error_chunks))};
  }

  void run_fp32() {
    const Executor fp32(graph, OpTable::fp32(), options.exec);
    Timed f = timed([&] {
      return fp32.run(samples.inputs, with_progress(graph,
                                                    [&](std::size_t c, const model::Node& node, std::span<const Tensor* const>,
                                                        std::span<const Tensor> out) {
                                                      const auto i = static_cast<std::size_t>(&node - graph.nodes.data());
                                                      if (c < error_chunks && compared(program, i) && out[0].is_float())
                                                        reference[i][c] = out[0];
                                                    },
                                                    options.progress, "fp32", r.n, options.exec.chunk_samples));
    });
    r.seconds_fp32 = f.seconds;
    r.accuracy_fp32 = accuracy(f.outputs);
    r.perplexity_fp32 = lm_perplexity(f.outputs);
    for (std::size_t o = 0; o < graph.outputs.size(); ++o)
      if (f.outputs[o].is_float()) {
        OutputFidelity out;
        out.output = graph.outputs[o];
        out.shape = f.outputs[o].shape();
        r.fidelity.push_back(std::move(out));
      }
    fp32_outputs = std::move(f.outputs);
  }

  // One RACE-IT run, comparing every compared operator with the FP32 reference on the first chunks.
  Timed run(device::NoiseMode mode, std::uint64_t seed, Errors& errors, std::vector<EventCounts>* events) const {
    RunOptions run_options{.mode = mode, .seed = seed, .device = options.device, .exec = options.exec};
    const RaceitExecutor executor(program, graph, run_options);
    const std::string stage =
        mode == device::NoiseMode::Ideal ? "ideal" : fmt::format("{} seed {}", device::to_string(mode), seed);
    const Timed t = timed([&] {
      return executor.run(samples.inputs,
                          with_progress(graph,
                                        [&](std::size_t c, const model::Node& node, std::span<const Tensor* const>,
                                            std::span<const Tensor> out) {
                                          const auto i = static_cast<std::size_t>(&node - graph.nodes.data());
                                          if (c < error_chunks && reference[i][c].size() > 0 && out[0].is_float())
                                            errors.pieces[i][c].add(out[0].floats(), reference[i][c].floats());
                                        },
                                        options.progress, stage, r.n, options.exec.chunk_samples));
    });
    if (events) *events = executor.events();
    return t;
  }

  // The ideal run: scores, fidelity and the events per sample.
  void run_ideal(Errors& ideal) {
    std::vector<EventCounts> events;
    const Timed i = run(device::NoiseMode::Ideal, options.base_seed, ideal, &events);
    r.seconds_ideal = i.seconds;
    r.accuracy_ideal = accuracy(i.outputs);
    r.perplexity_ideal = lm_perplexity(i.outputs);
    const std::vector<Fidelity> ideal_fidelity = fidelities(i.outputs);
    for (std::size_t o = 0; o < r.fidelity.size(); ++o) r.fidelity[o].ideal = ideal_fidelity[o];
    for (auto& e : events) {
      e.cells_programmed = 0;
      for (const auto& [name, member] : kEventFields) e.*member /= static_cast<std::uint64_t>(std::max<std::int64_t>(r.n, 1));
    }
    r.events = std::move(events);
  }

  void run_noisy(std::vector<ErrorAccumulator>& noisy) {
    if (options.mode == device::NoiseMode::Ideal) return;
    for (int s = 0; s < options.seeds; ++s) {
      const std::uint64_t seed = options.base_seed + static_cast<std::uint64_t>(s);
      Errors errors = fresh();
      const Timed t = run(options.mode, seed, errors, nullptr);
      r.seconds_noisy += t.seconds;
      r.seeds.push_back(seed);
      r.accuracy_noisy.push_back(accuracy(t.outputs));
      r.perplexity_noisy.push_back(lm_perplexity(t.outputs));
      const std::vector<Fidelity> seed_fidelity = fidelities(t.outputs);
      for (std::size_t o = 0; o < r.fidelity.size(); ++o) r.fidelity[o].noisy.push_back(seed_fidelity[o]);
      for (std::size_t k = 0; k < nodes; ++k) noisy[k].merge(errors.merged(k));
    }
  }

  // Means and standard deviations over the seeds (the ideal values without seeds).
  void summarise_seeds() {
    const MeanStd a = mean_std(r.accuracy_noisy, r.accuracy_ideal);
    r.accuracy_mean = a.mean;
    r.accuracy_std = a.std;
    const MeanStd p = mean_std(r.perplexity_noisy, r.perplexity_ideal);
    r.perplexity_mean = p.mean;
    r.perplexity_std = p.std;
    for (auto& out : r.fidelity)
      for (double Fidelity::*metric : {&Fidelity::nmse, &Fidelity::snr_db, &Fidelity::cosine, &Fidelity::top1_agreement}) {
        std::vector<double> per_seed;
        for (const auto& seed : out.noisy) per_seed.push_back(seed.*metric);
        const MeanStd m = mean_std(per_seed, out.ideal.*metric);
        out.mean.*metric = m.mean;
        out.std.*metric = m.std;
      }
  }

  void add_operator_errors(const Errors& ideal, const std::vector<ErrorAccumulator>& noisy) {
    for (std::size_t k = 0; k < nodes; ++k) {
      const auto& op = program.ops[k];
      if (op.engine() == Engine::None) continue;
      OpError e;
      e.node = k;
      e.compared = compared(program, k);
      e.ideal = ideal.merged(k).stats();
      e.noisy = noisy[k].stats();
      r.ops.push_back(e);
    }
  }
};

}  // namespace

RaceitEvaluation evaluate_raceit(const compiler::Program& program, const model::Graph& graph, const RaceitEvalOptions& options,
                                 const model::DataPaths& paths) {
  compiler::check_model(program, graph);
  RaceitRuns e{.program = program,
             .graph = graph,
             .options = options,
             .samples = load_samples(graph, options.dataset, Split::Test, options.limit, paths, options.labels),
             .targets = {},
             .r = {},
             .error_chunks = 0,
             .nodes = 0,
             .reference = {},
             .fp32_outputs = {}};
  e.start();
  e.run_fp32();
  Errors ideal = e.fresh();
  e.run_ideal(ideal);
  std::vector<ErrorAccumulator> noisy(e.nodes);
  e.run_noisy(noisy);
  e.summarise_seeds();
  e.add_operator_errors(ideal, noisy);
  return std::move(e.r);
}

}  // namespace raceit::exec
