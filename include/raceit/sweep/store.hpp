#pragma once
// The results of a sweep in one SQLite file: the `points` table holds one row per point, with a
// column per setting (model, arch, every axis and fixed key), the results, and provenance (tool
// version, configuration hash, seeds, start time, run time, rank); the `sweep` table holds the
// spec and its plan hash. Every point's row is written when the sweep starts (status 'pending')
// and its results in one statement when it finishes, so a sweep killed at any moment resumes with
// the points still pending and none twice.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raceit/report/html.hpp"
#include "raceit/sweep/spec.hpp"

struct sqlite3;

namespace raceit::sweep {

// What one point measured.
struct PointResult {
  std::size_t index = 0;     // the point's position in the spec's plan
  bool ok = true;
  std::string error = {};         // when !ok: why the point has no results
  report::PointMetrics metrics = {};
  std::string config_hash = {};   // of the resolved configuration the point ran with
  std::string started = {};       // UTC, ISO 8601
  double seconds = 0;        // wall time of the point
  int rank = 0;              // MPI rank (0 without MPI)
};

class Store {
 public:
  // Opens `path` for `spec`: creates the store, or resumes one made for the same plan. Throws
  // Error(Config) when the store holds a different sweep, Error(Io) when it cannot be opened or
  // is not a sweep store.
  Store(const std::string& path, const SweepSpec& spec, const std::string& tool_version);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Plan indices of the points without results, in plan order.
  std::vector<std::size_t> pending() const;
  // Writes one point's results (a single atomic statement); a point that already has results
  // is left as it is.
  void record(const PointResult& result);

 private:
  sqlite3* db_ = nullptr;
  std::string path_, tool_version_;
};

// The current time, UTC, ISO 8601 ("2026-11-28T07:41:21Z").
std::string utc_timestamp();

// Reads a sweep store, every point in plan order. Throws Error(Io) when it is missing or not a
// sweep store.
report::SweepTable read_store(const std::string& path);

}  // namespace raceit::sweep
