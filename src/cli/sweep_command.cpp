// `raceit sweep` (a design-space sweep into an SQLite store, resumable, shared among MPI ranks)
// and `raceit report` (a store as HTML with SVG charts, as CSV, or as a text table).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/file_io.hpp"
#include "raceit/core/units.hpp"
#include "raceit/report/html.hpp"
#include "raceit/sweep/run.hpp"

namespace raceit::cli {

namespace {

std::string default_store(const std::string& spec) {
  return std::filesystem::path(spec).replace_extension(".db").string();
}

std::string point_line(const sweep::SweepSpec& spec, const sweep::Progress& p) {
  const sweep::PointResult& r = *p.last;
  std::string axes;
  for (const auto& a : spec.axes) axes += fmt::format(" {}={}", a, spec.points[r.index].at(a));
  std::string outcome;
  if (!r.ok) {
    outcome = "failed: " + r.error;
  } else {
    outcome = fmt::format("latency {}, energy {}", format_quantity(r.metrics.latency, Dimension::Time),
                          format_quantity(r.metrics.energy, Dimension::Energy));
    if (r.metrics.accuracy_mean)
      outcome += fmt::format(", accuracy {:.4f} ± {:.4f}", *r.metrics.accuracy_mean, r.metrics.accuracy_std.value_or(0));
  }
  return fmt::format("[{}/{}] #{}{}: {} ({:.2f} s{})", p.done, p.total, r.index, axes, outcome, r.seconds,
                     r.rank ? fmt::format(", rank {}", r.rank) : "");
}

std::string text_summary(const report::SweepTable& t) {
  std::vector<std::string> header = {"#"};
  header.insert(header.end(), t.axes.begin(), t.axes.end());
  for (const char* h : {"status", "latency", "energy", "area mm²"}) header.push_back(h);
  if (t.accuracy) header.push_back("accuracy");
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : t.rows) {
    std::vector<std::string> row = {std::to_string(r.index)};
    for (const auto& a : t.axes) row.push_back(r.settings.count(a) ? r.settings.at(a) : "");
    row.push_back(r.status);
    const bool done = r.status == "done";
    row.push_back(done ? format_quantity(r.metrics.latency, Dimension::Time) : "");
    row.push_back(done ? format_quantity(r.metrics.energy, Dimension::Energy) : "");
    row.push_back(done ? fmt::format("{:.4g}", r.metrics.area * 1e6) : "");
    if (t.accuracy)
      row.push_back(r.metrics.accuracy_mean
                        ? fmt::format("{:.4f} ± {:.4f}", *r.metrics.accuracy_mean, r.metrics.accuracy_std.value_or(0))
                        : "");
    rows.push_back(std::move(row));
  }
  return fmt::format("{} ({}): {} points, plan {}\n", t.source, t.spec_path, t.rows.size(), t.plan_hash) +
         format_table(header, rows, 1);
}

}  // namespace

void register_sweep_commands(CLI::App& app) {
  struct SweepArgs {
    std::string spec, store;
    int jobs = 1, threads = 0;
    bool quiet = false;
  };
  auto args = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run a design-space sweep: a YAML spec names the model(s), architecture(s) and axes (grid, explicit points or "
      "seeded random samples over any key 'raceit params' lists, plus seq, batch, std_scale, stuck, seeds); every point "
      "gets its cost and, when the spec asks, its accuracy. Results go to an SQLite store as each point finishes; "
      "running the same command again resumes. Under 'mpirun -n K' rank 0 writes and the other ranks compute. "
      "Spec format: docs/sweep.md");
  cmd->add_option("spec", args->spec, "Sweep spec (YAML)")->required();
  cmd->add_option("--store", args->store, "SQLite store (default: the spec's name with .db)");
  cmd->add_option("--jobs", args->jobs, "Points evaluated at once in this process")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxThreads));
  cmd->add_option("--threads", args->threads, "Threads inside one point (default: the cores divided among the jobs)")
      ->check(CLI::Range(0, kMaxThreads));
  cmd->add_flag("--quiet", args->quiet, "Print only the summary");
  cmd->callback([args] {
    const sweep::SweepSpec spec = sweep::load_sweep_spec(args->spec);
    const std::string store = args->store.empty() ? default_store(args->spec) : args->store;
    sweep::RunOptions options{.store = store, .jobs = args->jobs, .threads = args->threads};
    if (!args->quiet) options.progress = [&](const sweep::Progress& p) { std::cout << point_line(spec, p) << std::endl; };
    const sweep::RunSummary s = sweep::run_sweep(spec, options);
    if (!s.writer) return;
    std::cout << fmt::format("{}: {} points, {} already in the store, {} run now ({} failed){}; results in {}\n", args->spec,
                             s.points, s.already_done, s.ran, s.failed,
                             s.ranks > 1 ? fmt::format(" on {} MPI ranks", s.ranks) : "", store);
  });

  struct ReportArgs {
    std::string store, html, csv;
  };
  auto rargs = std::make_shared<ReportArgs>();
  auto* report = app.add_subcommand(
      "report",
      "Report a sweep store: --html writes one self-contained page with SVG charts (Pareto front of latency vs energy "
      "and accuracy, accuracy vs each noise axis with error bars over seeds, cost along each axis, a tornado of each "
      "axis around the first point, breakdowns by component, layer and pipeline stage, every point); --csv writes one "
      "line per point; with neither, prints a table");
  report->add_option("store", rargs->store, "Sweep store (SQLite)")->required();
  report->add_option("--html", rargs->html, "Write the HTML report here");
  report->add_option("--csv", rargs->csv, "Write the CSV here");
  report->callback([rargs] {
    const report::SweepTable table = sweep::read_store(rargs->store);
    if (!rargs->html.empty()) {
      write_file_atomic(rargs->html, report::sweep_html(table));
      std::cout << "wrote " << rargs->html << "\n";
    }
    if (!rargs->csv.empty()) {
      write_file_atomic(rargs->csv, report::sweep_csv(table));
      std::cout << "wrote " << rargs->csv << "\n";
    }
    if (rargs->html.empty() && rargs->csv.empty()) std::cout << text_summary(table);
  });
}

}  // namespace raceit::cli
