#include "raceit/model/architectures.hpp"

#include <fmt/format.h>

#include <cmath>

#include "raceit/core/error.hpp"
#include "raceit/core/rng.hpp"
#include "graph_builder.hpp"
#include "raceit/model/passes.hpp"
#include "raceit/model/shape_inference.hpp"

namespace raceit::model {

namespace {

ArchitectureConfig bert(const std::string& name, std::int64_t layers, std::int64_t hidden, std::int64_t heads) {
  ArchitectureConfig c;
  c.name = name;
  c.family = Family::BertEncoder;
  c.layers = layers;
  c.hidden = hidden;
  c.heads = c.kv_heads = heads;
  c.head_dim = hidden / heads;
  c.ffn = 4 * hidden;
  return c;
}

std::vector<ArchitectureConfig> known_architectures() {
  ArchitectureConfig vit = bert("vit-b16", 12, 768, 12);
  vit.family = Family::VisionTransformer;
  vit.vocab = vit.max_positions = 0;
  vit.seq_len = 197;  // 14×14 patches + CLS
  vit.norm_epsilon = 1e-6;
  ArchitectureConfig gpt2 = bert("gpt2", 12, 768, 12);
  gpt2.family = Family::Gpt2Decoder;
  gpt2.vocab = 50257;
  gpt2.max_positions = 1024;
  gpt2.norm_epsilon = 1e-5;
  ArchitectureConfig llama1 = bert("llama-3.2-1b", 16, 2048, 32);
  llama1.family = Family::LlamaDecoder;
  llama1.kv_heads = 8;
  llama1.ffn = 8192;
  llama1.vocab = 128256;
  llama1.max_positions = 131072;
  llama1.norm_epsilon = 1e-5;
  ArchitectureConfig llama3 = llama1;
  llama3.name = "llama-3.2-3b";
  llama3.layers = 28;
  llama3.hidden = 3072;
  llama3.heads = 24;
  llama3.head_dim = 128;
  return {bert("bert-base", 12, 768, 12), bert("bert-large", 24, 1024, 16), vit, gpt2, llama1, llama3};
}

class Builder : public GraphBuilder {
 public:
  Builder(Graph& g, const ArchitectureConfig& c, bool with_weights, std::uint64_t seed,
          const std::map<std::string, Tensor>* trained = nullptr)
      : GraphBuilder(g, "built-in " + c.name), g_(g), c_(c), with_weights_(with_weights || trained), rng_(seed), trained_(trained) {}

  // A weight: the trained one, or N(0, 0.02²) entries, or `fill` when given (norm scales, biases).
  std::string weight(const std::string& name, Shape shape, std::optional<float> fill = std::nullopt) {
    g_.values[name] = ValueInfo{.dtype = DType::Float32, .shape = shape};
    g_.weight_names.push_back(name);
    if (trained_) {
      const auto it = trained_->find(name);
      if (it == trained_->end())
        throw Error(ErrorKind::InvalidArgument, fmt::format("{}: weight '{}' {} not given", c_.name, name, to_string(shape)));
      if (it->second.shape() != shape || !it->second.is_float())
        throw Error(ErrorKind::InvalidArgument, fmt::format("{}: weight '{}' is {}{}, the architecture needs float32{}", c_.name,
                                                            name, to_string(it->second.dtype()), to_string(it->second.shape()),
                                                            to_string(shape)));
      g_.initializers[name] = it->second;
    } else if (with_weights_) {
      std::vector<float> v(static_cast<std::size_t>(element_count(shape)));
      for (auto& x : v) x = fill ? *fill : static_cast<float>(0.02 * rng_.normal(streams::kData, drawn_++));
      g_.initializers[name] = Tensor::from_floats(shape, std::move(v));
    }
    return name;
  }
  std::string linear(const std::string& x, std::int64_t in, std::int64_t out, const std::string& name, bool bias) {
    std::vector<std::string> inputs = {x, weight(name + ".weight", {in, out})};
    if (bias) inputs.push_back(weight(name + ".bias", {out}, 0.0f));
    return node(OpType::WeightMatMul, name, inputs);
  }
  std::string norm(const std::string& x, const std::string& name) {
    const bool rms = c_.family == Family::LlamaDecoder;
    std::vector<std::string> inputs = {x, weight(name + ".weight", {c_.hidden}, 1.0f)};
    if (!rms) inputs.push_back(weight(name + ".bias", {c_.hidden}, 0.0f));
    Attributes a;
    a.set("axis", std::int64_t{-1});
    a.set("epsilon", c_.norm_epsilon);
    return node(rms ? OpType::RmsNorm : OpType::LayerNorm, name, inputs, a);
  }
  // [B, T, heads·hd] → [B, heads, T, hd]
  // The [T, T] additive causal mask. A shape-only graph declares it without data: at long
  // contexts its T² values would dominate a cost study's memory.
  // In a decode step it is [T, past + T]: new token i sees the cache and the new tokens up to i.
  void causal_mask(const std::string& name) {
    const std::int64_t t = c_.seq_len, past = c_.past_tokens, n = context();
    if (!with_weights_) {
      g_.values[name] = ValueInfo{.dtype = DType::Float32, .shape = {t, n}};
      g_.weight_names.push_back(name);
      g_.constants.insert(name);
      return;
    }
    std::vector<float> mask(static_cast<std::size_t>(t * n), 0.0f);
    for (std::int64_t i = 0; i < t; ++i)
      for (std::int64_t j = past + i + 1; j < n; ++j) mask[static_cast<std::size_t>(i * n + j)] = -1e4f;
    constant(name, Tensor::from_floats({t, n}, std::move(mask)));
  }
  // Positions attention runs over: the cached tokens and the new ones.
  std::int64_t context() const { return c_.past_tokens + c_.seq_len; }
  // A decode step's keys or values [B, kv, T, hd] after the cached ones, read from a graph input.
  std::string append_to_cache(const std::string& x, const std::string& name) {
    if (c_.past_tokens == 0) return x;
    const std::string past = name + ".past";
    g_.inputs.push_back(past);
    g_.values[past] = ValueInfo{.dtype = DType::Float32, .shape = {-1, c_.kv_heads, c_.past_tokens, c_.head_dim}};
    return node(OpType::Concat, name + ".cache", {past, x}, attr("axis", std::int64_t{2}));
  }
  std::string split_heads(const std::string& x, std::int64_t heads, const std::string& name) {
    const auto r = node(OpType::Reshape, name + ".split", {x, ints(name + ".split_shape", {0, c_.seq_len, heads, c_.head_dim})});
    return node(OpType::Transpose, name + ".heads", {r}, attr("perm", std::vector<std::int64_t>{0, 2, 1, 3}));
  }
  // Rotary position embedding on [B, H, T, hd]: x·cos + rotate_half(x)·sin.
  std::string rope(const std::string& x, const std::string& name) {
    const std::int64_t hd = c_.head_dim, half = hd / 2, t = c_.seq_len;
    if (!g_.initializers.count("rope.cos")) {
      std::vector<float> cos(static_cast<std::size_t>(t * hd)), sin(cos.size());
      for (std::int64_t p = 0; p < t; ++p)
        for (std::int64_t i = 0; i < hd; ++i) {
          const double angle = static_cast<double>(c_.past_tokens + p) * std::pow(c_.rope_theta, -2.0 * static_cast<double>(i % half) / static_cast<double>(hd));
          cos[static_cast<std::size_t>(p * hd + i)] = static_cast<float>(std::cos(angle));
          sin[static_cast<std::size_t>(p * hd + i)] = static_cast<float>(std::sin(angle));
        }
      constant("rope.cos", Tensor::from_floats({t, hd}, std::move(cos)));
      constant("rope.sin", Tensor::from_floats({t, hd}, std::move(sin)));
      ints("rope.zero", {0});
      ints("rope.half", {half});
      ints("rope.end", {hd});
      ints("rope.last_axis", {-1});
    }
    const auto lo = node(OpType::Slice, name + ".lo", {x, "rope.zero", "rope.half", "rope.last_axis"});
    const auto hi = node(OpType::Slice, name + ".hi", {x, "rope.half", "rope.end", "rope.last_axis"});
    const auto neg = node(OpType::Neg, name + ".neg_hi", {hi});
    const auto rotated = node(OpType::Concat, name + ".rotated", {neg, lo}, attr("axis", std::int64_t{-1}));
    const auto a = node(OpType::Mul, name + ".cos", {x, "rope.cos"});
    const auto b = node(OpType::Mul, name + ".sin", {rotated, "rope.sin"});
    return node(OpType::Add, name + ".rope", {a, b});
  }
  // [B, kv, N, hd] → [B, heads, N, hd] by repeating each KV head heads/kv times (N: the context).
  std::string repeat_kv(const std::string& x, const std::string& name) {
    const std::int64_t kv = c_.kv_heads, group = c_.heads / c_.kv_heads, n = context();
    if (group == 1) return x;
    const auto u = node(OpType::Unsqueeze, name + ".unsqueeze", {x}, attr("axes", std::vector<std::int64_t>{2}));
    const auto e = node(OpType::Expand, name + ".expand", {u, ints(name + ".expand_shape", {1, kv, group, n, c_.head_dim})});
    return node(OpType::Reshape, name + ".repeat", {e, ints(name + ".repeat_shape", {0, c_.heads, n, c_.head_dim})});
  }

  std::string attention(const std::string& x, const std::string& p) {
    const bool llama = c_.family == Family::LlamaDecoder;
    const bool bias = !llama;
    const std::int64_t d = c_.hidden, q_width = c_.heads * c_.head_dim, kv_width = c_.kv_heads * c_.head_dim;
    std::string q = p + ".q", k = p + ".k", v = p + ".v";
    if (c_.family == Family::Gpt2Decoder) {
      // Hugging Face's GPT-2 computes Q, K and V in one GEMM (Conv1D c_attn, a [d, 3d] weight)
      // and splits its output.
      Attributes a = attr("axis", std::int64_t{-1});
      a.set("split", std::vector<std::int64_t>{q_width, kv_width, kv_width});
      node(OpType::Split, p + ".qkv_split", {linear(x, d, q_width + 2 * kv_width, p + ".qkv", bias)}, {q, k, v}, a);
    } else {
      q = linear(x, d, q_width, q, bias);
      k = linear(x, d, kv_width, k, bias);
      v = linear(x, d, kv_width, v, bias);
    }
    q = split_heads(q, c_.heads, p + ".q");
    k = split_heads(k, c_.kv_heads, p + ".k");
    v = split_heads(v, c_.kv_heads, p + ".v");
    if (llama) {
      q = rope(q, p + ".q");
      k = rope(k, p + ".k");
    }
    if (c_.cache_outputs) {
      cache_values_.push_back(k);
      cache_values_.push_back(v);
    }
    k = repeat_kv(append_to_cache(k, p + ".k"), p + ".k");
    v = repeat_kv(append_to_cache(v, p + ".v"), p + ".v");
    const auto kt = node(OpType::Transpose, p + ".k_t", {k}, attr("perm", std::vector<std::int64_t>{0, 1, 3, 2}));
    const auto scores = node(OpType::DataMatMul, p + ".scores", {q, kt});
    if (!g_.initializers.count("attention.scale"))
      constant("attention.scale", Tensor::scalar(static_cast<float>(1.0 / std::sqrt(static_cast<double>(c_.head_dim)))));
    std::string s = node(OpType::Mul, p + ".scaled", {scores, "attention.scale"});
    if (c_.family == Family::Gpt2Decoder || llama) {
      if (!g_.values.count("attention.causal_mask")) causal_mask("attention.causal_mask");
      s = node(OpType::Add, p + ".masked", {s, "attention.causal_mask"});
    }
    const auto probs = node(OpType::Softmax, p + ".probs", {s}, attr("axis", std::int64_t{-1}));
    const auto o = node(OpType::DataMatMul, p + ".context", {probs, v});
    const auto merged = node(OpType::Transpose, p + ".merge", {o}, attr("perm", std::vector<std::int64_t>{0, 2, 1, 3}));
    const auto flat = node(OpType::Reshape, p + ".flat", {merged, ints(p + ".flat_shape", {0, c_.seq_len, q_width})});
    return linear(flat, q_width, d, p + ".out", bias);
  }

  std::string ffn(const std::string& x, const std::string& p) {
    if (c_.family == Family::LlamaDecoder) {
      const auto gate = node(OpType::Silu, p + ".silu", {linear(x, c_.hidden, c_.ffn, p + ".gate", false)});
      const auto up = linear(x, c_.hidden, c_.ffn, p + ".up", false);
      return linear(node(OpType::Mul, p + ".gated", {gate, up}), c_.ffn, c_.hidden, p + ".down", false);
    }
    // GPT-2 uses the tanh approximation (gelu_new); ONNX Gelu's `approximate` attribute says so.
    Attributes gelu;
    if (c_.family == Family::Gpt2Decoder) gelu.set("approximate", std::string("tanh"));
    const auto h = node(OpType::Gelu, p + ".gelu", {linear(x, c_.hidden, c_.ffn, p + ".fc1", true)}, gelu);
    return linear(h, c_.ffn, c_.hidden, p + ".fc2", true);
  }

  std::string block(const std::string& x, std::int64_t layer) {
    const std::string p = fmt::format("layer{}", layer);
    if (c_.family == Family::BertEncoder) {  // post-LN
      const auto a = norm(node(OpType::Add, p + ".attn_residual", {x, attention(x, p + ".attn")}), p + ".attn_norm");
      return norm(node(OpType::Add, p + ".ffn_residual", {a, ffn(a, p + ".ffn")}), p + ".ffn_norm");
    }
    const auto a = node(OpType::Add, p + ".attn_residual", {x, attention(norm(x, p + ".attn_norm"), p + ".attn")});
    return node(OpType::Add, p + ".ffn_residual", {a, ffn(norm(a, p + ".ffn_norm"), p + ".ffn")});
  }

  std::string pick_token(const std::string& x, std::int64_t index, const std::string& name) {
    return node(OpType::Gather, name, {x, constant(name + ".index", Tensor::from_ints({}, {index}))},
                attr("axis", std::int64_t{1}));
  }

  void build() {
    const std::int64_t d = c_.hidden, t = c_.seq_len;
    std::string x;
    if (c_.family == Family::VisionTransformer) {
      const std::int64_t grid = c_.image / c_.patch;
      g_.inputs = {"image"};
      g_.values["image"] = ValueInfo{.dtype = DType::Float32, .shape = {-1, c_.channels, c_.image, c_.image}};
      Attributes conv = attr("strides", std::vector<std::int64_t>{c_.patch, c_.patch});
      const auto patches = node(OpType::Conv, "patch_embed",
                                {"image", weight("patch_embed.weight", {d, c_.channels, c_.patch, c_.patch}),
                                 weight("patch_embed.bias", {d}, 0.0f)}, conv);
      const auto flat = node(OpType::Reshape, "patch_flat", {patches, ints("patch_flat_shape", {0, d, grid * grid})});
      const auto tokens = node(OpType::Transpose, "patch_tokens", {flat}, attr("perm", std::vector<std::int64_t>{0, 2, 1}));
      // The CLS token, broadcast to the batch: its target shape is [batch, 1, d].
      const auto shape = node(OpType::Shape, "image_shape", {"image"}, attr("end", std::int64_t{1}));
      const auto cls_shape = node(OpType::Concat, "cls_shape", {shape, ints("cls_dims", {1, d})}, attr("axis", std::int64_t{0}));
      const auto cls = node(OpType::Expand, "cls_batch", {weight("cls_token", {1, 1, d}), cls_shape});
      const auto seq = node(OpType::Concat, "tokens", {cls, tokens}, attr("axis", std::int64_t{1}));
      x = node(OpType::Add, "embeddings", {seq, weight("position_embeddings", {1, t, d})});
    } else {
      g_.inputs = {"ids"};
      g_.values["ids"] = ValueInfo{.dtype = DType::Int64, .shape = {-1, t}};
      x = node(OpType::Gather, "token_embed", {weight("token_embeddings", {c_.vocab, d}), "ids"});
      if (c_.family != Family::LlamaDecoder) {
        const auto positions = node(OpType::Slice, "positions",
                                    {weight("position_embeddings", {c_.max_positions, d}), ints("positions.start", {c_.past_tokens}),
                                     ints("positions.end", {c_.past_tokens + t})});
        x = node(OpType::Add, "embed_positions", {x, positions});
      }
      if (c_.family == Family::BertEncoder) {
        const auto type = node(OpType::Gather, "token_type",
                               {weight("token_type_embeddings", {2, d}), constant("token_type.id", Tensor::from_ints({}, {0}))});
        x = norm(node(OpType::Add, "embed_types", {x, type}), "embed_norm");
      }
    }
    for (std::int64_t l = 0; l < c_.layers; ++l) x = block(x, l);
    std::string out;
    switch (c_.family) {
      case Family::BertEncoder:
        out = node(OpType::Tanh, "pooled", {linear(pick_token(x, 0, "cls"), d, d, "pooler", true)});
        break;
      case Family::VisionTransformer:
        out = linear(pick_token(norm(x, "final_norm"), 0, "cls"), d, c_.classes, "head", true);
        break;
      case Family::Gpt2Decoder:
      case Family::LlamaDecoder: {
        const auto normed = norm(x, "final_norm");
        const auto h = c_.logits_at_every_position ? normed : pick_token(normed, t - 1, "last_token");
        // Tied embeddings: the LM head reads the token table transposed.
        out = node(OpType::WeightMatMul, "lm_head", {h, "token_embeddings"}, attr("transpose_weight", std::int64_t{1}));
        break;
      }
    }
    g_.outputs = {out};
    g_.outputs.insert(g_.outputs.end(), cache_values_.begin(), cache_values_.end());
  }

 private:
  Graph& g_;
  const ArchitectureConfig& c_;
  bool with_weights_;
  CounterRng rng_;
  std::uint64_t drawn_ = 0;
  const std::map<std::string, Tensor>* trained_;
  std::vector<std::string> cache_values_;  // cache_outputs: keys and values of each layer
};

Graph build(const ArchitectureConfig& config, bool with_weights, std::uint64_t seed, const std::map<std::string, Tensor>* trained);

}  // namespace

std::vector<std::string> architecture_names() {
  std::vector<std::string> names;
  for (const auto& c : known_architectures()) names.push_back(c.name);
  return names;
}

ArchitectureConfig architecture_config(const std::string& name) {
  for (const auto& c : known_architectures())
    if (c.name == name) return c;
  throw Error(ErrorKind::InvalidArgument,
              fmt::format("unknown architecture '{}'; known: {}", name, fmt::join(architecture_names(), ", ")));
}

Graph build_architecture(const ArchitectureConfig& config, bool with_weights, std::uint64_t seed) {
  return build(config, with_weights, seed, nullptr);
}

Graph build_architecture(const ArchitectureConfig& config, const std::map<std::string, Tensor>& weights) {
  return build(config, true, 0, &weights);
}

namespace {

Graph build(const ArchitectureConfig& config, bool with_weights, std::uint64_t seed, const std::map<std::string, Tensor>* trained) {
  if (config.heads % config.kv_heads != 0 || config.head_dim % 2 != 0)
    throw Error(ErrorKind::InvalidArgument, fmt::format("architecture '{}': heads must be a multiple of kv_heads and "
                                                        "head_dim even", config.name));
  const bool decoder = config.family == Family::Gpt2Decoder || config.family == Family::LlamaDecoder;
  if (!decoder && (config.logits_at_every_position || config.cache_outputs))
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("architecture '{}': logits at every position and cache outputs need a decoder", config.name));
  if (config.past_tokens < 0 || (config.past_tokens > 0 && !decoder))
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("architecture '{}': a KV cache ({} past tokens) needs a decoder (gpt2, llama-3.2-1b, "
                            "llama-3.2-3b)", config.name, config.past_tokens));
  if (config.family == Family::Gpt2Decoder && config.past_tokens + config.seq_len > config.max_positions)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("architecture '{}': {} positions exceed its {} learned position embeddings", config.name,
                            config.past_tokens + config.seq_len, config.max_positions));
  Graph g;
  g.name = config.name;
  g.source = trained ? fmt::format("decoder {} (trained weights)", config.name)
                     : fmt::format("built-in architecture {}{}", config.name,
                                   with_weights ? fmt::format(" (synthetic weights, seed {})", seed) : " (shape only)");
  Builder(g, config, with_weights, seed, trained).build();
  infer_value_info(g);
  // The patch embedding on crossbars, as an imported ViT's.
  lower_convolutions(g);
  remove_dead_nodes(g);
  infer_value_info(g);
  g.validate();
  return g;
}

}  // namespace

}  // namespace raceit::model
