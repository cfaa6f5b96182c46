#pragma once
// The FP32 reference executor: runs a model graph node by node, with one implementation per
// operator type taken from an OpTable. The RACE-IT functional executor reuses it with its own
// implementations of the semantic operators (weight matmul, GELU, softmax, LayerNorm,
// data-dependent matmul) substituted in the table.
//
// Batches are cut into fixed chunks of samples that run in parallel; every chunk runs the whole
// graph, so results do not depend on the thread count. This requires that samples do not interact,
// which holds for every model raceit imports or builds (batch-first inputs and outputs).
#include <array>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "raceit/core/tensor.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::exec {

// Where an implementation is called: the node (its index in graph.nodes) and the chunk of the
// batch (ExecOptions). Implementations that draw random numbers key them on these, so that results
// do not depend on the thread count.
struct OpContext {
  std::size_t node = 0;
  std::size_t chunk = 0;
};

// Computes a node's outputs from its inputs (nullptr for an omitted optional input).
using OpImpl = std::function<std::vector<Tensor>(const model::Node& node, std::span<const Tensor* const> inputs,
                                                 const OpContext& context)>;

class OpTable {
 public:
  // The FP32 reference: BLAS (OpenBLAS sgemm) for WeightMatMul, DataMatMul and Conv, the
  // model's reference kernels for everything else.
  static OpTable fp32();
  void set(model::OpType op, OpImpl impl);
  const OpImpl& at(model::OpType op) const;

 private:
  std::map<model::OpType, OpImpl> impls_;
};

// Called after every node of every chunk, possibly from several threads at once (one chunk per
// thread at a time); `chunk` is the chunk's index within the batch.
using NodeObserver = std::function<void(std::size_t chunk, const model::Node& node,
                                        std::span<const Tensor* const> inputs, std::span<const Tensor> outputs)>;

struct ExecOptions {
  int threads = 0;                // <= 0: raceit::default_threads()
  // Samples per parallel work item; 0 runs the inputs whole as one item, without treating the
  // first axis as a batch (single-operator tests, graphs whose samples interact).
  std::int64_t chunk_samples = 4;
};

class Executor {
 public:
  // Keeps a reference to `graph`, which must outlive the executor.
  explicit Executor(const model::Graph& graph, OpTable table = OpTable::fp32(), ExecOptions options = {});

  // Runs a batch. `inputs` maps every graph input name to a batch-first tensor; all share the
  // batch size. Returns the graph outputs in order. Errors name the node that failed.
  std::vector<Tensor> run(const std::map<std::string, Tensor>& inputs, const NodeObserver& observer = {}) const;
  // Convenience for single-input graphs.
  std::vector<Tensor> run(const Tensor& input) const;

  const model::Graph& graph() const { return graph_; }

 private:
  std::vector<Tensor> run_chunk(const std::map<std::string, Tensor>& inputs, std::size_t chunk,
                                const NodeObserver& observer) const;

  const model::Graph& graph_;
  OpTable table_;
  ExecOptions options_;
  std::vector<std::vector<std::string>> release_after_;  // values last read by node i
};

// Rows [begin, end) of a batch-first tensor.
Tensor slice_batch(const Tensor& t, std::int64_t begin, std::int64_t end);
// Concatenates batch-first tensors along the batch axis.
Tensor concat_batch(const std::vector<Tensor>& parts);

}  // namespace raceit::exec
