// A progress line on a terminal while a large trace is analysed: bytes read, events/s, ETA.
// Bytes come from the kernel's count of what this process read (/proc/self/io rchar), which
// covers every source without a hook in the readers; events from a tap the engine's feed
// passes. The line appears only after the work has taken a while, and is erased at the end.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "rtlat/event.hpp"

namespace rtlat_cli {

class Progress {
 public:
  // `total_bytes`: the input's size; `after`: how long the work must last before a line shows.
  Progress(std::uint64_t total_bytes, std::chrono::milliseconds after)
      : total_(total_bytes), after_(after), start_bytes_(read_bytes()) {
    thread_ = std::thread([this] { run(); });
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { stop(); }

  // The tap: counts events, publishing the count every few thousand to stay off the hot path.
  void feed(const rtlat::Event&) {
    if ((++local_ & 4095) == 0) events_.store(local_, std::memory_order_relaxed);
  }

  // Ends the line (erased if it was drawn); idempotent.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      if (done_) return;
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (drawn_) std::fputs("\r\033[K", stderr);
  }

  // Whether a progress line belongs on this run: stderr is a terminal, the report does not go
  // to stdout by `-o -`, and the format is not JSON (whose users parse what they capture).
  static bool wanted(bool json, bool output_dash) {
    return ::isatty(2) == 1 && !json && !output_dash;
  }

 private:
  static std::uint64_t read_bytes() {
    std::ifstream io("/proc/self/io");
    std::string key;
    std::uint64_t v = 0;
    while (io >> key >> v)
      if (key == "rchar:") return v;
    return 0;
  }

  void run() {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    std::unique_lock<std::mutex> lock(m_);
    const auto tick = std::chrono::milliseconds(after_.count() == 0 ? 5 : 250);
    while (!cv_.wait_for(lock, tick, [this] { return done_; })) {
      const auto elapsed = clock::now() - t0;
      if (elapsed < after_) continue;
      const double s = std::chrono::duration<double>(elapsed).count();
      const std::uint64_t bytes = read_bytes() - start_bytes_;
      const std::uint64_t events = events_.load(std::memory_order_relaxed);
      char line[160];
      const double mb = static_cast<double>(bytes) / 1e6,
                   total_mb = static_cast<double>(total_) / 1e6;
      const double rate = static_cast<double>(bytes) / s;
      const double eta =
          rate > 0 && total_ > bytes ? static_cast<double>(total_ - bytes) / rate : 0;
      std::snprintf(line, sizeof line, "\rrtlat: %.1f of %.1f MB read, %.1f M events/s, ETA %.0f s",
                    mb, total_mb, static_cast<double>(events) / s / 1e6, eta);
      std::fputs(line, stderr);
      std::fputs("\033[K", stderr);
      std::fflush(stderr);
      drawn_ = true;
    }
  }

  std::uint64_t total_;
  std::chrono::milliseconds after_;
  std::uint64_t start_bytes_;
  std::uint64_t local_ = 0;
  std::atomic<std::uint64_t> events_{0};
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

}  // namespace rtlat_cli
