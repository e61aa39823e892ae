// Differential test: for every trace.dat under data/ (recursively) and every buffer in it, the
// stream rtlat decodes must equal libtracecmd's tracecmd_iterate_events, event for event:
// timestamp, CPU, common_pid, event kind (from the event name libtraceevent gives the record's
// type id) and the fields the engine uses, read here by name through libtraceevent.
#include <gtest/gtest.h>
#include <sched.h>
#include <traceevent/event-parse.h>

#include <rtlat/source/tracedat.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

// <trace-cmd/trace-cmd.h> pulls in <tracefs.h>, whose inline helpers are not valid C++; the few
// libtracecmd calls used here are declared directly (signatures from trace-cmd.h 3.1).
extern "C" {
struct tracecmd_input;
enum { TRACECMD_FL_LOAD_NO_PLUGINS = 1 << 0 };
tracecmd_input* tracecmd_open(const char* file, int flags);
void tracecmd_close(tracecmd_input* handle);
tep_handle* tracecmd_get_tep(tracecmd_input* handle);
int tracecmd_buffer_instances(tracecmd_input* handle);
const char* tracecmd_buffer_instance_name(tracecmd_input* handle, int indx);
tracecmd_input* tracecmd_buffer_instance_handle(tracecmd_input* handle, int indx);
int tracecmd_iterate_events(tracecmd_input* handle, cpu_set_t* cpus, int cpu_size,
                            int (*callback)(tracecmd_input* handle, tep_record*, int, void*),
                            void* callback_data);
void tracecmd_set_loglevel(enum tep_loglevel level);
}

// libtracecmd 3.1 leaks a few bytes of sscanf("%ms") buffers while opening a file (not ours).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libtracecmd.so\nleak:__isoc99_vsscanf\n";
}

namespace fs = std::filesystem;

namespace {

struct Rec {
  rtlat::Event e;  // what the record should decode to
  long long missed = 0;
};

long long num(tep_event* ev, tep_record* r, const char* name) {
  unsigned long long v = 0;
  tep_format_field* f = tep_find_field(ev, name);
  if (f == nullptr) return 0;
  tep_read_number_field(f, r->data, &v);
  // Sign-extend signed fields narrower than 64 bits.
  if ((f->flags & TEP_FIELD_IS_SIGNED) && f->size < 8) {
    const int bits = f->size * 8;
    const unsigned long long sign = 1ull << (bits - 1);
    v &= (sign << 1) - 1;
    return static_cast<long long>((v ^ sign) - sign);
  }
  return static_cast<long long>(v);
}

std::string str(tep_event* ev, tep_record* r, const char* name) {
  tep_format_field* f = tep_find_field(ev, name);
  if (f == nullptr) return {};
  int len = 0;
  const char* p = static_cast<const char*>(tep_get_field_raw(nullptr, ev, name, r, &len, 0));
  if (p == nullptr) return {};
  std::string s(p, strnlen(p, static_cast<std::size_t>(len)));
  return s.substr(0, 15);
}

struct Oracle {
  tep_handle* tep;
  std::string arch;
  std::vector<Rec> recs;
};

int collect(tracecmd_input*, tep_record* r, int cpu, void* data) {
  auto* o = static_cast<Oracle*>(data);
  tep_event* ev = tep_find_event_by_record(o->tep, r);
  Rec rec;
  rec.missed = r->missed_events;
  const auto ts = static_cast<rtlat::Timestamp>(r->ts);
  const auto c = static_cast<std::uint16_t>(cpu);
  const int pid = tep_data_pid(o->tep, r);
  using K = rtlat::EventKind;
  const std::string name = ev ? ev->name : "";
  const std::string sys = ev ? ev->system : "";
  if (ev == nullptr) {
    rec.e = rtlat::Event::make_other(ts, c, pid, "?");
  } else if (name == "sched_switch") {
    const auto raw = static_cast<std::uint32_t>(num(ev, r, "prev_state"));
    rec.e = rtlat::Event::make_switch(
        ts, c, pid, static_cast<int>(num(ev, r, "prev_pid")), str(ev, r, "prev_comm"),
        static_cast<int>(num(ev, r, "prev_prio")), rtlat::PrevState::runnable, raw,
        static_cast<int>(num(ev, r, "next_pid")), str(ev, r, "next_comm"),
        static_cast<int>(num(ev, r, "next_prio")));
  } else if (name == "sched_wakeup" || name == "sched_wakeup_new" || name == "sched_waking") {
    const K k = name == "sched_wakeup"       ? K::sched_wakeup
                : name == "sched_wakeup_new" ? K::sched_wakeup_new
                                             : K::sched_waking;
    rec.e = rtlat::Event::make_wakeup(k, ts, c, pid, static_cast<int>(num(ev, r, "pid")),
                                      str(ev, r, "comm"), static_cast<int>(num(ev, r, "prio")),
                                      static_cast<int>(num(ev, r, "target_cpu")));
  } else if (name == "sched_process_exit") {
    rec.e = rtlat::Event::make_exit(ts, c, pid, static_cast<int>(num(ev, r, "pid")),
                                    str(ev, r, "comm"), static_cast<int>(num(ev, r, "prio")));
  } else if (name == "sched_process_fork") {
    rec.e = rtlat::Event::make_fork(ts, c, pid, static_cast<int>(num(ev, r, "parent_pid")),
                                    static_cast<int>(num(ev, r, "child_pid")),
                                    str(ev, r, "child_comm"));
  } else if (sys == "raw_syscalls" && name == "sys_enter") {
    const long long nr = num(ev, r, "id");
    rtlat::TimerSleepSyscalls t;
    if (rtlat::timer_sleep_syscalls_for(o->arch, t) && t.contains(nr))
      rec.e = rtlat::Event::make_timer_sleep(ts, c, pid, rtlat::TimerSleepSource::syscall,
                                             static_cast<int>(nr));
    else
      rec.e = rtlat::Event::make_syscall(ts, c, pid, nr);
  } else if (sys == "power" && name == "cpu_idle") {
    rec.e =
        rtlat::Event::make_cpu_idle(ts, c, pid, static_cast<std::uint32_t>(num(ev, r, "state")));
  } else if (sys == "preemptirq" && (name == "irq_disable" || name == "irq_enable")) {
    // rtlat names the caller by its offset from _stext (it reads no symbol table for it).
    const long long off = num(ev, r, "caller_offs");
    char text[64];
    std::snprintf(text, sizeof text, "_stext%s0x%llx", off < 0 ? "-" : "+",
                  static_cast<unsigned long long>(off < 0 ? -off : off));
    rec.e =
        rtlat::Event::make_irqs(name == "irq_disable" ? K::irqs_off : K::irqs_on, ts, c, pid, text);
  } else if (sys == "timer" && name == "hrtimer_start") {
    const auto fn = static_cast<unsigned long long>(num(ev, r, "function"));
    const char* f = tep_find_function(o->tep, fn);
    const auto timer = static_cast<std::uint64_t>(num(ev, r, "hrtimer"));
    if (f != nullptr && std::string(f) == "hrtimer_wakeup" &&
        tep_find_function_address(o->tep, fn) == fn)
      rec.e = rtlat::Event::make_timer_sleep(ts, c, pid, rtlat::TimerSleepSource::hrtimer, -1,
                                             timer, num(ev, r, "softexpires"));
    else
      rec.e = rtlat::Event::make_hrtimer(K::hrtimer_start, ts, c, pid, timer,
                                         num(ev, r, "softexpires"), num(ev, r, "expires"));
  } else if (sys == "timer" && (name == "hrtimer_cancel" || name == "hrtimer_expire_entry" ||
                                name == "hrtimer_expire_exit")) {
    const K k = name == "hrtimer_cancel"         ? K::hrtimer_cancel
                : name == "hrtimer_expire_entry" ? K::hrtimer_expire_entry
                                                 : K::hrtimer_expire_exit;
    rec.e =
        rtlat::Event::make_hrtimer(k, ts, c, pid, static_cast<std::uint64_t>(num(ev, r, "hrtimer")),
                                   0, 0, k == K::hrtimer_expire_entry ? num(ev, r, "now") : 0);
  } else if (name == "irq_handler_entry" || name == "irq_threaded_handler_entry") {
    rec.e =
        rtlat::Event::make_irq(name == "irq_handler_entry" ? K::irq_entry : K::irq_thread_entry, ts,
                               c, pid, static_cast<int>(num(ev, r, "irq")), str(ev, r, "name"));
  } else if (name == "irq_handler_exit" || name == "irq_threaded_handler_exit") {
    rec.e =
        rtlat::Event::make_irq(name == "irq_handler_exit" ? K::irq_exit : K::irq_thread_exit, ts, c,
                               pid, static_cast<int>(num(ev, r, "irq")), {},
                               tep_find_field(ev, "ret") ? static_cast<int>(num(ev, r, "ret")) : 1);
  } else if (sys == "irq" && (name == "softirq_entry" || name == "softirq_exit")) {
    rec.e = rtlat::Event::make_softirq(name == "softirq_entry" ? K::softirq_entry : K::softirq_exit,
                                       ts, c, pid, static_cast<std::uint32_t>(num(ev, r, "vec")));
  } else if (sys == "sched" && name == "sched_migrate_task") {
    rec.e = rtlat::Event::make_migrate(ts, c, pid, static_cast<int>(num(ev, r, "pid")),
                                       str(ev, r, "comm"), static_cast<int>(num(ev, r, "prio")),
                                       static_cast<int>(num(ev, r, "orig_cpu")),
                                       static_cast<int>(num(ev, r, "dest_cpu")));
  } else {
    rec.e = rtlat::Event::make_other(ts, c, pid, name, static_cast<std::uint32_t>(ev->id));
  }
  o->recs.push_back(rec);
  return 0;
}

struct Mine {
  std::vector<rtlat::Event> events;
  void feed(const rtlat::Event& e) { events.push_back(e); }
};

std::string describe(const rtlat::Event& e) {
  return std::to_string(e.ts) + " cpu " + std::to_string(e.cpu) + " pid " +
         std::to_string(e.common_pid) + " " + std::string(rtlat::event_kind_name(e.kind));
}

void expect_same(const rtlat::Event& a, const rtlat::Event& b, const std::string& ctx) {
  using K = rtlat::EventKind;
  ASSERT_EQ(a.ts, b.ts) << ctx;
  ASSERT_EQ(a.cpu, b.cpu) << ctx;
  ASSERT_EQ(a.kind, b.kind) << ctx;
  ASSERT_EQ(a.common_pid, b.common_pid) << ctx;
  switch (a.kind) {
    case K::sched_switch:
      ASSERT_EQ(a.sw.prev_pid, b.sw.prev_pid) << ctx;
      ASSERT_EQ(a.sw.next_pid, b.sw.next_pid) << ctx;
      ASSERT_EQ(a.sw.prev_prio, b.sw.prev_prio) << ctx;
      ASSERT_EQ(a.sw.next_prio, b.sw.next_prio) << ctx;
      ASSERT_EQ(a.sw.prev_state_raw, b.sw.prev_state_raw) << ctx;
      ASSERT_EQ(a.sw.prev_comm.view(), b.sw.prev_comm.view()) << ctx;
      ASSERT_EQ(a.sw.next_comm.view(), b.sw.next_comm.view()) << ctx;
      break;
    case K::sched_wakeup:
    case K::sched_wakeup_new:
    case K::sched_waking:
    case K::process_exit:
      ASSERT_EQ(a.wakeup.pid, b.wakeup.pid) << ctx;
      ASSERT_EQ(a.wakeup.prio, b.wakeup.prio) << ctx;
      ASSERT_EQ(a.wakeup.comm.view(), b.wakeup.comm.view()) << ctx;
      if (a.kind != K::process_exit) {
        ASSERT_EQ(a.wakeup.target_cpu, b.wakeup.target_cpu) << ctx;
      }
      break;
    case K::process_fork:
      ASSERT_EQ(a.fork.parent_pid, b.fork.parent_pid) << ctx;
      ASSERT_EQ(a.fork.child_pid, b.fork.child_pid) << ctx;
      ASSERT_EQ(a.fork.child_comm.view(), b.fork.child_comm.view()) << ctx;
      break;
    case K::timer_sleep:
      ASSERT_EQ(a.timer.source, b.timer.source) << ctx;
      ASSERT_EQ(a.timer.syscall_nr, b.timer.syscall_nr) << ctx;
      ASSERT_EQ(a.timer.hrtimer, b.timer.hrtimer) << ctx;
      ASSERT_EQ(a.timer.softexpires, b.timer.softexpires) << ctx;
      break;
    case K::hrtimer_start:
    case K::hrtimer_cancel:
    case K::hrtimer_expire_entry:
    case K::hrtimer_expire_exit:
      ASSERT_EQ(a.hrtimer.hrtimer, b.hrtimer.hrtimer) << ctx;
      ASSERT_EQ(a.hrtimer.softexpires, b.hrtimer.softexpires) << ctx;
      ASSERT_EQ(a.hrtimer.expires, b.hrtimer.expires) << ctx;
      ASSERT_EQ(a.hrtimer.now, b.hrtimer.now) << ctx;
      break;
    case K::syscall:
      ASSERT_EQ(a.sys.nr, b.sys.nr) << ctx;
      break;
    case K::softirq_entry:
    case K::softirq_exit:
      ASSERT_EQ(a.softirq.vec, b.softirq.vec) << ctx;
      break;
    case K::migrate:
      ASSERT_EQ(a.migrate.pid, b.migrate.pid) << ctx;
      ASSERT_EQ(a.migrate.prio, b.migrate.prio) << ctx;
      ASSERT_EQ(a.migrate.orig_cpu, b.migrate.orig_cpu) << ctx;
      ASSERT_EQ(a.migrate.dest_cpu, b.migrate.dest_cpu) << ctx;
      ASSERT_EQ(a.migrate.comm.view(), b.migrate.comm.view()) << ctx;
      break;
    case K::irq_entry:
    case K::irq_thread_entry:
      ASSERT_EQ(a.irq.irq, b.irq.irq) << ctx;
      ASSERT_EQ(a.irq.name.view(), b.irq.name.view()) << ctx;
      break;
    case K::irq_exit:
    case K::irq_thread_exit:
      ASSERT_EQ(a.irq.irq, b.irq.irq) << ctx;
      ASSERT_EQ(a.irq.ret, b.irq.ret) << ctx;
      break;
    case K::other:
      ASSERT_EQ(a.other.type_id, b.other.type_id) << ctx;
      ASSERT_EQ(a.other.name.view(), b.other.name.view()) << ctx;
      break;
    case K::cpu_idle:
      ASSERT_EQ(a.idle.state, b.idle.state) << ctx;
      break;
    case K::irqs_off:
    case K::irqs_on:
      ASSERT_EQ(a.irqs.caller_view(), b.irqs.caller_view()) << ctx;
      break;
    case K::lost_events:
      break;
  }
}

std::vector<fs::path> dat_files() {
  std::vector<fs::path> v;
  const fs::path root = fs::path(RTLAT_SOURCE_DIR) / "data";
  if (!fs::exists(root)) return v;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".dat") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// Compares one buffer of one file. `threads`: rtlat's decode threads (0: all on the calling
// thread; 1: one worker and the calling thread helping; 2: two workers).
std::size_t compare(const fs::path& path, tracecmd_input* handle, const std::string& buffer,
                    int threads) {
  Oracle o;
  o.tep = tracecmd_get_tep(handle);
  rtlat::TraceDatOptions opts;
  opts.buffer = buffer;
  opts.decode_threads = threads;
  rtlat::TraceDatSource src(path.string(), opts);
  o.arch = src.info().arch;
  tracecmd_iterate_events(handle, nullptr, 0, collect, &o);
  Mine mine;
  src.read(mine);
  const std::string ctx0 =
      path.filename().string() + " buffer \"" + buffer + "\" threads " + std::to_string(threads);
  // Split rtlat's stream into events and the lost markers that precede a CPU's next event.
  std::vector<rtlat::Event> events;
  std::vector<std::uint64_t> lost_before;  // per event: 0 none, else count + 1
  std::vector<std::uint64_t> pending(65536, 0);
  for (const auto& e : mine.events) {
    if (e.kind == rtlat::EventKind::lost_events) {
      EXPECT_EQ(pending[e.cpu], 0u) << ctx0 << ": two lost markers in a row on cpu " << e.cpu;
      pending[e.cpu] = e.lost.count + 1;
      continue;
    }
    events.push_back(e);
    lost_before.push_back(pending[e.cpu]);
    pending[e.cpu] = 0;
  }
  EXPECT_EQ(src.info().skipped, 0u) << ctx0;
  EXPECT_EQ(events.size(), o.recs.size()) << ctx0;
  if (events.size() != o.recs.size()) return 0;
  for (std::size_t i = 0; i < o.recs.size(); ++i) {
    const Rec& r = o.recs[i];
    const std::string ctx = ctx0 + " record " + std::to_string(i) + " (" + describe(r.e) + ")";
    expect_same(r.e, events[i], ctx + " got " + describe(events[i]));
    if (::testing::Test::HasFatalFailure()) return 0;
    const std::uint64_t want =
        r.missed == 0 ? 0 : (r.missed > 0 ? static_cast<std::uint64_t>(r.missed) : 0) + 1;
    EXPECT_EQ(lost_before[i], want) << ctx << ": lost-events marker (count + 1) differs";
    if (lost_before[i] != want) return 0;
  }
  EXPECT_EQ(src.info().events, mine.events.size()) << ctx0;
  return o.recs.size();
}

TEST(Differential, EveryDatFileEveryBufferMatchesLibtracecmd) {
  tracecmd_set_loglevel(TEP_LOG_NONE);
  const auto files = dat_files();
  ASSERT_FALSE(files.empty()) << "no .dat files under data/";
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    for (int threads : {0, 1, 2}) {
      if (rtlat::TraceDatSource(path.string()).info().format.find("zlib") != std::string::npos) {
        // This libtracecmd is built without zlib; tracedat_writer_test compares the zlib sample
        // with its zstd twin instead.
        std::printf("note: %s: zlib-compressed, libtracecmd cannot read it here\n", path.c_str());
        break;
      }
      tracecmd_input* h = tracecmd_open(path.c_str(), TRACECMD_FL_LOAD_NO_PLUGINS);
      ASSERT_NE(h, nullptr) << "libtracecmd cannot open " << path;
      std::size_t total = compare(path, h, "", threads);
      const int n = tracecmd_buffer_instances(h);
      for (int b = 0; b < n; ++b) {
        const char* name = tracecmd_buffer_instance_name(h, b);
        tracecmd_input* ih = tracecmd_buffer_instance_handle(h, b);
        ASSERT_NE(ih, nullptr) << "instance " << name;
        total += compare(path, ih, name, threads);
        tracecmd_close(ih);
      }
      tracecmd_close(h);
      EXPECT_GT(total, 0u) << path << ": no events in any buffer";
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
