// Sharing a sweep among MPI ranks: rank 0 opens the store and hands out one point at a time to
// whichever rank asks; ranks 1…K−1 evaluate and send results back. Without MPI at build time
// run_sweep refuses before it gets here.
#include <fmt/format.h>

#include "raceit/core/error.hpp"
#include "sweep_internal.hpp"

#ifdef RACEIT_HAVE_MPI
#include <mpi.h>
#endif

namespace raceit::sweep {

#ifdef RACEIT_HAVE_MPI

bool built_with_mpi() { return true; }

namespace {

constexpr int kResultTag = 1;  // worker → writer: a result (empty: first request for work)
constexpr int kWorkTag = 2;    // writer → worker: a point index, or −1 to stop
constexpr std::int64_t kStop = -1;

// MPI for the duration of one run; finalised however the run ends.
struct MpiSession {
  MpiSession() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      owner = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  ~MpiSession() {
    if (owner) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank = 0, size = 1;
  bool owner = false;
};

// The next message with a result: its sender and text.
std::pair<int, std::string> receive_result() {
  MPI_Status status;
  MPI_Probe(MPI_ANY_SOURCE, kResultTag, MPI_COMM_WORLD, &status);
  int length = 0;
  MPI_Get_count(&status, MPI_CHAR, &length);
  std::string text(static_cast<std::size_t>(length), '\0');
  MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, kResultTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return {status.MPI_SOURCE, text};
}

void send_work(int rank, std::int64_t index) { MPI_Send(&index, 1, MPI_INT64_T, rank, kWorkTag, MPI_COMM_WORLD); }

void send_result(const std::string& text) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kResultTag, MPI_COMM_WORLD);
}

void work(const PointEvaluator& evaluator, int rank) {
  send_result("");
  for (;;) {
    std::int64_t index = kStop;
    MPI_Recv(&index, 1, MPI_INT64_T, 0, kWorkTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (index == kStop) return;
    PointResult r = evaluator.evaluate(static_cast<std::size_t>(index));
    r.rank = rank;
    send_result(result_to_json(r).dump());
  }
}

// Tells every worker to stop as it next asks (the store could not be opened).
void stop_all(int size) {
  for (int stopped = 0; stopped < size - 1; ++stopped) send_work(receive_result().first, kStop);
}

}  // namespace

RunSummary run_mpi(const SweepSpec& spec, const RunOptions& options, const PointEvaluator& evaluator) {
  evaluator.prepare();  // every rank: a model that cannot load fails everywhere, before any message
  MpiSession mpi;
  RunSummary summary{.points = spec.points.size(), .ranks = mpi.size, .writer = mpi.rank == 0};
  if (mpi.rank != 0) {
    work(evaluator, mpi.rank);
    return summary;
  }
  std::unique_ptr<Store> store;
  try {
    store = std::make_unique<Store>(options.store, spec, RACEIT_VERSION);
  } catch (...) {
    stop_all(mpi.size);
    throw;
  }
  const std::vector<std::size_t> pending_points = store->pending();
  summary.already_done = spec.points.size() - pending_points.size();
  std::size_t next = 0, done = summary.already_done;
  for (int active = mpi.size - 1; active > 0;) {
    const auto [from, text] = receive_result();
    if (!text.empty()) {
      const PointResult r = result_from_json(nlohmann::json::parse(text));
      store->record(r);
      ++summary.ran;
      summary.failed += !r.ok;
      if (options.progress) options.progress({.done = ++done, .total = spec.points.size(), .last = &r});
    }
    if (next < pending_points.size()) {
      send_work(from, static_cast<std::int64_t>(pending_points[next++]));
    } else {
      send_work(from, kStop);
      --active;
    }
  }
  return summary;
}

#else

bool built_with_mpi() { return false; }

RunSummary run_mpi(const SweepSpec&, const RunOptions&, const PointEvaluator&) {
  throw Error(ErrorKind::Internal, "run_mpi called in a build without MPI");
}

#endif

}  // namespace raceit::sweep
