#include "raceit/core/file_io.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "raceit/core/error.hpp"

namespace raceit {

namespace {

Error io_error(const std::string& path, const std::string& action, int error) {
  return Error(ErrorKind::Io, fmt::format("{}: cannot {}: {}", path, action, std::strerror(error)));
}

// Writes all of `contents` to `fd` and flushes it to the device; returns 0 or the errno.
int write_all(int fd, std::string_view contents, bool sync) {
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  if (sync && ::fsync(fd) != 0) return errno;
  return 0;
}

void write_in_place(const std::string& path, std::string_view contents) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) throw io_error(path, "open for writing", errno);
  const int error = write_all(fd, contents, false);
  const int closed = ::close(fd) == 0 ? 0 : errno;
  if (error || closed) throw io_error(path, "write", error ? error : closed);
}

}  // namespace

std::string read_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw io_error(path, "open for reading", errno);
  if (S_ISDIR(info.st_mode)) throw Error(ErrorKind::Io, fmt::format("{}: is a directory, not a file", path));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw io_error(path, "open for reading", errno);
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw io_error(path, "read", error);
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return bytes;
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) throw Error(ErrorKind::Io, fmt::format("{}: is a directory, not a file", path));
    if (!S_ISREG(info.st_mode)) return write_in_place(path, contents);
  }
  // Unique among processes (pid) and among writes of one process (counter).
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path target(path);
  const std::string temporary =
      (target.parent_path() / fmt::format(".{}.{}.{}.tmp", target.filename().string(), ::getpid(), counter++)).string();
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw io_error(path, fmt::format("create a temporary file in its folder ({})", temporary), errno);
  int error = write_all(fd, contents, true);
  if (::close(fd) != 0 && !error) error = errno;
  if (!error && ::rename(temporary.c_str(), path.c_str()) != 0) error = errno;
  if (error) {
    ::unlink(temporary.c_str());
    throw io_error(path, "write", error);
  }
}

}  // namespace raceit
