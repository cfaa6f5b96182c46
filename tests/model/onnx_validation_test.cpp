// ONNX import validates what the file says against the operator specification before any
// shape rule, fold or kernel uses it: each case is a defect found with a tiny hand-made model
// (a crash, a hang, a huge allocation or a garbage shape before). Every error names the file,
// the node and the problem.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <chrono>
#include <string>
#include <vector>

#include "raceit/core/error.hpp"
#include "raceit/model/onnx_import.hpp"

namespace raceit::model {
namespace {

const std::string kSource = "tiny.onnx";

void add_value(onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& shape) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* s = t->mutable_shape();
  for (auto d : shape) s->add_dim()->set_dim_value(d);
}

// A model computing `node` from one float input X of `shape` and the given initializers.
struct TinyModel {
  onnx::ModelProto proto;
  onnx::NodeProto* node;

  TinyModel(const std::string& op, const std::vector<std::int64_t>& shape, std::vector<std::string> inputs = {"X"}) {
    proto.set_ir_version(8);
    proto.add_opset_import()->set_version(17);
    auto* g = proto.mutable_graph();
    g->set_name("tiny");
    add_value(g->add_input(), "X", shape);
    node = g->add_node();
    node->set_name("the_node");
    node->set_op_type(op);
    for (const auto& in : inputs) node->add_input(in);
    node->add_output("Y");
    auto* out = g->add_output();
    out->set_name("Y");
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    out->mutable_type()->mutable_tensor_type()->mutable_shape();  // the checker requires one; raceit infers it
  }
  onnx::TensorProto* initializer(const std::string& name, const std::vector<std::int64_t>& dims, int type = onnx::TensorProto::FLOAT) {
    auto* t = proto.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    return t;
  }
  void ints(const std::string& name, const std::vector<std::int64_t>& values) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto v : values) a->add_ints(v);
  }
  void integer(const std::string& name, std::int64_t value) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  Graph import() const { return import_onnx_bytes(proto.SerializeAsString(), kSource); }
};

// The import fails with Error(Parse or InvalidArgument) naming the file, the node and each part.
void expect_rejected(const TinyModel& m, const std::vector<std::string>& parts, const std::string& place = "the_node") {
  try {
    m.import();
    FAIL() << "imported";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_TRUE(e.kind() == ErrorKind::Parse || e.kind() == ErrorKind::InvalidArgument) << what;
    EXPECT_EQ(what.rfind(kSource + ": ", 0), 0u) << what;
    EXPECT_NE(what.find(place), std::string::npos) << what;
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' missing in: " << what;
  }
}

TinyModel conv() {
  TinyModel m("Conv", {1, 1, 4, 4}, {"X", "W"});
  auto* w = m.initializer("W", {1, 1, 2, 2});
  for (int i = 0; i < 4; ++i) w->add_float_data(1.0f);
  return m;
}

TEST(OnnxValidation, ValidConvImportsWithItsShape) {
  TinyModel m = conv();
  m.ints("strides", {2, 2});
  const Graph g = m.import();
  EXPECT_EQ(g.values.at("Y").shape, (Shape{1, 1, 2, 2}));
}

TEST(OnnxValidation, ConvZeroStrideIsAnError) {  // was SIGFPE in shape inference
  TinyModel m = conv();
  m.ints("strides", {0, 1});
  expect_rejected(m, {"strides", "holds 0"});
}

TEST(OnnxValidation, ConvAttributeListsOfTheWrongLengthAreErrors) {  // were heap over-reads
  TinyModel short_strides = conv();
  short_strides.ints("strides", {1});
  expect_rejected(short_strides, {"strides", "1 values", "needs 2"});
  TinyModel short_pads = conv();
  short_pads.ints("pads", {1, 1});
  expect_rejected(short_pads, {"pads", "2 values", "needs 4"});
  TinyModel negative_pads = conv();
  negative_pads.ints("pads", {0, -1, 0, 0});
  expect_rejected(negative_pads, {"pads", "holds -1"});
}

TEST(OnnxValidation, GatherAxisOutOfRangeIsAnError) {  // was a heap over-read in shape inference
  TinyModel m("Gather", {4, 3}, {"X", "I"});
  m.initializer("I", {1}, onnx::TensorProto::INT64)->add_int64_data(0);
  m.integer("axis", 5);
  expect_rejected(m, {"axis", "5", "rank 2"});
}

TEST(OnnxValidation, GatherAxisOutOfRangeOfAComputedValueIsAnError) {
  TinyModel m("Relu", {4, 3});
  m.node->set_output(0, "R");
  auto* gather = m.proto.mutable_graph()->add_node();
  gather->set_name("the_node");
  gather->set_op_type("Gather");
  gather->add_input("R");
  gather->add_input("I");
  gather->add_output("Y");
  auto* axis = gather->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(-7);
  m.initializer("I", {1}, onnx::TensorProto::INT64)->add_int64_data(0);
  expect_rejected(m, {"axis -7 out of range for rank 2"});
}

TEST(OnnxValidation, TransposeWithARepeatedAxisIsAnError) {  // was an exit 0 with a garbage shape
  TinyModel m("Transpose", {2, 3});
  m.ints("perm", {0, 0});
  expect_rejected(m, {"perm", "not a permutation"});
  TinyModel out_of_range("Transpose", {2, 3});
  out_of_range.ints("perm", {0, 2});
  expect_rejected(out_of_range, {"perm", "not a permutation"});
}

TEST(OnnxValidation, SoftmaxOverAZeroLengthAxisOfAHugeConstantEndsAtOnce) {  // was a hang of ~10^15 steps
  TinyModel m("Softmax", {1}, {"C"});
  m.initializer("C", {100'000'000, 0, 10'000'000});
  m.integer("axis", 1);
  const auto start = std::chrono::steady_clock::now();
  expect_rejected(m, {"[100000000, 0, 10000000]", "limit"}, "initializer 'C'");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(OnnxValidation, ConstantOfShapeBeyondTheLimitIsAnErrorWithoutAllocating) {  // was 1–4 GB
  TinyModel m("ConstantOfShape", {1}, {"S"});
  auto* s = m.initializer("S", {2}, onnx::TensorProto::INT64);
  s->add_int64_data(1 << 20);
  s->add_int64_data(1 << 20);
  expect_rejected(m, {"[1048576, 1048576]", "limit"});
}

TEST(OnnxValidation, EmptyRawInitializerImports) {  // was UBSan: memcpy from a null pointer
  TinyModel m("Add", {1}, {"X", "E"});
  auto* e = m.initializer("E", {0});
  e->set_raw_data("");
  m.node->set_input(1, "E");
  // X [1] + E [0] broadcasts to [0].
  EXPECT_EQ(m.import().values.at("Y").shape, (Shape{0}));
}

}  // namespace
}  // namespace raceit::model
