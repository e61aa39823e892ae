// rtlat._rtlat: the compiled half of the Python package rtlat (python/rtlat/__init__.py is the
// other). The result types are bound read-only over the engine's own structs, so analyze()
// converts nothing until Python asks for it; nested records come as JSON-shaped dicts
// (convert.hpp) and to_pandas() gets whole columns (table.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "options.hpp"
#include "results.hpp"
#include "rtlat/analyze.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/error.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/report/ranking.hpp"
#include "rtlat/version.hpp"
#include "samples.hpp"
#include "table.hpp"
#ifdef RTLAT_HAVE_LIVE
#include "live_session.hpp"
#endif

namespace py = pybind11;
using rtlat_py::PyResults;

namespace {

// The exception classes, created once and never freed (an exception translator may run until
// the interpreter is gone).
PyObject* error_type = nullptr;
PyObject* input_error_type = nullptr;
PyObject* live_error_type = nullptr;

void raise_input_error(const rtlat::InputError& e) {
  py::object exc = py::reinterpret_borrow<py::object>(input_error_type)(e.what());
  exc.attr("file") = e.file();
  exc.attr("where") = e.where();
  exc.attr("reason") = e.reason();
  PyErr_SetObject(input_error_type, exc.ptr());
}

rtlat::Metric metric_of(const std::string& name) {
  rtlat::Metric m{};
  if (!rtlat::parse_metric(name, m)) {
    std::string known;
    for (rtlat::Metric x : rtlat::all_metrics) {
      if (!known.empty()) known += '|';
      known += rtlat::metric_name(x);
    }
    throw py::value_error("unknown metric '" + name + "' (" + known + ")");
  }
  return m;
}

const rtlat::MetricResult& metric_in(const std::array<rtlat::MetricResult, rtlat::metric_count>& a,
                                     const std::string& name) {
  return a[static_cast<std::size_t>(metric_of(name))];
}

// {name: MetricResult} in report order, each keeping `owner` alive.
template <class Owner>
py::dict metrics_dict(const Owner& o, py::handle owner) {
  py::dict d;
  for (rtlat::Metric m : rtlat::all_metrics)
    d[rtlat_py::to_str(rtlat::metric_name(m))] =
        py::cast(&o[m], py::return_value_policy::reference_internal, owner);
  return d;
}

PyResults analyze(const std::string& path, const std::vector<std::string>& args, bool keep_samples,
                  std::optional<std::size_t> top) {
  rtlat_py::ParsedOptions o = rtlat_py::parse_options(args, true);
  py::gil_scoped_release nogil;
  rtlat::OpenOptions opts;
  if (o.buffer) opts.buffer = *o.buffer;
  opts.arch = o.arch;
  rtlat::FileSource src = rtlat::open(path, opts);
  if (o.buffer && !src.is_tracedat())
    throw rtlat_cli::UsageError{"buffer applies to trace.dat input only; '" + path +
                                "' is not a trace.dat"};
  PyResults out;
  out.notes = src.notes();
  std::shared_ptr<rtlat_py::SampleStore> store;
  if (keep_samples) {
    store = std::make_shared<rtlat_py::SampleStore>();
    o.config.on_sample = store->callback();
  }
  out.results = rtlat::analyze(src, std::move(o.config));
  if (top) rtlat::keep_top(out.results, *top);
  if (store) {
    store->shrink();
    out.samples = std::move(store);
  }
  out.keep_samples = keep_samples;
  return out;
}

py::array samples(const py::object& self, rtlat::Pid pid, const std::string& metric) {
  const auto& r = self.cast<const PyResults&>();
  const rtlat::Metric m = metric_of(metric);
  if (!r.keep_samples)
    throw py::value_error("no samples kept: pass keep_samples=True to analyze() or live()");
  if (!r.samples)
    throw py::value_error("a live interval's Results holds no samples; the final one does");
  const std::vector<std::int64_t>* v = r.samples->find(pid, m);
  if (v == nullptr) return py::array_t<std::int64_t>(0);
  // A read-only view of the store, which `self` keeps alive.
  py::array_t<std::int64_t> a({static_cast<py::ssize_t>(v->size())}, {sizeof(std::int64_t)},
                              v->data(), self);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

std::string to_json(const PyResults& r) {
  std::ostringstream os;
  rtlat::write_json(os, r.results);
  return os.str();
}

}  // namespace

PYBIND11_MODULE(_rtlat, m) {
  m.doc() = "rtlat's compiled core; use the package rtlat";
  m.attr("version") = std::string(rtlat::version);

  error_type =
      PyErr_NewExceptionWithDoc("rtlat.Error", "Base of rtlat's errors.", PyExc_Exception, nullptr);
  input_error_type = PyErr_NewExceptionWithDoc(
      "rtlat.InputError",
      "Bad input: a trace that cannot be read or is corrupt. str() names the file, the place and "
      "the problem; .file, .where and .reason hold them apart.",
      error_type, nullptr);
  live_error_type = PyErr_NewExceptionWithDoc(
      "rtlat.LiveError",
      "A live session could not start or failed (not root, no tracefs, a tracefs write refused).",
      error_type, nullptr);
  m.attr("Error") = py::handle(error_type);
  m.attr("InputError") = py::handle(input_error_type);
  m.attr("LiveError") = py::handle(live_error_type);
  // pybind11 takes a `void (*)(std::exception_ptr)`: by value.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const rtlat::InputError& e) {
      raise_input_error(e);
    } catch (const rtlat_cli::UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.message.c_str());
    } catch (const rtlat_py::UnknownOption& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
#ifdef RTLAT_HAVE_LIVE
    } catch (const rtlat::LiveError& e) {
      PyErr_SetString(live_error_type, e.what());
    } catch (const rtlat_py::LiveSession::Finished&) {
      PyErr_SetNone(PyExc_StopIteration);
#endif
    }
  });

  m.attr("metric_names") = [] {
    py::list l;
    for (rtlat::Metric x : rtlat::all_metrics) l.append(rtlat_py::to_str(rtlat::metric_name(x)));
    return py::tuple(l);
  }();
  m.def(
      "parse_duration",
      [](const std::string& s) {
        const std::optional<std::int64_t> ns = rtlat::parse_duration(s);
        if (!ns)
          throw py::value_error("bad duration '" + s +
                                "' (a number and a unit: 2000ns, 50us, 1.5ms, 2s)");
        return *ns;
      },
      py::arg("text"), "'50us' -> 50000: nanoseconds, as the CLI reads durations.");

  auto stats =
      py::class_<rtlat::TraceStats>(m, "TraceStats", "The trace's extent and data quality.")
          .def_readonly("source", &rtlat::TraceStats::source)
          .def_readonly("events", &rtlat::TraceStats::events)
          .def_readonly("cpus", &rtlat::TraceStats::cpus)
          .def_readonly("start_ns", &rtlat::TraceStats::start_ns)
          .def_readonly("end_ns", &rtlat::TraceStats::end_ns)
          .def_readonly("lost_events", &rtlat::TraceStats::lost_events)
          .def_readonly("lost_event_markers", &rtlat::TraceStats::lost_event_markers)
          .def_readonly("implicit_switches", &rtlat::TraceStats::implicit_switches)
          .def_readonly("skipped", &rtlat::TraceStats::skipped)
          .def_readonly("out_of_order", &rtlat::TraceStats::out_of_order)
          .def_readonly("unobserved_timer_no_request",
                        &rtlat::TraceStats::unobserved_timer_no_request)
          .def_readonly("unobserved_timer_clock", &rtlat::TraceStats::unobserved_timer_clock)
          .def_readonly("waking_fallback", &rtlat::TraceStats::waking_fallback);
  for (const rtlat::Metric metric : rtlat::all_metrics)
    stats.def_property_readonly(
        ("unobserved_" + std::string(rtlat::metric_name(metric))).c_str(),
        [metric](const rtlat::TraceStats& s) { return s.unobserved(metric); });

  py::class_<rtlat::WorstWindow>(m, "WorstWindow", "The events that explain a worst sample.")
      .def_readonly("start_ns", &rtlat::WorstWindow::start_ns)
      .def_readonly("end_ns", &rtlat::WorstWindow::end_ns)
      .def_readonly("cpu", &rtlat::WorstWindow::cpu)
      .def_readonly("elided", &rtlat::WorstWindow::elided)
      .def_property_readonly("events",
                             [](const rtlat::WorstWindow& w) {
                               py::list l;
                               for (const rtlat::Event& e : w.events) l.append(rtlat_py::event(e));
                               return l;
                             })
      .def_property_readonly("breakdown",
                             [](const rtlat::WorstWindow& w) -> py::object {
                               if (!w.breakdown) return py::none();
                               return rtlat_py::breakdown(*w.breakdown);
                             })
      .def_property_readonly("breakdown_covered_ns",
                             [](const rtlat::WorstWindow& w) -> std::optional<std::int64_t> {
                               if (!w.breakdown) return std::nullopt;
                               return w.breakdown->covered_ns;
                             })
      .def_property_readonly("history_too_short",
                             [](const rtlat::WorstWindow& w) -> std::optional<bool> {
                               if (!w.breakdown) return std::nullopt;
                               return w.breakdown->history_too_short;
                             })
      .def_property_readonly(
          "verdict", [](const rtlat::WorstWindow& w) { return rtlat_py::verdict(w.verdict); })
      .def_property_readonly("split",
                             [](const rtlat::WorstWindow& w) { return rtlat_py::split(w); });

  py::class_<rtlat::MetricResult>(m, "MetricResult", "One metric of one task.")
      .def_readonly("count", &rtlat::MetricResult::count)
      .def_readonly("min_ns", &rtlat::MetricResult::min_ns)
      .def_readonly("max_ns", &rtlat::MetricResult::max_ns)
      .def_readonly("mean_ns", &rtlat::MetricResult::mean_ns)
      .def_readonly("p50_ns", &rtlat::MetricResult::p50_ns)
      .def_readonly("p90_ns", &rtlat::MetricResult::p90_ns)
      .def_readonly("p99_ns", &rtlat::MetricResult::p99_ns)
      .def_readonly("p999_ns", &rtlat::MetricResult::p999_ns)
      .def_readonly("derived", &rtlat::MetricResult::derived)
      .def_readonly("slo_ns", &rtlat::MetricResult::slo_ns)
      .def_readonly("violations", &rtlat::MetricResult::violations)
      .def_readonly("unobserved", &rtlat::MetricResult::unobserved)
      .def_property_readonly("worst",
                             [](const py::object& self) -> py::object {
                               const auto& mr = self.cast<const rtlat::MetricResult&>();
                               if (!mr.worst) return py::none();
                               return py::cast(&*mr.worst,
                                               py::return_value_policy::reference_internal, self);
                             })
      .def_property_readonly(
          "verdicts",
          [](const rtlat::MetricResult& mr) { return rtlat_py::verdict_counts(mr.verdicts); })
      .def_property_readonly(
          "histogram",
          [](const rtlat::MetricResult& mr) { return rtlat_py::histogram(mr.histogram); },
          "[(lower_ns, upper_ns, count)]: the bins holding samples, quarter octaves");

  py::class_<rtlat::TaskResult>(m, "Task", "Everything measured for one task.")
      .def_readonly("pid", &rtlat::TaskResult::pid)
      .def_readonly("tgid", &rtlat::TaskResult::tgid)
      .def_property_readonly("comm",
                             [](const rtlat::TaskResult& t) { return rtlat_py::to_str(t.comm); })
      .def_readonly("first_seen_ns", &rtlat::TaskResult::first_seen_ns)
      .def_readonly("last_seen_ns", &rtlat::TaskResult::last_seen_ns)
      .def_readonly("exited", &rtlat::TaskResult::exited)
      .def_property_readonly("metrics",
                             [](const py::object& self) {
                               return metrics_dict(self.cast<const rtlat::TaskResult&>(), self);
                             })
      .def(
          "__getitem__",
          [](const rtlat::TaskResult& t, const std::string& name) -> const rtlat::MetricResult& {
            return metric_in(t.metrics, name);
          },
          py::return_value_policy::reference_internal)
      .def("__repr__", [](const rtlat::TaskResult& t) {
        return "<rtlat.Task pid " + std::to_string(t.pid) + " comm " +
               py::repr(rtlat_py::to_str(t.comm)).cast<std::string>() + ">";
      });

  py::class_<rtlat::FoldedGroup>(m, "FoldedGroup",
                                 "Finished tasks of one comm folded together (max_finished_tasks).")
      .def_property_readonly("comm",
                             [](const rtlat::FoldedGroup& g) { return rtlat_py::to_str(g.comm); })
      .def_readonly("tasks", &rtlat::FoldedGroup::tasks)
      .def_readonly("first_seen_ns", &rtlat::FoldedGroup::first_seen_ns)
      .def_readonly("last_seen_ns", &rtlat::FoldedGroup::last_seen_ns)
      .def_property_readonly("metrics",
                             [](const py::object& self) {
                               return metrics_dict(self.cast<const rtlat::FoldedGroup&>(), self);
                             })
      .def(
          "__getitem__",
          [](const rtlat::FoldedGroup& g, const std::string& name) -> const rtlat::MetricResult& {
            return metric_in(g.metrics, name);
          },
          py::return_value_policy::reference_internal);

  py::class_<rtlat_py::Interval>(m, "Interval", "What a live interval covers.")
      .def_readonly("start_ns", &rtlat_py::Interval::start_ns)
      .def_readonly("end_ns", &rtlat_py::Interval::end_ns)
      .def_readonly("elapsed_s", &rtlat_py::Interval::elapsed_s)
      .def_readonly("events", &rtlat_py::Interval::events)
      .def_readonly("lost", &rtlat_py::Interval::lost);

  py::class_<PyResults>(m, "Results", "What rtlat measured: per task, per metric.")
      .def_property_readonly("trace",
                             [](const py::object& self) {
                               return py::cast(&self.cast<const PyResults&>().results.trace,
                                               py::return_value_policy::reference_internal, self);
                             })
      .def_property_readonly(
          "tasks",
          [](const py::object& self) {
            py::list l;
            for (const rtlat::TaskResult& t : self.cast<const PyResults&>().results.tasks)
              l.append(py::cast(&t, py::return_value_policy::reference_internal, self));
            return l;
          })
      .def_property_readonly(
          "folded",
          [](const py::object& self) {
            py::list l;
            for (const rtlat::FoldedGroup& g : self.cast<const PyResults&>().results.folded)
              l.append(py::cast(&g, py::return_value_policy::reference_internal, self));
            return l;
          })
      .def_readonly("notes", &PyResults::notes)
      .def_readonly("final", &PyResults::final)
      .def_readonly("interval", &PyResults::interval)
      .def_readonly("keep_samples", &PyResults::keep_samples)
      .def("samples", &samples, py::arg("pid"), py::arg("metric"))
      .def("to_json", &to_json)
      .def("_table", [](const PyResults& r) { return rtlat_py::table(r.results); })
      .def("__len__", [](const PyResults& r) { return r.results.tasks.size(); })
      .def("__repr__", [](const PyResults& r) {
        return "<rtlat.Results " + std::to_string(r.results.tasks.size()) + " tasks, " +
               std::to_string(r.results.trace.events) + " events" +
               (r.final ? std::string() : ", live interval") + ">";
      });

  m.def("_analyze", &analyze, py::arg("path"), py::arg("args"), py::arg("keep_samples"),
        py::arg("top"));

#ifdef RTLAT_HAVE_LIVE
  using rtlat_py::LiveSession;
  py::class_<LiveSession>(m, "_LiveSession")
      .def(py::init([](const std::vector<std::string>& args, std::int64_t duration_ns,
                       std::int64_t interval_ns, std::size_t buffer_kb, const std::string& save,
                       const std::vector<rtlat::Pid>& follow, bool keep_samples,
                       std::optional<std::size_t> top, std::size_t default_max_finished) {
             rtlat_py::ParsedOptions o = rtlat_py::parse_options(args, false);
             if (!o.max_finished_given) o.config.max_finished_tasks = default_max_finished;
             rtlat::LiveOptions lo;
             lo.duration = std::chrono::nanoseconds(duration_ns);
             lo.interval = std::chrono::nanoseconds(interval_ns);
             lo.buffer_kb = buffer_kb;
             lo.save = save;
             lo.follow = follow;
             py::gil_scoped_release nogil;
             return std::make_unique<LiveSession>(std::move(o.config), std::move(lo), keep_samples,
                                                  top);
           }),
           py::arg("args"), py::arg("duration_ns"), py::arg("interval_ns"), py::arg("buffer_kb"),
           py::arg("save"), py::arg("follow"), py::arg("keep_samples"), py::arg("top"),
           py::arg("default_max_finished"))
      .def(
          "next",
          [](LiveSession& s, double timeout_s) {
            const auto ms = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1e3));
            std::optional<PyResults> r;
            {
              py::gil_scoped_release nogil;
              r = s.next(ms);
            }
            return r;
          },
          py::arg("timeout_s"))
      .def("stop", &LiveSession::stop)
      .def("close", &LiveSession::close, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("instance_name", &LiveSession::instance_name);
  m.attr("have_live") = true;
#else
  m.attr("have_live") = false;
#endif
}
