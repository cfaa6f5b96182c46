#include "output.hpp"

#include <algorithm>

namespace raceit::cli {

namespace {
std::string& invocation_storage() {
  static std::string s;
  return s;
}

// Columns a cell takes on a terminal: its UTF-8 code points ("…", "²" and "µ" are one each).
std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}
}  // namespace

void set_invocation(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(i ? argv[i] : "raceit");
  invocation_storage() = s;
}
const std::string& invocation() { return invocation_storage(); }

nlohmann::json provenance(const std::string& command_line) {
  return {{"tool", "raceit"}, {"version", RACEIT_VERSION}, {"command", command_line}};
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         std::size_t left_columns) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = display_width(header[c]);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], display_width(r[c]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const std::string pad(width[c] - display_width(cell), ' ');
      out += (c == 0 ? "" : "  ") + (c < left_columns ? cell + pad : pad + cell);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  std::size_t total = 0;
  for (auto w : width) total += w + 2;
  out += std::string(total - 2, '-') + "\n";
  for (const auto& r : rows) out += line(r);
  return out;
}

}  // namespace raceit::cli
