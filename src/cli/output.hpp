#pragma once
// Output helpers shared by commands: the provenance every result carries, and plain tables.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace raceit::cli {

// {"tool": "raceit", "version": …, "command": …} — merged into every --json result.
nlohmann::json provenance(const std::string& command_line);
// The command line as typed, for provenance.
const std::string& invocation();
void set_invocation(int argc, char** argv);

// A plain-text table, columns two spaces apart: the first `left_columns` columns are
// left-aligned (names, descriptions), the rest right-aligned (numbers).
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         std::size_t left_columns = 1);

}  // namespace raceit::cli
