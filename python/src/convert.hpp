// The parts of Results that are nested records (worst-window events, breakdowns, verdicts) as
// Python dicts and lists with the keys and values of the JSON report (rtlat/report/json.hpp), so
// that r.tasks[0]["latency"].worst.verdict reads like the JSON a script already parses.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <string_view>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/report/event_fields.hpp"
#include "rtlat/results.hpp"

namespace rtlat_py {

namespace py = pybind11;

// Comms are bytes from the kernel and may end inside a multi-byte character: invalid bytes
// become U+FFFD, as in the JSON report.
inline py::str to_str(std::string_view s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

inline py::object task_ref(const std::optional<rtlat::TaskRef>& t) {
  if (!t) return py::none();
  py::dict d;
  d["pid"] = t->pid;
  d["comm"] = to_str(t->comm.view());
  d["prio"] = t->prio;
  d["class"] = to_str(rtlat::task_class_name(t->cls()));
  return d;
}

inline py::dict event(const rtlat::Event& e) {
  py::dict d;
  d["ts_ns"] = e.ts;
  d["cpu"] = static_cast<int>(e.cpu);
  d["pid"] = e.common_pid;
  d["event"] = to_str(rtlat::event_display_name(e));
  py::dict fields;
  for (const rtlat::EventField& f : rtlat::event_fields(e)) {
    const py::str name = to_str(f.name);
    switch (f.type) {
      case rtlat::EventField::Type::integer:
        fields[name] = f.integer;
        break;
      case rtlat::EventField::Type::string:
        fields[name] = to_str(f.str());
        break;
      case rtlat::EventField::Type::null:
        fields[name] = py::none();
        break;
    }
  }
  d["fields"] = fields;
  return d;
}

// The worst sample's parts, as the JSON report's "split": timer or irq_latency, else None.
inline py::object split(const rtlat::WorstWindow& w) {
  py::dict d;
  if (w.timer_split) {
    d["irq_delay_ns"] = w.timer_split->irq_delay_ns;
    d["wakeup_ns"] = w.timer_split->wakeup_ns;
    d["to_wakeup_ns"] = w.timer_split->to_wakeup_ns;
    d["scheduling_ns"] = w.timer_split->scheduling_ns;
    return d;
  }
  if (w.irq_split) {
    d["handler_ns"] = w.irq_split->handler_ns;
    d["scheduling_ns"] = w.irq_split->scheduling_ns;
    return d;
  }
  return py::none();
}

inline py::list breakdown(const rtlat::Breakdown& b) {
  py::list parts;
  for (const rtlat::BreakdownPart& p : b.parts) {
    py::dict d;
    d["state"] = to_str(rtlat::part_state_name(p.state));
    d["ns"] = p.ns;
    d["cpu"] = p.cpu;
    d["task"] = task_ref(p.task);
    if (p.waker) {
      py::dict w;
      w["ran_ns"] = p.waker->ran_ns;
      w["runnable_ns"] = p.waker->runnable_ns;
      w["blocked_ns"] = p.waker->blocked_ns;
      w["unknown_ns"] = p.waker->unknown_ns;
      w["behind"] = task_ref(p.waker->behind);
      w["behind_ns"] = p.waker->behind_ns;
      d["waker"] = w;
    }
    if (p.interrupt) {
      py::dict i;
      i["softirq"] = p.interrupt->softirq;
      i["number"] = p.interrupt->number;
      i["name"] = to_str(p.interrupt->name);
      i["after"] = p.interrupt->after;
      d["interrupt"] = i;
    }
    if (p.idle_state) d["idle_state"] = *p.idle_state;
    if (p.state == rtlat::PartState::timer_delay && p.task) {
      d["irqs"] = to_str(rtlat::part_irqs_name(p));
      if (!p.irqs_off_caller.empty()) d["irqs_off_caller"] = to_str(p.irqs_off_caller);
    }
    if (p.uninterruptible) d["uninterruptible"] = true;
    parts.append(d);
  }
  return parts;
}

inline py::object verdict(const std::optional<rtlat::Verdict>& v) {
  if (!v) return py::none();
  py::dict d;
  d["kind"] = to_str(rtlat::verdict_kind_name(v->kind));
  d["text"] = to_str(v->text);
  d["share"] = v->share;
  d["culprit"] = task_ref(v->culprit);
  return d;
}

inline py::list verdict_counts(const std::vector<rtlat::VerdictCount>& counts) {
  py::list out;
  for (const rtlat::VerdictCount& c : counts) {
    py::dict d;
    d["kind"] = to_str(rtlat::verdict_kind_name(c.kind));
    d["count"] = c.count;
    d["culprit"] = task_ref(c.culprit);
    out.append(d);
  }
  return out;
}

// (lower_ns, upper_ns, count) per bin holding samples, in value order.
inline py::list histogram(const std::vector<rtlat::HistogramBin>& bins) {
  py::list out;
  for (const rtlat::HistogramBin& b : bins)
    out.append(py::make_tuple(b.lower_ns, b.upper_ns, b.count));
  return out;
}

}  // namespace rtlat_py
