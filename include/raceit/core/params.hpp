#pragma once
// Self-documenting parameters (after SST): every configuration key has a dimension (unit), a
// default and a description, which `raceit params` prints. Specs are declared by the module that
// owns them; files are parsed here into a ParamSet that records where each value came from.
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "raceit/core/units.hpp"

namespace raceit {

// The numbers a key accepts, checked where the value is set (ParamSet::set), so the error names the
// file and line or --set. Open ends exclude their bound: Bounds::positive() is (0, inf).
struct Bounds {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;
  bool integer = false;  // whole numbers only (at most 1e9, so they fit an int)

  static Bounds positive() { return {.min = 0, .min_open = true}; }
  static Bounds non_negative() { return {.min = 0}; }
  static Bounds negative() { return {.max = 0, .max_open = true}; }
  static Bounds fraction() { return {.min = 0, .max = 1, .min_open = true}; }  // (0, 1]
  static Bounds closed(double min, double max) { return {.min = min, .max = max}; }
  static Bounds whole(int min) { return {.min = static_cast<double>(min), .integer = true}; }
  static Bounds whole(int min, int max) {
    return {.min = static_cast<double>(min), .max = static_cast<double>(max), .integer = true};
  }

  bool admits(double value) const;
  bool unbounded() const;
  // "a whole number >= 1", "a whole number 2…16", "> 0", "in (0, 1]", …; "any" when unbounded.
  std::string text() const;
};

struct ParamSpec {
  std::string key;           // dotted path, e.g. "write_noise.exponent"
  Dimension dimension;       // unit family; Dimensionless for plain numbers
  std::string default_text = {};  // as a user would write it: "150uS", "0.95", "gray"; empty: no
                             // default, a configuration must set the key
  std::string description;
  std::vector<std::string> choices = {};  // non-empty: the value is one of these words
  Bounds bounds = {};                     // numeric keys: the values accepted
};

struct ParamValue {
  double number = 0.0;  // SI units (unused for word-valued keys)
  std::string text;     // as written
  std::string source;   // "default", "file.yaml:12" or "--set"
};

class ParamSet {
 public:
  ParamSet() = default;
  explicit ParamSet(std::vector<ParamSpec> specs);  // every key at its default, if it has one

  const std::vector<ParamSpec>& specs() const { return specs_; }
  // Whether the key has a value (a default or a set one); throws for an unknown key.
  bool has(const std::string& key) const;
  double number(const std::string& key) const;
  const std::string& word(const std::string& key) const;
  const ParamValue& value(const std::string& key) const;
  // Sets key from text, validating the unit, the bounds or the choice; throws Error(Config)
  // naming `origin`, the key and what it accepts.
  void set(const std::string& key, const std::string& text, const std::string& origin);
  // Parses "KEY=VALUE" as given on the command line.
  void set_override(const std::string& assignment);

 private:
  const ParamSpec& spec(const std::string& key, const std::string& origin) const;
  std::vector<ParamSpec> specs_;
  std::map<std::string, ParamValue> values_;
};

// Reads a YAML file whose leaves (nested mappings join keys with '.') must all be known keys.
// A top-level `include: FILE` (relative to the including file) is read first and overridden by
// the including file. Errors name the file, the line and the key: a missing file, a malformed
// document, an unknown key, a bad unit or a value of the wrong dimension.
ParamSet load_params(const std::vector<ParamSpec>& specs, const std::string& path);
// The same from a file's text; `path` names it in errors and anchors an include (the in-memory
// entry point for fuzzing).
ParamSet parse_params(const std::vector<ParamSpec>& specs, const std::string& text, const std::string& path);

}  // namespace raceit
