#pragma once
// Errors and results shared by every module. Library code throws raceit::Error (or returns a
// Result<T>) with a message a user can act on; only src/cli prints and chooses the exit code.
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace raceit {

enum class ErrorKind {
  InvalidArgument,  // a value outside what the operation accepts (bits out of bounds, bad range)
  Parse,            // malformed text: an expression, a quantity, a config or model file
  Io,               // a file that cannot be opened, read or written
  Config,           // a configuration file whose content is wrong (unknown key, wrong unit)
  Unsupported,      // a well-formed request that raceit does not implement
  Internal,         // a broken invariant inside raceit; a bug, not user error
};

const char* to_string(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// A value or the Error that prevented it. Use value() to unwrap (it throws the Error).
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    if (!ok()) throw std::get<Error>(state_);
    return std::get<T>(state_);
  }
  T&& value() && {
    if (!ok()) throw std::get<Error>(state_);
    return std::get<T>(std::move(state_));
  }
  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Runs f and captures a thrown raceit::Error as a Result.
template <class F>
auto capture(F&& f) -> Result<decltype(f())> {
  try {
    return f();
  } catch (const Error& e) {
    return e;
  }
}

}  // namespace raceit
