#pragma once
// Shared between the local and the MPI runner (not part of the public interface).
#include <nlohmann/json.hpp>

#include "raceit/sweep/run.hpp"

namespace raceit::sweep {

// A point's results as exchanged between ranks (doubles round-trip exactly).
nlohmann::json result_to_json(const PointResult& result);
PointResult result_from_json(const nlohmann::json& j);

// Rank 0 writes the store and hands out points; the other ranks evaluate them (mpi.cpp).
RunSummary run_mpi(const SweepSpec& spec, const RunOptions& options, const PointEvaluator& evaluator);

}  // namespace raceit::sweep
