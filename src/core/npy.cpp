#include "raceit/core/npy.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <vector>

#include "raceit/core/error.hpp"

namespace raceit {

namespace {

static_assert(std::endian::native == std::endian::little, ".npy I/O assumes a little-endian host");

constexpr char kMagic[] = "\x93NUMPY";

Error malformed(const std::string& path, const std::string& problem) {
  return Error(ErrorKind::Parse, fmt::format("{}: not a valid .npy file: {}", path, problem));
}

// Pulls the value of `key` out of the header's Python dict literal.
std::string header_field(const std::string& header, const std::string& key, const std::string& path) {
  const std::regex re("'" + key + "'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))");
  std::smatch m;
  if (!std::regex_search(header, m, re)) throw malformed(path, "header has no '" + key + "'");
  return m[1].str();
}

Shape parse_shape(const std::string& text, const std::string& path) {
  Shape shape;
  const std::regex number("\\d+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it)
    shape.push_back(std::stoll(it->str()));
  const auto inner = text.substr(1, text.size() - 2);
  if (shape.empty() && inner.find_first_not_of(" ,") != std::string::npos)
    throw malformed(path, "bad shape " + text);
  return shape;
}

template <class Source, class Target>
std::vector<Target> convert(const std::vector<char>& bytes) {
  std::vector<Target> out(bytes.size() / sizeof(Source));
  for (std::size_t i = 0; i < out.size(); ++i) {
    Source v;
    std::memcpy(&v, bytes.data() + i * sizeof(Source), sizeof(Source));
    out[i] = static_cast<Target>(v);
  }
  return out;
}

}  // namespace

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, fmt::format("{}: cannot open for reading", path));
  char magic[6];
  if (!in.read(magic, 6) || std::memcmp(magic, kMagic, 6) != 0) throw malformed(path, "missing \\x93NUMPY magic");
  unsigned char version[2];
  if (!in.read(reinterpret_cast<char*>(version), 2)) throw malformed(path, "truncated header");
  std::uint32_t header_length = 0;
  if (version[0] == 1) {
    unsigned char len[2];
    if (!in.read(reinterpret_cast<char*>(len), 2)) throw malformed(path, "truncated header");
    header_length = len[0] | (len[1] << 8);
  } else if (version[0] == 2 || version[0] == 3) {
    unsigned char len[4];
    if (!in.read(reinterpret_cast<char*>(len), 4)) throw malformed(path, "truncated header");
    header_length = len[0] | (len[1] << 8) | (len[2] << 16) | (static_cast<std::uint32_t>(len[3]) << 24);
  } else {
    throw malformed(path, fmt::format("unknown format version {}", version[0]));
  }
  if (header_length > (1u << 20)) throw malformed(path, "header longer than 1 MiB");
  std::string header(header_length, '\0');
  if (!in.read(header.data(), header_length)) throw malformed(path, "truncated header");

  const auto descr = header_field(header, "descr", path);
  if (header_field(header, "fortran_order", path) != "False")
    throw Error(ErrorKind::Unsupported, fmt::format("{}: Fortran-order arrays are not supported", path));
  const Shape shape = parse_shape(header_field(header, "shape", path), path);

  struct Kind { const char* descr; std::size_t width; };
  static const Kind kinds[] = {{"'<f4'", 4}, {"'<f8'", 8}, {"'<i4'", 4}, {"'<i8'", 8}, {"'|b1'", 1}, {"'|u1'", 1}};
  const Kind* kind = nullptr;
  for (const auto& k : kinds)
    if (descr == k.descr) kind = &k;
  if (!kind) throw Error(ErrorKind::Unsupported, fmt::format("{}: unsupported dtype {}", path, descr));

  const auto count = static_cast<std::size_t>(element_count(shape));
  std::vector<char> bytes(count * kind->width);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    throw malformed(path, fmt::format("data truncated: shape {} needs {} bytes", to_string(shape), bytes.size()));
  if (in.peek() != std::char_traits<char>::eof())
    throw malformed(path, fmt::format("trailing bytes after the {} bytes of shape {}", bytes.size(), to_string(shape)));

  const std::string d = kind->descr;
  if (d == "'<f4'") return Tensor::from_floats(shape, convert<float, float>(bytes));
  if (d == "'<f8'") return Tensor::from_floats(shape, convert<double, float>(bytes));
  if (d == "'<i4'") return Tensor::from_ints(shape, convert<std::int32_t, std::int64_t>(bytes));
  if (d == "'<i8'") return Tensor::from_ints(shape, convert<std::int64_t, std::int64_t>(bytes));
  if (d == "'|u1'") return Tensor::from_ints(shape, convert<std::uint8_t, std::int64_t>(bytes));
  return Tensor::from_ints(shape, convert<std::uint8_t, std::int64_t>(bytes), DType::Bool);
}

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

  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(ErrorKind::Io, fmt::format("{}: cannot open for writing", path));
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  if (tensor.is_float()) {
    const auto f = tensor.floats();
    out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size() * sizeof(float)));
  } else if (tensor.dtype() == DType::Int64) {
    const auto v = tensor.ints();
    out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(std::int64_t)));
  } else {
    for (auto v : tensor.ints()) out.put(static_cast<char>(v != 0));
  }
  if (!out) throw Error(ErrorKind::Io, fmt::format("{}: write failed", path));
}

}  // namespace raceit
