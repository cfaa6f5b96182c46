#pragma once
// What every module's parameter reader shares (architecture, mapping, device): the one fail()
// that names the key and where its value came from, and one name table per enum, which gives the
// enum's to_string, parses configuration words into it and lists the words a parameter accepts
// (ParamSpec::choices), so the three cannot drift apart.
//
//   constexpr EnumNames<Readout, 2> kReadoutNames{{{Readout::Adc, "adc"}, {Readout::Acam, "acam"}}};
//   const char* to_string(Readout r) { return kReadoutNames.name(r); }
//   … {"crossbar.readout", …, kReadoutNames.words()} … kReadoutNames.parse(p.word("crossbar.readout"))
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raceit/core/error.hpp"
#include "raceit/core/params.hpp"

namespace raceit {

// Error(Config): "<file:line, --set or default>: key '<key>': <why>".
[[noreturn]] inline void fail(const ParamSet& p, const std::string& key, const std::string& why) {
  throw Error(ErrorKind::Config, p.value(key).source + ": key '" + key + "': " + why);
}

template <class E, std::size_t N>
struct EnumNames {
  std::array<std::pair<E, const char*>, N> entries;

  const char* name(E value) const {
    for (const auto& [e, name] : entries)
      if (e == value) return name;
    return "?";
  }
  // Error(Parse) for a word that names no value (a ParamSpec with these choices has checked it).
  E parse(std::string_view word) const {
    for (const auto& [e, name] : entries)
      if (word == name) return e;
    throw Error(ErrorKind::Parse, "unknown name '" + std::string(word) + "'");
  }
  std::vector<std::string> words() const {
    std::vector<std::string> w;
    for (const auto& entry : entries) w.emplace_back(entry.second);
    return w;
  }
};

}  // namespace raceit
