#include "raceit/compiler/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "raceit/compiler/tensors.hpp"
#include "raceit/core/error.hpp"

namespace raceit::compiler {

namespace {

constexpr int kHistogramBins = 4096;

struct Extremes {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  void merge(const Extremes& o) {
    lo = std::min(lo, o.lo);
    hi = std::max(hi, o.hi);
  }
  // A tensor with no finite value reads as [0, 0].
  ValueRange range() const { return lo <= hi ? ValueRange{.lo = lo, .hi = hi} : ValueRange{.lo = 0, .hi = 0}; }
};

// Rows of the last axis of a float tensor.
struct Rows {
  std::span<const float> data;
  std::int64_t length = 0;
  std::int64_t count() const { return length ? static_cast<std::int64_t>(data.size()) / length : 0; }
  std::span<const float> row(std::int64_t r) const { return data.subspan(static_cast<std::size_t>(r * length), static_cast<std::size_t>(length)); }
};
Rows rows_of(const Tensor& t) { return {.data = t.floats(), .length = t.rank() ? t.dim(-1) : 1}; }

// Σ exp(x − row max) per row, the quantity the softmax's reciprocal sees.
void softmax_sums(const Tensor& x, Extremes& sums) {
  const Rows rows = rows_of(x);
  for (std::int64_t r = 0; r < rows.count(); ++r) {
    const auto v = rows.row(r);
    const double m = *std::max_element(v.begin(), v.end());
    double s = 0;
    for (float e : v) s += std::exp(static_cast<double>(e) - m);
    sums.add(s);
  }
}

struct NormExtremes {
  Extremes variance, centred, normalised;
};

void norm_stats(const Tensor& x, bool rms, double epsilon, NormExtremes& n) {
  const Rows rows = rows_of(x);
  for (std::int64_t r = 0; r < rows.count(); ++r) {
    const auto v = rows.row(r);
    double mean = 0, square = 0;
    for (float e : v) mean += e;
    mean = rms ? 0.0 : mean / static_cast<double>(v.size());
    for (float e : v) square += (e - mean) * (e - mean);
    const double variance = square / static_cast<double>(v.size()) + epsilon;
    n.variance.add(variance);
    for (float e : v) {
      n.centred.add(std::abs(e - mean));
      n.normalised.add(std::abs(e - mean) / std::sqrt(variance));
    }
  }
}

bool is_norm(model::OpType op) { return op == model::OpType::LayerNorm || op == model::OpType::RmsNorm; }

// The value names calibration tracks: every float input and node output.
template <class F>
void for_each_float(const model::Node& node, std::span<const Tensor* const> inputs, std::span<const Tensor> outputs, F&& f) {
  for (std::size_t k = 0; k < inputs.size(); ++k)
    if (inputs[k] && inputs[k]->is_float()) f(node.inputs[k], *inputs[k]);
  for (std::size_t k = 0; k < outputs.size() && k < node.outputs.size(); ++k)
    if (outputs[k].is_float()) f(node.outputs[k], outputs[k]);
}

std::size_t node_index(const model::Graph& graph, const model::Node& node) {
  return static_cast<std::size_t>(&node - graph.nodes.data());
}

}  // namespace

Calibration calibrate(const model::Graph& graph, const CalibrationRuns& runs, const MappingOptions& options) {
  if (runs.samples < 1) throw Error(ErrorKind::InvalidArgument, "calibration needs at least one sample");
  Calibration c;
  c.samples = runs.samples;
  std::mutex mutex;
  std::map<std::string, Extremes> extremes;
  std::map<std::size_t, Extremes> sums;
  std::map<std::size_t, NormExtremes> norms;
  // Min and max merge in any order, so the observer may run on any thread.
  runs.all([&](const model::Node& node, std::span<const Tensor* const> in, std::span<const Tensor> out) {
    std::map<std::string, Extremes> local;
    for_each_float(node, in, out, [&](const std::string& name, const Tensor& t) {
      Extremes& e = local[name];
      for (float v : t.floats()) e.add(v);
    });
    const std::size_t i = node_index(graph, node);
    Extremes sum;
    NormExtremes norm;
    if (node.op == model::OpType::Softmax && in[0]->is_float()) softmax_sums(*in[0], sum);
    if (is_norm(node.op) && in[0]->is_float())
      norm_stats(*in[0], node.op == model::OpType::RmsNorm, node.attributes.get_float("epsilon", 1e-5), norm);
    const std::lock_guard lock(mutex);
    for (const auto& [name, e] : local) extremes[name].merge(e);
    if (node.op == model::OpType::Softmax) sums[i].merge(sum);
    if (is_norm(node.op)) {
      NormExtremes& n = norms[i];
      n.variance.merge(norm.variance);
      n.centred.merge(norm.centred);
      n.normalised.merge(norm.normalised);
    }
  });
  for (const auto& [name, e] : extremes) c.ranges[name] = e.range();
  for (const auto& [i, e] : sums) c.softmax_sums[i] = e.range();
  for (const auto& [i, n] : norms)
    c.norms[i] = {
        .variance = n.variance.range(), .centred_max = n.centred.range().hi, .normalised_max = n.normalised.range().hi};

  if (options.calibration == CalibrationMethod::Percentile) {
    // Histograms over [min, max]; counts add in any order.
    std::map<std::string, std::vector<std::uint64_t>> histograms;
    for (const auto& [name, r] : c.ranges) histograms[name].assign(kHistogramBins, 0);
    runs.all([&](const model::Node& node, std::span<const Tensor* const> in, std::span<const Tensor> out) {
      std::map<std::string, std::vector<std::uint64_t>> local;
      for_each_float(node, in, out, [&](const std::string& name, const Tensor& t) {
        const ValueRange r = c.ranges.at(name);
        auto& h = local[name];
        h.assign(kHistogramBins, 0);
        const double width = r.hi > r.lo ? (r.hi - r.lo) / kHistogramBins : 1.0;
        for (float v : t.floats()) {
          if (!std::isfinite(v)) continue;
          ++h[static_cast<std::size_t>(std::clamp((v - r.lo) / width, 0.0, kHistogramBins - 1.0))];
        }
      });
      const std::lock_guard lock(mutex);
      for (const auto& [name, h] : local)
        for (std::size_t b = 0; b < h.size(); ++b) histograms[name][b] += h[b];
    });
    const double tail = (100.0 - options.percentile) / 100.0;
    for (auto& [name, r] : c.ranges) {
      const auto& h = histograms.at(name);
      std::uint64_t total = 0;
      for (auto n : h) total += n;
      if (total == 0 || !(r.hi > r.lo)) continue;
      const double width = (r.hi - r.lo) / kHistogramBins;
      const auto cut = static_cast<std::uint64_t>(tail * static_cast<double>(total));
      std::size_t lo_bin = 0, hi_bin = h.size() - 1;
      for (std::uint64_t below = 0; lo_bin + 1 < h.size() && below + h[lo_bin] <= cut; ++lo_bin) below += h[lo_bin];
      for (std::uint64_t above = 0; hi_bin > 0 && above + h[hi_bin] <= cut; --hi_bin) above += h[hi_bin];
      r = {.lo = r.lo + static_cast<double>(lo_bin) * width, .hi = r.lo + static_cast<double>(hi_bin + 1) * width};
    }
  }
  c.shapes.resize(graph.nodes.size());
  runs.first_sample([&](const model::Node& node, std::span<const Tensor* const> in, std::span<const Tensor> out) {
    NodeShapes& shapes = c.shapes[node_index(graph, node)];
    for (const Tensor* t : in) shapes.inputs.push_back(t ? t->shape() : Shape{});
    for (const Tensor& t : out) shapes.outputs.push_back(t.shape());
  });
  return c;
}

Calibration nominal_calibration(const model::Graph& graph, const std::map<std::string, model::ResolvedValue>& values,
                                double range) {
  if (!(range > 0) || !std::isfinite(range))
    throw Error(ErrorKind::InvalidArgument, "the nominal activation range must be a positive number");
  Calibration c;
  c.shapes.resize(graph.nodes.size());
  // Shapes of a node's values, in order (an omitted optional input: empty); float activations get the range.
  auto collect = [&](const std::vector<std::string>& names, std::vector<Shape>& shapes) {
    for (const auto& name : names) {
      if (name.empty()) {
        shapes.emplace_back();
        continue;
      }
      const auto it = values.find(name);
      if (it == values.end()) throw Error(ErrorKind::InvalidArgument, "no shape was resolved for value '" + name + "'");
      shapes.push_back(it->second.shape);
      if (it->second.dtype == DType::Float32 && !graph.is_weight(name)) c.ranges[name] = {.lo = -range, .hi = range};
    }
  };
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const model::Node& node = graph.nodes[i];
    NodeShapes& shapes = c.shapes[i];
    collect(node.inputs, shapes.inputs);
    collect(node.outputs, shapes.outputs);
    const Shape& x = shapes.inputs.empty() ? Shape{} : shapes.inputs[0];
    const double length = x.empty() ? 1.0 : static_cast<double>(x.back());
    if (node.op == model::OpType::Softmax) c.softmax_sums[i] = {.lo = 1.0, .hi = length};
    if (is_norm(node.op)) {
      const double epsilon = node.attributes.get_float("epsilon", 1e-5);
      c.norms[i] = {.variance = {.lo = range * range * 1e-4 + epsilon, .hi = range * range + epsilon},
                    .centred_max = range,
                    .normalised_max = std::sqrt(std::max(length - 1, 1.0))};
    }
  }
  return c;
}

void calibrate_readouts(const model::Graph& graph, const ModelRun& run, std::vector<LoweredOp>& ops) {
  // Ideal crossbars with a wide ADC for the weight matmuls; the written operands of CrossbarWrite
  // ops are programmed per call inside the observer.
  std::map<std::size_t, xbar::ProgrammedCrossbar> programmed;
  std::map<std::size_t, double> peaks;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (const auto* x = std::get_if<CrossbarOp>(&ops[i].detail)) {
      programmed.emplace(i, xbar::program_crossbar(weight_matrix(*x, graph), xbar::calibration_config(x->config), 1));
      peaks[i] = 0;
    }
    if (std::holds_alternative<CrossbarWriteOp>(ops[i].detail)) peaks[i] = 0;
  }
  if (peaks.empty()) return;
  std::mutex mutex;
  run([&](const model::Node& node, std::span<const Tensor* const> in, std::span<const Tensor>) {
    const std::size_t i = node_index(graph, node);
    if (!peaks.count(i)) return;
    double peak = 0;
    if (const auto* x = std::get_if<CrossbarOp>(&ops[i].detail)) {
      peak = xbar::mvm(programmed.at(i), as_rows(*in[0], x->in), x->input, xbar::MvmPath::Fast, 1).peak_column;
    } else {
      const auto& d = std::get<CrossbarWriteOp>(ops[i].detail);
      for_each_matrix_pair(*in[0], *in[1], [&](const xbar::Matrix& a, const xbar::Matrix& b_transposed) {
        const auto x = xbar::program_crossbar(b_transposed, xbar::calibration_config(d.crossbar), 1);
        peak = std::max(peak, xbar::mvm(x, a, d.a, xbar::MvmPath::Fast, 1).peak_column);
      });
    }
    const std::lock_guard lock(mutex);
    peaks[i] = std::max(peaks[i], peak);
  });
  for (auto& [i, peak] : peaks) {
    auto* x = std::get_if<CrossbarOp>(&ops[i].detail);
    xbar::CrossbarConfig& config = x ? x->config : std::get<CrossbarWriteOp>(ops[i].detail).crossbar;
    // The largest possible column value depends on the cells and inputs, not the matrix size.
    config.full_scale = xbar::full_scale_for_peak(xbar::calibration_config(config), xbar::tile_layout(config, 1, 1), peak);
  }
}

}  // namespace raceit::compiler
