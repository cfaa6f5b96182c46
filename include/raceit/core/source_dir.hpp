#pragma once
// Where the source tree (presets, shipped models, device data) lives.

#include <string>

namespace raceit {

// The checkout this binary was built from, or $RACEIT_SOURCE when set. Only source_dir.cpp sees
// the build-time path, so every other object is identical across checkouts (compiler caches hit).
std::string source_dir();

}  // namespace raceit
