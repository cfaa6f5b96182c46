#include "raceit/perf/gpu.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "raceit/core/enum_names.hpp"
#include "raceit/core/error.hpp"
#include "raceit/core/units.hpp"
#include "raceit/model/op_traits.hpp"
#include "raceit/model/statistics.hpp"

namespace raceit::perf {

using model::OpClass;
using model::OpType;

namespace {
// bf16 prices as fp16 (the same tensor-core throughput).
constexpr EnumNames<GpuPrecision, 4> kGpuPrecisionNames{{{{GpuPrecision::Int8, "int8"},
                                                          {GpuPrecision::Fp16, "fp16"},
                                                          {GpuPrecision::Fp16, "bf16"},
                                                          {GpuPrecision::Fp32, "fp32"}}}};
}  // namespace

const char* to_string(GpuPrecision p) { return kGpuPrecisionNames.name(p); }

GpuPrecision parse_gpu_precision(const std::string& text) {
  if (const GpuPrecision* p = kGpuPrecisionNames.find(text)) return *p;
  throw Error(ErrorKind::InvalidArgument, "unknown GPU precision '" + text + "' (expected int8, fp16, bf16 or fp32)");
}

double gpu_ops_per_output(OpType op) { return model::gpu_ops_per_output(model::op_traits(op).gpu_cost); }

namespace {

bool is_elementwise(const model::Node& node) {
  const model::OpTraits& traits = model::op_traits(node.op);
  return traits.elementwise && traits.gpu_cost != model::GpuCost::Free;
}

// Kernels PyTorch runs for a node (graph and eager modes): a tanh-approximated GELU is Hugging
// Face's NewGELUActivation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), eight element-wise kernels.
int pytorch_kernels(const model::Node& node) {
  if (node.op == OpType::Gelu && node.attributes.has("approximate")) return 8;
  return 1;
}

// Eager PyTorch reaches these operators through an nn.Module (Linear, a convolution, attention, a
// norm, an activation, softmax, pooling): its call, its Python forward and then the kernel launch.
// Element-wise arithmetic written inline in a forward (a residual add, RoPE's products, a gated
// product) is the operator call and launch alone (gpu.launch_eager against launch_eager_inline).
bool module_operator(OpType op) {
  switch (op) {
    case OpType::WeightMatMul: case OpType::DataMatMul: case OpType::Conv: case OpType::LayerNorm:
    case OpType::RmsNorm: case OpType::BatchNorm: case OpType::Gelu: case OpType::Silu: case OpType::Relu:
    case OpType::Tanh: case OpType::Sigmoid: case OpType::HardSigmoid: case OpType::HardSwish:
    case OpType::Softplus: case OpType::Softmax: case OpType::LogSoftmax: case OpType::MaxPool:
    case OpType::AveragePool:
      return true;
    case OpType::Add: case OpType::Sub: case OpType::Mul: case OpType::Div: case OpType::Pow: case OpType::Equal:
    case OpType::Less: case OpType::Greater: case OpType::Where: case OpType::Sqrt: case OpType::Reciprocal:
    case OpType::Exp: case OpType::Erf: case OpType::Neg: case OpType::Not: case OpType::Cast: case OpType::Clip:
    case OpType::ReduceMean: case OpType::ReduceSum: case OpType::ReduceMax: case OpType::Reshape:
    case OpType::Transpose: case OpType::Split: case OpType::Concat: case OpType::Gather: case OpType::Unsqueeze:
    case OpType::Squeeze: case OpType::Shape: case OpType::ConstantOfShape: case OpType::Expand: case OpType::Slice:
    case OpType::Identity: case OpType::Cos: case OpType::Sin: case OpType::Range: case OpType::Trilu:
    case OpType::Im2Col: case OpType::OpTypeCount:
      return false;
  }
  return false;  // unreachable: every OpType is listed above (-Wswitch names a new one)
}

// Between Q·Kᵀ and ·V, the operators a fused attention kernel computes.
bool in_attention(const model::Node& node) {
  return node.op == OpType::Mul || node.op == OpType::Add || node.op == OpType::Softmax || node.op == OpType::Div ||
         node.op == OpType::Where;
}

// A decode step appends the new token's keys or values to the cache: the Concat after a graph
// input `….past` (model/architectures.hpp). One kernel, whose bytes depend on the software's
// cache: eager (Hugging Face's DynamicCache, torch.cat) reads the cache and writes it whole; graph
// and fused (a StaticCache captured in the graph, index_copy_) write the new rows in place.
// Returns its bytes, or -1 for any other node.
double kv_cache_update(const model::Graph& graph, const model::Node& node, const model::NodeWork& w,
                       double bytes_per_value, arch::GpuSoftware software) {
  if (node.op != OpType::Concat || node.inputs.empty() || !node.inputs[0].ends_with(".past") ||
      std::find(graph.inputs.begin(), graph.inputs.end(), node.inputs[0]) == graph.inputs.end())
    return -1;
  const auto all = static_cast<double>(w.output_elements);  // cached and new values, the whole batch
  if (software == arch::GpuSoftware::Eager) return bytes_per_value * 2 * all;
  Shape past = graph.values.at(node.inputs[0]).shape;
  past[0] = 1;
  const double fresh = 1.0 - static_cast<double>(element_count(past)) / static_cast<double>(element_count(w.output_shape));
  return bytes_per_value * fresh * all;
}

// What one value costs on this GPU in this precision and software mode.
struct GpuRates {
  double peak = 0;             // achievable operations/s
  double bandwidth = 0;        // achievable bytes/s
  double bytes_per_value = 0;  // per element in this precision
};

GpuRates gpu_rates(const arch::GpuSpec& g, GpuPrecision precision) {
  const bool eager = g.software == arch::GpuSoftware::Eager;
  const double peak = precision == GpuPrecision::Int8   ? g.peak_int8
                      : precision == GpuPrecision::Fp16 ? g.peak_fp16
                                                        : g.peak_tf32;
  return {.peak = peak * (eager ? g.compute_efficiency_eager : g.compute_efficiency),
          .bandwidth = g.memory_bandwidth * g.bandwidth_efficiency,
          .bytes_per_value = precision == GpuPrecision::Int8 ? 1.0 : precision == GpuPrecision::Fp16 ? 2.0 : 4.0};
}

// Phase 1: each node's operations and bytes, joined to the kernel it fuses into (the software mode).
std::vector<GpuOpCost> gpu_kernels(const model::Graph& graph, const arch::GpuSpec& g, const GpuOptions& o,
                                   double bytes_per_value) {
  const bool fuse_elementwise = g.software == arch::GpuSoftware::Fused;
  std::vector<GpuOpCost> ops;
  ops.reserve(graph.nodes.size());
  GpuOpCost* open_kernel = nullptr;  // the kernel a following node may fuse into
  bool attention = false;            // inside a fused attention kernel, after its Q·Kᵀ
  for (const model::NodeWork& w : model::node_work(graph, o.sequence_length, o.batch)) {
    const model::Node& node = *w.node;
    GpuOpCost c;
    c.node = node.name;
    c.op = node.op;
    const OpClass cls = model::op_class(node.op);
    if (const double cache_bytes = kv_cache_update(graph, node, w, bytes_per_value, g.software); cache_bytes >= 0) {
      c.kernel = true;
      c.launches = 1;
      c.bytes = cache_bytes;
      ops.push_back(c);
      open_kernel = nullptr;
      continue;
    }
    if (cls == OpClass::DataMovement) {
      c.bound = "free";
      ops.push_back(c);
      continue;
    }
    const bool matmul = cls == OpClass::WeightMatMul || cls == OpClass::DataMatMul;
    c.ops = matmul ? 2.0 * static_cast<double>(w.macs) : gpu_ops_per_output(node.op) * static_cast<double>(w.output_elements);
    const bool joins_attention = attention && (in_attention(node) || cls == OpClass::DataMatMul);
    const bool joins_epilogue = fuse_elementwise && open_kernel &&
                                (is_elementwise(node) || node.op == OpType::LayerNorm || node.op == OpType::RmsNorm);
    if (joins_attention || joins_epilogue) {
      c.bound = "fused";
      open_kernel->ops += c.ops;
      if (joins_attention && cls == OpClass::DataMatMul) {
        // ·V reads V (macs / query rows: the context's shape in a forward pass, the cached values in
        // a decode step) and writes the context.
        const double rows = static_cast<double>(w.output_shape[w.output_shape.size() - 2]);
        open_kernel->bytes += bytes_per_value * (static_cast<double>(w.macs) / rows + static_cast<double>(w.output_elements));
        attention = false;
      }
      ops.push_back(c);
      continue;
    }
    c.kernel = true;
    c.module = module_operator(node.op);
    c.launches = g.software == arch::GpuSoftware::Fused ? 1 : pytorch_kernels(node);
    c.bytes = c.launches * bytes_per_value * static_cast<double>(w.input_elements + w.output_elements + w.weight_elements);
    c.tensor_core = matmul;
    if (cls == OpClass::DataMatMul) {
      // Fused attention keeps the scores on chip: it reads Q and K here, V and writes the context at ·V.
      attention = true;
      c.bytes = bytes_per_value * static_cast<double>(w.input_elements);
    }
    ops.push_back(c);
    open_kernel = &ops.back();
  }
  return ops;
}

// Phase 2: times once fusion has settled each kernel's operations; latency, energy and power.
void price_kernels(GpuEstimate& e, const arch::GpuSpec& g, const GpuRates& r) {
  const double launch = g.software == arch::GpuSoftware::Eager ? g.launch_graph : g.launch();
  double gpu_time = 0, dynamic_energy = 0, cpu_time = 0;
  for (GpuOpCost& c : e.ops) {
    if (!c.kernel) continue;
    if (g.software == arch::GpuSoftware::Eager)
      c.cpu = (c.module ? g.launch_eager + (c.launches - 1) * g.launch_eager_inline : c.launches * g.launch_eager_inline);
    cpu_time += c.cpu;
    // A tensor-core kernel's fixed time (gpu.matmul_latency) is spent on the few SMs its tiles
    // occupy at small batches: latency, not busy time, so it draws no dynamic power.
    const double compute = c.ops / r.peak, memory = c.bytes / r.bandwidth, busy = std::max(compute, memory);
    const double overhead = c.launches * launch + (c.tensor_core ? g.matmul_latency : 0.0);
    c.time = busy + overhead;
    c.bound = overhead > busy ? "launch" : (compute >= memory ? "compute" : "memory");
    dynamic_energy += busy * (compute >= memory ? g.dynamic_power : g.dynamic_power_memory);
    e.busy += busy;
    gpu_time += c.time;
    e.kernels += c.launches;
  }
  e.latency = std::max(gpu_time, cpu_time);  // eager: the CPU issues the kernels as the GPU runs them
  e.energy = g.idle_power * e.latency + dynamic_energy;
  e.power = e.latency > 0 ? e.energy / e.latency : 0;
}

// Eager PyTorch's CPU work: module operators and inline kernels (gpu.launch_eager, launch_eager_inline).
struct EagerCpu {
  std::int64_t modules = 0, inline_kernels = 0;
  double time = 0;  // s
};

EagerCpu eager_cpu(const GpuEstimate& e) {
  EagerCpu cpu;
  for (const GpuOpCost& c : e.ops) {
    if (!c.kernel) continue;
    cpu.modules += c.module ? 1 : 0;
    cpu.inline_kernels += c.launches - (c.module ? 1 : 0);
    cpu.time += c.cpu;
  }
  return cpu;
}

// The per-kernel keys the latency depends on: the CPU's when it bounds an eager run, else the GPU's.
std::vector<std::string> overhead_keys(const arch::GpuSpec& g, const EagerCpu& cpu, double latency) {
  if (g.software == arch::GpuSoftware::Eager && cpu.time >= latency) {
    std::vector<std::string> keys;
    if (cpu.modules > 0) keys.push_back("gpu.launch_eager");
    if (cpu.inline_kernels > 0) keys.push_back("gpu.launch_eager_inline");
    return keys;
  }
  return {g.software == arch::GpuSoftware::Fused ? "gpu.launch_fused" : "gpu.launch_graph", "gpu.matmul_latency"};
}

// Phase 3: the keys the estimate used and what it assumed.
void describe_estimate(GpuEstimate& e, const arch::ArchSpec& spec, const GpuOptions& o, double bytes_per_value) {
  const arch::GpuSpec& g = spec.gpu;
  const bool eager = g.software == arch::GpuSoftware::Eager;
  const EagerCpu cpu = eager_cpu(e);
  const std::string peak_key = o.precision == GpuPrecision::Int8   ? "gpu.peak_int8"
                               : o.precision == GpuPrecision::Fp16 ? "gpu.peak_fp16"
                                                                   : "gpu.peak_tf32";
  std::vector<std::string> keys = {"gpu.software", peak_key, "gpu.memory_bandwidth",
                                   eager ? "gpu.compute_efficiency_eager" : "gpu.compute_efficiency",
                                   "gpu.bandwidth_efficiency"};
  const std::vector<std::string> overhead = overhead_keys(g, cpu, e.latency);
  keys.insert(keys.end(), overhead.begin(), overhead.end());
  keys.insert(keys.end(), {"gpu.idle_power", "gpu.dynamic_power", "gpu.dynamic_power_memory"});
  e.assumptions = arch::assumptions_of(spec, keys);
  e.notes = {
      fmt::format("precision = {} ({} byte(s) per value)", to_string(o.precision), bytes_per_value),
      fmt::format("software = {}: {}", to_string(g.software),
                  g.software == arch::GpuSoftware::Fused
                      ? "attention one kernel, element-wise operators and norms fused into the kernel before them"
                      : "attention one kernel (scaled_dot_product_attention), bias in its GEMM, every other operator "
                        "its own kernel"),
      fmt::format("{} kernels; utilisation {:.0f}% (kernels busy over the latency)", e.kernels,
                  e.latency > 0 ? 100 * e.busy / e.latency : 0.0),
      fmt::format("batch = {}, sequence length = {}", o.batch, o.sequence_length)};
  if (eager)
    e.notes.push_back(fmt::format("eager CPU: {} module operators at gpu.launch_eager, {} inline kernels at "
                                  "gpu.launch_eager_inline: {:.4g} ms ({})",
                                  cpu.modules, cpu.inline_kernels, cpu.time * 1e3,
                                  cpu.time >= e.latency ? "the CPU bounds the latency" : "the GPU bounds the latency"));
}

}  // namespace

GpuEstimate estimate_gpu(const model::Graph& graph, const arch::ArchSpec& spec, const GpuOptions& o) {
  if (spec.kind != arch::ArchKind::Gpu)
    throw Error(ErrorKind::InvalidArgument, "architecture '" + spec.name + "' is not a GPU (kind: gpu)");
  if (o.batch < 1 || o.sequence_length < 1)
    throw Error(ErrorKind::InvalidArgument, "batch and sequence length must be >= 1");
  const GpuRates rates = gpu_rates(spec.gpu, o.precision);
  GpuEstimate e;
  e.software = spec.gpu.software;
  e.ops = gpu_kernels(graph, spec.gpu, o, rates.bytes_per_value);
  price_kernels(e, spec.gpu, rates);
  describe_estimate(e, spec, o, rates.bytes_per_value);
  return e;
}

}  // namespace raceit::perf
