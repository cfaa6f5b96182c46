#include "raceit/core/params.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "raceit/core/error.hpp"
#include "raceit/core/file_io.hpp"
#include "raceit/core/yaml_keys.hpp"

namespace raceit {

bool Bounds::admits(double v) const {
  if (integer && (v != std::floor(v) || std::abs(v) > 1e9)) return false;
  return (min_open ? v > min : v >= min) && (max_open ? v < max : v <= max);
}

bool Bounds::unbounded() const { return !integer && std::isinf(min) && std::isinf(max); }

std::string Bounds::text() const {
  const std::string lo = fmt::format("{}{}", min_open ? "> " : ">= ", min);
  const std::string hi = fmt::format("{}{}", max_open ? "< " : "<= ", max);
  const bool has_min = !std::isinf(min), has_max = !std::isinf(max);
  if (integer) {  // admits() caps whole numbers at ±1e9 (an int) where no bound is tighter
    constexpr double kWholeLimit = 1e9;
    return fmt::format("a whole number {}…{}", static_cast<std::int64_t>(has_min ? std::max(min, -kWholeLimit) : -kWholeLimit),
                       static_cast<std::int64_t>(has_max ? std::min(max, kWholeLimit) : kWholeLimit));
  }
  if (has_min && has_max)
    return fmt::format("in {}{}, {}{}", min_open ? '(' : '[', min, max, max_open ? ')' : ']');
  return has_min ? lo : has_max ? hi : "any";
}

ParamSet::ParamSet(std::vector<ParamSpec> specs) : specs_(std::move(specs)) {
  for (const auto& s : specs_)
    if (!s.default_text.empty()) set(s.key, s.default_text, "default");
  for (auto& [key, v] : values_) v.source = "default";
}

const ParamSpec& ParamSet::spec(const std::string& key, const std::string& origin) const {
  const auto it = std::find_if(specs_.begin(), specs_.end(),
                               [&](const ParamSpec& s) { return s.key == key; });
  if (it == specs_.end()) {
    std::string known;
    for (const auto& s : specs_) known += (known.empty() ? "" : ", ") + s.key;
    throw Error(ErrorKind::Config,
                fmt::format("{}: unknown key '{}' (known keys: {})", origin, key, known));
  }
  return *it;
}

void ParamSet::set(const std::string& key, const std::string& text, const std::string& origin) {
  const ParamSpec& s = spec(key, origin);
  ParamValue v;
  v.text = text;
  v.source = origin;
  if (!s.choices.empty()) {
    if (std::find(s.choices.begin(), s.choices.end(), text) == s.choices.end())
      throw Error(ErrorKind::Config, fmt::format("{}: key '{}': '{}' is not one of {}", origin,
                                                 key, text, fmt::join(s.choices, ", ")));
  } else {
    try {
      v.number = parse_quantity(text, s.dimension).value;
    } catch (const Error& e) {
      throw Error(ErrorKind::Config, fmt::format("{}: key '{}': {}", origin, key, e.what()));
    }
    // No physical quantity is infinite or undefined; a NaN would also slip past every range check.
    if (!std::isfinite(v.number))
      throw Error(ErrorKind::Config, fmt::format("{}: key '{}': '{}' is not a finite number", origin, key, text));
    if (!s.bounds.admits(v.number))
      throw Error(ErrorKind::Config, fmt::format("{}: key '{}': must be {}, got {}", origin, key, s.bounds.text(), text));
  }
  values_[key] = std::move(v);
}

void ParamSet::set_override(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(ErrorKind::Config,
                fmt::format("--set '{}': expected KEY=VALUE", assignment));
  set(assignment.substr(0, eq), assignment.substr(eq + 1), "--set");
}

bool ParamSet::has(const std::string& key) const {
  spec(key, "lookup");  // throws with the list of known keys
  return values_.count(key) != 0;
}

const ParamValue& ParamSet::value(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) {
    const ParamSpec& s = spec(key, "lookup");  // throws with the list of known keys
    throw Error(ErrorKind::Config, fmt::format("key '{}' ({}) has no default and was not set",
                                               key, s.description));
  }
  return it->second;
}

double ParamSet::number(const std::string& key) const { return value(key).number; }
const std::string& ParamSet::word(const std::string& key) const { return value(key).text; }

namespace {
void load_node(ParamSet& set, const YAML::Node& node, const std::string& prefix, const std::string& path) {
  for (const auto& item : node) {
    const std::string where = fmt::format("{}:{}", path, item.first.Mark().line + 1);
    if (!item.first.IsScalar())
      throw Error(ErrorKind::Config, fmt::format("{}: a key must be a plain name, not a list or mapping", where));
    const std::string key = prefix + item.first.as<std::string>();
    const YAML::Node& v = item.second;
    if (v.IsMap()) {
      load_node(set, v, key + ".", path);
    } else if (v.IsScalar()) {
      set.set(key, v.as<std::string>(), where);
    } else {
      throw Error(ErrorKind::Config,
                  fmt::format("{}: key '{}' must be a single value, not a list or null", where, key));
    }
  }
}

// Reads `path` into `set`: first the file its top-level `include:` names (relative to it), then
// its own keys, which override the included ones. `depth` stops include cycles.
void load_text(ParamSet& set, const std::string& text, const std::string& path, int depth);

// A path the system refuses (too long, …) is an error with its reason, not an exception from
// <filesystem>; `what` names it ("FILE" or "FILE:LINE: included file F").
void require_configuration_file(const std::filesystem::path& p, const std::string& what) {
  std::error_code ec;
  const bool regular = std::filesystem::is_regular_file(p, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw Error(ErrorKind::Io, fmt::format("{}: {}", what, ec.message()));
  if (!regular) throw Error(ErrorKind::Io, fmt::format("{}: no such configuration file", what));
}

void load_file(ParamSet& set, const std::string& path, int depth) {
  require_configuration_file(path, path);
  load_text(set, read_file(path), path, depth);
}

// `text` is the content of `path`, which names it in errors and anchors its include.
void load_text(ParamSet& set, const std::string& text, const std::string& path, int depth) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::Config,
                fmt::format("{}:{}: malformed YAML: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap())
    throw Error(ErrorKind::Config, fmt::format("{}: expected a mapping of keys to values", path));
  reject_repeated_keys(root, path);
  if (const YAML::Node include = root["include"]) {
    const std::string where = fmt::format("{}:{}", path, include.Mark().line + 1);
    if (!include.IsScalar())
      throw Error(ErrorKind::Config, fmt::format("{}: 'include' must name one file", where));
    if (depth >= 8)
      throw Error(ErrorKind::Config, fmt::format("{}: includes nest deeper than 8 files (a cycle?)", where));
    const auto base = std::filesystem::path(path).parent_path() / include.as<std::string>();
    require_configuration_file(base, fmt::format("{}: included file {}", where, base.string()));
    load_file(set, base.string(), depth + 1);
    root.remove("include");
  }
  load_node(set, root, "", path);
}
}  // namespace

ParamSet load_params(const std::vector<ParamSpec>& specs, const std::string& path) {
  ParamSet set(specs);
  load_file(set, path, 0);
  return set;
}

ParamSet parse_params(const std::vector<ParamSpec>& specs, const std::string& text, const std::string& path) {
  ParamSet set(specs);
  load_text(set, text, path, 0);
  return set;
}

}  // namespace raceit
