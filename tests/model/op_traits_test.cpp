// The operator traits table (model/op_traits.hpp) and the importer features built on it: every
// operator has a complete row (op_traits.cpp also checks this at compile time), every unsupported
// node is reported at once, an If with a static condition inlines its branch, and Einsum in the
// matmul shapes exporters emit becomes a DataMatMul.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <functional>
#include <set>

#include "raceit/core/error.hpp"
#include "raceit/model/kernels.hpp"
#include "raceit/model/onnx_import.hpp"
#include "raceit/model/op_traits.hpp"

namespace raceit::model {
namespace {

TEST(OpTraits, EveryOperatorHasACompleteRowAtItsIndex) {
  ASSERT_EQ(all_op_traits().size(), kOpTypeCount);
  std::set<std::string> names;
  for (std::size_t i = 0; i < kOpTypeCount; ++i) {
    const auto op = static_cast<OpType>(i);
    const OpTraits& t = op_traits(op);
    EXPECT_EQ(t.op, op);
    EXPECT_EQ(op_type_from_string(t.name), op) << t.name;
    EXPECT_TRUE(names.insert(t.name).second) << t.name << " twice";
    EXPECT_NE(t.kernel, nullptr) << t.name;
    EXPECT_EQ(t.lowering == Lowering::AcamFunction, t.function != nullptr) << t.name;
    EXPECT_EQ(op_class(op), t.op_class);
  }
  EXPECT_THROW(op_traits(OpType::OpTypeCount), Error);
}

TEST(OpTraits, KernelsCheckTheTableArity) {
  Node add{.name = "a", .op = OpType::Add, .inputs = {"x"}, .outputs = {"y"}, .attributes = {}, .origin = ""};
  const Tensor x = Tensor::scalar(1.0f);
  const std::vector<const Tensor*> one{&x};
  EXPECT_THROW(evaluate_node(add, one), Error);
  const std::vector<const Tensor*> two{&x, &x};
  EXPECT_FLOAT_EQ(evaluate_node(add, two).at(0).floats()[0], 2.0f);
}

TEST(OpTraits, FunctionExpressionsOfParameterisedFunctions) {
  Graph g;
  Node hs{.name = "h", .op = OpType::HardSigmoid, .inputs = {"x"}, .outputs = {"y"}, .attributes = {}, .origin = ""};
  hs.attributes.set("alpha", 0.25);
  EXPECT_EQ(op_traits(OpType::HardSigmoid).function(hs, g), "max(0,min(1,0.25*x+0.5))");
  Node gelu{.name = "g", .op = OpType::Gelu, .inputs = {"x"}, .outputs = {"y"}, .attributes = {}, .origin = ""};
  EXPECT_EQ(op_traits(OpType::Gelu).function(gelu, g), "gelu");
  gelu.attributes.set("approximate", std::string("tanh"));
  EXPECT_NE(op_traits(OpType::Gelu).function(gelu, g).find("tanh"), std::string::npos);
}

// A model with float input X [batch, width] (a non-positive size: dynamic, named "batch" and
// "seq") and the nodes `build` adds, output Y.
onnx::ModelProto model(const std::function<void(onnx::GraphProto&)>& build, std::int64_t batch = 2, std::int64_t width = 3) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("tiny");
  auto* x = g->add_input();
  x->set_name("X");
  auto* t = x->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  if (batch > 0) t->mutable_shape()->add_dim()->set_dim_value(batch);
  else t->mutable_shape()->add_dim()->set_dim_param("batch");
  if (width > 0) t->mutable_shape()->add_dim()->set_dim_value(width);
  else t->mutable_shape()->add_dim()->set_dim_param("seq");
  build(*g);
  auto* y = g->add_output();
  y->set_name("Y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  y->mutable_type()->mutable_tensor_type()->mutable_shape();  // the checker requires one; raceit infers it
  return m;
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, std::vector<std::string> in, std::string out) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(out + "_node");
  for (const auto& i : in) n->add_input(i);
  n->add_output(out);
  return n;
}

void int_constant(onnx::GraphProto& g, const std::string& name, std::int64_t value) {
  auto* n = add_node(g, "Constant", {}, name);
  auto* a = n->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  a->mutable_t()->add_int64_data(value);
}

Graph import(const onnx::ModelProto& m) { return import_onnx_bytes(m.SerializeAsString(), "tiny.onnx"); }

TEST(OnnxImportAll, EveryUnsupportedNodeIsListedAtOnce) {
  const auto m = model([](onnx::GraphProto& g) {
    add_node(g, "Mod", {"X", "X"}, "a");
    add_node(g, "Cosh", {"a"}, "b");
    add_node(g, "Mod", {"b", "X"}, "c");
    add_node(g, "Relu", {"c"}, "Y");
  });
  try {
    import(m);
    FAIL() << "imported";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    for (const char* part : {"tiny.onnx", "3 nodes of 2 operator types", "Mod ×2 (a_node, c_node)", "Cosh ×1 (b_node)",
                             "does not support"})
      EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' missing in: " << what;
  }
}

// x.squeeze(1)-style exports: If (dim 1 of X == 3) then Relu else Neg.
onnx::ModelProto if_model(std::int64_t batch, std::int64_t index, std::int64_t width = 3) {
  return model(
      [index](onnx::GraphProto& g) {
        add_node(g, "Shape", {"X"}, "shape");
        int_constant(g, "index", index);
        add_node(g, "Gather", {"shape", "index"}, "dim");
        int_constant(g, "three", 3);
        add_node(g, "Equal", {"dim", "three"}, "cond");
        auto* n = add_node(g, "If", {"cond"}, "Y");
        for (const char* branch : {"then_branch", "else_branch"}) {
          auto* a = n->add_attribute();
          a->set_name(branch);
          a->set_type(onnx::AttributeProto::GRAPH);
          auto* b = a->mutable_g();
          b->set_name(branch);
          add_node(*b, std::string(branch) == "then_branch" ? "Relu" : "Neg", {"X"}, std::string(branch) + "_out");
          auto* out = b->add_output();
          out->set_name(std::string(branch) + "_out");
          out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
          out->mutable_type()->mutable_tensor_type()->mutable_shape();
        }
      },
      batch, width);
}

TEST(OnnxImportFolding, IfWithAStaticConditionInlinesTheTakenBranch) {
  const Graph g = import(if_model(-1, 1));  // dim 1 is 3 whatever the batch
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpType::Relu);
  const Graph other = import(if_model(2, 0));  // dim 0 is 2: the else branch
  ASSERT_EQ(other.nodes.size(), 1u);
  EXPECT_EQ(other.nodes[0].op, OpType::Neg);
}

TEST(OnnxImportFolding, IfOnADynamicDimensionIsReportedAsFoldableIfStatic) {
  try {
    import(if_model(-1, 0));
    FAIL() << "imported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("If ×1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("would be folded if its inputs were static"), std::string::npos) << e.what();
  }
}

// An If on a dimension that only --dim or --seq fixes folds when the import is given it.
TEST(OnnxImportFolding, IfOnADimensionSetAtImportTakesItsBranch) {
  const std::string bytes = if_model(-1, 1, -1).SerializeAsString();
  EXPECT_THROW(import_onnx_bytes(bytes, "tiny.onnx"), Error);
  const Graph by_name = import_onnx_bytes(bytes, "tiny.onnx", {.dims = {{"seq", 3}}});
  ASSERT_EQ(by_name.nodes.size(), 1u);
  EXPECT_EQ(by_name.nodes[0].op, OpType::Relu);
  EXPECT_EQ(by_name.values.at("X").shape, (Shape{-1, 3}));
  const Graph by_length = import_onnx_bytes(bytes, "tiny.onnx", {.sequence_length = 5});
  ASSERT_EQ(by_length.nodes.size(), 1u);
  EXPECT_EQ(by_length.nodes[0].op, OpType::Neg);
  // Another name leaves "seq" dynamic.
  EXPECT_THROW(import_onnx_bytes(bytes, "tiny.onnx", {.dims = {{"width", 3}}}), Error);
}

TEST(OnnxImportFolding, RangeAndShapeArithmeticFoldAroundADynamicBatch) {
  // Y = X + Cast(Range(0, dim 1 of X, 1)): all but the Add folds.
  const auto m = model([](onnx::GraphProto& g) {
    add_node(g, "Shape", {"X"}, "shape");
    int_constant(g, "one", 1);
    add_node(g, "Gather", {"shape", "one"}, "width");
    int_constant(g, "zero", 0);
    add_node(g, "Range", {"zero", "width", "one"}, "positions");
    auto* to = add_node(g, "Cast", {"positions"}, "positions_f")->add_attribute();
    to->set_name("to");
    to->set_type(onnx::AttributeProto::INT);
    to->set_i(onnx::TensorProto::FLOAT);
    add_node(g, "Add", {"X", "positions_f"}, "Y");
  }, -1);
  const Graph g = import(m);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpType::Add);
  const Tensor& positions = g.initializers.at(g.nodes[0].inputs[1]);
  EXPECT_EQ(positions.shape(), (Shape{3}));
  EXPECT_FLOAT_EQ(positions.floats()[2], 2.0f);
}

TEST(OnnxImportEinsum, MatmulShapedEquationsBecomeDataMatMul) {
  const auto m = model([](onnx::GraphProto& g) {
    auto* n = add_node(g, "Einsum", {"X", "X"}, "Y");
    auto* a = n->add_attribute();
    a->set_name("equation");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s("ij,kj->ik");  // X·Xᵀ
  });
  const Graph g = import(m);
  int matmuls = 0;
  for (const auto& n : g.nodes) matmuls += n.op == OpType::DataMatMul;
  EXPECT_EQ(matmuls, 1);
  EXPECT_EQ(g.values.at("Y").shape, (Shape{2, 2}));
}

TEST(OnnxImportEinsum, OtherEquationsAreUnsupportedNamingTheEquation) {
  const auto m = model([](onnx::GraphProto& g) {
    auto* n = add_node(g, "Einsum", {"X"}, "Y");
    auto* a = n->add_attribute();
    a->set_name("equation");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s("ij->ji");
  });
  try {
    import(m);
    FAIL() << "imported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("'ij->ji'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace raceit::model
