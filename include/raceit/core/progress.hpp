#pragma once
// Progress of long work, reported by the library and shown by the command line (only src/cli
// prints): `done` of `total` units of the stage named `stage`. May be called from several
// threads at once, so `done` may arrive out of order: show the largest seen.
#include <cstdint>
#include <functional>
#include <string>

namespace raceit {

using ProgressFn = std::function<void(const std::string& stage, std::int64_t done, std::int64_t total)>;

}  // namespace raceit
