#include "raceit/model/causal_lm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "raceit/core/error.hpp"
#include "raceit/core/file_io.hpp"
#include "raceit/core/npy.hpp"

namespace raceit::model {

namespace {

constexpr const char* kShipped[] = {"char-lm"};

bool is_space(unsigned char b) { return b == ' ' || b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r'; }

std::int64_t token_of(unsigned char b) { return b >= 33 && b <= 126 ? b - 31 : CharTokenizer::kOther; }

// A positive integer key of config.json.
std::int64_t positive(const nlohmann::json& config, const char* key, const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || !it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > (1 << 20))
    throw Error(ErrorKind::Parse, fmt::format("{}: '{}' must be an integer from 1 to {}", file, key, 1 << 20));
  return it->get<std::int64_t>();
}

double positive_number(const nlohmann::json& config, const char* key, const std::string& file) {
  const auto it = config.find(key);
  if (it == config.end() || !it->is_number() || !(it->get<double>() > 0))
    throw Error(ErrorKind::Parse, fmt::format("{}: '{}' must be a positive number", file, key));
  return it->get<double>();
}

ArchitectureConfig read_config(const std::string& name, const std::string& file) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Parse, fmt::format("{}: {}", file, e.what()));
  }
  if (!j.is_object()) throw Error(ErrorKind::Parse, fmt::format("{}: expected a JSON object", file));
  const std::string family = j.value("family", "");
  if (family != "llama" && family != "gpt2")
    throw Error(ErrorKind::Parse, fmt::format("{}: 'family' must be llama or gpt2, got '{}'", file, family));
  ArchitectureConfig c;
  c.name = name;
  c.family = family == "llama" ? Family::LlamaDecoder : Family::Gpt2Decoder;
  c.layers = positive(j, "layers", file);
  c.hidden = positive(j, "hidden", file);
  c.heads = positive(j, "heads", file);
  c.kv_heads = positive(j, "kv_heads", file);
  c.head_dim = positive(j, "head_dim", file);
  c.ffn = positive(j, "ffn", file);
  c.vocab = positive(j, "vocab", file);
  c.max_positions = c.seq_len = positive(j, "context", file);
  c.norm_epsilon = positive_number(j, "norm_epsilon", file);
  if (c.family == Family::LlamaDecoder) c.rope_theta = positive_number(j, "rope_theta", file);
  if (c.vocab != CharTokenizer::kVocab)
    throw Error(ErrorKind::Parse, fmt::format("{}: 'vocab' is {}; the character tokenizer has {} tokens", file, c.vocab,
                                              CharTokenizer::kVocab));
  if (c.heads % c.kv_heads != 0 || c.head_dim % 2 != 0)
    throw Error(ErrorKind::Parse, fmt::format("{}: 'heads' must be a multiple of 'kv_heads' and 'head_dim' even", file));
  return c;
}

}  // namespace

std::vector<std::int64_t> CharTokenizer::encode(std::string_view text) {
  std::vector<std::int64_t> ids;
  bool space = true;  // leading whitespace is dropped
  for (const char ch : text) {
    const auto b = static_cast<unsigned char>(ch);
    if (is_space(b)) {
      if (!space) ids.push_back(kSpace);
      space = true;
      continue;
    }
    space = false;
    ids.push_back(token_of(b));
  }
  return ids;
}

std::vector<std::int64_t> CharTokenizer::encode_prompt(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (!is_space(b) && token_of(b) == kOther)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("prompt byte {} (0x{:02x}) at offset {} is not in the vocabulary (printable ASCII and whitespace)",
                              b >= 32 && b < 127 ? fmt::format("'{}'", text[i]) : std::string("?"), b, i));
  }
  return encode(text);
}

std::string CharTokenizer::decode(std::span<const std::int64_t> ids) {
  std::string text;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::int64_t id = ids[i];
    if (id < 0 || id >= kVocab)
      throw Error(ErrorKind::InvalidArgument,
                  fmt::format("token {} at position {} is outside the vocabulary of {} characters", id, i, kVocab));
    if (id == kOther) text += "\xef\xbf\xbd";  // U+FFFD
    else text += id == kSpace ? ' ' : static_cast<char>(id + 31);
  }
  return text;
}

Graph CausalLm::sequence_graph(std::int64_t tokens) const {
  ArchitectureConfig c = config;
  c.seq_len = tokens;
  c.logits_at_every_position = true;
  if (tokens < 1 || tokens > context())
    throw Error(ErrorKind::InvalidArgument, fmt::format("{}: {} tokens; its context is 1 … {}", name, tokens, context()));
  Graph g = build_architecture(c, weights);
  g.name = name;
  g.source = folder;
  return g;
}

Graph CausalLm::step_graph(std::int64_t past, std::int64_t tokens) const {
  if (past < 0 || tokens < 1 || past + tokens > context())
    throw Error(ErrorKind::InvalidArgument, fmt::format("{}: {} new tokens after {} cached ones exceed its context of {} positions",
                                                        name, tokens, past, context()));
  ArchitectureConfig c = config;
  c.seq_len = tokens;
  c.past_tokens = past;
  c.logits_at_every_position = true;
  c.cache_outputs = true;
  Graph g = build_architecture(c, weights);
  g.name = name;
  g.source = folder;
  return g;
}

std::vector<std::string> causal_lm_names() { return {std::begin(kShipped), std::end(kShipped)}; }

bool is_causal_lm(const std::string& name) { return std::find(std::begin(kShipped), std::end(kShipped), name) != std::end(kShipped); }

CausalLm load_causal_lm(const std::string& name, const DataPaths& paths) {
  if (!is_causal_lm(name))
    throw Error(ErrorKind::InvalidArgument, fmt::format("'{}' is not a shipped causal language model (known: {})", name,
                                                        fmt::join(causal_lm_names(), ", ")));
  CausalLm lm;
  lm.name = name;
  lm.folder = paths.models_dir + "/" + name;
  const std::string config = lm.folder + "/config.json";
  if (!std::filesystem::exists(config))
    throw Error(ErrorKind::Io, fmt::format("{}: configuration of '{}' not found (train it with tools/train_lm.py)", config, name));
  lm.config = read_config(name, config);
  // The builder names the weights it needs; a shape-only build lists them.
  const Graph shapes = build_architecture(lm.config);
  for (const auto& w : shapes.weight_names) {
    if (shapes.constants.count(w)) continue;
    const std::string file = lm.folder + "/weights/" + w + ".npy";
    if (!std::filesystem::exists(file))
      throw Error(ErrorKind::Io, fmt::format("{}: weight '{}' of '{}' not found", file, w, name));
    lm.weights[w] = read_npy(file);
  }
  return lm;
}

}  // namespace raceit::model
