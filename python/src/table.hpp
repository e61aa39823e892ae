// Results as columns for Results.to_pandas(): one row per task and metric, then one per folded
// group and metric, built here as numpy arrays in one pass (rtlat/_pandas.py wraps them in a
// DataFrame), since a Python loop over 10,000 tasks' attributes would take most of a second.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "rtlat/results.hpp"

namespace rtlat_py {

namespace py = pybind11;

namespace detail {

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

// An int64 column that may be missing: values (0 where missing) and a mask (true: missing).
struct NullableColumn {
  std::vector<std::int64_t> values;
  std::vector<bool> missing;
  void add(const std::optional<std::int64_t>& v) {
    values.push_back(v.value_or(0));
    missing.push_back(!v);
  }
  py::tuple to_python() const {
    py::array_t<bool> mask(static_cast<py::ssize_t>(missing.size()));
    bool* m = mask.mutable_data();
    for (std::size_t i = 0; i < missing.size(); ++i) m[i] = missing[i];
    return py::make_tuple(to_array(values), mask);
  }
};

}  // namespace detail

// Metrics in rtlat::all_metrics order, coded by their position there. Returns {"plain": {name:
// array}, "nullable": {name: (values, mask)}, "comm": [str], "verdict": [str|None], "metric_codes":
// int8 array, "metric_names": [str]}.
inline py::dict table(const rtlat::Results& r) {
  using detail::NullableColumn;
  std::vector<std::int64_t> count, violations, folded_tasks, first_seen, last_seen;
  std::vector<double> mean, share;
  std::vector<std::int8_t> metric;
  std::vector<bool> derived, exited;
  NullableColumn pid, tgid, min, max, p50, p90, p99, p999, slo, worst_start, worst_end, worst_cpu;
  py::list comm, verdict;

  const auto row = [&](const rtlat::MetricResult& m, std::size_t mi) {
    metric.push_back(static_cast<std::int8_t>(mi));
    count.push_back(static_cast<std::int64_t>(m.count));
    min.add(m.min_ns);
    max.add(m.max_ns);
    mean.push_back(m.mean_ns.value_or(std::nan("")));
    p50.add(m.p50_ns);
    p90.add(m.p90_ns);
    p99.add(m.p99_ns);
    p999.add(m.p999_ns);
    slo.add(m.slo_ns);
    violations.push_back(static_cast<std::int64_t>(m.violations));
    derived.push_back(m.derived);
    const rtlat::WorstWindow* w = m.worst ? &*m.worst : nullptr;
    worst_start.add(w ? std::optional<std::int64_t>(w->start_ns) : std::nullopt);
    worst_end.add(w ? std::optional<std::int64_t>(w->end_ns) : std::nullopt);
    worst_cpu.add(w ? std::optional<std::int64_t>(w->cpu) : std::nullopt);
    if (w && w->verdict) {
      verdict.append(to_str(rtlat::verdict_kind_name(w->verdict->kind)));
      share.push_back(w->verdict->share);
    } else {
      verdict.append(py::none());
      share.push_back(std::nan(""));
    }
  };

  for (const rtlat::TaskResult& t : r.tasks) {
    const py::str c = to_str(t.comm);
    for (std::size_t mi = 0; mi < rtlat::all_metrics.size(); ++mi) {
      pid.add(t.pid);
      tgid.add(t.tgid ? std::optional<std::int64_t>(*t.tgid) : std::nullopt);
      comm.append(c);
      folded_tasks.push_back(0);
      exited.push_back(t.exited);
      first_seen.push_back(t.first_seen_ns);
      last_seen.push_back(t.last_seen_ns);
      row(t[rtlat::all_metrics[mi]], mi);
    }
  }
  for (const rtlat::FoldedGroup& g : r.folded) {
    const py::str c = to_str(g.comm);
    for (std::size_t mi = 0; mi < rtlat::all_metrics.size(); ++mi) {
      pid.add(std::nullopt);
      tgid.add(std::nullopt);
      comm.append(c);
      folded_tasks.push_back(static_cast<std::int64_t>(g.tasks));
      exited.push_back(true);
      first_seen.push_back(g.first_seen_ns);
      last_seen.push_back(g.last_seen_ns);
      row(g[rtlat::all_metrics[mi]], mi);
    }
  }

  const auto bools = [](const std::vector<bool>& v) {
    py::array_t<bool> a(static_cast<py::ssize_t>(v.size()));
    bool* p = a.mutable_data();
    for (std::size_t i = 0; i < v.size(); ++i) p[i] = v[i];
    return a;
  };
  py::dict plain, nullable;
  plain["count"] = detail::to_array(count);
  plain["mean_ns"] = detail::to_array(mean);
  plain["violations"] = detail::to_array(violations);
  plain["derived"] = bools(derived);
  plain["verdict_share"] = detail::to_array(share);
  plain["folded_tasks"] = detail::to_array(folded_tasks);
  plain["exited"] = bools(exited);
  plain["first_seen_ns"] = detail::to_array(first_seen);
  plain["last_seen_ns"] = detail::to_array(last_seen);
  nullable["pid"] = pid.to_python();
  nullable["tgid"] = tgid.to_python();
  nullable["min_ns"] = min.to_python();
  nullable["max_ns"] = max.to_python();
  nullable["p50_ns"] = p50.to_python();
  nullable["p90_ns"] = p90.to_python();
  nullable["p99_ns"] = p99.to_python();
  nullable["p999_ns"] = p999.to_python();
  nullable["slo_ns"] = slo.to_python();
  nullable["worst_start_ns"] = worst_start.to_python();
  nullable["worst_end_ns"] = worst_end.to_python();
  nullable["worst_cpu"] = worst_cpu.to_python();
  py::list names;
  for (rtlat::Metric m : rtlat::all_metrics) names.append(to_str(rtlat::metric_name(m)));
  py::dict out;
  out["plain"] = plain;
  out["nullable"] = nullable;
  out["comm"] = comm;
  out["verdict"] = verdict;
  out["metric_codes"] = detail::to_array(metric);
  out["metric_names"] = names;
  return out;
}

}  // namespace rtlat_py
