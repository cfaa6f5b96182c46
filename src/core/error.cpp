#include "raceit/core/error.hpp"

namespace raceit {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "invalid argument";
    case ErrorKind::Parse: return "parse error";
    case ErrorKind::Io: return "I/O error";
    case ErrorKind::Config: return "configuration error";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Internal: return "internal error";
  }
  return "error";
}

}  // namespace raceit
