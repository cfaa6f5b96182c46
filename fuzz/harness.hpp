#pragma once
// What every fuzz target checks: a reader given any bytes either succeeds or throws raceit::Error
// of a user-facing kind. A crash, a hang, a sanitizer report, an Error(Internal) or any other
// exception (std::bad_alloc, std::out_of_range, …) is a finding: the harness aborts on it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "raceit/core/error.hpp"

namespace raceit::fuzz {

template <class F>
int run_reader(const std::uint8_t* data, std::size_t size, F&& read) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    read(bytes);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Internal) return 0;
    std::fprintf(stderr, "fuzz: internal error: %s\n", e.what());
    std::abort();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: exception that is not a raceit::Error: %s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace raceit::fuzz
