// The timer metric's wake source (README "Metric definitions", timer):
//   timer = a task's requested expiry (softexpires of its timer's last hrtimer_start) -> its
//           switch-in, for every wakeup an hrtimer caused, split into
//             irq delay  = hrtimer_expire_entry's `now` - softexpires (both in the timer's clock;
//                          on a CLOCK_MONOTONIC trace clock, the entry's timestamp - softexpires)
//             wakeup     = the handler's entry -> the sched_waking it issued (trace clock)
//             scheduling = that waking -> the switch-in (trace clock)
// The timer is known by what happened, not by symbol names: a sched_waking (sched_wakeup when
// waking is not recorded) issued on a CPU inside hrtimer_expire_entry(X) .. hrtimer_expire_exit(X)
// (or the first one after the entry, when exits are not recorded) was caused by X. Taking the
// irq delay in the timer's clock and the rest in the trace clock makes any trace clock work.
//
// Without hrtimer_expire_entry, a task's own sleep timer (hrtimer_start of hrtimer_wakeup that it
// issued) still gives a sample when the trace clock is CLOCK_MONOTONIC, the timer's clock: from
// softexpires to the switch-in, split only into the part before the wakeup and scheduling.
// Otherwise such a wakeup is counted unobserved.
//
// State, none of it allocated per event: per CPU, the timers whose handlers run now (a hard
// timer can interrupt a soft one's expiry: two levels); and one table of the timers armed now
// with what they asked for. A timer leaves the table when it expires or is cancelled; the table
// grows only when more timers are armed at once than it ever held, and is bounded by
// max_armed_timers. A task's own sleep timer, while no expiry events are in use, is kept in the
// task's entry instead: the marker and the wakeup look the task up anyway, and only its task
// cancels it, after waking (do_nanosleep, schedule_hrtimeout), so a cancel cannot come between.
// When the first expiry event arrives, the sleep timers still armed move into the table.
//
// Without expiry events, the sched_waking that ends a sleep does not look its task up: the
// sched_wakeup that follows does so for the wakeup's own rules, and checks the task's own sleep
// timer there, against the waking, found among the newest events of the CPUs' histories. So
// the wakings of tasks with no own sleep timer cost nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "rtlat/detail/always_inline.hpp"
#include "rtlat/detail/engine/handler_stacks.hpp"
#include "rtlat/detail/engine/history.hpp"
#include "rtlat/detail/engine/task.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {
namespace detail {

// Timers armed now -> their softexpires: open addressing with linear probing and backward-shift
// deletion (no tombstones, so lookups stay short however many timers come and go).
class ArmedTimers {
 public:
  // Past this many armed timers (a trace whose expiries and cancels were not recorded) the
  // table starts over rather than grow: what is forgotten is counted unobserved when its timer
  // fires.
  static constexpr std::size_t max_armed_timers = std::size_t{1} << 16;

  // Inlined: every hrtimer_start and hrtimer marker comes here, and most re-arm a timer the
  // table holds (a task's sleep timer, a CPU's tick), which is replaced in place. Timer 0 (no
  // timer lives there) stops at the first empty slot and writes only what nothing reads, and
  // the first timer meets the one empty slot the table starts with: neither needs a check.
  RTLAT_ALWAYS_INLINE void set(std::uint64_t timer, std::int64_t softexpires,
                               std::int64_t expires = 0) {
    std::size_t i = home(timer);
    while (slots_[i].timer != timer) {
      if (slots_[i].timer == 0) {  // not held: it goes here, unless the table must grow first
        if (2 * (used_ + 1) > slots_.size()) {
          insert(timer, softexpires, expires);
          return;
        }
        ++used_;
        slots_[i].timer = timer;
        break;
      }
      i = (i + 1) & mask_;
    }
    slots_[i].softexpires = softexpires;
    slots_[i].expires = expires;
  }
  // Removes the timer and gives what it asked for; empty when it was not armed as far as known.
  // `slack`, when given, receives expires - softexpires (0 when expires was not recorded).
  RTLAT_ALWAYS_INLINE std::optional<std::int64_t> take(std::uint64_t timer,
                                                       std::int64_t* slack = nullptr) noexcept {
    if (timer == 0 || used_ == 0) return std::nullopt;
    std::size_t i = home(timer);
    while (slots_[i].timer != timer) {
      if (slots_[i].timer == 0) return std::nullopt;
      i = (i + 1) & mask_;
    }
    const std::int64_t soft = slots_[i].softexpires;
    if (slack != nullptr) *slack = slots_[i].expires > soft ? slots_[i].expires - soft : 0;
    // Backward shift: move up every entry of the run that would not be found past the hole.
    remove(i);
    return soft;
  }
  void clear() noexcept {
    for (Slot& s : slots_) s = {};
    used_ = 0;
  }
  std::size_t size() const noexcept { return used_; }

 private:
  struct Slot {
    std::uint64_t timer = 0;  // 0: empty (no timer lives at address 0)
    std::int64_t softexpires = 0;
    std::int64_t expires = 0;  // the latest it should fire (0: not recorded)
  };
  std::size_t home(std::uint64_t timer) const noexcept {
    // Timers are 8-byte aligned: drop the bits that never differ before mixing. The shift is
    // below 64 once the table has slots; the analyzer cannot tell, so it is masked.
    return static_cast<std::size_t>(((timer >> 3) * 0x9E3779B97F4A7C15ULL) >> (shift_ & 63U)) &
           mask_;
  }
  void remove(std::size_t i) noexcept {
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; slots_[j].timer != 0; j = (j + 1) & mask_) {
      const std::size_t h = home(slots_[j].timer);
      if (((j - h) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = {};
    --used_;
  }
  // A timer the table does not hold, when it must grow first (and in grow()).
  RTLAT_NOINLINE void insert(std::uint64_t timer, std::int64_t softexpires, std::int64_t expires) {
    if (2 * (used_ + 1) > slots_.size()) grow();
    std::size_t i = home(timer);
    while (slots_[i].timer != 0) i = (i + 1) & mask_;
    ++used_;
    slots_[i] = {timer, softexpires, expires};
  }
  RTLAT_NOINLINE void grow() {
    if (slots_.size() >= 2 * max_armed_timers) {
      clear();
      return;
    }
    std::vector<Slot> old = std::move(slots_);
    const std::size_t n = old.size() < 64 ? 64 : 2 * old.size();
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    shift_ = 64;
    for (std::size_t k = n; k > 1; k >>= 1) --shift_;
    used_ = 0;
    for (const Slot& s : old)
      if (s.timer != 0) insert(s.timer, s.softexpires, s.expires);
  }

  std::vector<Slot> slots_ = std::vector<Slot>(1);  // one empty slot until the first timer
  std::size_t used_ = 0;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;  // 64 - log2(slots); with one slot every timer's home is 0
};

// What caused a wakeup: the timer whose handler ran on the waker's CPU.
struct TimerCause {
  bool known = false;          // its request was seen (else: armed before the trace, or lost)
  std::int64_t irq_delay = 0;  // now - softexpires at the handler's entry
  std::int64_t slack = 0;      // expires - softexpires: the part of the delay the timer allowed
  Event entry{};               // its hrtimer_expire_entry
  std::uint64_t entry_seq = 0;
};

class TimerLatency {
 public:
  // Facts about the input (Analyzer::set_source()); unknown: decided by the events seen.
  std::optional<bool> clock_monotonic;
  void set_expiry_recorded(std::optional<bool> recorded) noexcept {
    expiry_recorded_ = recorded;
    expiry_in_use_ = recorded ? *recorded : expiry_seen_;
  }

  // Every timer event and wakeup asks: kept, not derived each time.
  bool expiry_in_use() const noexcept { return expiry_in_use_; }
  // The next hrtimer_expire_entry puts expiry events in use (the input's facts are unknown).
  bool expiry_starts_use() const noexcept { return !expiry_in_use_ && !expiry_recorded_; }
  // sched_waking identifies the wakeup when it is recorded; sched_wakeup otherwise.
  bool identifies(EventKind k) noexcept {
    if (k == EventKind::sched_waking) waking_seen_ = true;
    return k == EventKind::sched_waking || (k == EventKind::sched_wakeup && !waking_seen_);
  }
  bool waking_seen() const noexcept { return waking_seen_; }

  // hrtimer_start, the commonest timer event, inlined into the dispatch: a re-arm replaces the
  // request.
  RTLAT_ALWAYS_INLINE void start(const Event& e) {
    armed_.set(e.hrtimer.hrtimer, e.hrtimer.softexpires, e.hrtimer.expires);
  }
  // A timer-sleep marker: an hrtimer one arms its timer too (its task's entry keeps it while
  // expiry events are not in use).
  RTLAT_ALWAYS_INLINE void marker(const Event& e) {
    if (e.timer.source != TimerSleepSource::hrtimer) return;
    sleeps_seen_ = true;
    if (expiry_in_use()) armed_.set(e.timer.hrtimer, e.timer.softexpires);
  }
  // A sleep timer its task's entry kept, armed in the table when expiry events start.
  void arm(std::uint64_t timer, std::int64_t softexpires) { armed_.set(timer, softexpires); }
  // Some task may be asleep on its own timer (an hrtimer marker came).
  bool sleeps_seen() const noexcept { return sleeps_seen_; }
  // The other hrtimer events on their CPU: hrtimer_cancel, hrtimer_expire_entry and _exit.
  RTLAT_NOINLINE void event(const Event& e, std::uint64_t seq) {
    switch (e.kind) {
      case EventKind::hrtimer_cancel:
        armed_.take(e.hrtimer.hrtimer);
        break;
      case EventKind::hrtimer_expire_entry: {
        expiry_seen_ = true;
        if (!expiry_recorded_) expiry_in_use_ = true;
        Level& l = handlers_.push(e.cpu);
        l.timer = e.hrtimer.hrtimer;
        std::int64_t slack = 0;
        const std::optional<std::int64_t> soft = armed_.take(e.hrtimer.hrtimer, &slack);
        l.cause.known = soft.has_value();
        l.cause.slack = slack;
        l.cause.irq_delay = soft ? e.hrtimer.now - *soft : 0;
        l.cause.entry = e;
        l.cause.entry_seq = seq;
        break;
      }
      case EventKind::hrtimer_expire_exit: {
        exit_seen_ = true;
        handlers_.exit(e.cpu, [&](const Level& l) { return l.timer == e.hrtimer.hrtimer; });
        break;
      }
      default:
        break;
    }
  }
  // The CPU's task switched: no handler runs across a switch (exits not recorded). Every
  // switch comes here, and mostly no handler runs anywhere.
  RTLAT_ALWAYS_INLINE void switched(std::uint16_t cpu_nr) noexcept { handlers_.switched(cpu_nr); }
  // Lost events on `cpu_nr`: its expiries may have ended, and any timer may have been re-armed
  // or cancelled there unseen.
  void lost(std::uint16_t cpu_nr) noexcept {
    switched(cpu_nr);
    armed_.clear();
  }
  // The timer that caused `waking` (issued on its CPU), if any. Without exit events only the
  // first wakeup after the entry counts: an hrtimer wakes at most one task directly.
  // Inlined: every identifying wakeup asks, and mostly no handler runs anywhere.
  RTLAT_ALWAYS_INLINE const TimerCause* cause(const Event& waking) noexcept {
    const Level* l = handlers_.innermost(waking.cpu, !exit_seen_);
    return l != nullptr ? &l->cause : nullptr;
  }
  std::size_t armed() const noexcept { return armed_.size(); }
  // Some expiry handler runs on some CPU.
  bool handlers_busy() const noexcept { return handlers_.busy(); }

 private:
  struct Level {
    std::uint64_t timer = 0;
    TimerCause cause;
  };
  ArmedTimers armed_;
  std::optional<bool> expiry_recorded_;
  bool expiry_in_use_ = false;  // expiry_recorded_, or else expiry_seen_
  HandlerStacks<Level> handlers_;
  bool expiry_seen_ = false;
  bool sleeps_seen_ = false;
  bool exit_seen_ = false;
  bool waking_seen_ = false;
};

// The metric rules' hooks for the timer metric. R is MetricRules, which befriends this.
struct TimerRules {
  // Where a wakeup with no timer's cause meets its task's own sleep timer (no expiry events):
  // here (a task lookup of its own), or in the wakeup's own rules (MetricRules::on_wakeup, which
  // looks the task up anyway), for this same event or for the sched_wakeup that follows this
  // sched_waking (own_wake() then finds the waking in the history).
  enum class OwnSleep : std::uint8_t { here, on_wakeup };

  // A wakeup event of the kind that identifies the waker (TimerLatency::identifies()).
  template <class R>
  RTLAT_ALWAYS_INLINE static void wakeup(R& r, const Event& e, OwnSleep own) {
    if (e.wakeup.pid <= 0) return;
    if (const TimerCause* cause = r.timers_.cause(e)) {
      woken(r, e, cause);
      return;
    }
    wakeup_without_cause(r, e, own);
  }
  // The same for a wakeup no timer handler caused (MetricRules calls this alone while no
  // handler runs on any CPU). With expiry events a wakeup outside an expiry is not a timer's,
  // and own sleep timers are not consulted; before any hrtimer marker no task has one: most
  // wakeups end here, without a task lookup.
  template <class R>
  RTLAT_ALWAYS_INLINE static void wakeup_without_cause(R& r, const Event& e, OwnSleep own) {
    if (own != OwnSleep::here || e.wakeup.pid <= 0) return;
    if (r.timers_.expiry_in_use() || !r.timers_.sleeps_seen()) return;
    woken(r, e, nullptr);
  }
  // The rest of wakeup(): `e` may be a timer's (`cause`, or the woken task's own sleep timer).
  template <class R>
  RTLAT_NOINLINE static void woken(R& r, const Event& e, const TimerCause* cause) {
    const Pid pid = e.wakeup.pid;
    Task* t = r.find(pid);
    if (t != nullptr && (t->gone || t->comm != e.wakeup.comm)) t = nullptr;  // a new task
    if (cause == nullptr) {
      if (t != nullptr && t->sleep_timer != 0) own_sleep_woken(r, *t, e, r.cpus_.seq());
      return;
    }
    if (t != nullptr) t->sleep_timer = 0;
    if (!cause->known) {
      ++r.counts.unobserved_timer;
      ++r.counts.unobserved_timer_no_request;
      if (t != nullptr) ++t->timer_unobserved;
      return;
    }
    Task& task = r.lookup(pid, e.wakeup.comm, e.ts, false);
    task.timer_slack = cause->slack;  // before open(): a task found running completes there
    // On the timer's own clock the whole sample is in one clock, as cyclictest measures it: the
    // irq delay runs to the handler's traced entry, not to the `now` it read a little before.
    const Timestamp soft = cause->entry.hrtimer.now - cause->irq_delay;
    const bool one_clock = r.timers_.clock_monotonic == true && cause->entry.ts >= soft;
    const std::int64_t irq_delay = one_clock ? cause->entry.ts - soft : cause->irq_delay;
    open(r, task, e, r.cpus_.seq(), cause->entry, cause->entry_seq, cause->entry.ts - irq_delay,
         irq_delay);
  }
  // The wakeup `e` of t, which keeps its own sleep timer, in the wakeup's own rules (OwnSleep):
  // the waking that identifies it is `e`, or the sched_waking deferred for it. Inlined as far
  // as a clock not the timer's, where the wakeup is only counted: most traces.
  template <class R>
  RTLAT_ALWAYS_INLINE static void own_wake(R& r, Task& t, const Event& e) {
    if (e.kind == EventKind::sched_wakeup_new) return;
    if (r.timers_.clock_monotonic != true) {
      unobserved_clock(r, t);
      return;
    }
    own_wake_on_clock(r, t, e);
  }
  template <class R>
  RTLAT_NOINLINE static void own_wake_on_clock(R& r, Task& t, const Event& e) {
    const Event* waking = &e;
    std::uint64_t seq = r.cpus_.seq();
    if (e.kind == EventKind::sched_wakeup && r.timers_.waking_seen()) {
      // Not found (its CPU took many events since): the sched_wakeup stands in for it.
      if (const Event* w = find_waking(r.cpus_.history(), t.pid, e.cpu, t.sleep_seq, seq))
        waking = w;
    }
    own_sleep_woken(r, t, *waking, seq);
  }
  // The sched_waking of pid taken after event `since`, among the newest events of each CPU
  // (`first`, the sched_wakeup's, before the others: it is the waker's unless the wakeup was
  // queued to the target); `seq` receives its sequence number. A sched_wakeup follows its
  // waking within a few events of the waker's CPU, so each CPU is searched only so far back.
  static const Event* find_waking(const std::vector<CpuHistory>& history, Pid pid, int first,
                                  std::uint64_t since, std::uint64_t& seq) noexcept {
    constexpr std::uint64_t reach = 64;
    const auto in = [&](const CpuHistory& h) -> const Event* {
      const std::uint64_t stop = std::max(h.oldest(), h.head() > reach ? h.head() - reach : 0);
      for (std::uint64_t pos = h.head(); pos > stop;) {
        --pos;
        if (h.seq(pos) <= since) break;
        const Event& x = h.event(pos);
        if (x.kind == EventKind::sched_waking && x.wakeup.pid == pid) {
          seq = h.seq(pos);
          return &x;
        }
      }
      return nullptr;
    };
    const auto f = static_cast<std::size_t>(first);
    if (f < history.size())
      if (const Event* w = in(history[f])) return w;
    for (std::size_t c = 0; c < history.size(); ++c)
      if (c != f)
        if (const Event* w = in(history[c])) return w;
    return nullptr;
  }

  // A timer-sleep marker (its timer is armed by TimerLatency::marker()) that is its task's own
  // sleep timer: the caller, which looks the task up anyway, keeps it in the task's entry. Own
  // sleep timers are needed only without expiries.
  static bool own_sleep(const TimerLatency& timers, const Event& e) noexcept {
    return e.timer.source == TimerSleepSource::hrtimer && !timers.expiry_in_use();
  }

  // t, woken by a timer, is switched in by `e` (or was found running at the wakeup `e`).
  template <class R>
  RTLAT_ALWAYS_INLINE static void end(R& r, Task& t, const Event& e) {
    if (t.timer.active) r.complete(t, Metric::timer, t.timer, e, e.ts - t.timer.start_ns, false);
  }

  // The split of t's sample that just completed at `end_ts`.
  static TimerSplit split(const Task& t, Timestamp end_ts) noexcept {
    TimerSplit s;
    s.to_wakeup_ns = t.timer_wake_ts - t.timer.start_ns;
    if (t.timer_irq_delay >= 0) {
      s.irq_delay_ns = t.timer_irq_delay;
      s.wakeup_ns = t.timer_wake_ts - t.start_of(t.timer).ts;
    }
    s.scheduling_ns = end_ts - t.timer_wake_ts;
    return s;
  }

 private:
  // t, which kept its own sleep timer, woken by `waking` (taken as event seq): a timer sample
  // when the trace clock is the timer's and the wakeup came at or after the time asked for.
  template <class R>
  static void own_sleep_woken(R& r, Task& t, const Event& waking, std::uint64_t seq) {
    const std::int64_t soft = t.sleep_softexpires;
    if (r.timers_.clock_monotonic != true) {
      unobserved_clock(r, t);
      return;
    }
    t.sleep_timer = 0;
    if (waking.ts < soft) return;  // woken before its time: not by the timer
    t.timer_slack = 0;             // a sleep marker carries no expires
    open(r, t, waking, seq, waking, seq, soft, -1);
  }

  // t's own sleep timer woke it on a trace clock not the timer's: no sample can be taken.
  template <class R>
  RTLAT_ALWAYS_INLINE static void unobserved_clock(R& r, Task& t) noexcept {
    t.sleep_timer = 0;
    ++r.counts.unobserved_timer;
    ++r.counts.unobserved_timer_clock;
    ++t.timer_unobserved;
  }

  // Opens t's timer sample at the requested time `requested` (trace clock) for its wakeup
  // `wake`, taken as event wake_seq (earlier than the newest for a deferred waking); `start` is
  // the event the window starts with (the handler's entry, or the wakeup without expiry events).
  template <class R>
  static void open(R& r, Task& t, const Event& wake, std::uint64_t wake_seq, const Event& start,
                   std::uint64_t start_seq, Timestamp requested, std::int64_t irq_delay) {
    if (t.state == TaskState::dead) return;
    r.drop(t, t.timer, r.counts.unobserved_timer, true);  // a wakeup whose switch-in was missed
    const int target = R::valid_cpu(wake.wakeup.target_cpu, wake.cpu);
    const int home = t.state == TaskState::running ? wake.cpu : target;
    r.open(t, t.timer, start, home);
    const auto& history = r.cpus_.history();
    if (wake_seq != r.cpus_.seq() && home >= 0 && static_cast<std::size_t>(home) < history.size()) {
      // The window counts the home CPU's scheduler events from the wakeup on, as when the
      // waking itself opens the sample.
      t.timer.home_window = window_kinds_through(history[static_cast<std::size_t>(home)], wake_seq);
    }
    t.timer.start_ns = requested;
    t.timer.start_seq = start_seq;
    t.timer.cpus |= cpu_bit(start.cpu) | cpu_bit(wake.cpu);
    t.timer_irq_delay = irq_delay;
    t.timer_wake_ts = wake.ts;
    if (t.state == TaskState::running) end(r, t, wake);  // found running: nothing to wait for
  }
  // Window-kind events the CPU took up to event seq (its count now when its history no longer
  // reaches back there).
  static std::uint64_t window_kinds_through(const CpuHistory& h, std::uint64_t seq) noexcept {
    const std::uint64_t pos = h.lower_bound(seq + 1);
    return pos > h.oldest() ? h.window_through(pos - 1) : h.window_total();
  }
};

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
