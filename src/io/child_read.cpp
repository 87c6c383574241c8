#include "io/child_read.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>

#include "io/hdf5_file.hpp"

namespace cimmc {

namespace {

std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

ChildRun run_in_child(const std::string& path, const std::function<int()>& body) {
  std::fflush(nullptr);
  int out[2], err[2];
  if (::pipe(out) != 0) return {body(), 0, "", ""};
  if (::pipe(err) != 0) {
    ::close(out[0]), ::close(out[1]);
    return {body(), 0, "", ""};
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]), ::close(out[1]), ::close(err[0]), ::close(err[1]);
    return {body(), 0, "", ""};
  }
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::close(out[0]), ::close(out[1]), ::close(err[0]), ::close(err[1]);
    int code = 0;
    try {
      code = body();
    } catch (const IoError& e) {
      std::fprintf(stderr, "cimmc: %s\n", e.what());
      code = 4;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cimmc: %s: cannot be read (%s): the file is corrupt\n", path.c_str(), e.what());
      code = 4;
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  ::close(out[1]);
  ::close(err[1]);
  ChildRun r;
  r.out = drain(out[0]);
  r.err = drain(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
    r.code = 128 + r.signal;
  } else {
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 4;
  }
  return r;
}

void check_readable(const std::string& path, const std::function<void()>& read) {
  const ChildRun r = run_in_child(path, [&] {
    read();
    return 0;
  });
  if (r.signal)
    throw IoError(path + ": cannot be read: libhdf5 crashed on it (signal " + std::to_string(r.signal) +
                  "); the file is corrupt");
  if (r.code != 0) {
    std::string why = r.err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    if (why.rfind("cimmc: ", 0) == 0) why.erase(0, 7);
    throw IoError(why.empty() ? path + ": cannot be read (exit " + std::to_string(r.code) + ")" : why);
  }
}

}  // namespace cimmc
