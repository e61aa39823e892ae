/// @file
/// Reading a source on a second thread while the sink consumes on the calling thread.
///
/// Parsing text and analysing it each take a large share of a report; on two cores they
/// overlap. The source runs whole on one producer thread and hands events over in batches
/// through a small ring, so the hand-off costs one lock per batch, and the sink (the engine)
/// sees exactly the sequence, task_info calls included, that a direct read() would give.
/// (TraceDatSource needs none of this: its read() decodes on worker threads and feeds the sink
/// without a copy.)
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"

namespace rtlat {
inline namespace v1 {

namespace detail {

struct PipelineBatch {
  std::vector<Event> events;
  std::vector<std::pair<std::size_t, TaskInfo>> infos;  // task_info before events[first]
};

// Thrown inside the producer to unwind source.read() when the consumer gave up.
struct PipelineAborted {};

class PipelineRing {
 public:
  PipelineRing(std::size_t slots, std::size_t batch_events) : slots_(slots) {
    for (auto& b : slots_) b.events.reserve(batch_events);
  }

  // Producer side.
  PipelineBatch& filling() { return slots_[produced_ % slots_.size()]; }
  void publish() {  // throws PipelineAborted when the consumer stopped
    std::unique_lock<std::mutex> lock(mu_);
    ++produced_;
    ready_.notify_one();
    space_.wait(lock, [&] { return aborted_ || produced_ - consumed_ < slots_.size(); });
    if (aborted_) throw PipelineAborted{};
    PipelineBatch& next = slots_[produced_ % slots_.size()];
    next.events.clear();
    next.infos.clear();
  }
  void finish(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::move(error);
    done_ = true;
    ready_.notify_one();
  }

  // Consumer side: the next full batch, or nullptr at the end.
  PipelineBatch* next() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return consumed_ < produced_ || done_; });
    if (consumed_ == produced_) return nullptr;
    return &slots_[consumed_ % slots_.size()];
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    ++consumed_;
    space_.notify_one();
  }
  void abort() {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
    space_.notify_one();
  }
  std::exception_ptr error() const { return error_; }

 private:
  std::vector<PipelineBatch> slots_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::size_t produced_ = 0, consumed_ = 0;  // batches
  bool done_ = false, aborted_ = false;
  std::exception_ptr error_;
};

class PipelineProducer {
 public:
  PipelineProducer(PipelineRing& ring, std::size_t batch_events)
      : ring_(ring), batch_events_(batch_events) {}
  void feed(const Event& e) {
    PipelineBatch& b = ring_.filling();
    b.events.push_back(e);
    if (b.events.size() == batch_events_) ring_.publish();
  }
  void task_info(const TaskInfo& info) {
    PipelineBatch& b = ring_.filling();
    b.infos.emplace_back(b.events.size(), info);
  }
  void flush() {
    const PipelineBatch& b = ring_.filling();
    if (!b.events.empty() || !b.infos.empty()) ring_.publish();
  }

 private:
  PipelineRing& ring_;
  std::size_t batch_events_;
};

}  // namespace detail

/// Effects: runs `source.read()` on a new thread and delivers its events and task_info calls
/// to `sink` on the calling thread, in order; returns when both are done. Exceptions from
/// either side reach the caller: the source's after the sink has consumed everything before
/// it, the sink's after the source was stopped. `batch_events` below 1 is taken as 1, `slots`
/// below 2 as 2. Memory: `slots` batches of `batch_events` events (by default 4 x 8192 x 64
/// bytes = 2 MiB). Throws: what the source or the sink throws; std::system_error when the
/// thread cannot be started. Thread safety: `source` is used only by the new thread and `sink`
/// only by the calling one while this runs; neither may be used elsewhere meanwhile.
template <class Source, class Sink>
void read_pipelined(Source& source, Sink& sink, std::size_t batch_events = 8192,
                    std::size_t slots = 4) {
  if (batch_events == 0) batch_events = 1;
  if (slots < 2) slots = 2;
  detail::PipelineRing ring(slots, batch_events);
  std::thread producer([&] {
    detail::PipelineProducer p(ring, batch_events);
    std::exception_ptr error;
    try {
      source.read(p);
    } catch (const detail::PipelineAborted&) {
      ring.finish(nullptr);
      return;
    } catch (...) {
      error = std::current_exception();
    }
    try {
      p.flush();  // what the source delivered before an error reaches the sink first
    } catch (const detail::PipelineAborted&) {
    }
    ring.finish(error);
  });
  try {
    while (detail::PipelineBatch* b = ring.next()) {
      std::size_t i = 0;
      for (std::size_t k = 0; k < b->events.size(); ++k) {
        while (i < b->infos.size() && b->infos[i].first == k)
          sink_task_info(sink, b->infos[i++].second);
        sink_feed(sink, b->events[k]);
      }
      for (; i < b->infos.size(); ++i) sink_task_info(sink, b->infos[i].second);
      ring.release();
    }
  } catch (...) {
    ring.abort();
    producer.join();
    throw;
  }
  producer.join();
  if (ring.error()) std::rethrow_exception(ring.error());
}

}  // namespace v1
}  // namespace rtlat
