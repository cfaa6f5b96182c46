#pragma once
// Output helpers shared by commands: the provenance every result carries, and plain tables.
#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace raceit::cli {

// {"tool": "raceit", "version": …, "command": …} — merged into every --json result.
nlohmann::json provenance(const std::string& command_line);
// The command line as typed, for provenance.
const std::string& invocation();
void set_invocation(int argc, char** argv);

// Every numeric option is checked one way: ->check(CLI::Range(lo, hi)),
// so that a value out of range exits 2 naming the option, --help states the range, and no value
// is silently replaced by a default. These are the upper ends that are not physical limits.
constexpr int kMaxThreads = 4096;
constexpr int kMaxSeeds = 1'000'000;
constexpr int kMaxExtent = 1 << 16;  // a matrix side or a batch of the xbar command
constexpr std::int64_t kMaxSamples = std::int64_t{1} << 30;
constexpr std::int64_t kMaxSequence = 1 << 20;

// A plain-text table, columns two spaces apart: the first `left_columns` columns are
// left-aligned (names, descriptions), the rest right-aligned (numbers).
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         std::size_t left_columns = 1);

}  // namespace raceit::cli
