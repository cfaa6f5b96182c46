#include "raceit/core/error.hpp"

#include "raceit/core/enum_names.hpp"

namespace raceit {

namespace {
constexpr EnumNames<ErrorKind, 6> kErrorKindNames{{{{ErrorKind::InvalidArgument, "invalid argument"},
                                                    {ErrorKind::Parse, "parse error"},
                                                    {ErrorKind::Io, "I/O error"},
                                                    {ErrorKind::Config, "configuration error"},
                                                    {ErrorKind::Unsupported, "unsupported"},
                                                    {ErrorKind::Internal, "internal error"}}}};
}  // namespace

const char* to_string(ErrorKind kind) { return kErrorKindNames.name(kind); }

}  // namespace raceit
