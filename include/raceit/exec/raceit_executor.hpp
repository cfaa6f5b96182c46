#pragma once
// The RACE-IT functional executor: runs a compiled program on its model, every operator on the
// engine the program maps it to — weight matmuls through the crossbar model (xbar), functions,
// softmax, norms and data matmuls through Compute-ACAM lookups (acam), the rest with the FP32
// kernels — in the three modes of DESIGN §2.5. It is the FP32 Executor with the program's
// operator implementations substituted, so batching, chunking and threading are the same, and it
// counts each operator's hardware events with compiler::op_events.
//
// Noise. Every engine draws from its own seed, CounterRng(seed).bits64(kProgramSeeds, node·8 +
// slot): crossbars are programmed and ACAMs realised once per seed when the executor is built
// (frozen: one read draw folded in). In per_read mode the crossbars redraw read noise at every
// read (xbar, keyed by the chunk), and every ACAM of an operator is realised anew for each chunk
// of samples it processes (search index chunk + 1): read noise is redrawn per chunk of
// ExecOptions::chunk_samples samples, not per lookup. docs/compiler.md gives the exact arithmetic.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "raceit/compiler/program.hpp"
#include "raceit/core/events.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/exec/executor.hpp"

namespace raceit::exec {

struct RunOptions {
  device::NoiseMode mode = device::NoiseMode::Ideal;
  std::uint64_t seed = 1;
  device::RramModel device = {};  // std_scale and stuck_probability included
  ExecOptions exec = {};          // threads and chunk size
};

class RaceitExecutor {
 public:
  // Programs every crossbar and realises every ACAM for options.seed. `graph` must be the model
  // the program was compiled from (compiler::check_model) and outlive the executor; the program
  // is copied.
  RaceitExecutor(const compiler::Program& program, const model::Graph& graph, const RunOptions& options);
  ~RaceitExecutor();
  RaceitExecutor(const RaceitExecutor&) = delete;
  RaceitExecutor& operator=(const RaceitExecutor&) = delete;

  // As Executor::run. The observer sees every node's outputs as the engines produced them.
  std::vector<Tensor> run(const std::map<std::string, Tensor>& inputs, const NodeObserver& observer = {}) const;

  // Runs `variant`, another graph of the same model that shares its node names and weights: a
  // decode step of a causal language model (model::CausalLm::step_graph), whose constants (mask,
  // positions) differ and whose added Concat nodes append the cached keys and values. Its nodes
  // run on this executor's programmed crossbars and realised ACAMs, matched by name (the added
  // Concat nodes on the FP32 kernel: data movement), so every run sees the same chip. Chunk c of
  // the run draws per-read noise as chunk `reads` + c: successive runs given different `reads`
  // see fresh read noise. Error(InvalidArgument) for a node whose name the program has with
  // another operator, or that it lacks and that is not a Concat.
  std::vector<Tensor> run_variant(const model::Graph& variant, const std::map<std::string, Tensor>& inputs,
                                  std::uint64_t reads = 0) const;

  // Events of every run so far, per operator in graph order (cells_programmed: the one-off
  // programming of the crossbars, counted once).
  std::vector<EventCounts> events() const;

  const compiler::Program& program() const { return program_; }

  struct Engines;  // the programmed crossbars and realised ACAMs (raceit_executor.cpp)

 private:
  compiler::Program program_;
  std::unique_ptr<Engines> engines_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace raceit::exec
