#pragma once
// yaml-cpp keeps both entries of a repeated mapping key and lookups see the first, so a file that
// gives a key twice would silently lose one of its values. The YAML readers (core/params.hpp, the
// sweep spec) look for such a key before they read.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace raceit {

struct RepeatedKey {
  std::string key;     // as the file writes it the second time
  std::string path;    // dotted from the root: "noise.exponent", "points[0].crossbar.rows"
  int line = 0;        // of the second, from 1
  int first_line = 0;  // of the first
};

// The first key, in file order, that `root` gives twice. Keys compare by their dotted path from
// the root, so a dotted key repeating a nested one ("a: {b: 1}", then "a.b: 2") is a repeat; the
// elements of a list are apart ("[{a: 1}, {a: 2}]" repeats nothing). Keys that are not plain
// names (lists, mappings) are skipped: the readers reject them.
std::optional<RepeatedKey> find_repeated_key(const YAML::Node& root);

// Error(Config) "FILE:LINE: key 'a.b' is given twice (first at line N)" for the first repeat.
void reject_repeated_keys(const YAML::Node& root, const std::string& file);

}  // namespace raceit
