#include "raceit/core/params.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "raceit/core/error.hpp"

namespace raceit {

ParamSet::ParamSet(std::vector<ParamSpec> specs) : specs_(std::move(specs)) {
  for (const auto& s : specs_) set(s.key, s.default_text, "default");
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

const ParamValue& ParamSet::value(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) spec(key, "lookup");  // throws with the list of known keys
  return it->second;
}

double ParamSet::number(const std::string& key) const { return value(key).number; }
const std::string& ParamSet::word(const std::string& key) const { return value(key).text; }

namespace {
void load_node(ParamSet& set, const YAML::Node& node, const std::string& prefix,
               const std::string& path) {
  for (const auto& item : node) {
    const std::string where = fmt::format("{}:{}", path, item.first.Mark().line + 1);
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
}  // namespace

ParamSet load_params(const std::vector<ParamSpec>& specs, const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw Error(ErrorKind::Io, fmt::format("{}: no such configuration file", path));
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::Config,
                fmt::format("{}:{}: malformed YAML: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap())
    throw Error(ErrorKind::Config, fmt::format("{}: expected a mapping of keys to values", path));
  ParamSet set(specs);
  load_node(set, root, "", path);
  return set;
}

}  // namespace raceit
