#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>

namespace raceit::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kQuietSeconds = 2.0;     // a stage shorter than this shows nothing
constexpr double kLineInterval = 5.0;     // seconds between lines when stderr is not a terminal
constexpr double kRedrawInterval = 0.2;   // seconds between redraws of the bar

std::string clock_time(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

class Reporter {
 public:
  void update(const std::string& stage, std::int64_t done, std::int64_t total) {
    const std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (stage != stage_) {
      finish_line();
      stage_ = stage;
      start_ = last_ = now;
      done_ = 0;
      shown_ = false;
    }
    if (done <= done_ && done != 0) return;
    done_ = done;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const bool finished = done >= total;
    if (elapsed < kQuietSeconds && !shown_) return;
    const double since = std::chrono::duration<double>(now - last_).count();
    if (!finished && since < (terminal_ ? kRedrawInterval : kLineInterval) && shown_) return;
    last_ = now;
    shown_ = true;
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1;
    const std::string eta = finished ? fmt::format("took {}", clock_time(elapsed))
                                     : fmt::format("ETA {}", rate > 0 ? clock_time(static_cast<double>(total - done) / rate) : "?");
    const std::string numbers =
        fmt::format("{:3.0f}%  {}/{} samples  {:.1f}/s  {}", 100 * fraction, done, total, rate, eta);
    if (terminal_) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(fraction * kWidth);
      std::fprintf(stderr, "\r\033[K%-16s [%s%s] %s", stage.c_str(), std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), numbers.c_str());
      open_line_ = true;
      if (finished) finish_line();
    } else {
      std::fprintf(stderr, "raceit: %s: %s\n", stage.c_str(), numbers.c_str());
    }
    std::fflush(stderr);
  }

  ~Reporter() {
    const std::lock_guard lock(mutex_);
    finish_line();
  }

 private:
  // Ends a bar drawn on the terminal.
  void finish_line() {
    if (open_line_) std::fputc('\n', stderr);
    open_line_ = false;
  }

  std::mutex mutex_;
  const bool terminal_ = isatty(STDERR_FILENO) != 0;
  std::string stage_;
  Clock::time_point start_, last_;
  std::int64_t done_ = 0;
  bool shown_ = false, open_line_ = false;
};

}  // namespace

ProgressFn progress_reporter(bool quiet) {
  if (quiet) return {};
  auto reporter = std::make_shared<Reporter>();
  return [reporter](const std::string& stage, std::int64_t done, std::int64_t total) { reporter->update(stage, done, total); };
}

void add_quiet_flag(CLI::App* command, bool& quiet) {
  command->add_flag("--quiet", quiet, "No progress on stderr");
}

}  // namespace raceit::cli
