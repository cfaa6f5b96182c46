// The RACE-IT functional executor: one runtime object per lowered operator, made by its engine's
// unit (exec/engines/<engine>.cpp) and substituted into the FP32 executor's operator table. The
// arithmetic of each engine is specified in docs/compiler.md; tests/exec/raceit_reference.cpp
// re-derives it in plain integer arithmetic.
#include "raceit/exec/raceit_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "engines/runtime.hpp"
#include "raceit/compiler/events.hpp"

namespace raceit::exec {

using compiler::Engine;

struct RaceitExecutor::Engines {
  const model::Graph& graph;
  const compiler::Program& program;
  RunOptions options;
  OpTable fp32 = OpTable::fp32();
  std::vector<std::unique_ptr<OpEngine>> ops;  // nullptr: the FP32 kernel
  mutable std::mutex mutex;
  std::vector<EventCounts> events;

  // The runtime of op i's engine (exec/engines/<engine>.cpp).
  std::unique_ptr<OpEngine> make(std::size_t i) const {
    const RuntimeContext context{.graph = graph, .options = options, .op = program.ops[i], .node = i};
    try {
      return std::visit([&](const auto& detail) { return make_runtime(detail, context); }, program.ops[i].detail);
    } catch (const Error& e) {  // a program that disagrees with the model's weights: name the operator
      throw Error(e.kind(), fmt::format("operator '{}' ($.ops[{}]): {}", program.ops[i].node, i, e.what()));
    }
  }

  std::vector<Tensor> run(const model::Node& node, std::span<const Tensor* const> in, const OpContext& context) {
    const compiler::LoweredOp& op = program.ops[context.node];
    auto outputs = ops[context.node] ? ops[context.node]->run(in, context) : fp32.at(node.op)(node, in, context);
    if (op.engine() == Engine::None) return outputs;
    std::vector<Shape> in_shapes, out_shapes;
    for (const Tensor* t : in) in_shapes.push_back(t ? t->shape() : Shape{});
    for (const Tensor& t : outputs) out_shapes.push_back(t.shape());
    const EventCounts e = compiler::op_events(op, in_shapes, out_shapes, program.activation_bits);
    const std::lock_guard lock(mutex);
    events[context.node] += e;
    return outputs;
  }
};

RaceitExecutor::RaceitExecutor(const compiler::Program& program, const model::Graph& graph, const RunOptions& options)
    : program_(program) {
  compiler::check_model(program_, graph);
  engines_ = std::make_unique<Engines>(graph, program_, options);
  engines_->events.resize(program_.ops.size());
  for (std::size_t i = 0; i < program_.ops.size(); ++i) {
    engines_->ops.push_back(engines_->make(i));
    engines_->events[i].cells_programmed = program_.ops[i].cells_programmed;
  }
  OpTable table = OpTable::fp32();
  Engines* engines = engines_.get();
  for (const auto& node : graph.nodes)
    table.set(node.op, [engines](const model::Node& n, std::span<const Tensor* const> in, const OpContext& context) {
      return engines->run(n, in, context);
    });
  executor_ = std::make_unique<Executor>(graph, std::move(table), options.exec);
}

RaceitExecutor::~RaceitExecutor() = default;

std::vector<Tensor> RaceitExecutor::run(const std::map<std::string, Tensor>& inputs, const NodeObserver& observer) const {
  return executor_->run(inputs, observer);
}

std::vector<Tensor> RaceitExecutor::run_variant(const model::Graph& variant, const std::map<std::string, Tensor>& inputs,
                                                std::uint64_t reads) const {
  std::map<std::string, std::int64_t> index;
  for (std::size_t i = 0; i < program_.ops.size(); ++i) index[program_.ops[i].node] = static_cast<std::int64_t>(i);
  // The program's operator of each variant node; -1: an added Concat.
  std::vector<std::int64_t> op_of(variant.nodes.size(), -1);
  for (std::size_t i = 0; i < variant.nodes.size(); ++i) {
    const model::Node& node = variant.nodes[i];
    const auto it = index.find(node.name);
    if (it == index.end()) {
      if (node.op == model::OpType::Concat) continue;
      throw Error(ErrorKind::InvalidArgument, fmt::format("graph '{}': node '{}' ({}) is not in the program of {} and is not "
                                                          "a Concat a decode step adds", variant.name, node.name,
                                                          model::to_string(node.op), program_.model.name));
    }
    if (program_.ops[static_cast<std::size_t>(it->second)].op != node.op)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("graph '{}': node '{}' is a {}; the program of {} has a {} of that name", variant.name, node.name,
                              model::to_string(node.op), program_.model.name,
                              model::to_string(program_.ops[static_cast<std::size_t>(it->second)].op)));
    op_of[i] = it->second;
  }
  OpTable table = OpTable::fp32();
  Engines* engines = engines_.get();
  for (const auto& node : variant.nodes)
    table.set(node.op, [engines, &op_of, reads](const model::Node& n, std::span<const Tensor* const> in, const OpContext& context) {
      const std::int64_t op = op_of[context.node];
      if (op < 0) return engines->fp32.at(n.op)(n, in, context);
      return engines->run(n, in, OpContext{.node = static_cast<std::size_t>(op), .chunk = reads + context.chunk});
    });
  return Executor(variant, std::move(table), engines_->options.exec).run(inputs);
}

std::vector<EventCounts> RaceitExecutor::events() const {
  const std::lock_guard lock(engines_->mutex);
  return engines_->events;
}

}  // namespace raceit::exec
