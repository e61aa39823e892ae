// The engine: per-task state machines over a stream of rtlat::Event.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "rtlat/config.hpp"
#include "rtlat/event.hpp"
#include "rtlat/results.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {

// One completed measurement, handed to callbacks while the trace streams.
struct Sample {
  Pid pid;
  Pid tgid;  // -1 when unknown
  Comm comm;
  Metric metric;
  bool derived;  // irq derived from scheduler events
  Timestamp start_ns;
  Timestamp end_ns;
  std::int64_t value_ns;
  int cpu;                            // CPU of the end event
  std::optional<std::int64_t> slo_ns;  // the bound that applies to this task and metric
  bool violation;                     // value_ns > *slo_ns
};

class Analyzer {
 public:
  using SampleCallback = std::function<void(const Sample&)>;

  explicit Analyzer(Config config = {});

  // Called for every completed sample / every sample over its SLO bound, in stream order.
  void on_sample(SampleCallback cb);
  void on_violation(SampleCallback cb);

  void set_source(std::string name);
  void set_cpus(int cpus);
  void add_skipped(std::uint64_t n);

  // Sink interface (see sink.hpp). feed() throws InputError when time goes backwards on a CPU.
  void feed(const Event& e);
  void task_info(const TaskInfo& info);

  // A snapshot of everything measured so far; the engine keeps running.
  Results results() const;
  const TraceStats& stats() const;
};

}  // namespace v1
}  // namespace rtlat
