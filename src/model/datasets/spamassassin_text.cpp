// SpamAssassin email text for a causal language model (models/char-lm): windows of character
// tokens, the next token as the target (eval --task lm).
#include <fmt/format.h>

#include "entries.hpp"
#include "raceit/core/error.hpp"
#include "raceit/model/causal_lm.hpp"

namespace raceit::model {

namespace {

// The first `length` tokens (CharTokenizer) of every email with at least that many, up to `limit`
// (> 0) samples; `length` is the graph's fixed sequence length.
Samples text_samples(const Graph& graph, Split split, std::int64_t limit, const DataPaths& paths) {
  const Shape shape = graph.inputs.size() == 1 ? graph.values.at(graph.inputs[0]).shape : Shape{};
  if (shape.size() != 2 || shape[1] < 1)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("data set spamassassin-text feeds one input of token ids [N, T] with a fixed T; model {} has {}",
                            graph.source, fmt::join(graph.inputs, ", ")));
  const std::int64_t length = shape[1];
  const auto d = split == Split::Train ? load_spamassassin_train(paths) : load_spamassassin_test(paths);
  std::vector<std::int64_t> ids;
  std::int64_t rows = 0;
  for (const auto& raw : d.texts) {
    if (limit > 0 && rows == limit) break;
    const auto tokens = CharTokenizer::encode(email_text(raw));
    if (static_cast<std::int64_t>(tokens.size()) < length) continue;
    ids.insert(ids.end(), tokens.begin(), tokens.begin() + length);
    ++rows;
  }
  Samples s;
  s.inputs[graph.inputs[0]] = Tensor::from_ints({rows, length}, std::move(ids));
  s.source = fmt::format("{}, the first {} characters of each email with as many", d.source, length);
  return s;
}

}  // namespace

DatasetEntry spamassassin_text_dataset() {
  return {.name = "spamassassin-text",
          .description = "SpamAssassin email text as characters, the first T (the model's context) of each email; char-lm",
          .load = text_samples};
}

}  // namespace raceit::model
