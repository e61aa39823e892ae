/// @file
/// The JSON report: the stable, documented contract (see the README's "JSON schema").
///
///     {"trace": {"source": str, "events": int, "cpus": int, "start_ns": int, "end_ns": int,
///                "lost_events": int, "implicit_switches": int, "unobserved_latency": int,
///                "unobserved_response": int, "unobserved_relief": int, "unobserved_irq": int,
///                "lost_event_markers": int, "skipped": int, "out_of_order": int,
///                "unobserved_timer": int, "unobserved_timer_no_request": int,
///                "unobserved_timer_clock": int, "unobserved_irq_latency": int,
///                "waking_fallback"?: true},
///      "tasks": [{"pid": int, "tgid": int|null, "comm": str,
///        "metrics": {"latency"|"response"|"relief"|"irq"|"timer"|"irq_latency": {
///           "count": int, "min_ns": int|null, "max_ns": int|null, "mean_ns": num|null,
///           "p50_ns", "p90_ns", "p99_ns", "p999_ns": int|null, "derived": bool,
///           "slo_ns": int|null, "violations": int, "unobserved"?: int (timer and
///           irq_latency only),
///           "verdicts"?: [{"kind": str, "count": int, "culprit": task|null}],
///           "worst": null | {"start_ns": int, "end_ns": int, "cpu": int, "elided": int,
///                            "events": [{"ts_ns": int, "cpu": int, "pid": int, "event": str,
///                                        "fields": {...}}],
///                            "breakdown"?: [{"state": str, "ns": int, "cpu": int,
///                                            "task": task|null, "waker"?: {...},
///                                            "interrupt"?: {"softirq": bool, "number": int,
///                                                           "name": str, "after": bool},
///                                            "idle_state"?: int, "irqs"?: "off"|"on"|"unknown",
///                                            "irqs_off_caller"?: str,
///                                            "uninterruptible"?: true}],
///                            "breakdown_covered_ns"?: int, "history_too_short"?: bool,
///                            "verdict"?: {"kind": str, "text": str, "share": num,
///                                         "culprit": task|null},
///                            "split"?: {"irq_delay_ns": int|null, "wakeup_ns": int|null,
///                                       "to_wakeup_ns": int, "scheduling_ns": int} (timer)
///                                     | {"handler_ns": int, "scheduling_ns": int}
///                                       (irq_latency)}}}}],
///      "folded"?: [{"comm": str, "tasks": int, "first_seen_ns": int, "last_seen_ns": int,
///                   "metrics": {...as a task's...}}]}
///     task = {"pid": int, "comm": str, "prio": int, "class": "DL"|"RT"|"fair"}
///
/// Keys marked `?` are present only when there is something to say: `waking_fallback` when
/// sched_waking stood in for the sched_wakeup the trace lacks (TraceStats), `verdicts` with
/// Config::Explain::all and at least one violation, `breakdown` (with `breakdown_covered_ns`,
/// what the kept history explained, and `history_too_short`) and `verdict` when the worst sample
/// was explained, `waker` on a blocked part, `folded` (Results::folded) when a
/// Config::max_finished_tasks bound folded finished tasks into per-comm groups. The six trace keys
/// after "unobserved_latency" are additive to the schema. All five metric keys are always
/// present; `split` only in the timer metric's worst window. An event's "pid" is its common_pid;
/// "fields" depend on the event (see event_fields.hpp). Strings are valid UTF-8: invalid bytes (a
/// comm truncated inside a multi-byte character) become U+FFFD, control characters are escaped.
#pragma once

#include <iosfwd>
#include <string_view>

#include "rtlat/detail/linkage.hpp"
#include "rtlat/results.hpp"

namespace rtlat {
inline namespace v1 {

/// Effects: writes the whole report of `r` to `os` (schema above), tasks in the order of
/// `r.tasks`, then the folded groups in the order of `r.folded`, ending with a newline. One task
/// per block of lines so the output diffs well; the exact whitespace is not part of the contract.
/// The stream's state is not checked: test `os` afterwards. Complexity: O(tasks + events in their
/// worst windows + breakdown parts). Throws: std::bad_alloc; whatever `os` throws when its
/// exceptions are enabled. Thread safety: only reads `r`; concurrent calls on different streams are
/// safe.
RTLAT_LINKED void write_json(std::ostream& os, const Results& r);

/// Effects: writes the same report as write_json() as one line of JSON Lines, without spaces
/// between tokens, ending with a newline. `leading`, when not empty, is written first inside the
/// object: members as JSON text without braces or a trailing comma (`"final":true`), for a stream
/// of reports that says what each one is. Complexity, throws and thread safety: as write_json().
RTLAT_LINKED void write_json_line(std::ostream& os, const Results& r, std::string_view leading);

/// Effects: write_json_line() with no leading members.
inline void write_json_line(std::ostream& os, const Results& r) {
  write_json_line(os, r, std::string_view{});
}

}  // namespace v1
}  // namespace rtlat

#if RTLAT_DEFINE_LINKED
#include <ostream>

#include "rtlat/detail/report/json_parts.hpp"

namespace rtlat {
inline namespace v1 {

RTLAT_LINKED void write_json(std::ostream& os, const Results& r) {
  detail::JsonOut out{os};
  out << "{";
  detail::json_report_members(out, r);
  out << "}\n";
}

RTLAT_LINKED void write_json_line(std::ostream& os, const Results& r, std::string_view leading) {
  detail::JsonOut out{os, true};
  os << '{' << leading;
  if (!leading.empty()) os << ',';
  detail::json_report_members(out, r);
  os << "}\n";
}

}  // namespace v1
}  // namespace rtlat
#endif
