#include "raceit/exec/raceit_evaluate.hpp"

#include <chrono>
#include <cmath>
#include <numeric>

#include "raceit/core/error.hpp"

namespace raceit::exec {

namespace {

using compiler::Engine;

double accuracy(const Tensor& logits, const std::vector<std::int64_t>& labels) {
  const auto predicted = argmax_rows(logits);
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
  return labels.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(labels.size());
}

// Whether an operator's output is what the graph says it is (compared with FP32): not a folded
// op passing its unscaled input on to the op that absorbs its constant, nor an op whose output
// also carries a folded constant or a fused function.
bool compared(const compiler::Program& program, std::size_t i) {
  const compiler::LoweredOp& op = program.ops[i];
  if (op.engine == Engine::None) return false;
  if (op.engine == Engine::Folded) return op.partner < static_cast<std::int64_t>(i);
  if (const auto* x = std::get_if<compiler::CrossbarOp>(&op.detail)) return x->config.fused_function.empty();
  if (const auto* d = std::get_if<compiler::DataMatMulOp>(&op.detail)) return d->output_factor == 1.0;
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

RaceitEvaluation evaluate_raceit(const compiler::Program& program, const model::Graph& graph, const RaceitEvalOptions& options,
                                 const model::DataPaths& paths) {
  compiler::check_model(program, graph);
  const Samples samples = load_samples(graph, options.dataset, Split::Test, options.limit, paths);
  RaceitEvaluation r;
  r.data_source = samples.source;
  r.n = static_cast<std::int64_t>(samples.labels.size());
  const std::int64_t chunk = options.exec.chunk_samples > 0 ? options.exec.chunk_samples : r.n;
  r.error_samples = std::min(r.n, (options.error_samples + chunk - 1) / chunk * chunk);
  const auto error_chunks = static_cast<std::size_t>((r.error_samples + chunk - 1) / chunk);
  const std::size_t nodes = graph.nodes.size();

  Outputs reference(nodes, std::vector<Tensor>(error_chunks));
  const Executor fp32(graph, OpTable::fp32(), options.exec);
  const Timed f = timed([&] {
    return fp32.run(samples.inputs, [&](std::size_t c, const model::Node& node, std::span<const Tensor* const>,
                                        std::span<const Tensor> out) {
      const auto i = static_cast<std::size_t>(&node - graph.nodes.data());
      if (c < error_chunks && compared(program, i) && out[0].is_float()) reference[i][c] = out[0];
    });
  });
  r.seconds_fp32 = f.seconds;
  r.accuracy_fp32 = accuracy(f.outputs.at(0), samples.labels);

  // One RACE-IT run, comparing every compared operator with the FP32 reference on the first chunks.
  auto run = [&](device::NoiseMode mode, std::uint64_t seed, Errors& errors, std::vector<EventCounts>* events) {
    RunOptions run_options{mode, seed, options.device, options.exec};
    const RaceitExecutor executor(program, graph, run_options);
    const Timed t = timed([&] {
      return executor.run(samples.inputs, [&](std::size_t c, const model::Node& node, std::span<const Tensor* const>,
                                              std::span<const Tensor> out) {
        const auto i = static_cast<std::size_t>(&node - graph.nodes.data());
        if (c < error_chunks && reference[i][c].size() > 0 && out[0].is_float())
          errors.pieces[i][c].add(out[0].floats(), reference[i][c].floats());
      });
    });
    if (events) *events = executor.events();
    return t;
  };
  auto fresh = [&] { return Errors{std::vector<std::vector<ErrorAccumulator>>(nodes, std::vector<ErrorAccumulator>(error_chunks))}; };

  Errors ideal = fresh();
  std::vector<EventCounts> events;
  const Timed i = run(device::NoiseMode::Ideal, options.base_seed, ideal, &events);
  r.seconds_ideal = i.seconds;
  r.accuracy_ideal = accuracy(i.outputs.at(0), samples.labels);
  for (auto& e : events) {
    e.cells_programmed = 0;
    for (const auto& [name, member] : kEventFields) e.*member /= static_cast<std::uint64_t>(std::max<std::int64_t>(r.n, 1));
  }
  r.events = std::move(events);

  std::vector<ErrorAccumulator> noisy(nodes);
  if (options.mode != device::NoiseMode::Ideal) {
    for (int s = 0; s < options.seeds; ++s) {
      const std::uint64_t seed = options.base_seed + static_cast<std::uint64_t>(s);
      Errors errors = fresh();
      const Timed t = run(options.mode, seed, errors, nullptr);
      r.seconds_noisy += t.seconds;
      r.seeds.push_back(seed);
      r.accuracy_noisy.push_back(accuracy(t.outputs.at(0), samples.labels));
      for (std::size_t k = 0; k < nodes; ++k) noisy[k].merge(errors.merged(k));
    }
  }
  if (r.accuracy_noisy.empty()) {
    r.accuracy_mean = r.accuracy_ideal;
  } else {
    const double n = static_cast<double>(r.accuracy_noisy.size());
    r.accuracy_mean = std::accumulate(r.accuracy_noisy.begin(), r.accuracy_noisy.end(), 0.0) / n;
    double var = 0;
    for (double a : r.accuracy_noisy) var += (a - r.accuracy_mean) * (a - r.accuracy_mean);
    r.accuracy_std = n > 1 ? std::sqrt(var / (n - 1)) : 0.0;
  }
  for (std::size_t k = 0; k < nodes; ++k) {
    const auto& op = program.ops[k];
    if (op.engine == Engine::None) continue;
    OpError e;
    e.node = k;
    e.compared = compared(program, k);
    e.ideal = ideal.merged(k).stats();
    e.noisy = noisy[k].stats();
    r.ops.push_back(e);
  }
  return r;
}

}  // namespace raceit::exec
