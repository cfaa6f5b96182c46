#pragma once
// Progress of long work on stderr: a live bar on a terminal, else a line every few seconds; a
// stage that ends within two seconds prints nothing. stdout (and JSON on it) stays clean.
#include <CLI/CLI.hpp>

#include "raceit/core/progress.hpp"

namespace raceit::cli {

// The reporter commands hand to the library; empty (no reporting) when `quiet`.
ProgressFn progress_reporter(bool quiet);

// Adds --quiet, which turns progress off.
void add_quiet_flag(CLI::App* command, bool& quiet);

}  // namespace raceit::cli
