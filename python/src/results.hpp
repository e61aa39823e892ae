// What analyze() and live() hand to Python: the engine's Results, with the samples kept for them
// (keep_samples), the source's notes and, for live, the interval it covers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rtlat/results.hpp"
#include "samples.hpp"

namespace rtlat_py {

// A live interval (rtlat::LiveProgress, without the live headers).
struct Interval {
  std::int64_t start_ns = 0;  // trace clock: events after this ...
  std::int64_t end_ns = 0;    // ... up to this were read in the interval
  double elapsed_s = 0;       // wall clock since the session started
  std::uint64_t events = 0;   // read so far
  std::uint64_t lost = 0;     // lost by the kernel so far
};

struct PyResults {
  rtlat::Results results;
  std::shared_ptr<const SampleStore> samples;  // null: not kept (keep_samples=False, intervals)
  bool keep_samples = false;                   // asked for (intervals of such a session too)
  std::vector<std::string> notes;              // trace.dat fallbacks, as the CLI prints them
  bool final = true;                           // false: a live interval's snapshot
  std::optional<Interval> interval;            // live only
};

}  // namespace rtlat_py
