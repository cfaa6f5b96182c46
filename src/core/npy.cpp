#include "raceit/core/npy.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "raceit/core/error.hpp"
#include "raceit/core/file_io.hpp"

namespace raceit {

namespace {

static_assert(std::endian::native == std::endian::little, ".npy I/O assumes a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";

Error malformed(const std::string& path, const std::string& problem) {
  return Error(ErrorKind::Parse, fmt::format("{}: not a valid .npy file: {}", path, problem));
}

// Pulls the value of `key` out of the header's Python dict literal: a quoted string, True/False
// or a parenthesised tuple. A plain scan: std::regex recurses per character and a long header
// could exhaust the stack.
std::string header_field(const std::string& header, const std::string& key, const std::string& path) {
  const auto missing = [&] { return malformed(path, "header has no '" + key + "'"); };
  auto pos = header.find("'" + key + "'");
  if (pos == std::string::npos) throw missing();
  pos = header.find_first_not_of(" \t", pos + key.size() + 2);
  if (pos == std::string::npos || header[pos] != ':') throw missing();
  pos = header.find_first_not_of(" \t", pos + 1);
  if (pos == std::string::npos) throw missing();
  const char open = header[pos];
  if (open == '\'' || open == '(') {
    const auto close = header.find(open == '(' ? ')' : '\'', pos + 1);
    if (close == std::string::npos) throw missing();
    return header.substr(pos, close - pos + 1);
  }
  for (const char* word : {"True", "False"})
    if (header.compare(pos, std::strlen(word), word) == 0) return word;
  throw missing();
}

// "(2, 3)", "(4,)" or "()": comma-separated non-negative integers. Each dimension and the
// element count are bounded so that no header can make the reader overflow or over-allocate;
// the data size is checked against the file before anything is allocated.
Shape parse_shape(const std::string& text, const std::string& path) {
  constexpr std::int64_t kMaxElements = std::int64_t{1} << 40;
  Shape shape;
  const auto inner = text.substr(1, text.size() - 2);
  std::size_t start = 0;
  while (start < inner.size()) {
    auto end = inner.find(',', start);
    if (end == std::string::npos) end = inner.size();
    const auto first = inner.find_first_not_of(' ', start);
    const auto last = inner.find_last_not_of(' ', end - 1);
    if (first >= end || last == std::string::npos || last < first) {
      if (end == inner.size() && !shape.empty()) break;  // "(4, )": a trailing comma
      throw malformed(path, "bad shape " + text);
    }
    const auto digits = inner.substr(first, last - first + 1);
    if (digits.find_first_not_of("0123456789") != std::string::npos)
      throw malformed(path, fmt::format("bad shape {}: dimension '{}' is not a non-negative integer", text, digits));
    if (digits.size() > 13 || std::stoll(digits) > kMaxElements)
      throw malformed(path, fmt::format("bad shape {}: dimension {} is larger than 2^40", text, digits));
    shape.push_back(std::stoll(digits));
    start = end + 1;
  }
  std::int64_t count = 1;
  for (auto d : shape) {
    if (d != 0 && count > kMaxElements / d) throw malformed(path, fmt::format("shape {} has more than 2^40 elements", text));
    count *= d;
  }
  return shape;
}

template <class Source, class Target>
std::vector<Target> convert(std::string_view bytes) {
  std::vector<Target> out(bytes.size() / sizeof(Source));
  for (std::size_t i = 0; i < out.size(); ++i) {
    Source v;
    std::memcpy(&v, bytes.data() + i * sizeof(Source), sizeof(Source));
    out[i] = static_cast<Target>(v);
  }
  return out;
}

}  // namespace

Tensor parse_npy(std::string_view bytes, const std::string& path) {
  std::size_t pos = 0;
  auto take = [&](std::size_t n, const char* what) {
    if (bytes.size() - pos < n) throw malformed(path, what);
    const auto part = bytes.substr(pos, n);
    pos += n;
    return part;
  };
  if (bytes.size() < 6 || bytes.substr(0, 6) != std::string_view(kMagic, 6)) throw malformed(path, "missing \\x93NUMPY magic");
  pos = 6;
  const auto version = static_cast<unsigned char>(take(2, "truncated header")[0]);
  std::uint32_t header_length = 0;
  if (version == 1) {
    const auto len = take(2, "truncated header");
    header_length = static_cast<unsigned char>(len[0]) | (static_cast<unsigned char>(len[1]) << 8);
  } else if (version == 2 || version == 3) {
    const auto len = take(4, "truncated header");
    for (int k = 3; k >= 0; --k) header_length = (header_length << 8) | static_cast<unsigned char>(len[static_cast<std::size_t>(k)]);
  } else {
    throw malformed(path, fmt::format("unknown format version {}", version));
  }
  if (header_length > (1u << 20)) throw malformed(path, "header longer than 1 MiB");
  const std::string header(take(header_length, "truncated header"));

  const auto descr = header_field(header, "descr", path);
  if (header_field(header, "fortran_order", path) != "False")
    throw Error(ErrorKind::Unsupported, fmt::format("{}: Fortran-order arrays are not supported", path));
  const Shape shape = parse_shape(header_field(header, "shape", path), path);

  struct Kind { const char* descr; std::size_t width; };
  static const Kind kinds[] = {{.descr = "'<f4'", .width = 4}, {.descr = "'<f8'", .width = 8},
                               {.descr = "'<i4'", .width = 4}, {.descr = "'<i8'", .width = 8},
                               {.descr = "'|b1'", .width = 1}, {.descr = "'|u1'", .width = 1}};
  const Kind* kind = nullptr;
  for (const auto& k : kinds)
    if (descr == k.descr) kind = &k;
  if (!kind) throw Error(ErrorKind::Unsupported, fmt::format("{}: unsupported dtype {}", path, descr));

  // parse_shape bounds the count by 2^40, so the byte count cannot overflow.
  const auto size = static_cast<std::size_t>(element_count(shape)) * kind->width;
  const auto data = bytes.substr(pos);
  if (data.size() < size)
    throw malformed(path, fmt::format("data truncated: shape {} needs {} bytes, the file holds {}", to_string(shape), size,
                                      data.size()));
  if (data.size() > size)
    throw malformed(path, fmt::format("trailing bytes after the {} bytes of shape {}", size, to_string(shape)));

  const std::string d = kind->descr;
  if (d == "'<f4'") return Tensor::from_floats(shape, convert<float, float>(data));
  if (d == "'<f8'") return Tensor::from_floats(shape, convert<double, float>(data));
  if (d == "'<i4'") return Tensor::from_ints(shape, convert<std::int32_t, std::int64_t>(data));
  if (d == "'<i8'") return Tensor::from_ints(shape, convert<std::int64_t, std::int64_t>(data));
  if (d == "'|u1'") return Tensor::from_ints(shape, convert<std::uint8_t, std::int64_t>(data));
  return Tensor::from_ints(shape, convert<std::uint8_t, std::int64_t>(data), DType::Bool);
}

Tensor read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

void write_npy(const std::string& path, const Tensor& tensor) {
  std::string shape_text = "(";
  for (auto d : tensor.shape()) shape_text += std::to_string(d) + ",";
  if (tensor.rank() > 1) shape_text.pop_back();
  shape_text += ")";
  const char* descr = tensor.dtype() == DType::Float32 ? "<f4" : tensor.dtype() == DType::Int64 ? "<i8" : "|b1";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape_text);
  // Pad so that the data starts on a 64-byte boundary, as NumPy does.
  const std::size_t preamble = 10;
  header.append(64 - (preamble + header.size() + 1) % 64, ' ');
  header += '\n';

  std::string bytes(kMagic, 6);
  bytes += '\x01';  // format version 1.0
  bytes += '\0';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  if (tensor.is_float()) {
    const auto f = tensor.floats();
    bytes.append(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(float));
  } else if (tensor.dtype() == DType::Int64) {
    const auto v = tensor.ints();
    bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t));
  } else {
    for (auto v : tensor.ints()) bytes += static_cast<char>(v != 0);
  }
  write_file_atomic(path, bytes);
}

}  // namespace raceit
