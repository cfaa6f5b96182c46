#include "raceit/model/graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <utility>

#include "raceit/core/enum_names.hpp"
#include "raceit/core/error.hpp"
#include "raceit/model/op_traits.hpp"

namespace raceit::model {

namespace {

std::string format_attribute(const AttributeValue& v) {
  struct Visitor {
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return fmt::format("{:g}", d); }
    std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
    std::string operator()(const std::vector<std::int64_t>& v) const { return fmt::format("[{}]", fmt::join(v, ", ")); }
    std::string operator()(const std::vector<double>& v) const { return fmt::format("[{:g}]", fmt::join(v, ", ")); }
  };
  return std::visit(Visitor{}, v);
}

std::string describe(const Graph& g, const std::string& name) {
  const auto it = g.values.find(name);
  if (it == g.values.end()) return name;
  return fmt::format("{}: {}{}", name, to_string(it->second.dtype), to_string(it->second.shape));
}

}  // namespace

const char* to_string(OpType op) {
  return static_cast<std::size_t>(op) < kOpTypeCount ? op_traits(op).name : "?";
}

OpType op_type_from_string(const std::string& name) {
  for (const auto& t : all_op_traits())
    if (name == t.name) return t.op;
  throw Error(ErrorKind::Parse, "unknown operator type '" + name + "'");
}

namespace {
constexpr EnumNames<OpClass, 5> kOpClassNames{{{{OpClass::WeightMatMul, "weight matmul"},
                                                {OpClass::DataMatMul, "data-dependent matmul"},
                                                {OpClass::Function, "function"},
                                                {OpClass::Arithmetic, "arithmetic"},
                                                {OpClass::DataMovement, "data movement"}}}};
}  // namespace

const char* to_string(OpClass c) { return kOpClassNames.name(c); }

OpClass op_class(OpType op) { return op_traits(op).op_class; }

std::int64_t Attributes::get_int(const std::string& name, std::int64_t fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  // A float attribute where an integer is expected converts only when it is one (a cast of a
  // NaN or an out-of-range value would be undefined).
  if (const auto* d = std::get_if<double>(&it->second); d && std::trunc(*d) == *d && std::abs(*d) < 0x1p62)
    return static_cast<std::int64_t>(*d);
  throw Error(ErrorKind::InvalidArgument, "attribute '" + name + "' is not an integer");
}

double Attributes::get_float(const std::string& name, double fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  throw Error(ErrorKind::InvalidArgument, "attribute '" + name + "' is not a number");
}

std::vector<std::int64_t> Attributes::get_ints(const std::string& name, std::vector<std::int64_t> fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (const auto* v = std::get_if<std::vector<std::int64_t>>(&it->second)) return *v;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return {*i};
  throw Error(ErrorKind::InvalidArgument, "attribute '" + name + "' is not a list of integers");
}

bool Graph::is_weight(const std::string& value) const {
  return std::find(weight_names.begin(), weight_names.end(), value) != weight_names.end();
}

bool Graph::has_weight_data() const { return initializers.size() == weight_names.size(); }

std::int64_t Graph::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& w : weight_names) {
    const auto& info = values.at(w);
    if (info.dtype == DType::Float32 && !constants.count(w)) n += element_count(info.shape);
  }
  return n;
}

void Graph::validate() const {
  std::set<std::string> defined(inputs.begin(), inputs.end());
  defined.insert(weight_names.begin(), weight_names.end());
  for (const auto& node : nodes) {
    for (const auto& in : node.inputs)
      if (!in.empty() && !defined.count(in))
        throw Error(ErrorKind::Internal,
                    fmt::format("graph '{}': node '{}' ({}) reads '{}', which no earlier node, input or weight defines",
                                name, node.name, to_string(node.op), in));
    for (const auto& out : node.outputs) {
      if (!values.count(out))
        throw Error(ErrorKind::Internal, fmt::format("graph '{}': node '{}' output '{}' has no value info", name, node.name, out));
      defined.insert(out);
    }
  }
  for (const auto& out : outputs)
    if (!defined.count(out)) throw Error(ErrorKind::Internal, fmt::format("graph '{}': output '{}' is never computed", name, out));
}

std::string Graph::to_text() const {
  std::string s = fmt::format("graph {} (from {})\n", name, source);
  for (const auto& in : inputs) s += "  input  " + describe(*this, in) + "\n";
  for (const auto& w : weight_names)
    s += fmt::format("  weight {}{}\n", describe(*this, w), initializers.count(w) ? "" : " (shape only)");
  for (const auto& node : nodes) {
    std::vector<std::string> outs, attrs;
    for (const auto& o : node.outputs) outs.push_back(describe(*this, o));
    for (const auto& [k, v] : node.attributes.all()) attrs.push_back(k + "=" + format_attribute(v));
    s += fmt::format("  {} = {}({}){}{}  # {}\n", fmt::join(outs, ", "), to_string(node.op), fmt::join(node.inputs, ", "),
                     attrs.empty() ? "" : " ", attrs.empty() ? "" : "{" + fmt::format("{}", fmt::join(attrs, ", ")) + "}",
                     node.name + (node.origin.empty() ? "" : " <- " + node.origin));
  }
  for (const auto& out : outputs) s += "  output " + describe(*this, out) + "\n";
  return s;
}

}  // namespace raceit::model
