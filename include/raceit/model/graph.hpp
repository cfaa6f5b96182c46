#pragma once
// The model graph IR: named values (tensors with dtype and shape), weights (initializers) and a
// topologically ordered list of operator nodes. Importers (ONNX, TF.js) and the built-in
// architectures produce it; the compiler and the executors walk it node by node.
//
// Semantic operators the RACE-IT compiler maps to hardware:
//   WeightMatMul  y = x·W (+ b): W [K, N] (and b [N]) are weights; x [..., K] → y [..., N];
//                 with attribute transpose_weight=1, W is stored [N, K] (a tied embedding table)
//   DataMatMul    y = a·b with both operands activations (Q·Kᵀ, softmax·V), numpy broadcasting
//   Gelu          exact erf GELU; Silu x·σ(x); Softmax over one axis
//   LayerNorm     over the trailing axes from `axis` (γ, optional β); RmsNorm likewise, x/√(mean(x²)+ε)·γ
// and the rest are ONNX-semantics element-wise, reduction and shape operators.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "raceit/core/tensor.hpp"

namespace raceit::model {

using raceit::to_string;  // shapes and dtypes print alongside operators

enum class OpType {
  // Semantic operators.
  WeightMatMul, DataMatMul, Gelu, Silu, LayerNorm, RmsNorm, Softmax,
  // Element-wise, binary (numpy broadcasting).
  Add, Sub, Mul, Div, Pow, Equal, Less, Greater, Where,
  // Element-wise, unary.
  Sqrt, Reciprocal, Exp, Erf, Relu, Tanh, Sigmoid, Neg, Not, Cast, Clip,
  // Reductions.
  ReduceMean, ReduceSum, ReduceMax,
  // Data movement and shape arithmetic.
  Reshape, Transpose, Split, Concat, Gather, Unsqueeze, Squeeze, Shape, ConstantOfShape,
  Expand, Slice, Identity,
  // Convolution (patch embedding), weights in W [M, C, kh, kw] and b [M].
  Conv,
  // Functions exporters of CNNs and older opsets emit (ONNX semantics).
  HardSigmoid, HardSwish, Softplus, LogSoftmax, Cos, Sin,
  // Inference batch normalisation over axis 1: inputs x, scale, bias, mean, variance.
  BatchNorm,
  // 2-D pooling (NCHW), ONNX semantics.
  MaxPool, AveragePool,
  // Shape arithmetic folded at import: Range(start, limit, delta), Trilu(x, k).
  Range, Trilu,
  // Patch unrolling: x [N, C, H, W] → [N, OH·OW, C·kh·kw] (Conv attributes), so that a
  // convolution is a WeightMatMul on crossbars.
  Im2Col,
  OpTypeCount  // not an operator: the number of them (model/op_traits.hpp)
};

const char* to_string(OpType op);
// Parses the name printed by to_string; throws Error(Parse) for an unknown name.
OpType op_type_from_string(const std::string& name);

// How the RACE-IT compiler sees an operator.
enum class OpClass {
  WeightMatMul,  // crossbar: WeightMatMul, Conv
  DataMatMul,    // 2-variable ACAM products
  Function,      // ACAM-mapped non-linear functions: Gelu, Softmax, LayerNorm, Exp, Erf, Tanh, …
  Arithmetic,    // digital adders / element-wise arithmetic: Add, Sub, Mul, Div, reductions
  DataMovement,  // reshape, transpose, gather, shape arithmetic: no computation
};
const char* to_string(OpClass c);
OpClass op_class(OpType op);

using AttributeValue = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>, std::vector<double>>;

// Operator attributes by name (ONNX names: axis, axes, perm, epsilon, keepdims, …).
class Attributes {
 public:
  void set(const std::string& name, AttributeValue value) { values_[name] = std::move(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  std::int64_t get_int(const std::string& name, std::int64_t fallback) const;
  double get_float(const std::string& name, double fallback) const;
  std::vector<std::int64_t> get_ints(const std::string& name, std::vector<std::int64_t> fallback = {}) const;
  const std::map<std::string, AttributeValue>& all() const { return values_; }

 private:
  std::map<std::string, AttributeValue> values_;
};

struct Node {
  std::string name;
  OpType op;
  std::vector<std::string> inputs;  // value names; "" marks an omitted optional input
  std::vector<std::string> outputs;
  Attributes attributes;
  std::string origin;  // where it came from: source operator types merged into it
};

// A value's static description. Dimensions < 0 are dynamic (the batch, usually).
struct ValueInfo {
  DType dtype = DType::Float32;
  Shape shape;
};

struct Graph {
  std::string name;
  std::string source;  // file or built-in name it was made from
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, ValueInfo> values;  // inputs, outputs and intermediates
  // Symbolic dimension names of the inputs (ONNX dim_param; "" for a fixed or unnamed one).
  std::map<std::string, std::vector<std::string>> input_dim_names;
  // Weights and constants. A shape-only graph (a built-in architecture for cost studies) leaves
  // tensors out: its weights appear only in `values` and `weight_names`.
  std::map<std::string, Tensor> initializers;
  std::vector<std::string> weight_names;  // every weight/constant name, including shape-only ones
  // The weights that are constants of the computation (shape vectors, masks, scales, folded
  // values) rather than learned parameters.
  std::set<std::string> constants;
  std::vector<Node> nodes;                // topological order

  bool is_weight(const std::string& value) const;
  bool has_weight_data() const;
  // Learned parameters: float weights that are not in `constants`.
  std::int64_t parameter_count() const;
  // Throws Error(Internal) naming the node when a node reads a value nothing defines, or the
  // order is not topological.
  void validate() const;
  // Human-readable dump: inputs, weights (shapes), one line per node, outputs.
  std::string to_text() const;
};

}  // namespace raceit::model
