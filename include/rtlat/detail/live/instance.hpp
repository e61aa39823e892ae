// The tracefs instance a live session owns: `rtlat-<pid>`, created with the events the engine
// needs and removed on every way out (the destructor; signals reach it through LiveSource::stop).
// It never writes to the top-level buffer or to another tool's instance.
#pragma once

#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "rtlat/detail/live/tracefs_api.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "rtlat/detail/vocabulary.hpp"
#include "rtlat/error.hpp"
#include "rtlat/syscalls.hpp"

namespace rtlat {
inline namespace v1 {

namespace detail {
namespace live {

inline constexpr std::string_view instance_prefix = "rtlat-";

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The pid in an instance name `rtlat-<pid>`, or -1 when the name is not one of ours.
inline long instance_pid(std::string_view name) {
  if (name.substr(0, instance_prefix.size()) != instance_prefix) return -1;
  name.remove_prefix(instance_prefix.size());
  if (name.empty() || name.size() > 9) return -1;
  long pid = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return -1;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

inline bool process_alive(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Removes the instances of rtlat runs whose process is gone (a SIGKILLed run cannot remove its
// own). Returns their names.
inline std::vector<std::string> remove_stale_instances() {
  std::vector<std::string> names, removed;
  tracefs_instances_walk(
      [](const char* name, void* ctx) {
        static_cast<std::vector<std::string>*>(ctx)->emplace_back(name);
        return 0;
      },
      &names);
  for (const std::string& n : names) {
    const long pid = instance_pid(n);
    if (pid <= 0 || process_alive(pid)) continue;
    tracefs_instance* inst = tracefs_instance_alloc(nullptr, n.c_str());
    if (inst == nullptr) continue;
    tracefs_instance_file_write(inst, "tracing_on", "0");
    if (tracefs_instance_destroy(inst) == 0) removed.push_back(n);
    tracefs_instance_free(inst);
  }
  return removed;
}

// Why a live session cannot start here, "" when it can: it needs root and a writable tracefs.
// tracefs_tracing_dir() mounts tracefs when the kernel has it and nothing has mounted it yet (as
// root), so a fresh machine qualifies. The tests ask this too, to skip exactly when rtlat would
// refuse.
inline std::string why_no_live_session() {
  if (::geteuid() != 0)
    return "live mode needs root (tracefs instances are root-only): run it with sudo, or as root";
  const char* dir = tracefs_tracing_dir();
  if (dir == nullptr || ::access((std::string(dir) + "/instances").c_str(), W_OK) != 0)
    return "tracefs is not mounted or not writable (no /sys/kernel/tracing/instances): mount it "
           "with 'mount -t tracefs nodev /sys/kernel/tracing' (kernel CONFIG_FTRACE)";
  return "";
}

// What the instance was set up with: which timer-sleep markers, which IRQ events.
struct Recorded {
  std::string clock;  // trace clock in use ("mono" unless the kernel lacks it)
  bool clock_is_monotonic = false;
  std::string marker;           // "raw_syscalls:sys_enter", "syscalls:sys_enter_*", "hrtimer"
  bool syscalls = false;        // any syscall event recorded
  bool irq_threads = false;     // irq_threaded_handler_* recorded
  bool hrtimer_expiry = false;  // timer:hrtimer_expire_entry recorded (the timer metric)
  std::vector<std::pair<std::string, std::string>> events;  // (system, name) enabled
};

struct InstanceOptions {
  std::size_t buffer_kb = 8192;   // per CPU
  std::vector<long> follow_pids;  // empty: every task
};

class Instance {
 public:
  // Creates `rtlat-<our pid>` (after removing stale ones) and enables the events, tracing off.
  explicit Instance(const InstanceOptions& o) {
    check_access();
    stale_ = remove_stale_instances();
    name_ = std::string(instance_prefix) + std::to_string(::getpid());
    if (tracefs_instance_exists(name_.c_str())) {
      // Left by an earlier session of this same process: it is ours.
      tracefs_instance* old = tracefs_instance_alloc(nullptr, name_.c_str());
      if (old != nullptr) {
        tracefs_instance_destroy(old);
        tracefs_instance_free(old);
      }
    }
    inst_ = tracefs_instance_create(name_.c_str());
    if (inst_ == nullptr)
      throw LiveError("cannot create the tracefs instance " + name_ + ": " + std::strerror(errno));
    try {
      setup(o);
    } catch (...) {
      remove();
      throw;
    }
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance() { remove(); }

  tracefs_instance* get() const noexcept { return inst_; }
  const std::string& name() const noexcept { return name_; }
  const Recorded& recorded() const noexcept { return rec_; }
  const std::vector<std::string>& stale_removed() const noexcept { return stale_; }
  std::string dir() const {
    char* d = tracefs_instance_get_dir(inst_);
    std::string s = d != nullptr ? d : "";
    tracefs_put_tracing_file(d);
    return s;
  }

  void tracing_on(bool on) { write("tracing_on", on ? "1" : "0"); }

  // Removes the instance (idempotent). Every trace_pipe_raw descriptor must be closed first:
  // the kernel refuses to remove an instance with open files.
  void remove() noexcept {
    if (inst_ == nullptr) return;
    tracefs_instance_file_write(inst_, "tracing_on", "0");
    tracefs_instance_destroy(inst_);
    tracefs_instance_free(inst_);
    inst_ = nullptr;
  }

  std::string read(const char* file) const {
    char* s = tracefs_instance_file_read(inst_, file, nullptr);
    std::string out = s != nullptr ? s : "";
    std::free(s);
    return out;
  }

  // The top-level tracefs files the kernel shares between instances (saved_cmdlines,
  // saved_tgids, kallsyms-free formats).
  static std::string top_file(const char* file) {
    return read_text_file(std::string(tracefs_tracing_dir()) + "/" + file);
  }

  // "overrun" + "commit overrun" + "dropped events" of one CPU's stats.
  std::uint64_t lost_in_stats(int cpu) const {
    const std::string s = read_text_file(dir() + "/per_cpu/cpu" + std::to_string(cpu) + "/stats");
    std::uint64_t total = 0;
    for (const char* key : {"overrun: ", "commit overrun: ", "dropped events: "}) {
      std::size_t at = 0;
      while ((at = s.find(key, at)) != std::string::npos) {
        // "overrun: " is also the tail of "commit overrun: ": count it at line starts only.
        if (at == 0 || s[at - 1] == '\n')
          total += std::strtoull(s.c_str() + at + std::strlen(key), nullptr, 10);
        at += std::strlen(key);
      }
    }
    return total;
  }

 private:
  static void check_access() {
    if (const std::string why = why_no_live_session(); !why.empty()) throw LiveError(why);
  }

  void write(const char* file, const std::string& v) {
    if (tracefs_instance_file_write(inst_, file, v.c_str()) < 0)
      throw LiveError("tracefs: cannot write '" + v + "' to " + name_ + "/" + file + ": " +
                      std::strerror(errno));
  }
  bool event_exists(const char* sys, const char* ev) const {
    return tracefs_event_file_exists(inst_, sys, ev, "enable");
  }
  bool enable(const char* sys, const char* ev) {
    if (!event_exists(sys, ev)) return false;
    if (tracefs_event_enable(inst_, sys, ev) != 0)
      throw LiveError(std::string("tracefs: cannot enable ") + sys + ":" + ev + ": " +
                      std::strerror(errno));
    rec_.events.emplace_back(sys, ev);
    return true;
  }
  bool filter(const char* sys, const char* ev, const std::string& f) {
    return tracefs_event_file_write(inst_, sys, ev, "filter", f.c_str()) >= 0;
  }

  void setup(const InstanceOptions& o) {
    write("tracing_on", "0");
    write("buffer_size_kb", std::to_string(o.buffer_kb));
    // Time-ordered merging needs a clock user space can read too (see reader.hpp).
    if (tracefs_instance_file_write(inst_, "trace_clock", "mono") >= 0) {
      rec_.clock = "mono";
      rec_.clock_is_monotonic = true;
    } else {
      rec_.clock = "local";
    }
    write("options/record-tgid", "1");
    // record-cmd is the top level's alone (and on by default): saved_cmdlines is shared.
    if (!o.follow_pids.empty()) {
      write("options/event-fork", "1");
      std::string pids;
      for (long p : o.follow_pids) pids += std::to_string(p) + " ";
      write("set_event_pid", pids);
    }
    for (const TraceEventName& k : known_events) {
      if (k.system != "sched") continue;
      enable(std::string(k.system).c_str(), std::string(k.name).c_str());
    }
    // Timer-sleep markers: raw sys_enter filtered in the kernel to the sleep syscalls, else the
    // per-syscall events, else hrtimer_start (of hrtimer_wakeup, checked per event).
    TimerSleepSyscalls sc;
    utsname u{};
    ::uname(&u);
    const bool have_numbers = timer_sleep_syscalls_for(u.machine, sc);
    std::string f;
    if (have_numbers) {
      for (std::int64_t nr : {sc.nanosleep, sc.clock_nanosleep, sc.clock_nanosleep_time64})
        if (nr >= 0) f += (f.empty() ? "id == " : " || id == ") + std::to_string(nr);
    }
    if (have_numbers && !f.empty() && event_exists("raw_syscalls", "sys_enter") &&
        filter("raw_syscalls", "sys_enter", f) && enable("raw_syscalls", "sys_enter")) {
      rec_.marker = "raw_syscalls:sys_enter";
      rec_.syscalls = true;
    } else {
      bool any = false;
      for (const char* ev :
           {"sys_enter_nanosleep", "sys_enter_clock_nanosleep", "sys_enter_clock_nanosleep_time64"})
        any = enable("syscalls", ev) || any;
      if (any) {
        rec_.marker = "syscalls:sys_enter_*nanosleep";
        rec_.syscalls = true;
      }
    }
    // The timer metric: which timer woke a task (expire_entry .. exit) and what it asked for
    // (start, re-armed or cancelled). hrtimer_start is also the marker of last resort.
    if (enable("timer", "hrtimer_start") && rec_.marker.empty())
      rec_.marker = "timer:hrtimer_start";
    rec_.hrtimer_expiry = enable("timer", "hrtimer_expire_entry");
    enable("timer", "hrtimer_expire_exit");
    enable("timer", "hrtimer_cancel");
    for (const char* ev :
         {"irq_handler_entry", "irq_handler_exit", "softirq_entry", "softirq_exit"})
      enable("irq", ev);
    const bool t1 = enable("irq", "irq_threaded_handler_entry");
    const bool t2 = enable("irq", "irq_threaded_handler_exit");
    rec_.irq_threads = t1 || t2;
  }

  std::string name_;
  tracefs_instance* inst_ = nullptr;
  Recorded rec_;
  std::vector<std::string> stale_;
};

}  // namespace live
}  // namespace detail
}  // namespace v1
}  // namespace rtlat
