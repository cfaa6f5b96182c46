#include "raceit/report/sensitivity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "raceit/compiler/options.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/parallel.hpp"
#include "raceit/core/units.hpp"
#include "svg.hpp"

namespace raceit::report {

namespace {

bool whole_number(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Half and double of a number (whole numbers stay whole and at least 1); every other choice of a word.
std::vector<std::string> variations(const ParamSpec& spec, const ParamValue& value) {
  std::vector<std::string> out;
  if (!spec.choices.empty()) {
    for (const auto& c : spec.choices)
      if (c != value.text) out.push_back(c);
    return out;
  }
  if (value.number == 0) return out;
  if (whole_number(value.text)) {
    const long long v = std::stoll(value.text);
    for (const long long w : {std::max(1LL, v / 2), v * 2})
      if (w != v && std::find(out.begin(), out.end(), std::to_string(w)) == out.end()) out.push_back(std::to_string(w));
    return out;
  }
  for (const double f : {0.5, 2.0}) out.push_back(quantity_text(value.number * f, spec.dimension));
  return out;
}

std::string ratio(double v) { return v >= 100 ? fmt::format("{:.0f}x", v) : fmt::format("{:.3g}x", v); }
std::string percent(double v) { return fmt::format("{:+.1f}%", 100 * v); }

}  // namespace

std::string quantity_text(double value, Dimension dimension) {
  if (dimension == Dimension::Dimensionless) return fmt::format("{:.6g}", value);
  // format_quantity picks a readable prefix; keep it when it reads back as the value (to 6 digits).
  const std::string text = format_quantity(value, dimension, 6);
  try {
    if (std::abs(parse_quantity(text, dimension).value - value) <= 1e-5 * std::abs(value)) return text;
  } catch (const Error&) {
  }
  return fmt::format("{:.6g}{}", value, base_unit(dimension));
}

std::vector<VaryKey> default_variations(const Ppa& base, const arch::ArchSpec& spec) {
  std::vector<VaryKey> vary;
  for (const arch::Assumption& a : base.assumptions) {
    const std::string& key = a.key;
    if (key == "kind") continue;  // imc or gpu: another kind of design, not a variation of this one
    const auto it = std::find_if(spec.params.specs().begin(), spec.params.specs().end(),
                                 [&](const ParamSpec& s) { return s.key == key; });
    if (it == spec.params.specs().end() || !spec.params.has(key)) continue;
    VaryKey v{.key = key, .values = variations(*it, spec.params.value(key))};
    if (!v.values.empty()) vary.push_back(std::move(v));
  }
  return vary;
}

Sensitivity sensitivity(const CostStudy& study, const std::string& arch, const std::vector<std::string>& overrides,
                        std::int64_t batch, const std::string& vs, std::vector<VaryKey> vary) {
  const arch::ArchSpec spec = compiler::load_arch(arch::arch_path(arch), overrides);
  Sensitivity s{.base = study.estimate(arch, overrides, batch)};
  if (!vs.empty()) s.vs = study.estimate(vs, {}, batch);
  if (vary.empty()) vary = default_variations(s.base, spec);
  for (const VaryKey& v : vary) {
    if (!spec.params.has(v.key))  // throws for a key the architecture files do not know
      throw Error(ErrorKind::Config, fmt::format("--vary {}: {} sets no value for it", v.key, spec.path));
    if (v.values.empty()) throw Error(ErrorKind::Config, fmt::format("--vary {}: no values", v.key));
    const ParamValue& value = spec.params.value(v.key);
    SensitivityKey k{.key = v.key, .base_text = value.text, .source = value.source};
    for (const auto& text : v.values) k.values.push_back({.text = text});
    s.keys.push_back(std::move(k));
  }
  // Every (key, value) is an independent estimate.
  std::vector<std::pair<std::size_t, std::size_t>> jobs;
  for (std::size_t i = 0; i < s.keys.size(); ++i)
    for (std::size_t j = 0; j < s.keys[i].values.size(); ++j) jobs.push_back({i, j});
  parallel_for(jobs.size(), 0, [&](std::size_t begin, std::size_t end) {
    for (std::size_t n = begin; n < end; ++n) {
      SensitivityKey& k = s.keys[jobs[n].first];
      SensitivityValue& v = k.values[jobs[n].second];
      std::vector<std::string> o = overrides;
      o.push_back(k.key + "=" + v.text);
      try {
        const Ppa p = study.estimate(arch, o, batch);
        v.latency = p.latency;
        v.energy = p.energy;
      } catch (const Error& e) {
        v.ok = false;
        v.error = e.what();
      }
    }
  });
  for (SensitivityKey& k : s.keys) {
    bool first = true;
    for (const SensitivityValue& v : k.values) {
      if (!v.ok) continue;
      const double dl = v.latency / s.base.latency - 1, de = v.energy / s.base.energy - 1;
      if (first || dl < k.latency_low) k.latency_low = dl, k.latency_low_at = v.text;
      if (first || dl > k.latency_high) k.latency_high = dl, k.latency_high_at = v.text;
      if (first || de < k.energy_low) k.energy_low = de, k.energy_low_at = v.text;
      if (first || de > k.energy_high) k.energy_high = de, k.energy_high_at = v.text;
      first = false;
    }
  }
  std::stable_sort(s.keys.begin(), s.keys.end(), [](const auto& a, const auto& b) { return a.swing() > b.swing(); });
  return s;
}

nlohmann::json to_json(const Sensitivity& s) {
  nlohmann::json keys = nlohmann::json::array();
  for (const SensitivityKey& k : s.keys) {
    nlohmann::json values = nlohmann::json::array();
    for (const SensitivityValue& v : k.values) {
      nlohmann::json j = {{"value", v.text}, {"ok", v.ok}};
      if (!v.ok) {
        j["error"] = v.error;
      } else {
        j["latency_s"] = v.latency;
        j["energy_j"] = v.energy;
        j["latency_change"] = v.latency / s.base.latency - 1;
        j["energy_change"] = v.energy / s.base.energy - 1;
        if (s.vs) {
          j["speedup_vs"] = s.vs->latency / v.latency;
          j["energy_gain_vs"] = s.vs->energy / v.energy;
        }
      }
      values.push_back(std::move(j));
    }
    keys.push_back({{"key", k.key},
                    {"base", k.base_text},
                    {"source", k.source},
                    {"swing", k.swing()},
                    {"latency_change", {k.latency_low, k.latency_high}},
                    {"energy_change", {k.energy_low, k.energy_high}},
                    {"values", values}});
  }
  nlohmann::json j = {{"model", s.base.model}, {"arch", s.base.arch},        {"batch", s.base.batch},
                      {"tokens", s.base.tokens}, {"latency_s", s.base.latency}, {"energy_j", s.base.energy},
                      {"ranking", "swing = the larger of the latency and the energy range, relative to the base"},
                      {"keys", keys}};
  if (s.vs)
    j["vs"] = {{"arch", s.vs->arch},
               {"latency_s", s.vs->latency},
               {"energy_j", s.vs->energy},
               {"speedup", s.vs->latency / s.base.latency},
               {"energy_gain", s.vs->energy / s.base.energy},
               {"ratios", "speedup_vs = its latency / this design's; energy_gain_vs = its energy / this design's"}};
  return j;
}

std::string to_text(const Sensitivity& s) {
  const Ppa& b = s.base;
  std::string out = fmt::format("sensitivity of {} on {}, batch {}, {} tokens per sample: latency {}, energy {} per inference\n", b.model,
                                b.arch, b.batch, b.tokens, format_quantity(b.latency, Dimension::Time),
                                format_quantity(b.energy, Dimension::Energy));
  if (s.vs)
    out += fmt::format("against {}: speed-up {}, energy gain {} (> 1: {} is better)\n", s.vs->arch,
                       ratio(s.vs->latency / b.latency), ratio(s.vs->energy / b.energy), b.arch);
  out += "each key varied alone, ranked by the larger of its latency and energy range\n\n";
  out += fmt::format("{:>4}  {:<36} {:>10} {:>10} {:>11} {:>8} {:>11} {:>8}", "rank", "key", "base", "value", "latency",
                     "change", "energy", "change");
  if (s.vs) out += fmt::format(" {:>10} {:>10}", "speed-up", "en. gain");
  out += "\n";
  for (std::size_t i = 0; i < s.keys.size(); ++i) {
    const SensitivityKey& k = s.keys[i];
    for (std::size_t j = 0; j < k.values.size(); ++j) {
      const SensitivityValue& v = k.values[j];
      const std::string rank = j == 0 ? std::to_string(i + 1) : "";
      const std::string key = j == 0 ? k.key : "", base = j == 0 ? k.base_text : "";
      if (!v.ok) {
        out += fmt::format("{:>4}  {:<36} {:>10} {:>10}  rejected: {}\n", rank, key, base, v.text, v.error);
        continue;
      }
      out += fmt::format("{:>4}  {:<36} {:>10} {:>10} {:>11} {:>8} {:>11} {:>8}", rank, key, base, v.text,
                         format_quantity(v.latency, Dimension::Time), percent(v.latency / b.latency - 1),
                         format_quantity(v.energy, Dimension::Energy), percent(v.energy / b.energy - 1));
      if (s.vs) out += fmt::format(" {:>10} {:>10}", ratio(s.vs->latency / v.latency), ratio(s.vs->energy / v.energy));
      out += "\n";
    }
  }
  return out;
}

std::string sensitivity_html(const Sensitivity& s) {
  auto bars = [&](bool latency) {
    std::vector<svg::TornadoBar> out;
    for (const SensitivityKey& k : s.keys)
      out.push_back(latency ? svg::TornadoBar{.label = k.key,
                                              .low = k.latency_low,
                                              .high = k.latency_high,
                                              .low_text = k.latency_low_at,
                                              .high_text = k.latency_high_at}
                            : svg::TornadoBar{.label = k.key,
                                              .low = k.energy_low,
                                              .high = k.energy_high,
                                              .low_text = k.energy_low_at,
                                              .high_text = k.energy_high_at});
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.high - a.low > b.high - b.low; });
    return out;
  };
  const Ppa& b = s.base;
  std::string body = fmt::format(
      "<p>{} on {}, batch {}, {} tokens per sample: latency {}, energy {} per inference{}. Each key is varied alone; a "
      "bar spans the change of the metric over the key's values (on the right: the value giving the lowest | the highest change).</p>\n",
      svg::escape(b.model), svg::escape(b.arch), b.batch, b.tokens, format_quantity(b.latency, Dimension::Time),
      format_quantity(b.energy, Dimension::Energy),
      s.vs ? svg::escape(fmt::format("; against {}: speed-up {}, energy gain {}", s.vs->arch, ratio(s.vs->latency / b.latency),
                                     ratio(s.vs->energy / b.energy)))
           : "");
  body += "<div class=\"charts\">\n";
  body += svg::tornado_chart("tornado-latency", "Latency: change by key", "latency", bars(true));
  body += svg::tornado_chart("tornado-energy", "Energy per inference: change by key", "energy", bars(false));
  body += "</div>\n";
  if (s.vs)
    body += fmt::format("<p>Against {} the speed-up changes by 1/(1 + latency change) − 1 and the energy gain by 1/(1 + "
                        "energy change) − 1: the bars above, mirrored.</p>\n",
                        svg::escape(s.vs->arch));
  std::vector<std::vector<std::string>> rows;
  for (const SensitivityKey& k : s.keys)
    for (const SensitivityValue& v : k.values)
      rows.push_back({k.key, k.base_text, k.source, v.text, v.ok ? format_quantity(v.latency, Dimension::Time) : "rejected",
                      v.ok ? percent(v.latency / b.latency - 1) : v.error, v.ok ? format_quantity(v.energy, Dimension::Energy) : "",
                      v.ok ? percent(v.energy / b.energy - 1) : ""});
  body += svg::table({"key", "base", "source", "value", "latency", "change", "energy", "change"}, rows,
                     {false, false, false, false, true, true, true, true});
  return svg::page(fmt::format("Sensitivity of {} on {}", b.model, b.arch), body);
}

}  // namespace raceit::report
