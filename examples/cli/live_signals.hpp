// What a signal does to `rtlat live`: stops the trace source, passes SIGTERM and SIGHUP on to the
// command, and is counted, so a wait (--linger) can end early. Process-wide by nature.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <csignal>

#include "rtlat/source/live.hpp"

namespace rtlat_cli::live_signals {

inline std::atomic<rtlat::LiveSource*> source{nullptr};
inline std::atomic<pid_t> child{-1};
inline std::atomic<int> stop_signal{0};
inline std::atomic<unsigned> count{0};  // how many arrived: a signal during --linger ends it

inline void on_signal(int sig) {
  stop_signal.store(sig);
  count.fetch_add(1);
  if (rtlat::LiveSource* s = source.load()) s->stop();
  // The command shares the terminal's Ctrl-C; SIGTERM and SIGHUP are passed on to it.
  const pid_t c = child.load();
  if (c > 0 && sig != SIGINT) ::kill(c, sig);
}

// SIGINT, SIGTERM, SIGHUP stop the run; a reader of our output that goes away (| head) must make
// a write fail, not kill rtlat before it removes its instance.
inline void install() {
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

// The source the handler stops, for the scope of one run.
class SourceScope {
 public:
  explicit SourceScope(rtlat::LiveSource& s) {
    source.store(&s);
    if (stop_signal.load() != 0) s.stop();  // a signal came while tracing was being set up
  }
  SourceScope(const SourceScope&) = delete;
  SourceScope& operator=(const SourceScope&) = delete;
  ~SourceScope() { source.store(nullptr); }
};

}  // namespace rtlat_cli::live_signals
