// Every sample value of the selected tasks, kept when analyze(..., keep_samples=True) asks: the
// engine keeps only histograms, so Results.samples() needs a Config::on_sample sink of its own.
// Without keep_samples no callback is installed and the engine does no extra work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "rtlat/config.hpp"
#include "rtlat/results.hpp"

namespace rtlat_py {

class SampleStore {
 public:
  // Effects: appends the sample's value to its (pid, metric) series. Called on the thread that
  // feeds the engine, once per sample. Complexity: amortised O(1); the last series is cached,
  // since a task's samples come in runs.
  void add(const rtlat::Sample& s) {
    const std::uint64_t k = key(s.pid, s.metric);
    if (last_ == nullptr || k != last_key_) {
      last_ = &series_[k];
      last_key_ = k;
    }
    last_->push_back(s.value_ns);
  }

  // The values of `pid` and `metric` in completion order (every task that had the pid, when a
  // pid was reused), or nullptr when there were none.
  const std::vector<std::int64_t>* find(rtlat::Pid pid, rtlat::Metric m) const {
    const auto it = series_.find(key(pid, m));
    return it == series_.end() ? nullptr : &it->second;
  }

  // Effects: gives back the spare capacity of the vectors' geometric growth, so a finished store
  // holds 8 bytes a sample (the map nodes aside). Called once the read is complete.
  void shrink() {
    for (auto& [k, v] : series_) v.shrink_to_fit();
  }

  // Values held.
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& [k, v] : series_) n += v.size();
    return n;
  }

  // A Config::on_sample that appends to this store (which must outlive the engine's reads).
  rtlat::SampleCallback callback() {
    return [this](const rtlat::Sample& s) { add(s); };
  }

 private:
  static std::uint64_t key(rtlat::Pid pid, rtlat::Metric m) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(pid)) << 8) |
           static_cast<std::uint8_t>(m);
  }

  std::unordered_map<std::uint64_t, std::vector<std::int64_t>> series_;  // nodes: stable addresses
  std::uint64_t last_key_ = 0;
  std::vector<std::int64_t>* last_ = nullptr;
};

}  // namespace rtlat_py
