#include "raceit/sweep/run.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "raceit/core/error.hpp"
#include "raceit/core/parallel.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/exec/raceit_evaluate.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/report/html.hpp"
#include "raceit/report/ppa.hpp"
#include "sweep_internal.hpp"

namespace raceit::sweep {

namespace {

bool is_key_of(const std::vector<ParamSpec>& specs, const std::string& key) {
  for (const auto& s : specs)
    if (s.key == key) return true;
  return false;
}

std::int64_t integer_setting(const Point& p, const std::string& key, std::int64_t fallback) {
  const auto it = p.values.find(key);
  return it == p.values.end() ? fallback : std::stoll(it->second);
}

// Every resolved value of a configuration, "KEY=TEXT" per line, for the configuration hash.
std::string resolved_text(const ParamSet& params) {
  std::string text;
  for (const auto& s : params.specs())
    if (params.has(s.key)) text += s.key + "=" + params.value(s.key).text + "\n";
  return text;
}

}  // namespace

struct PointEvaluator::Cache {
  std::mutex mutex;
  std::map<std::pair<std::string, std::int64_t>, std::unique_ptr<report::CostStudy>> studies;
};

PointEvaluator::PointEvaluator(const SweepSpec& spec, int threads)
    : spec_(spec), threads_(threads), cache_(std::make_unique<Cache>()) {}

PointEvaluator::~PointEvaluator() = default;

namespace {

const report::CostStudy& study_for(const SweepSpec& spec, int threads, std::mutex& mutex,
                                   std::map<std::pair<std::string, std::int64_t>, std::unique_ptr<report::CostStudy>>& studies,
                                   const Point& p) {
  const std::string model = p.at("model");
  const std::int64_t seq = integer_setting(p, "seq", 0);
  const std::lock_guard lock(mutex);
  auto& study = studies[{model, seq}];
  if (!study) {
    report::CostStudy::Options o;
    o.sequence_length = seq;
    o.threads = threads;
    if (spec.accuracy) {
      o.dataset = spec.accuracy->dataset;
      o.calibration_samples = spec.accuracy->calibration;
    }
    try {
      study = std::make_unique<report::CostStudy>(model, o);
    } catch (const Error& e) {
      throw Error(e.kind(), fmt::format("{}: model '{}'{}: {}", spec.path, model,
                                        seq ? fmt::format(" at seq {}", seq) : "", e.what()));
    }
  }
  return *study;
}

// The noisy runs' device parameters: the preset, with the point's device keys set.
ParamSet device_params(const AccuracySpec& a, const Point& p) {
  const std::string path = a.device.empty() ? device::default_device_preset_path() : a.device;
  ParamSet params = load_params(device::rram_param_specs(), path);
  for (const auto& [k, v] : p.values)
    if (is_key_of(device::rram_param_specs(), k)) params.set(k, v, "sweep point");
  return params;
}

void measure_accuracy(const AccuracySpec& a, const Point& p, const report::CostStudy& study,
                      const compiler::Program& program, int threads, report::PointMetrics& m) {
  exec::RaceitEvalOptions o;
  o.dataset = a.dataset.empty() ? exec::default_dataset(p.at("model")) : a.dataset;
  o.limit = a.limit;
  o.mode = device::parse_noise_mode(a.mode);
  o.seeds = a.seeds;
  o.base_seed = p.values.count("seed") ? std::stoull(p.at("seed")) : a.seed;
  o.device = device::RramModel::from_params(device_params(a, p));
  o.exec.threads = threads;
  o.error_samples = 0;
  const exec::RaceitEvaluation e = exec::evaluate_raceit(program, study.graph(), o);
  m.accuracy_fp32 = e.accuracy_fp32;
  m.accuracy_ideal = e.accuracy_ideal;
  m.accuracy_mean = e.accuracy_mean;
  m.accuracy_std = e.accuracy_std;
  m.accuracy_per_seed = e.accuracy_noisy;
  m.seeds = e.seeds;
}

}  // namespace

void PointEvaluator::prepare() const {
  for (const Point& p : spec_.points) study_for(spec_, threads_, cache_->mutex, cache_->studies, p);
}

PointResult PointEvaluator::evaluate(std::size_t index) const {
  const Point& p = spec_.points.at(index);
  PointResult r{.index = index, .started = utc_timestamp()};
  const auto start = std::chrono::steady_clock::now();
  try {
    const report::CostStudy& study = study_for(spec_, threads_, cache_->mutex, cache_->studies, p);
    std::vector<std::string> overrides;
    for (const auto& [k, v] : p.values)
      if (is_key_of(compiler::arch_param_specs(), k)) overrides.push_back(k + "=" + v);
    const arch::ArchSpec arch = compiler::load_arch(arch::arch_path(p.at("arch")), overrides);
    const std::int64_t batch = integer_setting(p, "batch", 1);
    std::string config = resolved_text(arch.params) + fmt::format("model={}\nbatch={}\ntokens={}\n", p.at("model"), batch, study.tokens());
    report::Ppa ppa;
    if (arch.kind == arch::ArchKind::Gpu) {
      if (spec_.accuracy) throw Error(ErrorKind::Unsupported, fmt::format("accuracy on GPU '{}' is not simulated", arch.name));
      ppa = study.estimate(p.at("arch"), overrides, batch);
    } else {
      const compiler::Program program = study.compile(arch);
      ppa = study.estimate(program, arch, batch);
      if (spec_.accuracy) {
        measure_accuracy(*spec_.accuracy, p, study, program, threads_, r.metrics);
        config += "device:\n" + resolved_text(device_params(*spec_.accuracy, p));
      }
    }
    r.metrics.latency = ppa.latency;
    r.metrics.throughput = ppa.throughput;
    r.metrics.energy = ppa.energy;
    r.metrics.power = ppa.power;
    r.metrics.area = ppa.area;
    r.metrics.chips = ppa.chips;
    r.metrics.detail = report::figure_data(ppa, arch).dump();
    r.config_hash = text_hash(config);
  } catch (const Error& e) {
    r = PointResult{.index = index, .ok = false, .error = e.what(), .started = r.started};
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

nlohmann::json result_to_json(const PointResult& r) {
  const report::PointMetrics& m = r.metrics;
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"index", r.index}, {"ok", r.ok}, {"error", r.error}, {"latency", m.latency}, {"throughput", m.throughput},
          {"energy", m.energy}, {"power", m.power}, {"area", m.area}, {"chips", m.chips},
          {"accuracy_fp32", opt(m.accuracy_fp32)}, {"accuracy_ideal", opt(m.accuracy_ideal)},
          {"accuracy_mean", opt(m.accuracy_mean)}, {"accuracy_std", opt(m.accuracy_std)},
          {"accuracy_per_seed", m.accuracy_per_seed}, {"seeds", m.seeds}, {"detail", m.detail},
          {"config_hash", r.config_hash}, {"started", r.started}, {"seconds", r.seconds}, {"rank", r.rank}};
}

PointResult result_from_json(const nlohmann::json& j) {
  auto opt = [&](const char* key) { return j.at(key).is_null() ? std::nullopt : std::optional(j.at(key).get<double>()); };
  return {.index = j.at("index").get<std::size_t>(),
          .ok = j.at("ok").get<bool>(),
          .error = j.at("error").get<std::string>(),
          .metrics = {.latency = j.at("latency").get<double>(),
                      .throughput = j.at("throughput").get<double>(),
                      .energy = j.at("energy").get<double>(),
                      .power = j.at("power").get<double>(),
                      .area = j.at("area").get<double>(),
                      .chips = j.at("chips").get<int>(),
                      .accuracy_fp32 = opt("accuracy_fp32"),
                      .accuracy_ideal = opt("accuracy_ideal"),
                      .accuracy_mean = opt("accuracy_mean"),
                      .accuracy_std = opt("accuracy_std"),
                      .accuracy_per_seed = j.at("accuracy_per_seed").get<std::vector<double>>(),
                      .seeds = j.at("seeds").get<std::vector<std::uint64_t>>(),
                      .detail = j.at("detail").get<std::string>()},
          .config_hash = j.at("config_hash").get<std::string>(),
          .started = j.at("started").get<std::string>(),
          .seconds = j.at("seconds").get<double>(),
          .rank = j.at("rank").get<int>()};
}

namespace {

// `jobs` threads evaluate; this thread is the only one that writes the store.
void run_local(const PointEvaluator& evaluator, Store& store, const std::vector<std::size_t>& pending_points, int jobs,
               const std::function<void(const PointResult&)>& written) {
  if (jobs <= 1) {
    for (const std::size_t index : pending_points) {
      const PointResult r = evaluator.evaluate(index);
      store.record(r);
      written(r);
    }
    return;
  }
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<PointResult> finished;
  std::exception_ptr failure;
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j)
    workers.emplace_back([&] {
      for (std::size_t k; (k = next++) < pending_points.size();) {
        try {
          PointResult r = evaluator.evaluate(pending_points[k]);
          const std::lock_guard lock(mutex);
          finished.push_back(std::move(r));
        } catch (...) {
          const std::lock_guard lock(mutex);
          if (!failure) failure = std::current_exception();
          next = pending_points.size();
        }
        ready.notify_one();
      }
    });
  std::size_t recorded = 0;
  try {
    while (recorded < pending_points.size()) {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return !finished.empty() || failure; });
      if (finished.empty()) break;
      const PointResult r = std::move(finished.front());
      finished.pop_front();
      lock.unlock();
      store.record(r);
      written(r);
      ++recorded;
    }
  } catch (...) {
    next = pending_points.size();
    for (auto& w : workers) w.join();
    throw;
  }
  for (auto& w : workers) w.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

int mpi_world_size_from_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"})
    if (const char* v = std::getenv(name)) {
      const int n = std::atoi(v);
      if (n > 0) return n;
    }
  return 1;
}

RunSummary run_sweep(const SweepSpec& spec, const RunOptions& options) {
  if (options.jobs < 1) throw Error(ErrorKind::InvalidArgument, fmt::format("--jobs must be at least 1, got {}", options.jobs));
  const int world = mpi_world_size_from_environment();
  const int threads = options.threads > 0 ? options.threads : std::max(1, default_threads() / options.jobs);
  const PointEvaluator evaluator(spec, threads);
  if (world > 1) {
    if (!built_with_mpi())
      throw Error(ErrorKind::Unsupported,
                  fmt::format("mpirun started {} processes, but this raceit was built without MPI (no OpenMPI found "
                              "when it was configured), so they cannot share one sweep: install libopenmpi-dev "
                              "(tools/setup.sh) and rebuild, or run one process with --jobs N",
                              world));
    return run_mpi(spec, options, evaluator);
  }
  evaluator.prepare();
  Store store(options.store, spec, RACEIT_VERSION);
  const std::vector<std::size_t> pending_points = store.pending();
  RunSummary summary{.points = spec.points.size(), .already_done = spec.points.size() - pending_points.size()};
  std::size_t done = summary.already_done;
  run_local(evaluator, store, pending_points, options.jobs, [&](const PointResult& r) {
    ++summary.ran;
    summary.failed += !r.ok;
    if (options.progress) options.progress({.done = ++done, .total = spec.points.size(), .last = &r});
  });
  return summary;
}

}  // namespace raceit::sweep
