#pragma once
// Shared by the graph builders (built-in architectures, USE-lite): appends constants and
// nodes; a single-output node's output is named after the node.
#include <string>
#include <vector>

#include "raceit/model/graph.hpp"
#include "raceit/model/passes.hpp"

namespace raceit::model {

class GraphBuilder {
 public:
  GraphBuilder(Graph& graph, std::string origin) : graph_(graph), origin_(std::move(origin)) {}

  // A constant of the computation (shapes, masks, scales): always has its values.
  std::string constant(const std::string& name, Tensor value) {
    add_constant(graph_, name, std::move(value));
    return name;
  }
  std::string ints(const std::string& name, std::vector<std::int64_t> v) {
    const auto n = static_cast<std::int64_t>(v.size());
    return constant(name, Tensor::from_ints({n}, std::move(v)));
  }
  std::string node(OpType op, const std::string& name, std::vector<std::string> inputs, Attributes attrs = {}) {
    graph_.nodes.push_back(Node{name, op, std::move(inputs), {name}, std::move(attrs), origin_});
    return name;
  }
  // A node with several outputs (Split), named by the caller.
  void node(OpType op, const std::string& name, std::vector<std::string> inputs, std::vector<std::string> outputs,
            Attributes attrs) {
    graph_.nodes.push_back(Node{name, op, std::move(inputs), std::move(outputs), std::move(attrs), origin_});
  }
  static Attributes attr(const std::string& key, AttributeValue v) {
    Attributes a;
    a.set(key, std::move(v));
    return a;
  }

 protected:
  Graph& graph_;

 private:
  std::string origin_;
};

}  // namespace raceit::model
