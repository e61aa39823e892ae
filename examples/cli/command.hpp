// `rtlat live -- COMMAND`: the command, forked now and held until tracing runs (so its first
// instruction is traced), and the selection that follows it.
#pragma once

#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "options.hpp"
#include "rtlat/config.hpp"

namespace rtlat_cli {

class Command {
 public:
  explicit Command(const std::vector<std::string>& argv) {
    // A socket, not a pipe: when a signal has already ended the waiting child, telling it to go
    // must fail with EPIPE rather than kill rtlat with SIGPIPE before it removes its instance.
    int go[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0)
      throw UsageError{std::string("socketpair: ") + std::strerror(errno)};
    pid_ = ::fork();
    if (pid_ < 0) throw UsageError{std::string("fork: ") + std::strerror(errno)};
    if (pid_ == 0) {
      ::close(go[1]);
      char b;
      if (::read(go[0], &b, 1) != 1) ::_exit(127);  // rtlat could not start tracing
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      std::fprintf(stderr, "rtlat: cannot run '%s': %s\n", args[0], std::strerror(errno));
      ::_exit(127);
    }
    ::close(go[0]);
    go_ = go[1];
  }
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;
  ~Command() {
    if (go_ >= 0) ::close(go_);  // never released: the child exits without running
    if (!reaped_) {
      ::kill(pid_, SIGTERM);
      int st;
      ::waitpid(pid_, &st, 0);
    }
  }
  pid_t pid() const noexcept { return pid_; }
  void release() {
    const char b = 1;
    [[maybe_unused]] const ssize_t w = ::send(go_, &b, 1, MSG_NOSIGNAL);
    ::close(go_);
    go_ = -1;
  }
  // Waits for the command; its exit status (128 + signal when killed).
  int wait() {
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
  }
  void terminate() { ::kill(pid_, SIGTERM); }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
  bool reaped_ = false;
};

// With a command and no selection, the report is about the command's tasks alone: the others
// are seen only where their events touch the command's (set_event_pid), so their samples could
// span events that were filtered out. The engine selects the command and what it forks.
inline void follow_command(rtlat::Config& cfg, pid_t pid) {
  cfg.selection.pids = {pid};
  cfg.selection.follow_forks = true;
}

}  // namespace rtlat_cli
