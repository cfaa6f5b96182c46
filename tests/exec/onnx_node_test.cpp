// Every supported operator against the ONNX reference test cases shipped by Debian's
// libonnx-testdata (model.onnx + input_*.pb / output_*.pb), imported and run end to end.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "raceit/core/error.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/model/onnx_import.hpp"

namespace raceit::exec {
namespace {

namespace fs = std::filesystem;
const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

struct NodeCase {
  std::string name;
  // Inputs from this index on become initializers (constant axes/shapes, or weights so that
  // MatMul/Gemm take the weight-matmul path); -1 keeps all as graph inputs.
  int constant_from = -1;
};

// How gtest shows a case (in test names and failures).
void PrintTo(const NodeCase& c, std::ostream* os) { *os << c.name << (c.constant_from >= 0 ? " (constant inputs)" : ""); }

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `graph` on `inputs` and compares with the case's output_*.pb (|Δ| ≤ 1e-5 + 1e-4·|ref|).
void expect_reference_outputs(const model::Graph& graph, const std::map<std::string, Tensor>& inputs,
                              const fs::path& data, const std::string& name) {
  const auto outputs = Executor(graph, OpTable::fp32(), {1, 0}).run(inputs);
  ASSERT_EQ(outputs.size(), graph.outputs.size());
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const Tensor expected = model::read_onnx_tensor((data / ("output_" + std::to_string(o) + ".pb")).string());
    ASSERT_EQ(outputs[o].shape(), expected.shape()) << name << " output " << o;
    ASSERT_EQ(outputs[o].is_float(), expected.is_float()) << name << " output " << o;
    for (std::int64_t i = 0; i < expected.size(); ++i)
      ASSERT_NEAR(outputs[o].number(i), expected.number(i), 1e-5 + 1e-4 * std::abs(expected.number(i)))
          << name << " output " << o << " element " << i;
  }
}

void run_case(const NodeCase& c) {
  const fs::path dir = kNodeTests / c.name;
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " missing: install libonnx-testdata (make setup)";
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(read_bytes(dir / "model.onnx")));
  const fs::path data = dir / "test_data_set_0";
  std::map<std::string, Tensor> inputs;
  for (int i = 0; i < proto.graph().input_size(); ++i) {
    const std::string name = proto.graph().input(i).name();
    const fs::path file = data / ("input_" + std::to_string(i) + ".pb");
    if (c.constant_from >= 0 && i >= c.constant_from) {
      onnx::TensorProto t;
      ASSERT_TRUE(t.ParseFromString(read_bytes(file)));
      t.set_name(name);
      *proto.mutable_graph()->add_initializer() = t;
    } else {
      inputs[name] = model::read_onnx_tensor(file.string());
    }
  }
  expect_reference_outputs(model::import_onnx_bytes(proto.SerializeAsString(), c.name), inputs, data, c.name);
}

class OnnxNode : public ::testing::TestWithParam<NodeCase> {};
TEST_P(OnnxNode, MatchesReferenceOutputs) { run_case(GetParam()); }

const NodeCase kCases[] = {
    {"test_add"}, {"test_add_bcast"}, {"test_sub"}, {"test_sub_bcast"}, {"test_mul"}, {"test_mul_bcast"},
    {"test_div"}, {"test_div_bcast"}, {"test_pow"}, {"test_pow_bcast_array"}, {"test_pow_bcast_scalar"},
    {"test_sqrt"}, {"test_erf"}, {"test_exp"}, {"test_relu"}, {"test_tanh"}, {"test_sigmoid"}, {"test_neg"},
    {"test_reciprocal"}, {"test_equal"}, {"test_equal_bcast"}, {"test_less"}, {"test_greater_bcast"},
    {"test_not_2d"}, {"test_not_4d"}, {"test_where_example"}, {"test_where_long_example"},
    {"test_cast_DOUBLE_to_FLOAT"}, {"test_clip"}, {"test_clip_splitbounds"}, {"test_clip_default_min"},
    {"test_clip_example"}, {"test_softmax_axis_0"}, {"test_softmax_axis_1"}, {"test_softmax_default_axis"},
    {"test_softmax_large_number"}, {"test_softmax_negative_axis"},
    {"test_layer_normalization_2d_axis0"}, {"test_layer_normalization_3d_axis1_epsilon"},
    {"test_layer_normalization_4d_axis_negative_2"}, {"test_layer_normalization_default_axis"},
    {"test_reduce_mean_keepdims_random"}, {"test_reduce_mean_do_not_keepdims_random"},
    {"test_reduce_mean_default_axes_keepdims_random"}, {"test_reduce_mean_negative_axes_keepdims_random"},
    {"test_reduce_sum_keepdims_random", 1}, {"test_reduce_sum_do_not_keepdims_random", 1},
    {"test_reduce_sum_negative_axes_keepdims_random", 1}, {"test_reduce_sum_empty_axes_input_noop_random", 1},
    {"test_reduce_max_keepdims_random"}, {"test_reduce_max_do_not_keepdims_random"},
    {"test_reshape_extended_dims", 1}, {"test_reshape_negative_dim", 1}, {"test_reshape_reordered_all_dims", 1},
    {"test_reshape_zero_and_negative_dim", 1}, {"test_reshape_allowzero_reordered", 1},
    {"test_transpose_default"}, {"test_transpose_all_permutations_3"}, {"test_split_equal_parts_2d"},
    {"test_split_variable_parts_2d", 1}, {"test_split_variable_parts_default_axis", 1},
    {"test_concat_3d_axis_1"}, {"test_concat_2d_axis_negative_1"}, {"test_gather_0"}, {"test_gather_1"},
    {"test_gather_2d_indices"}, {"test_gather_negative_indices"}, {"test_unsqueeze_axis_0", 1},
    {"test_unsqueeze_negative_axes", 1}, {"test_unsqueeze_unsorted_axes", 1}, {"test_squeeze", 1},
    {"test_squeeze_negative_axes", 1}, {"test_shape"}, {"test_shape_start_1_end_negative_1"},
    {"test_shape_clip_end"}, {"test_constant"}, {"test_constantofshape_float_ones", 0},
    {"test_constantofshape_int_zeros", 0}, {"test_expand_dim_changed", 1}, {"test_expand_dim_unchanged", 1},
    {"test_slice", 1}, {"test_slice_default_axes", 1}, {"test_slice_neg_steps", 1}, {"test_slice_negative_axes", 1},
    {"test_slice_end_out_of_bounds", 1}, {"test_identity"},
    {"test_matmul_2d"}, {"test_matmul_3d"}, {"test_matmul_4d"}, {"test_matmul_2d", 1},
    {"test_gemm_all_attributes"}, {"test_gemm_transposeA"}, {"test_gemm_transposeB"},
    {"test_gemm_default_matrix_bias"}, {"test_gemm_all_attributes", 1}, {"test_gemm_transposeB", 1},
    {"test_gemm_default_vector_bias", 1}, {"test_gemm_default_scalar_bias", 1}, {"test_gemm_alpha", 1},
    {"test_gemm_beta", 1}, {"test_conv_with_strides_padding", 1}, {"test_conv_with_strides_no_padding", 1},
    {"test_conv_with_strides_and_asymmetric_padding", 1},
};

INSTANTIATE_TEST_SUITE_P(LibOnnxTestdata, OnnxNode, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<NodeCase>& info) {
                           return info.param.name.substr(5) + (info.param.constant_from >= 0 ? "_constant" : "");
                         });

// Beyond the list above: every test model the importer accepts runs and matches its reference.
TEST(OnnxNodeSweep, EveryImportedTestModelMatchesItsReference) {
  if (!fs::exists(kNodeTests)) GTEST_SKIP() << kNodeTests << " missing: install libonnx-testdata (make setup)";
  int checked = 0;
  for (const auto& dir : fs::directory_iterator(kNodeTests)) {
    model::Graph graph;
    try {
      graph = model::import_onnx((dir.path() / "model.onnx").string());
    } catch (const Error&) {
      continue;  // unsupported; OnnxImportErrors checks the message
    }
    const fs::path data = dir.path() / "test_data_set_0";
    std::map<std::string, Tensor> inputs;
    for (std::size_t i = 0; i < graph.inputs.size(); ++i)
      inputs[graph.inputs[i]] = model::read_onnx_tensor((data / ("input_" + std::to_string(i) + ".pb")).string());
    expect_reference_outputs(graph, inputs, data, dir.path().filename().string());
    ++checked;
  }
  // docs/model.md reports this figure (173 before the issue-12 operators and folding).
  RecordProperty("imported_and_matched", checked);
  EXPECT_GE(checked, 219);
}

}  // namespace
}  // namespace raceit::exec
