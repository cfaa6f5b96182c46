#pragma once
// Whole-file reading and atomic writing for every file raceit reads or writes. Errors name the
// path and the problem (a directory, a full disk, a missing folder).
#include <string>
#include <string_view>

namespace raceit {

// The bytes of a file. Throws Error(Io) when it cannot be opened or read, or is a directory.
std::string read_file(const std::string& path);

// Writes `contents` to a temporary file in the target's folder, flushes and checks it, and
// renames it over `path` only when all of it was written: a failed or killed run leaves the old
// file intact. A target that exists and is not a regular file (/dev/stdout, a pipe) is written in
// place, with the same checks. Throws Error(Io) naming the path and the system's reason.
void write_file_atomic(const std::string& path, std::string_view contents);

}  // namespace raceit
