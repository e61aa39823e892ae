/// @file
/// A running system as an event source, through tracefs: no module, no patch, no trace-cmd.
/// Target rtlat::live (libtracefs).
///
///     rtlat::LiveOptions o;
///     o.duration = std::chrono::seconds(10);
///     rtlat::LiveSource src(o);                   // instance rtlat-PID, tracing on
///     rtlat::Results r = rtlat::analyze(src, cfg);  // reads until the duration or stop()
///
/// The source owns a tracefs instance `rtlat-PID` with only the events the engine needs (sched,
/// a timer-sleep marker, IRQ events when present) and removes it when destroyed; instances of
/// earlier runs whose process is gone are removed when one is created. Stopping from a signal
/// handler: call stop() there (it is async-signal-safe); read() then drains the buffers and
/// returns, and the destructor removes the instance.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "rtlat/detail/cmdlines.hpp"
#include "rtlat/detail/live/decode.hpp"
#include "rtlat/detail/live/harvest.hpp"
#include "rtlat/detail/live/instance.hpp"
#include "rtlat/detail/live/reader.hpp"
#include "rtlat/detail/live/spool.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/source_info.hpp"

namespace rtlat {
inline namespace v1 {

/// What a live session has done so far, handed to LiveOptions::on_interval.
struct LiveProgress {
  Timestamp interval_start_ns = 0;    ///< trace clock: events after this ...
  Timestamp interval_end_ns = 0;      ///< ... up to this were delivered in this interval
  double elapsed_s = 0;               ///< wall-clock seconds since read() started
  std::uint64_t events = 0;           ///< delivered so far
  std::uint64_t interval_events = 0;  ///< delivered in this interval
  std::uint64_t lost = 0;             ///< events the kernel lost so far (pages and per-CPU stats)
};

/// Totals of a finished (or running) session, beside the engine's own counts.
struct LiveTotals {
  std::uint64_t pages = 0;          ///< ring-buffer pages read
  std::uint64_t bytes = 0;          ///< bytes read from the per-CPU buffers
  std::uint64_t events = 0;         ///< events decoded
  std::uint64_t lost_in_pages = 0;  ///< counts carried by the pages' missed-events flags
  std::uint64_t lost_in_stats = 0;  ///< per_cpu/cpuN/stats overrun + dropped, at the end
  std::uint64_t stats_markers = 0;  ///< lost markers added for what the pages did not carry
  std::uint64_t rounds = 0;         ///< read rounds over every CPU
};

/// How a live session traces: buffer size, whom to follow, how long, what to save.
struct LiveOptions {
  /// Ring buffer per CPU. The reader empties it every `poll`, but it is an ordinary thread: on a
  /// loaded machine it may wait its turn long enough for a context-switch storm to fill a small
  /// buffer (bench/live-overhead shows where 4 MB is not enough and 8 MB is).
  std::size_t buffer_kb = 8192;
  /// Record only the events of these tasks and of every thread and child they create
  /// (set_event_pid, event-fork); empty: every task. A kernel filter: interrupts that hit other
  /// tasks (timer expiries) and the tasks that keep these waiting are dropped with it, so timer
  /// latencies and verdicts go unobserved. `rtlat live -- COMMAND` leaves it empty and selects
  /// the command's tasks with Selection::follow_forks instead.
  std::vector<Pid> follow;
  std::chrono::nanoseconds duration{0};                        ///< 0: until stop()
  std::chrono::nanoseconds interval{std::chrono::seconds(1)};  ///< on_interval period
  std::chrono::milliseconds poll{20};                          ///< how often the buffers are read
  std::string save;      ///< write what was read as a trace.dat here ("" = no)
  int save_version = 7;  ///< 7: zstd-compressed (trace-cmd's default), 6: uncompressed
  /// Runs on the reading thread between events, every `interval`: it may read the engine.
  std::function<void(const LiveProgress&)> on_interval;
};

/// Thread safety: read() on one thread; stop() from any thread or a signal handler.
class LiveSource {
 public:
  /// Effects: removes stale `rtlat-PID` instances, creates this one, enables its events and
  /// turns tracing on. Throws: LiveError saying what is missing (root, tracefs) or refused.
  explicit LiveSource(LiveOptions o = {}) : opt_(std::move(o)) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
      throw LiveError(std::string("pipe: ") + std::strerror(errno));
    detail::live::InstanceOptions io;
    io.buffer_kb = opt_.buffer_kb;
    for (Pid p : opt_.follow) io.follow_pids.push_back(p);
    inst_ = std::make_unique<detail::live::Instance>(io);
    const int cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_CONF));
    readers_ = std::make_unique<detail::live::CpuReaders>(*inst_, cpus > 0 ? cpus : 1);
    meta_ = detail::live::session_meta(*inst_, static_cast<std::uint32_t>(readers_->page_size()),
                                       cpus > 0 ? cpus : 1);
    meta_.blocks.cmdlines = detail::live::Instance::top_file("saved_cmdlines");
    dec_ = std::make_unique<detail::live::PageDecoder>(detail::live::session_header(meta_),
                                                       readers_->batch_bytes());
    if (!opt_.save.empty())
      saver_ = std::make_unique<detail::live::PageSpool>(opt_.save, meta_.layout.cpus);
    info_.cpus = dec_->cpus();
    info_.arch = dec_->arch();
    info_.name = "live";
    info_.format =
        "tracefs live (instance " + inst_->name() + ", clock " + inst_->recorded().clock + ")";
    info_.syscall_events_recorded = inst_->recorded().syscalls;
    info_.irq_thread_events_recorded = inst_->recorded().irq_threads;
    info_.wakeup_events_recorded = false;
    for (const auto& ev : inst_->recorded().events)
      if (ev.first == "sched" && ev.second == "sched_wakeup") info_.wakeup_events_recorded = true;
    info_.hrtimer_expiry_recorded = inst_->recorded().hrtimer_expiry;
    info_.clock_monotonic = inst_->recorded().clock_is_monotonic;
    inst_->tracing_on(true);
  }
  LiveSource(const LiveSource&) = delete;
  LiveSource& operator=(const LiveSource&) = delete;
  ~LiveSource() {
    if (readers_) readers_->close();
    if (inst_) inst_->remove();
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  /// What the source is (name "live", format with the instance and clock); counts grow while
  /// read() runs and are complete when it returns.
  const SourceInfo& info() const noexcept { return info_; }
  /// The tracefs instance's name, "rtlat-PID".
  const std::string& instance_name() const noexcept { return inst_->name(); }
  /// Stale instances removed at start.
  const std::vector<std::string>& stale_removed() const noexcept { return inst_->stale_removed(); }
  /// How the instance records timer sleeps ("raw_syscalls:sys_enter", ...).
  const std::string& timer_marker() const noexcept { return inst_->recorded().marker; }
  /// Pages, bytes, events and losses so far; complete once read() returns.
  const LiveTotals& totals() const noexcept { return totals_; }

  /// Effects: makes read() stop reading, drain what the buffers hold and return.
  /// Async-signal-safe.
  void stop() noexcept {
    stop_.store(true);
    const char b = 1;
    [[maybe_unused]] const ssize_t r = ::write(wake_[1], &b, 1);
  }

  /// Effects: tgids and comms of the tasks already running, then every event in time order
  /// until the duration ends or stop(); then the rest of the buffers, lost-event markers for
  /// what the per-CPU stats counted beyond the pages' flags, and (with LiveOptions::save) the
  /// trace.dat. Throws: LiveError; InputError for a corrupt page; whatever the sink throws
  /// (the instance is still removed by the destructor).
  template <class Sink>
  void read(Sink& sink) {
    static_assert(detail::has_feed<Sink>::value,
                  "LiveSource::read needs a sink with `void feed(const rtlat::Event&)`");
    send_cmdlines(sink, meta_.blocks.cmdlines, false);
    send_proc_tasks(sink);
    const bool mono = inst_->recorded().clock_is_monotonic;
    const auto t0 = std::chrono::steady_clock::now();
    auto next_tick = t0 + opt_.interval;
    const auto end = t0 + opt_.duration;
    LiveProgress prog;
    // The trace clock is CLOCK_MONOTONIC: the first interval starts now.
    prog.interval_start_ns = mono ? detail::live::monotonic_ns() : 0;
    std::uint64_t at_tick = 0;
    bool draining = false;
    for (;;) {
      const bool more = readers_->read_round(*dec_, saver_.get(), mono, draining);
      ++totals_.rounds;
      info_.events += readers_->release(sink);
      const auto now = std::chrono::steady_clock::now();
      if (draining && !more) break;
      if (!draining && now >= next_tick) {
        send_tgids(sink);
        prog.interval_end_ns = std::max(prog.interval_start_ns, readers_->last_delivered());
        prog.elapsed_s = std::chrono::duration<double>(now - t0).count();
        prog.events = info_.events;
        prog.interval_events = info_.events - at_tick;
        prog.lost = readers_->lost(inst_.get());
        if (opt_.on_interval) opt_.on_interval(prog);
        prog.interval_start_ns = prog.interval_end_ns;
        at_tick = info_.events;
        next_tick += opt_.interval;
        if (next_tick < now) next_tick = now + opt_.interval;
      }
      if (!draining && (stop_.load() || (opt_.duration.count() > 0 && now >= end))) {
        inst_->tracing_on(false);
        draining = true;
        continue;
      }
      if (!draining && !more) wait(now, next_tick, end);
    }
    send_tgids(sink);
    send_cmdlines(sink, detail::live::Instance::top_file("saved_cmdlines"), true);
    totals_.stats_markers = readers_->account_stats(*inst_, sink);
    info_.events += totals_.stats_markers;
    info_.skipped = dec_->skipped();
    const detail::live::CpuTotals t = readers_->totals();
    totals_.pages = t.pages;
    totals_.bytes = t.bytes;
    totals_.events = info_.events;
    totals_.lost_in_pages = t.lost_in_pages;
    totals_.lost_in_stats = t.lost_in_stats;
    if (saver_) {
      const auto [layout, blocks] = detail::live::session_file(meta_, opt_.save_version);
      saver_->finish(layout, blocks);
    }
  }

 private:
  void wait(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::time_point tick,
            std::chrono::steady_clock::time_point end) {
    auto until = now + opt_.poll;
    if (tick < until) until = tick;
    if (opt_.duration.count() > 0 && end < until) until = end;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
    pollfd p{wake_[0], POLLIN, 0};
    if (::poll(&p, 1, ms > 0 ? static_cast<int>(ms) : 0) > 0) {
      char buf[64];
      while (::read(wake_[0], buf, sizeof buf) > 0) {
      }
    }
  }

  // Sends the names in `cmdlines` (saved_cmdlines' format): at start, for the tasks already
  // known; at the end, for the tasks that came up meanwhile, those of pids not sent before,
  // which go into meta_.blocks.cmdlines for the --save file too (whose readers get them before
  // the events: the tasks' own events give the same names).
  template <class Sink>
  void send_cmdlines(Sink& sink, std::string_view cmdlines, bool at_end) {
    detail::each_cmdline(cmdlines, [&](Pid pid, std::string_view comm) {
      if (pid <= 0) return;
      if (!cmdline_pids_.insert(pid).second && at_end) return;
      if (at_end)
        meta_.blocks.cmdlines.append(std::to_string(pid)).append(" ").append(comm).append("\n");
      TaskInfo ti;
      ti.pid = pid;
      ti.comm = Comm::from(comm);
      sink_task_info(sink, ti);
    });
  }

  // Tgids of the tasks that were running before tracing started (saved_tgids knows only the
  // tasks that ran since).
  template <class Sink>
  void send_proc_tasks(Sink& sink) {
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return;
    while (dirent* d = ::readdir(proc)) {
      const long tgid = detail::parse_decimal_pid(d->d_name);
      if (tgid <= 0) continue;
      const std::string task_dir = std::string("/proc/") + d->d_name + "/task";
      DIR* tasks = ::opendir(task_dir.c_str());
      if (tasks == nullptr) continue;
      while (dirent* t = ::readdir(tasks)) {
        const long pid = detail::parse_decimal_pid(t->d_name);
        if (pid <= 0 || !tgid_sent_.insert(pid).second) continue;
        send_tgid(sink, pid, tgid);
      }
      ::closedir(tasks);
    }
    ::closedir(proc);
  }

  // New pid -> tgid pairs of saved_tgids (record-tgid).
  template <class Sink>
  void send_tgids(Sink& sink) {
    const std::string s = detail::live::Instance::top_file("saved_tgids");
    std::string_view v = s;
    while (!v.empty()) {
      const std::size_t nl = v.find('\n');
      const std::string_view line = v.substr(0, nl);
      v = nl == std::string_view::npos ? std::string_view{} : v.substr(nl + 1);
      const std::size_t sp = line.find(' ');
      if (sp == std::string_view::npos) continue;
      const long pid = detail::parse_decimal_pid(line.substr(0, sp));
      const long tgid = detail::parse_decimal_pid(line.substr(sp + 1));
      if (pid <= 0 || tgid <= 0 || !tgid_sent_.insert(pid).second) continue;
      send_tgid(sink, pid, tgid);
    }
  }

  // Gives the engine a pid's tgid, and keeps it for the --save file with the number of events
  // delivered so far: its readers give the engine the pair at the same point of the stream (a
  // task that exited and was freed before the pair came keeps no tgid, there as here).
  template <class Sink>
  void send_tgid(Sink& sink, long pid, long tgid) {
    TaskInfo ti;
    ti.pid = static_cast<Pid>(pid);
    ti.tgid = static_cast<Pid>(tgid);
    sink_task_info(sink, ti);
    if (!saver_ || pid > static_cast<long>(detail::max_tgid_pid) ||
        tgid > static_cast<long>(detail::max_tgid_pid))
      return;
    std::string line = std::to_string(pid);
    line.append(" ").append(std::to_string(tgid)).append(" ").append(std::to_string(info_.events));
    line.push_back('\n');
    // Past the readers' limit the file stays readable and its replay lacks the rest.
    if (meta_.tgids.size() + line.size() <= detail::max_tgids_bytes) meta_.tgids += line;
  }

  LiveOptions opt_;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::unique_ptr<detail::live::Instance> inst_;
  std::unique_ptr<detail::live::CpuReaders> readers_;
  detail::live::SessionMeta meta_;
  std::unique_ptr<detail::live::PageDecoder> dec_;
  std::unique_ptr<detail::live::PageSpool> saver_;
  SourceInfo info_;
  LiveTotals totals_;
  std::unordered_set<long> tgid_sent_, cmdline_pids_;
};

}  // namespace v1
}  // namespace rtlat
