#pragma once
// What the two side-by-side reports (ppa.cpp's compare, generation.cpp's compare --decode) share:
// quantity formatting, the reference result and each design's JSON with its ratios to it.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "raceit/core/error.hpp"
#include "raceit/core/units.hpp"

namespace raceit::report::comparison {

inline std::string seconds(double v) { return format_quantity(v, Dimension::Time); }
inline std::string joules(double v) { return format_quantity(v, Dimension::Energy); }
inline std::string bytes(double v) { return format_quantity(v, Dimension::Bytes); }

// "h100 [eager]" for a GPU in a software mode, the bare name otherwise.
inline std::string arch_label(const std::string& arch, const std::string& mode) {
  return mode.empty() ? arch : arch + " [" + mode + "]";
}

// The first result: every ratio is against it.
template <class Result>
const Result& reference(const std::vector<Result>& results) {
  if (results.empty()) throw Error(ErrorKind::InvalidArgument, "nothing to compare");
  return results.front();
}

// One JSON key of a comparison: the value of a result against the reference's.
template <class Result>
struct Ratio {
  const char* key;
  double (*of)(const Result& result, const Result& reference);
};

// Each result's to_json() with every ratio added under its key.
template <class Result>
nlohmann::json with_ratios(const std::vector<Result>& results, const std::vector<Ratio<Result>>& ratios) {
  const Result& ref = reference(results);
  nlohmann::json archs = nlohmann::json::array();
  for (const Result& r : results) {
    nlohmann::json j = to_json(r);
    for (const Ratio<Result>& ratio : ratios) j[ratio.key] = ratio.of(r, ref);
    archs.push_back(std::move(j));
  }
  return archs;
}

}  // namespace raceit::report::comparison
