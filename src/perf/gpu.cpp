#include "raceit/perf/gpu.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "raceit/core/error.hpp"
#include "raceit/core/units.hpp"
#include "raceit/model/statistics.hpp"

namespace raceit::perf {

using model::OpClass;
using model::OpType;

const char* to_string(GpuPrecision p) { return p == GpuPrecision::Int8 ? "int8" : "fp16"; }

GpuPrecision parse_gpu_precision(const std::string& text) {
  if (text == "int8") return GpuPrecision::Int8;
  if (text == "fp16") return GpuPrecision::Fp16;
  throw Error(ErrorKind::InvalidArgument, "unknown GPU precision '" + text + "' (expected int8 or fp16)");
}

double gpu_ops_per_output(OpType op) {
  switch (op) {
    case OpType::Gelu: case OpType::Silu: case OpType::Erf: case OpType::Tanh: case OpType::Sigmoid:
    case OpType::Exp:
      return 8;  // a transcendental evaluated in the SFU plus a few FMAs
    case OpType::Softmax:
      return 5;  // max, subtract, exp, sum, scale
    case OpType::LayerNorm: case OpType::RmsNorm:
      return 8;  // mean, variance, rsqrt, scale, shift
    default:
      return 1;
  }
}

GpuEstimate estimate_gpu(const model::Graph& graph, const ArchSpec& spec, const GpuOptions& o) {
  if (spec.kind != ArchKind::Gpu)
    throw Error(ErrorKind::InvalidArgument, "architecture '" + spec.name + "' is not a GPU (kind: gpu)");
  if (o.batch < 1 || o.sequence_length < 1)
    throw Error(ErrorKind::InvalidArgument, "batch and sequence length must be >= 1");
  const GpuSpec& g = spec.gpu;
  const double peak = (o.precision == GpuPrecision::Int8 ? g.peak_int8 : g.peak_fp16) * g.compute_efficiency;
  const double bandwidth = g.memory_bandwidth * g.bandwidth_efficiency;
  const double bytes_per_value = o.precision == GpuPrecision::Int8 ? 1.0 : 2.0;

  GpuEstimate e;
  GpuOpCost* open_kernel = nullptr;  // the kernel a following element-wise node fuses into
  for (const model::NodeWork& w : model::node_work(graph, o.sequence_length, o.batch)) {
    const model::Node& node = *w.node;
    GpuOpCost c{node.name, node.op};
    const OpClass cls = model::op_class(node.op);
    if (cls == OpClass::DataMovement) {
      c.bound = "free";
      e.ops.push_back(c);
      continue;
    }
    const bool matmul = cls == OpClass::WeightMatMul || cls == OpClass::DataMatMul;
    c.ops = matmul ? 2.0 * static_cast<double>(w.macs) : gpu_ops_per_output(node.op) * static_cast<double>(w.output_elements);
    const bool elementwise = node.op != OpType::Softmax && node.op != OpType::LayerNorm && node.op != OpType::RmsNorm &&
                             (cls == OpClass::Function || cls == OpClass::Arithmetic) &&
                             node.op != OpType::ReduceMean && node.op != OpType::ReduceSum && node.op != OpType::ReduceMax;
    if (o.fuse_elementwise && elementwise && open_kernel) {
      c.bound = "fused";
      open_kernel->ops += c.ops;
      e.ops.push_back(c);
      continue;
    }
    c.kernel = true;
    c.bytes = bytes_per_value * static_cast<double>(w.input_elements + w.output_elements + w.weight_elements);
    e.ops.push_back(c);
    open_kernel = &e.ops.back();
  }
  // Times once fusion has settled each kernel's operations.
  for (GpuOpCost& c : e.ops) {
    if (!c.kernel) continue;
    const double compute = c.ops / peak, memory = c.bytes / bandwidth;
    c.time = std::max(compute, memory) + g.kernel_launch;
    c.bound = g.kernel_launch > std::max(compute, memory) ? "launch" : (compute >= memory ? "compute" : "memory");
    e.latency += c.time;
    ++e.kernels;
  }
  e.power = g.power_fraction * g.tdp;
  e.energy = e.latency * e.power;
  const auto& p = spec.params;
  for (const char* key : {"gpu.peak_int8", "gpu.peak_fp16", "gpu.memory_bandwidth", "gpu.compute_efficiency",
                          "gpu.bandwidth_efficiency", "gpu.kernel_launch", "gpu.power_fraction", "gpu.tdp"})
    e.assumptions.push_back(fmt::format("{} = {} ({})", key, p.value(key).text, p.value(key).source));
  e.assumptions.push_back(fmt::format("precision = {} ({} byte(s) per value)", to_string(o.precision), bytes_per_value));
  e.assumptions.push_back(fmt::format("element-wise epilogue fusion = {}", o.fuse_elementwise ? "on" : "off"));
  e.assumptions.push_back(fmt::format("batch = {}, sequence length = {}", o.batch, o.sequence_length));
  return e;
}

}  // namespace raceit::perf
