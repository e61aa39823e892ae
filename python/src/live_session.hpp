// rtlat.live(): a LiveSource read on a thread of its own, with the GIL released, handing a
// Results snapshot each interval and the final one to Python through a queue. Python polls the
// queue with a short timeout, so Ctrl-C reaches the interpreter between polls; close() (from
// the iterator's exception path, a with block's exit, the object's destruction or atexit) stops
// the source, joins the thread and destroys the source, which removes the tracefs instance.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "results.hpp"
#include "rtlat/analyzer.hpp"
#include "rtlat/report/ranking.hpp"
#include "rtlat/source/live.hpp"
#include "samples.hpp"

namespace rtlat_py {

class LiveSession {
 public:
  // Effects: creates the tracefs instance and starts reading. Throws: rtlat::LiveError (no
  // root, no tracefs, a tracefs write refused). Call without the GIL: it writes tracefs files.
  LiveSession(rtlat::Config config, rtlat::LiveOptions opts, bool keep_samples,
              std::optional<std::size_t> top)
      : keep_samples_(keep_samples), top_(top) {
    if (keep_samples) {
      store_ = std::make_shared<SampleStore>();
      config.on_sample = store_->callback();
    }
    engine_ = std::make_unique<rtlat::Analyzer>(std::move(config));
    opts.on_interval = [this](const rtlat::LiveProgress& p) { push_interval(p); };
    source_ = std::make_unique<rtlat::LiveSource>(std::move(opts));
    reader_ = std::thread([this] { run(); });
  }
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;
  ~LiveSession() { close(); }

  // The next Results, waiting at most `timeout`; nullopt when none came meanwhile. Throws:
  // what the reader threw (once, after the intervals before it), or Finished after the final
  // Results. Call without the GIL.
  struct Finished {};
  std::optional<PyResults> next(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, timeout, [&] { return !queue_.empty() || done_; });
    if (!queue_.empty()) {
      PyResults r = std::move(queue_.front());
      queue_.pop_front();
      return r;
    }
    if (!done_) return std::nullopt;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    throw Finished{};
  }

  // Effects: asks the reader to drain the buffers and finish; the final Results follows.
  void stop() noexcept {
    const std::lock_guard lk(close_mu_);
    if (source_) source_->stop();
  }

  // Effects: stops and joins the reader and removes the tracefs instance. Idempotent. Call
  // without the GIL.
  void close() noexcept {
    const std::lock_guard lk(close_mu_);
    if (source_) source_->stop();
    if (reader_.joinable()) reader_.join();
    source_.reset();
  }

  // The tracefs instance, "rtlat-PID".
  std::string instance_name() const { return source_ ? source_->instance_name() : std::string(); }

 private:
  void run() {
    try {
      engine_->set_source(source_->info());
      source_->read(*engine_);
      engine_->set_source(source_->info());
      PyResults r;
      r.results = engine_->results();
      if (top_) rtlat::keep_top(r.results, *top_);
      if (store_) {
        store_->shrink();
        r.samples = store_;
      }
      r.keep_samples = keep_samples_;
      const std::lock_guard lk(mu_);
      queue_.push_back(std::move(r));
      done_ = true;
    } catch (...) {
      const std::lock_guard lk(mu_);
      error_ = std::current_exception();
      done_ = true;
    }
    cv_.notify_all();
  }

  // On the reader thread, between events: the engine may be read.
  void push_interval(const rtlat::LiveProgress& p) {
    PyResults r;
    r.results = engine_->results();
    if (top_) rtlat::keep_top(r.results, *top_);
    r.keep_samples = keep_samples_;
    r.final = false;
    r.interval = Interval{p.interval_start_ns, p.interval_end_ns, p.elapsed_s, p.events, p.lost};
    {
      const std::lock_guard lk(mu_);
      queue_.push_back(std::move(r));
    }
    cv_.notify_all();
  }

  bool keep_samples_;
  std::optional<std::size_t> top_;
  std::shared_ptr<SampleStore> store_;  // written by the reader only; handed over at the end
  std::unique_ptr<rtlat::Analyzer> engine_;
  std::unique_ptr<rtlat::LiveSource> source_;
  std::thread reader_;
  std::mutex close_mu_;  // stop() and close() from any Python thread
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PyResults> queue_;
  bool done_ = false;
  std::exception_ptr error_;
};

}  // namespace rtlat_py
