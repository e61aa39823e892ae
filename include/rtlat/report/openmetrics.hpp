/// @file
/// The metrics exposition: Results in the OpenMetrics 1.0 text format, or in the Prometheus text
/// format 0.0.4 (what node_exporter's textfile collector and `promtool check metrics` read), for
/// Prometheus to scrape or collect.
///
/// Families (durations in seconds; every series of a task family has a `comm` label):
///
///     rtlat_info{version, source} 1                       info (a gauge in the 0.0.4 format)
///     rtlat_events_total                                  events analysed
///     rtlat_lost_events_total, rtlat_lost_event_markers_total, rtlat_out_of_order_events_total,
///     rtlat_implicit_switches_total, rtlat_skipped_input_total
///     rtlat_unobserved_samples_total{metric}              per metric (TraceStats::unobserved)
///     rtlat_aggregated_comms                              comms beyond max_comms, summed
///     rtlat_tasks{comm}                                   tasks measured under the comm
///     rtlat_<metric>_seconds{comm}                        histogram, one family per metric
///     rtlat_violations_total{comm, metric}                samples above the SLO
///     rtlat_slo_seconds{comm, metric}                     the bound that applied
///     rtlat_verdicts_total{comm, metric, verdict}         violations per verdict kind
///
/// Series are per comm: every task and folded group (Results::folded) of a comm is summed into
/// one, so a fork-heavy system, which makes new pids all the time but few new comms, does not
/// make new series. OpenMetricsOptions::by_tgid adds a `tgid` label (empty when unknown, and for
/// folded groups). A (comm, metric) pair without samples has no series.
/// OpenMetricsOptions::max_comms bounds the label sets, so a busy system that keeps starting new
/// comms (builds, scripts) does not either.
///
/// Histogram buckets are the quarter octaves of MetricResult::histogram (rtlat's own log
/// histogram), cumulative, from the lowest bin that holds a sample to the highest, empty bins
/// between included, then +Inf. Samples are whole nanoseconds and a bin holds [lower, upper), so
/// each bucket's `le` is upper - 1 ns: "<= le" counts exactly the bin's samples. Over a live
/// session Results are cumulative, so a series' bucket set only grows.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "rtlat/breakdown.hpp"
#include "rtlat/report/json.hpp"
#include "rtlat/results.hpp"
#include "rtlat/version.hpp"

namespace rtlat {
inline namespace v1 {

/// Which text format write_openmetrics() writes.
enum class ExpositionFormat : std::uint8_t {
  /// OpenMetrics 1.0 (`application/openmetrics-text; version=1.0.0`): counter families named
  /// without `_total`, an `info` family, `# UNIT` lines, `# EOF` at the end.
  openmetrics,
  /// The Prometheus text format 0.0.4 (`text/plain; version=0.0.4`): counter families named
  /// with `_total`, the info metric as a gauge. node_exporter's textfile collector reads it.
  prometheus
};

/// Options of write_openmetrics().
struct OpenMetricsOptions {
  ExpositionFormat format = ExpositionFormat::openmetrics;  ///< the text format
  /// Label task series with `tgid` too. Off by default: every process is a thread group, so a
  /// system that forks makes a new series per process, which is what per-comm series avoid.
  bool by_tgid = false;
  /// At most this many label sets (comms, or comm and tgid pairs with by_tgid) get series of
  /// their own; the tasks of the others are summed into the series labelled `comm="(other
  /// comms)"` (rtlat::other_comms, where the engine folds the comms beyond its own bound), and
  /// rtlat_aggregated_comms counts them. Which label sets: those that had series before (see
  /// OpenMetricsSeries), then new ones by most violations, then most samples, then name.
  /// Empty: no bound.
  std::optional<std::size_t> max_comms;
};

/// The label sets that have series of their own, kept from one exposition to the next of a live
/// session: one that had series keeps them, one that was aggregated stays aggregated, so every
/// counter, the aggregate's too, only grows (a task that changes its comm excepted, README).
/// write_openmetrics() adds to it; it never holds more than OpenMetricsOptions::max_comms.
struct OpenMetricsSeries {
  std::set<std::pair<std::string, std::string>> own;  ///< (comm, tgid or "")
};

/// The HTTP Content-Type of `f`.
constexpr std::string_view exposition_content_type(ExpositionFormat f) noexcept {
  return f == ExpositionFormat::openmetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

namespace detail {

// A label value: backslash, double quote and line feed escaped; bytes that are not valid UTF-8
// (a comm truncated inside a character) become U+FFFD, since both formats require UTF-8.
inline void om_label_value(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      if (c == '\\' || c == '"')
        out += {'\\', c};
      else if (c == '\n')
        out += "\\n";
      else
        out += c;
      ++i;
    } else if (const std::size_t n = utf8_sequence_length(s, i); n != 0) {
      out.append(s, i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
}

// Whole nanoseconds as an exact decimal number of seconds ("0.000001279", "2").
inline std::string om_seconds(std::uint64_t ns) {
  std::string out = std::to_string(ns / 1000000000u);
  std::string frac = std::to_string(ns % 1000000000u);
  frac.insert(0, 9 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += '.' + frac;
  return out;
}

inline std::string om_double(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, static_cast<std::size_t>(r.ptr - buf));
}

// The upper bound of the quarter-octave bin starting at `lower` (MetricResult::histogram's
// grid: single values below 4, octaves below 64, quarter octaves above).
inline std::uint64_t om_bin_upper(std::uint64_t lower) noexcept {
  if (lower < 4) return lower + 1;
  const int e = 63 - __builtin_clzll(lower);
  if (lower < 64) return std::uint64_t{1} << (e + 1);
  return lower + (std::uint64_t{1} << (e - 2));
}

// One (comm[, tgid], metric) series group: the sum of every task and folded group under it.
struct OmMetric {
  std::uint64_t count = 0;
  double sum_ns = 0;
  std::uint64_t violations = 0;
  std::optional<std::int64_t> slo_ns;
  std::map<std::uint64_t, std::uint64_t> bins;  // lower_ns -> count
  std::map<VerdictKind, std::uint64_t> verdicts;

  void add(const MetricResult& m) {
    if (m.count == 0) return;
    count += m.count;
    sum_ns += m.mean_ns.value_or(0) * static_cast<double>(m.count);
    violations += m.violations;
    if (!slo_ns) slo_ns = m.slo_ns;
    for (const HistogramBin& b : m.histogram)
      bins[static_cast<std::uint64_t>(b.lower_ns)] += b.count;
    for (const VerdictCount& v : m.verdicts) verdicts[v.kind] += v.count;
  }
  void add(const OmMetric& o) {
    count += o.count;
    sum_ns += o.sum_ns;
    violations += o.violations;
    if (!slo_ns) slo_ns = o.slo_ns;
    for (const auto& [lower, n] : o.bins) bins[lower] += n;
    for (const auto& [kind, n] : o.verdicts) verdicts[kind] += n;
  }
};

struct OmGroup {
  std::uint64_t tasks = 0;
  std::array<OmMetric, metric_count> metrics;
};

// (comm, tgid) with tgid "" when not labelled or unknown; ordered for a stable output.
using OmKey = std::pair<std::string, std::string>;

// Applies OpenMetricsOptions::max_comms to `groups`: label sets without series of their own in
// `kept` are admitted while it has room, the rest summed into the (other comms) group. Returns
// how many label sets were summed there (the engine's own (other comms) group not counted).
inline std::uint64_t om_bound(std::map<OmKey, OmGroup>& groups, std::size_t max_comms,
                              OpenMetricsSeries& kept) {
  const OmKey other{std::string(other_comms), std::string()};
  const auto is_other = [](const OmKey& k) { return k.first == other_comms; };
  // New label sets, the ones an RT engineer most needs to see first: violations, then samples.
  struct Candidate {
    std::uint64_t violations = 0, samples = 0;
    const OmKey* key = nullptr;
  };
  std::vector<Candidate> fresh;
  for (const auto& [key, g] : groups) {
    if (is_other(key) || kept.own.count(key) != 0) continue;
    Candidate c{0, 0, &key};
    for (const OmMetric& m : g.metrics) {
      c.violations += m.violations;
      c.samples += m.count;
    }
    fresh.push_back(c);
  }
  std::sort(fresh.begin(), fresh.end(), [](const Candidate& a, const Candidate& b) {
    if (a.violations != b.violations) return a.violations > b.violations;
    if (a.samples != b.samples) return a.samples > b.samples;
    return *a.key < *b.key;
  });
  for (const Candidate& c : fresh) {
    if (kept.own.size() >= max_comms) break;
    kept.own.insert(*c.key);
  }
  std::uint64_t aggregated = 0;
  OmGroup sum;
  for (auto it = groups.begin(); it != groups.end();) {
    if (is_other(it->first) || kept.own.count(it->first) != 0) {
      ++it;
      continue;
    }
    sum.tasks += it->second.tasks;
    for (std::size_t m = 0; m < metric_count; ++m) sum.metrics[m].add(it->second.metrics[m]);
    ++aggregated;
    it = groups.erase(it);
  }
  if (aggregated != 0 || groups.count(other) != 0) {
    OmGroup& g = groups[other];
    g.tasks += sum.tasks;
    for (std::size_t m = 0; m < metric_count; ++m) g.metrics[m].add(sum.metrics[m]);
  }
  return aggregated;
}

class OmWriter {
 public:
  OmWriter(std::ostream& os, const OpenMetricsOptions& opt) : os_(os), opt_(opt) {}

  // Starts a family. `name` is the family's name in the OpenMetrics format; a counter's samples
  // are name_total, and the 0.0.4 format names the family that way too.
  void family(std::string_view name, std::string_view type, std::string_view help,
              std::string_view unit = {}) {
    const bool om = opt_.format == ExpositionFormat::openmetrics;
    std::string fam(name);
    std::string ty(type);
    if (!om && type == "counter") fam += "_total";
    if (!om && type == "info") {
      fam += "_info";
      ty = "gauge";
    }
    out_ += "# HELP " + fam + ' ' + std::string(help) + '\n';
    out_ += "# TYPE " + fam + ' ' + ty + '\n';
    if (om && !unit.empty()) out_ += "# UNIT " + fam + ' ' + std::string(unit) + '\n';
  }

  // Starts a sample; labels follow with label(), then value().
  void sample(std::string_view name) {
    out_ += name;
    first_label_ = true;
  }
  void label(std::string_view k, std::string_view v) {
    out_ += first_label_ ? '{' : ',';
    first_label_ = false;
    out_ += k;
    out_ += "=\"";
    om_label_value(out_, v);
    out_ += '"';
  }
  void key_labels(const OmKey& k) {
    label("comm", k.first);
    if (opt_.by_tgid) label("tgid", k.second);
  }
  void value(std::string_view v) {
    if (!first_label_) out_ += '}';
    out_ += ' ';
    out_ += v;
    out_ += '\n';
  }
  void value(std::uint64_t v) { value(std::to_string(v)); }

  void finish() {
    if (opt_.format == ExpositionFormat::openmetrics) out_ += "# EOF\n";
    os_ << out_;
  }

 private:
  std::ostream& os_;
  const OpenMetricsOptions& opt_;
  std::string out_;
  bool first_label_ = true;
};

}  // namespace detail

/// Effects: writes `r` to `os` in the format opt.format names (see the file comment for the
/// families and labels), ending with `# EOF` in OpenMetrics. Every series is cumulative over what
/// `r` covers, so successive Results of one live session, written with the same `kept`, make
/// monotonic counters. With opt.max_comms, at most that many label sets plus the (other comms)
/// aggregate have series, and `kept` records which. Comms are label values: escaped, invalid
/// UTF-8 replaced by U+FFFD. The output is built in memory and written at once; the stream's
/// state is not checked. Complexity: O((tasks + label sets) log(label sets) + histogram bins of
/// the series written). Throws: std::bad_alloc; whatever `os` throws when its exceptions are
/// enabled. Thread safety: only reads `r`; changes `kept`, which callers serialise.
inline void write_openmetrics(std::ostream& os, const Results& r, const OpenMetricsOptions& opt,
                              OpenMetricsSeries& kept) {
  std::map<detail::OmKey, detail::OmGroup> groups;
  for (const TaskResult& t : r.tasks) {
    detail::OmGroup& g =
        groups[{t.comm, opt.by_tgid && t.tgid ? std::to_string(*t.tgid) : std::string()}];
    ++g.tasks;
    for (Metric m : all_metrics) g.metrics[static_cast<std::size_t>(m)].add(t[m]);
  }
  for (const FoldedGroup& f : r.folded) {
    detail::OmGroup& g = groups[{f.comm, std::string()}];
    g.tasks += f.tasks;
    for (Metric m : all_metrics) g.metrics[static_cast<std::size_t>(m)].add(f[m]);
  }
  const std::uint64_t aggregated =
      opt.max_comms ? detail::om_bound(groups, *opt.max_comms, kept) : 0;
  auto each = [&groups](Metric m, auto&& f) {
    for (const auto& [key, g] : groups) {
      const detail::OmMetric& om = g.metrics[static_cast<std::size_t>(m)];
      if (om.count != 0) f(key, om);
    }
  };

  detail::OmWriter w(os, opt);
  const TraceStats& t = r.trace;
  w.family("rtlat", "info", "rtlat's version and the trace source it reads");
  w.sample("rtlat_info");
  w.label("version", version);
  w.label("source", t.source);
  w.value("1");

  const std::pair<const char*, std::uint64_t> totals[] = {
      {"rtlat_events", t.events},
      {"rtlat_lost_events", t.lost_events},
      {"rtlat_lost_event_markers", t.lost_event_markers},
      {"rtlat_out_of_order_events", t.out_of_order},
      {"rtlat_implicit_switches", t.implicit_switches},
      {"rtlat_skipped_input", t.skipped}};
  const char* const helps[] = {"Events analysed",
                               "Events the trace source reported lost",
                               "Times a CPU reported lost events",
                               "Events older than one already analysed, dropped",
                               "Context switches the engine inferred from an event's common_pid",
                               "Input the source skipped (unknown lines, unusable records)"};
  for (std::size_t i = 0; i < std::size(totals); ++i) {
    w.family(totals[i].first, "counter", helps[i]);
    w.sample(std::string(totals[i].first) + "_total");
    w.value(totals[i].second);
  }
  w.family("rtlat_unobserved_samples", "counter",
           "Samples dropped because an event they need was not observed");
  for (Metric m : all_metrics) {
    w.sample("rtlat_unobserved_samples_total");
    w.label("metric", metric_name(m));
    w.value(t.unobserved(m));
  }

  w.family("rtlat_aggregated_comms", "gauge",
           "Comms beyond the series bound, their tasks summed into the (other comms) series");
  w.sample("rtlat_aggregated_comms");
  w.value(aggregated);

  w.family("rtlat_tasks", "gauge", "Tasks measured under the comm, folded ones included");
  for (const auto& [key, g] : groups) {
    w.sample("rtlat_tasks");
    w.key_labels(key);
    w.value(g.tasks);
  }

  for (Metric m : all_metrics) {
    const std::string name = "rtlat_" + std::string(metric_name(m)) + "_seconds";
    w.family(name, "histogram", "The " + std::string(metric_name(m)) + " metric's distribution",
             "seconds");
    each(m, [&](const detail::OmKey& key, const detail::OmMetric& om) {
      std::uint64_t cumulative = 0;
      const std::uint64_t last = om.bins.rbegin()->first;
      auto it = om.bins.begin();
      for (std::uint64_t lower = it->first; lower <= last; lower = detail::om_bin_upper(lower)) {
        if (it != om.bins.end() && it->first == lower) cumulative += (it++)->second;
        w.sample(name + "_bucket");
        w.key_labels(key);
        w.label("le", detail::om_seconds(detail::om_bin_upper(lower) - 1));
        w.value(cumulative);
      }
      w.sample(name + "_bucket");
      w.key_labels(key);
      w.label("le", "+Inf");
      w.value(om.count);
      w.sample(name + "_count");
      w.key_labels(key);
      w.value(om.count);
      w.sample(name + "_sum");
      w.key_labels(key);
      w.value(detail::om_double(om.sum_ns / 1e9));
    });
  }

  w.family("rtlat_violations", "counter", "Samples greater than the SLO bound");
  for (Metric m : all_metrics) {
    each(m, [&](const detail::OmKey& key, const detail::OmMetric& om) {
      if (!om.slo_ns) return;
      w.sample("rtlat_violations_total");
      w.key_labels(key);
      w.label("metric", metric_name(m));
      w.value(om.violations);
    });
  }
  w.family("rtlat_slo_seconds", "gauge", "The SLO bound that applied", "seconds");
  for (Metric m : all_metrics) {
    each(m, [&](const detail::OmKey& key, const detail::OmMetric& om) {
      if (!om.slo_ns) return;
      w.sample("rtlat_slo_seconds");
      w.key_labels(key);
      w.label("metric", metric_name(m));
      w.value(detail::om_seconds(static_cast<std::uint64_t>(*om.slo_ns)));
    });
  }
  w.family("rtlat_verdicts", "counter", "SLO violations per verdict (explain all)");
  for (Metric m : all_metrics) {
    each(m, [&](const detail::OmKey& key, const detail::OmMetric& om) {
      for (const auto& [kind, n] : om.verdicts) {
        w.sample("rtlat_verdicts_total");
        w.key_labels(key);
        w.label("metric", metric_name(m));
        w.label("verdict", verdict_kind_name(kind));
        w.value(n);
      }
    });
  }
  w.finish();
}

/// Effects: as above, for a single exposition (a report file): the bound, when set, keeps the
/// label sets with the most violations, then the most samples.
inline void write_openmetrics(std::ostream& os, const Results& r,
                              const OpenMetricsOptions& opt = {}) {
  OpenMetricsSeries kept;
  write_openmetrics(os, r, opt, kept);
}

}  // namespace v1
}  // namespace rtlat
