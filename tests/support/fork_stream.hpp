// A synthetic fork-heavy stream for the bounded-memory soak test and benchmark: short-lived
// tasks fork, run, sleep, run again and exit, one after another, with pids reused throughout.
// It records what it made (per comm counts, min, max, violations) as the truth results are
// checked against.
#pragma once

#include <rtlat/rtlat.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace rtlat::soak {

constexpr int cpus = 4;
constexpr int comms = 64;
constexpr Pid first_pid = 1000;
constexpr Pid pid_span = 30000;  // pids wrap: every pid is reused many times
constexpr std::int64_t slo_latency_ns = 15000;

// What the stream made, per comm: the truth the engine's results are checked against.
struct Truth {
  std::uint64_t count = 0;
  std::int64_t min = INT64_MAX, max = INT64_MIN;
  std::uint64_t violations = 0;
  void add(std::int64_t v, std::optional<std::int64_t> bound) {
    ++count;
    min = std::min(min, v);
    max = std::max(max, v);
    if (bound && v > *bound) ++violations;
  }
};
inline const std::string& comm_name(std::size_t k) {
  static const std::array<std::string, comms> names = [] {
    std::array<std::string, comms> n;
    for (std::size_t i = 0; i < n.size(); ++i) n[i] = "job" + std::to_string(i);
    return n;
  }();
  return names[k];
}

struct StreamTruth {
  std::array<std::array<Truth, 2>, comms> by_comm;  // [comm][0] latency, [1] response
  std::array<Truth, 2> all;
  void add(std::size_t comm, int m, std::int64_t v, std::optional<std::int64_t> bound) {
    by_comm[comm][static_cast<std::size_t>(m)].add(v, bound);
    all[static_cast<std::size_t>(m)].add(v, bound);
  }
  // The comms that had tasks, by name.
  std::map<std::string, std::array<Truth, 2>> per_comm() const {
    std::map<std::string, std::array<Truth, 2>> out;
    for (std::size_t k = 0; k < by_comm.size(); ++k)
      if (by_comm[k][0].count != 0) out[comm_name(k)] = by_comm[k];
    return out;
  }
};

// Short-lived tasks, one after another, each on CPU i % cpus under that CPU's spawner: fork,
// wakeup_new, switch in (latency), run, sleep (response), wakeup, switch in (latency), run,
// exit, final switch-out. Ten events per task.
class ForkStream {
 public:
  explicit ForkStream(std::uint64_t tasks, std::uint64_t worst_task)
      : tasks_(tasks), worst_(worst_task) {}

  template <class Feed, class EveryEvent>
  void run(Feed&& feed, EveryEvent&& every, StreamTruth& truth) {
    for (int c = 0; c < cpus; ++c) {
      feed(Event::make_switch(ts_, static_cast<std::uint16_t>(c), 0, 0, "swapper", 120,
                              PrevState::preempted, 0x100, spawner(c), "spawner", 120));
      ts_ += 10;
    }
    for (std::uint64_t i = 0; i < tasks_; ++i) task(i, feed, every, truth);
  }
  Timestamp now() const { return ts_; }

 private:
  static Pid spawner(int c) { return 10 + c; }

  template <class Feed, class EveryEvent>
  void task(std::uint64_t i, Feed& feed, EveryEvent& every, StreamTruth& truth) {
    const auto c = static_cast<std::uint16_t>(i % cpus);
    const Pid s = spawner(c);
    const Pid p = first_pid + static_cast<Pid>(i % pid_span);
    const std::size_t k = i % comms;
    const std::string& comm = comm_name(k);
    const std::int64_t lat1 = 1000 + static_cast<std::int64_t>((i * 7919) % 20000);
    std::int64_t lat2 = 500 + static_cast<std::int64_t>((i * 104729) % 18000);
    if (i == worst_) lat2 = 3'000'000;  // the one true worst latency
    const std::int64_t run1 = 2000 + static_cast<std::int64_t>(i % 777);
    auto at = [&](std::int64_t d) { return ts_ += d; };
    auto emit = [&](const Event& e) {
      feed(e);
      every();
    };
    emit(Event::make_fork(at(100), c, s, s, p, comm));
    const Timestamp woken = at(50);
    emit(Event::make_wakeup(EventKind::sched_wakeup_new, woken, c, s, p, comm, 120, c));
    emit(Event::make_switch(at(lat1), c, s, s, "spawner", 120, PrevState::preempted, 0x100, p, comm,
                            120));
    truth.add(k, 0, lat1, slo_latency_ns);
    emit(Event::make_other(at(run1), c, p, "sys_exit"));
    emit(
        Event::make_switch(at(100), c, p, p, comm, 120, PrevState::sleeping, 1, s, "spawner", 120));
    truth.add(k, 1, ts_ - woken, std::nullopt);
    emit(Event::make_wakeup(EventKind::sched_wakeup, at(1000), c, s, p, comm, 120, c));
    emit(Event::make_switch(at(lat2), c, s, s, "spawner", 120, PrevState::preempted, 0x100, p, comm,
                            120));
    truth.add(k, 0, lat2, slo_latency_ns);
    emit(Event::make_other(at(300), c, p, "sys_exit"));
    emit(Event::make_exit(at(50), c, p, p, comm, 120));
    emit(Event::make_switch(at(20), c, p, p, comm, 120, PrevState::dead, 0x80, s, "spawner", 120));
  }

  std::uint64_t tasks_, worst_;
  Timestamp ts_ = 1'000'000;
};

}  // namespace rtlat::soak
