#pragma once
// What every module's parameter reader shares (architecture, mapping, device): the one fail()
// that names the key and where its value came from, and the row table that declares each key once.
//
// A module declares its keys as rows {ParamSpec, Binding}: the spec documents the key (unit,
// default, description, bounds) and the binding names the struct member the value goes to. The
// member's type supplies the rest: an int member makes the key a whole number, an enum or bool
// member bound with its EnumNames makes the key accept those words. ParamSet::set validates every
// value against its row (errors name file:line or --set), read_fields() copies the values into
// the struct, so no key is written twice. What remains hand-written is what involves several keys
// (g_min < g_max, cells wide enough for the weight encoding, …).
//
//   const std::vector<ParamField<RramModel>> rows{
//       {{"std_scale", Dimension::Dimensionless, "1", "multiplies every noise sigma",
//         .bounds = Bounds::closed(0, 100)}, bind(&RramModel::std_scale)}, …};
#include <cstddef>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "raceit/core/enum_names.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/params.hpp"

namespace raceit {

// Error(Config): "<file:line, --set or default>: key '<key>': <why>".
[[noreturn]] inline void fail(const ParamSet& p, const std::string& key, const std::string& why) {
  throw Error(ErrorKind::Config, p.value(key).source + ": key '" + key + "': " + why);
}

// Where a key's value goes in a struct S; built by bind().
template <class S>
struct Binding {
  std::function<void(S&, const ParamValue&)> assign;  // empty: the reader derives it (several keys)
  std::vector<std::string> choices = {};              // the words of an enum or bool member
  bool integer = false;                               // an integer member
};

// A row {spec, binding}. A constructor, not an aggregate: its two fields have different types, so
// a positional row cannot swap them, and the row tables stay one key per line or two.
template <class S>
struct ParamField {
  ParamField(ParamSpec spec_, Binding<S> binding_ = {}) : spec(std::move(spec_)), binding(std::move(binding_)) {}
  ParamSpec spec;
  Binding<S> binding;
};

// A number member; `scale` converts from the key's SI unit (1e6: siemens to microsiemens).
template <class S, class T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
Binding<S> bind(T S::*member, double scale = 1.0) {
  return {.assign = [member, scale](S& s, const ParamValue& v) { s.*member = static_cast<T>(v.number * scale); },
          .integer = std::is_integral_v<T>};
}

// An enum or bool member named by `names`.
template <class S, class E, std::size_t N>
Binding<S> bind(E S::*member, const EnumNames<E, N>& names) {
  return {.assign = [member, names](S& s, const ParamValue& v) { s.*member = names.parse(v.text); },
          .choices = names.words()};
}

// A member of the member `outer` (ImcSpec::crossbar's ComponentSpec::energy, …).
template <class S, class M>
Binding<S> bind(M S::*outer, Binding<M> inner) {
  return {.assign = [outer, assign = std::move(inner.assign)](S& s, const ParamValue& v) { assign(s.*outer, v); },
          .choices = std::move(inner.choices),
          .integer = inner.integer};
}

// The specs of the rows, completed by their bindings (choices, integer).
template <class S>
std::vector<ParamSpec> specs_of(const std::vector<ParamField<S>>& fields) {
  std::vector<ParamSpec> specs;
  for (const auto& f : fields) {
    ParamSpec s = f.spec;
    if (s.choices.empty()) s.choices = f.binding.choices;
    s.bounds.integer = s.bounds.integer || f.binding.integer;
    specs.push_back(std::move(s));
  }
  return specs;
}

// Copies every bound key that has a value and passes `wanted(key)` into `s`.
template <class S, class Wanted>
void read_fields(const ParamSet& p, const std::vector<ParamField<S>>& fields, S& s, Wanted wanted) {
  for (const auto& f : fields)
    if (f.binding.assign && wanted(f.spec.key) && p.has(f.spec.key)) f.binding.assign(s, p.value(f.spec.key));
}
template <class S>
void read_fields(const ParamSet& p, const std::vector<ParamField<S>>& fields, S& s) {
  read_fields(p, fields, s, [](const std::string&) { return true; });
}

// on/off words for a bool member, in the order `raceit params` lists them.
inline constexpr EnumNames<bool, 2> kOnOff{{{{true, "on"}, {false, "off"}}}};
inline constexpr EnumNames<bool, 2> kOffOn{{{{false, "off"}, {true, "on"}}}};

}  // namespace raceit
