#pragma once
// One name table per enum, which gives the enum's to_string, parses words into it and lists the
// words a configuration key accepts (ParamSpec::choices), so the three cannot drift apart.
//
//   inline constexpr EnumNames<Readout, 2> kReadoutNames{{{{Readout::Adc, "adc"}, {Readout::Acam, "acam"}}}};
//   const char* to_string(Readout r) { return kReadoutNames.name(r); }
//
// A value may have several names (aliases): name() gives the first, parse() accepts each.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raceit/core/error.hpp"

namespace raceit {

template <class E, std::size_t N>
struct EnumNames {
  std::array<std::pair<E, const char*>, N> entries;

  constexpr const char* name(E value) const {
    for (const auto& [e, name] : entries)
      if (e == value) return name;
    return "?";
  }
  // Error(Parse) for a word that names no value (a ParamSpec with these choices has checked it).
  E parse(std::string_view word) const {
    if (const E* e = find(word)) return *e;
    throw Error(ErrorKind::Parse, "unknown name '" + std::string(word) + "'");
  }
  // The value `word` names, or null.
  constexpr const E* find(std::string_view word) const {
    for (const auto& entry : entries)
      if (word == entry.second) return &entry.first;
    return nullptr;
  }
  std::vector<std::string> words() const {
    std::vector<std::string> w;
    for (const auto& entry : entries) w.emplace_back(entry.second);
    return w;
  }
};

}  // namespace raceit
