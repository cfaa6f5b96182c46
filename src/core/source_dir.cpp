#include "raceit/core/source_dir.hpp"

#include <cstdlib>

namespace raceit {

std::string source_dir() {
  if (const char* env = std::getenv("RACEIT_SOURCE")) return env;
  return RACEIT_SOURCE_DIR;
}

}  // namespace raceit
