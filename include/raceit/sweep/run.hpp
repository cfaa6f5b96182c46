#pragma once
// Running a sweep: each point's cost (report::CostStudy) and, when the spec asks, its accuracy
// (exec::evaluate_raceit), written to a Store as each point finishes. Points run on `jobs` local
// threads or, under mpirun, on every rank but 0, which is the store's only writer. Results do not
// depend on the number of jobs or ranks (every draw is a function of the point's seeds).
#include <functional>
#include <memory>
#include <string>

#include "raceit/sweep/spec.hpp"
#include "raceit/sweep/store.hpp"

namespace raceit::sweep {

// Evaluates points of one spec; caches one loaded model per (model, seq) for all points.
class PointEvaluator {
 public:
  explicit PointEvaluator(const SweepSpec& spec, int threads = 0);
  ~PointEvaluator();
  // Loads every model the spec names: a model that cannot be loaded fails before any point runs.
  void prepare() const;
  // A point's results; a point the design cannot run (it does not fit, a compile error) gives
  // ok = false and the reason. Thread-safe.
  PointResult evaluate(std::size_t index) const;

 private:
  struct Cache;
  const SweepSpec& spec_;
  int threads_;
  std::unique_ptr<Cache> cache_;
};

struct Progress {
  std::size_t done = 0, total = 0;  // points with results, of all points
  const PointResult* last = nullptr;
};

struct RunOptions {
  std::string store = {};
  int jobs = 1;     // local worker threads (one point each)
  int threads = 0;  // threads inside a point (0: the cores divided among the jobs)
  std::function<void(const Progress&)> progress = {};  // called by the writer after each point
};

struct RunSummary {
  std::size_t points = 0, already_done = 0, ran = 0, failed = 0;
  int ranks = 1;
  bool writer = true;  // this process wrote the store (false: an MPI worker rank)
};

// Runs the points the store does not have yet. Under mpirun (with K > 1 processes) rank 0 writes
// and ranks 1…K−1 evaluate; a build without MPI throws Error(Unsupported) there.
RunSummary run_sweep(const SweepSpec& spec, const RunOptions& options);

// The number of processes mpirun started this one among (1 when not under mpirun).
int mpi_world_size_from_environment();
// Whether this build can share a sweep among MPI ranks.
bool built_with_mpi();

}  // namespace raceit::sweep
