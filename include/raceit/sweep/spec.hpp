#pragma once
// A design-space sweep (DESIGN §1, "what if?"): the YAML spec that names the model(s), the base
// architecture(s) and the axes, expanded into the list of points it asks for. Every key and value
// is checked before any point runs; errors name the spec file and line.
//
//   model: bert-base              # or a list: every model is an axis value
//   arch: raceit                  # or a list
//   seq: 128                      # fixed settings: seq, batch, std_scale, stuck, seeds, any key
//   set: {mapping.softmax: acam}  #   `raceit params` lists (architecture or device preset)
//   axes:                         # a grid over every combination
//     crossbar.rows: [64, 128, 256]
//   points:                       # or an explicit list of points
//     - {crossbar.rows: 64, tile.race_units: 2}
//   random: {samples: 20, seed: 7, axes: {crossbar.rows: [64, 128], std_scale: {min: 0.5, max: 2}}}
//   accuracy: {data: digits, limit: 200, mode: frozen, seeds: 3, seed: 1, calibration: 64}
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raceit::sweep {

// What a point's accuracy is measured on (absent: cost only).
struct AccuracySpec {
  std::string dataset;          // built-in data set ("" = the model's own)
  std::int64_t limit = 0;       // > 0: the first `limit` test samples
  std::string mode = "frozen";  // noise mode of the noisy runs
  int seeds = 1;                // noisy runs per point: seed … seed + seeds − 1
  std::uint64_t seed = 1;
  std::int64_t calibration = 64;
  std::string device;           // device preset ("" = configs/devices/taox.yaml)
};

// One point: every setting that differs from the tool's defaults, as KEY → value text. The keys
// are "model", "arch", "seq", "batch", "seed" (the seeds axis), "std_scale", "stuck", and
// architecture or device-preset keys.
struct Point {
  std::map<std::string, std::string> values = {};
  // A stable text form, "KEY=VALUE;…" in key order: the point's identity in a store.
  std::string key() const;
  const std::string& at(const std::string& key) const;
};

struct SweepSpec {
  std::string path = {};                    // the spec file
  std::string text = {};                    // its content, as read
  std::vector<std::string> axes = {};       // the keys that vary, in the spec's order
  std::vector<Point> points = {};           // in the order the spec lists or generates them
  std::optional<AccuracySpec> accuracy = {};
  // A hash of everything that decides the results (points, accuracy settings): a store made for a
  // spec with the same plan can be resumed.
  std::string plan_hash() const;
};

// Reads and expands a spec. Throws Error(Config) (or Error(Io)) naming the file and line for an
// unknown key, a value the key does not accept (checked against the architecture and device
// presets), an empty or malformed axis, a noise axis without `accuracy`, or more than
// `max_points` points.
SweepSpec load_sweep_spec(const std::string& path, std::size_t max_points = 100000);

// "fnv1a64:<16 hex digits>" of a text: plan and configuration hashes.
std::string text_hash(const std::string& text);

// Keys a spec may set besides architecture and device-preset keys.
const std::vector<std::string>& sweep_setting_keys();

}  // namespace raceit::sweep
