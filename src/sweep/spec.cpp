#include "raceit/sweep/spec.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "raceit/core/error.hpp"
#include "raceit/core/params.hpp"
#include "raceit/core/rng.hpp"
#include "raceit/core/yaml_keys.hpp"
#include "raceit/device/rram.hpp"
#include "raceit/arch/arch.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/report/sensitivity.hpp"

namespace raceit::sweep {

namespace {

constexpr std::uint64_t kSampleStream = 1;  // random samples: one draw per (sample, axis)

// Spec keys that name a setting of the tool rather than a configuration key; "seeds" lists the
// seed of each point's noisy run and is stored as "seed", "stuck" is stuck_probability.
const std::vector<std::string> kSettings = {"model", "arch", "seq", "batch", "std_scale", "stuck", "seeds"};

std::string stored_key(const std::string& spec_key) {
  if (spec_key == "seeds") return "seed";
  if (spec_key == "stuck") return "stuck_probability";
  return spec_key;
}

bool is_device_key(const std::string& key) {
  const auto& specs = device::rram_param_specs();
  return std::any_of(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == key; });
}

bool is_arch_key(const std::string& key) {
  const auto& specs = compiler::arch_param_specs();
  return std::any_of(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == key; });
}

bool is_integer_text(const std::string& text) {
  if (text.empty()) return false;
  const std::size_t start = text[0] == '-' ? 1 : 0;
  return start < text.size() && std::all_of(text.begin() + static_cast<std::ptrdiff_t>(start), text.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
}

class SpecReader {
 public:
  explicit SpecReader(std::string path) : path_(std::move(path)) {}

  std::string where(const YAML::Node& node) const { return fmt::format("{}:{}", path_, node.Mark().line + 1); }
  [[noreturn]] void fail(const YAML::Node& node, const std::string& problem) const {
    throw Error(ErrorKind::Config, fmt::format("{}: {}", where(node), problem));
  }

  std::string scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, fmt::format("{}: expected a single value", what));
    return node.Scalar();
  }

  std::int64_t integer(const YAML::Node& node, const std::string& what, std::int64_t lo, std::int64_t hi) const {
    const std::string text = scalar(node, what);
    if (!is_integer_text(text)) fail(node, fmt::format("{}: '{}' is not a whole number", what, text));
    std::int64_t v = 0;
    try {
      v = std::stoll(text);
    } catch (const std::exception&) {
      fail(node, fmt::format("{}: '{}' is out of range", what, text));
    }
    if (v < lo || v > hi) fail(node, fmt::format("{}: {} is outside [{}, {}]", what, v, lo, hi));
    return v;
  }

  // Checks that `text` is a value `key` accepts, against the presets it applies to.
  void check_value(const YAML::Node& node, const std::string& spec_key, const std::string& text,
                   bool accuracy) const {
    const std::string key = stored_key(spec_key);
    const std::string origin = where(node);
    if (key == "model") {
      if (text.empty()) fail(node, "model: empty name");
    } else if (key == "arch") {
      try {
        compiler::load_arch(arch::arch_path(text));
      } catch (const Error& e) {
        fail(node, fmt::format("arch '{}': {}", text, e.what()));
      }
    } else if (key == "seq" || key == "batch") {
      if (!is_integer_text(text) || text.size() > 9 || std::stoll(text) < 1)
        fail(node, fmt::format("{}: '{}' is not a whole number from 1 to 999999999", key, text));
    } else if (key == "seed") {
      if (!is_integer_text(text) || text[0] == '-' || text.size() > 18)
        fail(node, fmt::format("seeds: '{}' is not a seed (a whole number from 0)", text));
    } else if (is_device_key(key)) {
      if (!accuracy)
        fail(node, fmt::format("'{}' changes only accuracy, and the spec measures none: add an 'accuracy:' block",
                               spec_key));
      ParamSet(device::rram_param_specs()).set(key, text, origin);
    } else if (is_arch_key(key)) {
      ParamSet(compiler::arch_param_specs()).set(key, text, origin);
      arch_values_.emplace(std::pair{key, text}, node);
    } else {
      fail(node, fmt::format("unknown key '{}': not a sweep setting ({}) nor a key 'raceit params' lists", spec_key,
                             fmt::join(kSettings, ", ")));
    }
    if (key == "seed" && !accuracy)
      fail(node, "'seeds' set the noisy runs' seeds, and the spec measures no accuracy: add an 'accuracy:' block");
  }

  // Loads every architecture the points use with each architecture value the spec gives, so that
  // a value out of its key's range, or a key of the other kind of design, fails here.
  void check_arch_values(const SweepSpec& spec, const std::vector<std::string>& fixed) const {
    std::set<std::string> archs;
    for (const Point& p : spec.points) archs.insert(p.at("arch"));
    for (const std::string& arch : archs)
      for (const auto& [kv, node] : arch_values_) {
        std::vector<std::string> overrides = fixed;
        overrides.push_back(kv.first + "=" + kv.second);
        try {
          compiler::load_arch(arch::arch_path(arch), overrides);
        } catch (const Error& e) {
          fail(node, fmt::format("{} = {} on arch '{}': {}", kv.first, kv.second, arch, e.what()));
        }
      }
  }

  // The values of one axis: a non-empty list of distinct scalars.
  std::vector<std::string> axis_values(const YAML::Node& key_node, const YAML::Node& list, bool accuracy) const {
    const std::string key = key_node.as<std::string>();
    if (!list.IsSequence() || list.size() == 0) fail(list, fmt::format("axis '{}': expected a non-empty list [a, b, …]", key));
    std::vector<std::string> values;
    for (const auto& item : list) {
      const std::string text = scalar(item, fmt::format("axis '{}'", key));
      if (std::find(values.begin(), values.end(), text) != values.end())
        fail(item, fmt::format("axis '{}': value '{}' is listed twice", key, text));
      check_value(item, key, text, accuracy);
      values.push_back(text);
    }
    return values;
  }

 private:
  std::string path_;
  mutable std::map<std::pair<std::string, std::string>, YAML::Node> arch_values_;
};

YAML::Node load_yaml(const std::string& path, std::string& text) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::Io, fmt::format("{}: cannot open the sweep spec", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) throw Error(ErrorKind::Config, fmt::format("{}:1: a sweep spec is a mapping of keys", path));
    if (const auto repeat = find_repeated_key(root))
      throw Error(ErrorKind::Config, fmt::format("{}:{}: '{}' is set twice (first at line {})", path, repeat->line,
                                                 repeat->key, repeat->first_line));
    return root;
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::Parse, fmt::format("{}:{}: {}", path, e.mark.line + 1, e.msg));
  }
}

AccuracySpec read_accuracy(const SpecReader& r, const YAML::Node& node) {
  if (!node.IsMap()) r.fail(node, "accuracy: expected a mapping {data: …, seeds: …}");
  AccuracySpec a;
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& v = item.second;
    if (key == "data") a.dataset = r.scalar(v, "accuracy.data");
    else if (key == "limit") a.limit = r.integer(v, "accuracy.limit", 1, 1'000'000'000);
    else if (key == "seeds") a.seeds = static_cast<int>(r.integer(v, "accuracy.seeds", 1, 1000));
    else if (key == "seed") a.seed = static_cast<std::uint64_t>(r.integer(v, "accuracy.seed", 0, 1'000'000'000'000));
    else if (key == "calibration") a.calibration = r.integer(v, "accuracy.calibration", 1, 1'000'000);
    else if (key == "device") a.device = r.scalar(v, "accuracy.device");
    else if (key == "mode") {
      a.mode = r.scalar(v, "accuracy.mode");
      try {
        device::parse_noise_mode(a.mode);
      } catch (const Error& e) {
        r.fail(v, e.what());
      }
    } else {
      r.fail(item.first, fmt::format("accuracy: unknown key '{}' (known: data, limit, mode, seeds, seed, calibration, device)", key));
    }
  }
  if (!a.device.empty()) {
    try {
      device::load_device_preset(a.device);
    } catch (const Error& e) {
      r.fail(node["device"], e.what());
    }
  }
  return a;
}

// A random axis: a list to choose from, or {min, max, log} to draw from.
struct RandomAxis {
  std::string key;
  YAML::Node node;
  std::vector<std::string> choices = {};
  double lo = 0, hi = 0;
  Dimension dimension = Dimension::Dimensionless;
  bool integer = false, log = false;

  std::string draw(double u) const {
    if (!choices.empty())
      return choices[std::min(choices.size() - 1, static_cast<std::size_t>(u * static_cast<double>(choices.size())))];
    const double v = log ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))) : lo + u * (hi - lo);
    if (integer) return std::to_string(std::llround(std::clamp(v, lo, hi)));
    return report::quantity_text(v, dimension);
  }
};

RandomAxis read_random_axis(const SpecReader& r, const YAML::Node& key_node, const YAML::Node& v, bool accuracy) {
  RandomAxis a{.key = key_node.as<std::string>(), .node = v};
  if (v.IsSequence()) {
    a.choices = r.axis_values(key_node, v, accuracy);
    return a;
  }
  if (!v.IsMap() || !v["min"] || !v["max"])
    r.fail(v, fmt::format("random axis '{}': expected a list or {{min: …, max: …, log: true|false}}", a.key));
  for (const auto& item : v) {
    const std::string k = item.first.as<std::string>();
    if (k != "min" && k != "max" && k != "log") r.fail(item.first, fmt::format("random axis '{}': unknown key '{}'", a.key, k));
  }
  const std::string lo = r.scalar(v["min"], a.key + ".min"), hi = r.scalar(v["max"], a.key + ".max");
  Quantity qlo, qhi;
  try {
    qlo = parse_quantity_any(lo);
    qhi = parse_quantity_any(hi);
  } catch (const Error& e) {
    r.fail(v, fmt::format("random axis '{}': {}", a.key, e.what()));
  }
  if (qlo.dimension != qhi.dimension) r.fail(v, fmt::format("random axis '{}': min and max have different units", a.key));
  if (!(qlo.value <= qhi.value)) r.fail(v, fmt::format("random axis '{}': min {} is above max {}", a.key, lo, hi));
  a.lo = qlo.value;
  a.hi = qhi.value;
  a.dimension = qlo.dimension;
  a.integer = is_integer_text(lo) && is_integer_text(hi);
  if (v["log"]) {
    const std::string log = r.scalar(v["log"], a.key + ".log");
    if (log != "true" && log != "false") r.fail(v["log"], fmt::format("random axis '{}': log is true or false", a.key));
    a.log = log == "true";
    if (a.log && a.lo <= 0) r.fail(v, fmt::format("random axis '{}': a log range needs min > 0", a.key));
  }
  // The ends must be values the key accepts (the draws in between are checked as drawn).
  r.check_value(v["min"], a.key, a.draw(0.0), accuracy);
  r.check_value(v["max"], a.key, a.draw(1.0), accuracy);
  return a;
}

class Expander {
 public:
  Expander(const SpecReader& reader, SweepSpec& spec, std::size_t max_points)
      : r_(reader), spec_(spec), max_points_(max_points) {}

  void add_axis(const YAML::Node& key_node) {
    const std::string key = stored_key(key_node.as<std::string>());
    if (std::find(spec_.axes.begin(), spec_.axes.end(), key) != spec_.axes.end())
      r_.fail(key_node, fmt::format("'{}' is set twice", key_node.as<std::string>()));
    spec_.axes.push_back(key);
  }

  void add(const Point& p, const YAML::Node& node, bool duplicates_are_errors) {
    if (!keys_.insert(p.key()).second) {
      if (duplicates_are_errors) r_.fail(node, fmt::format("point {} is listed twice", p.key()));
      return;
    }
    if (spec_.points.size() >= max_points_)
      r_.fail(node, fmt::format("the spec asks for more than {} points", max_points_));
    spec_.points.push_back(p);
  }

  // Every combination of the axes' values, the first axis varying slowest.
  void grid(const Point& base, const std::vector<std::pair<YAML::Node, std::vector<std::string>>>& axes,
            const YAML::Node& node) {
    double count = 1;
    for (const auto& [key, values] : axes) count *= static_cast<double>(values.size());
    if (count > static_cast<double>(max_points_))
      r_.fail(node, fmt::format("the grid has {:.0f} points, more than the limit of {}", count, max_points_));
    std::vector<std::size_t> index(axes.size(), 0);
    for (;;) {
      Point p = base;
      for (std::size_t a = 0; a < axes.size(); ++a)
        p.values[stored_key(axes[a].first.as<std::string>())] = axes[a].second[index[a]];
      add(p, node, true);
      std::size_t a = axes.size();
      while (a > 0 && ++index[a - 1] == axes[a - 1].second.size()) index[--a] = 0;
      if (a == 0) return;
    }
  }

 private:
  const SpecReader& r_;
  SweepSpec& spec_;
  std::size_t max_points_;
  std::set<std::string> keys_;
};

}  // namespace

const std::vector<std::string>& sweep_setting_keys() { return kSettings; }

std::string text_hash(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return fmt::format("fnv1a64:{:016x}", h);
}

std::string Point::key() const {
  std::string k;
  for (const auto& [name, value] : values) k += (k.empty() ? "" : ";") + name + "=" + value;
  return k;
}

const std::string& Point::at(const std::string& key) const {
  const auto it = values.find(key);
  if (it == values.end()) throw Error(ErrorKind::Internal, fmt::format("point {} has no '{}'", this->key(), key));
  return it->second;
}

std::string SweepSpec::plan_hash() const {
  std::string plan;
  for (const Point& p : points) plan += p.key() + "\n";
  if (accuracy)
    plan += fmt::format("accuracy data={} limit={} mode={} seeds={} seed={} calibration={} device={}\n",
                        accuracy->dataset, accuracy->limit, accuracy->mode, accuracy->seeds, accuracy->seed,
                        accuracy->calibration, accuracy->device);
  return text_hash(plan);
}

namespace {

using Axes = std::vector<std::pair<YAML::Node, std::vector<std::string>>>;

// The design's axes: each is claimed once (not also a fixed setting) and becomes an axis.
struct AxisClaims {
  const SpecReader& r;
  const Point& base;
  Expander& expand;
  void operator()(const YAML::Node& key_node) const {
    const std::string key = stored_key(key_node.as<std::string>());
    if (base.values.count(key)) r.fail(key_node, fmt::format("'{}' is both a fixed setting and an axis", key));
    expand.add_axis(key_node);
  }
};

// points: every point sets the same keys; model/arch lists multiply the explicit points.
void expand_points(const SpecReader& r, const YAML::Node& points, const Point& base, const Axes& grid, bool accuracy,
                   std::size_t max_points, const AxisClaims& claim, Expander& expand) {
  if (!points.IsSequence() || points.size() == 0) r.fail(points, "points: expected a non-empty list of {KEY: VALUE, …}");
  const YAML::Node first = points[0];
  if (!first.IsMap() || first.size() == 0) r.fail(first, "a point is a mapping {KEY: VALUE, …}");
  for (const auto& item : first) claim(item.first);
  std::vector<Point> listed;
  for (const auto& p : points) {
    if (!p.IsMap() || p.size() != first.size())
      r.fail(p, fmt::format("every point sets the same {} key(s) as the first", first.size()));
    Point point;
    for (const auto& item : p) {
      const std::string k = item.first.as<std::string>();
      if (!first[k]) r.fail(item.first, fmt::format("'{}' is not set by the first point", k));
      const std::string text = r.scalar(item.second, k);
      r.check_value(item.second, k, text, accuracy);
      point.values[stored_key(k)] = text;
    }
    listed.push_back(point);
  }
  const YAML::Node anchor = points;
  if (grid.empty()) {
    for (const Point& p : listed) {
      Point q = base;
      for (const auto& [k, v] : p.values) q.values[k] = v;
      expand.add(q, anchor, true);
    }
  } else {
    SweepSpec scratch;
    Expander outer(r, scratch, max_points);
    outer.grid(base, grid, anchor);
    for (const Point& o : scratch.points)
      for (const Point& p : listed) {
        Point q = o;
        for (const auto& [k, v] : p.values) q.values[k] = v;
        expand.add(q, anchor, true);
      }
  }
}

// random: seeded draws from each axis (a list or {min, max}), for every model/arch combination.
void expand_random(const SpecReader& r, const YAML::Node& random, const Point& base, const Axes& grid, bool accuracy,
                   std::size_t max_points, const AxisClaims& claim, Expander& expand) {
  if (!random.IsMap() || !random["samples"] || !random["axes"])
    r.fail(random, "random: expected {samples: N, seed: S, axes: {KEY: [values] or {min: …, max: …}}}");
  for (const auto& item : random) {
    const std::string k = item.first.as<std::string>();
    if (k != "samples" && k != "seed" && k != "axes") r.fail(item.first, fmt::format("random: unknown key '{}'", k));
  }
  const auto samples = r.integer(random["samples"], "random.samples", 1, static_cast<std::int64_t>(max_points));
  const auto seed = random["seed"] ? r.integer(random["seed"], "random.seed", 0, 1'000'000'000'000) : 1;
  const YAML::Node axes = random["axes"];
  if (!axes.IsMap() || axes.size() == 0) r.fail(axes, "random.axes: expected a mapping KEY: [values] or {min, max}");
  std::vector<RandomAxis> drawn;
  for (const auto& item : axes) {
    claim(item.first);
    drawn.push_back(read_random_axis(r, item.first, item.second, accuracy));
  }
  SweepSpec scratch;
  Expander outer(r, scratch, max_points);
  if (grid.empty()) scratch.points.push_back(base);
  else outer.grid(base, grid, random);
  const CounterRng rng(static_cast<std::uint64_t>(seed));
  for (const Point& o : scratch.points)
    for (std::int64_t s = 0; s < samples; ++s) {
      Point p = o;
      for (std::size_t a = 0; a < drawn.size(); ++a) {
        const auto index = static_cast<std::uint64_t>(s) * drawn.size() + a;
        const std::string text = drawn[a].draw(rng.uniform(kSampleStream, index));
        r.check_value(drawn[a].node, drawn[a].key, text, accuracy);
        p.values[stored_key(drawn[a].key)] = text;
      }
      expand.add(p, random, false);  // a repeated draw is the same point
    }
}

}  // namespace

SweepSpec load_sweep_spec(const std::string& path, std::size_t max_points) {
  SweepSpec spec;
  spec.path = path;
  const YAML::Node root = load_yaml(path, spec.text);
  const SpecReader r(path);
  if (root["accuracy"]) spec.accuracy = read_accuracy(r, root["accuracy"]);
  const bool accuracy = spec.accuracy.has_value();

  // Fixed settings, and model/arch lists, which become the first axes.
  Point base;
  Axes grid;
  Expander expand(r, spec, max_points);
  int designs = 0;
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node& v = item.second;
    if (key == "axes" || key == "points" || key == "random") {
      ++designs;
    } else if (key == "accuracy") {
    } else if (key == "set") {
      if (!v.IsMap()) r.fail(v, "set: expected a mapping of KEY: VALUE");
      for (const auto& s : v) {
        const std::string k = s.first.as<std::string>();
        if (std::find(kSettings.begin(), kSettings.end(), k) != kSettings.end())
          r.fail(s.first, fmt::format("set: '{}' is a sweep setting; write it at the top level", k));
        r.check_value(s.second, k, r.scalar(s.second, k), accuracy);
        base.values[k] = s.second.Scalar();
      }
    } else if (key == "seeds") {
      r.fail(item.first, "'seeds' is an axis (a list of seeds, under axes/points/random) or accuracy.seeds (a count)");
    } else if ((key == "model" || key == "arch") && v.IsSequence()) {
      expand.add_axis(item.first);
      grid.push_back({item.first, r.axis_values(item.first, v, accuracy)});
    } else if (std::find(kSettings.begin(), kSettings.end(), key) != kSettings.end()) {
      r.check_value(v, key, r.scalar(v, key), accuracy);
      base.values[stored_key(key)] = v.Scalar();
    } else {
      r.fail(item.first, fmt::format("unknown key '{}' (known: {}, set, axes, points, random, accuracy)", key,
                                     fmt::join(kSettings, ", ")));
    }
  }
  if (!base.values.count("model")) {
    bool listed = std::any_of(grid.begin(), grid.end(), [](const auto& a) { return a.first.template as<std::string>() == "model"; });
    if (!listed) throw Error(ErrorKind::Config, fmt::format("{}:1: the spec names no model", path));
  }
  if (!base.values.count("arch") &&
      std::none_of(grid.begin(), grid.end(), [](const auto& a) { return a.first.template as<std::string>() == "arch"; }))
    base.values["arch"] = "raceit";
  if (designs > 1) throw Error(ErrorKind::Config, fmt::format("{}: give one of axes, points or random, not several", path));

  const AxisClaims claim{.r = r, .base = base, .expand = expand};

  if (const YAML::Node axes = root["axes"]) {
    if (!axes.IsMap() || axes.size() == 0) r.fail(axes, "axes: expected a mapping KEY: [values]");
    for (const auto& item : axes) {
      claim(item.first);
      grid.push_back({item.first, r.axis_values(item.first, item.second, accuracy)});
    }
    expand.grid(base, grid, axes);
  } else if (const YAML::Node points = root["points"]) {
    expand_points(r, points, base, grid, accuracy, max_points, claim, expand);
  } else if (const YAML::Node random = root["random"]) {
    expand_random(r, random, base, grid, accuracy, max_points, claim, expand);
  } else {
    if (grid.empty()) throw Error(ErrorKind::Config, fmt::format("{}: the spec has no axes, points or random block", path));
    expand.grid(base, grid, root);
  }
  std::vector<std::string> fixed;
  for (const auto& [k, v] : base.values)
    if (is_arch_key(k)) fixed.push_back(k + "=" + v);
  r.check_arch_values(spec, fixed);
  return spec;
}

}  // namespace raceit::sweep
