#include "raceit/core/yaml_keys.hpp"

#include <fmt/format.h>

#include <map>

#include "raceit/core/error.hpp"

namespace raceit {

namespace {
// `node_path`: the dotted path of `node` ("" for the root); `seen`: the line of each key path given so far.
std::optional<RepeatedKey> find_in(const YAML::Node& node, const std::string& node_path, std::map<std::string, int>& seen) {
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      if (auto repeat = find_in(node[i], fmt::format("{}[{}]", node_path, i), seen)) return repeat;
    return std::nullopt;
  }
  if (!node.IsMap()) return std::nullopt;
  for (const auto& item : node) {
    if (!item.first.IsScalar()) continue;
    const std::string path = node_path.empty() ? item.first.Scalar() : node_path + "." + item.first.Scalar();
    const int line = item.first.Mark().line + 1;
    const auto [first, fresh] = seen.emplace(path, line);
    if (!fresh) return RepeatedKey{.key = item.first.Scalar(), .path = path, .line = line, .first_line = first->second};
    if (auto repeat = find_in(item.second, path, seen)) return repeat;
  }
  return std::nullopt;
}
}  // namespace

std::optional<RepeatedKey> find_repeated_key(const YAML::Node& root) {
  std::map<std::string, int> seen;
  return find_in(root, "", seen);
}

void reject_repeated_keys(const YAML::Node& root, const std::string& file) {
  if (const auto repeat = find_repeated_key(root))
    throw Error(ErrorKind::Config, fmt::format("{}:{}: key '{}' is given twice (first at line {})", file, repeat->line, repeat->path,
                                               repeat->first_line));
}

}  // namespace raceit
