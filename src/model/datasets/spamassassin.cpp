// SpamAssassin emails, tokenised for the model that reads them: USE-lite's unigram pieces for a
// graph with inputs (ids, mask), else the SpamAssassin Transformer's word vocabulary.
#include "entries.hpp"
#include "raceit/model/use_lite.hpp"

namespace raceit::model {

namespace {

Samples spam_samples(const Graph& graph, Split split, std::int64_t limit, const DataPaths& paths) {
  auto d = split == Split::Train ? load_spamassassin_train(paths, limit) : load_spamassassin_test(paths);
  if (limit > 0 && limit < static_cast<std::int64_t>(d.texts.size())) {
    d.texts.resize(static_cast<std::size_t>(limit));
    d.labels.resize(static_cast<std::size_t>(limit));
  }
  Samples s;
  if (graph.inputs == std::vector<std::string>{"ids", "mask"}) {
    std::vector<std::string> texts;
    for (const auto& raw : d.texts) texts.push_back(email_text(raw));
    auto [ids, mask] = UseLiteTokenizer(paths.use_lite_dir() + "/vocab.json").encode_batch(texts);
    s.inputs = {{"ids", std::move(ids)}, {"mask", std::move(mask)}};
    s.source = d.source + ", tokens: USE-lite vocab.json";
  } else {
    const WordTokenizer tokenizer(paths.models_dir + "/spam-transformer/vocab.txt", 128);
    s.inputs[graph.inputs.at(0)] = tokenizer.encode_batch(d.texts);
    s.source = d.source + ", tokens: models/spam-transformer/vocab.txt";
  }
  s.label_shape = {static_cast<std::int64_t>(d.labels.size())};
  s.labels = std::move(d.labels);
  return s;
}

}  // namespace

DatasetEntry spamassassin_dataset() {
  return {.name = "spamassassin",
          .description = "SpamAssassin emails, label 1 = spam (1,209 test); spam-transformer, use-lite",
          .load = spam_samples};
}

}  // namespace raceit::model
