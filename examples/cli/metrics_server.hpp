// `rtlat live --listen [ADDR:]PORT`: GET /metrics serves the session's Results, cumulative since
// start, in the OpenMetrics or Prometheus text format (whichever the client's Accept prefers).
//
// The reading thread never waits on a client: at each interval it publishes a snapshot of the
// results (a shared_ptr swap under a mutex held for nothing else), and the server's own threads
// render and send it. A client that reads one byte per second holds one of those threads until
// the write timeout, never the reader. The HTTP is cpp-httplib's (Debian libcpp-httplib-dev):
// maintained, a thread-pool server with read and write timeouts, no event loop to own.
#pragma once

#include <httplib.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "options.hpp"
#include "rtlat/report/openmetrics.hpp"
#include "rtlat/results.hpp"

namespace rtlat_cli {

// Where to listen: --listen's [ADDR:]PORT, ADDR an IPv4 address, a host name or [IPv6].
struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 0;
};

inline ListenAddress parse_listen(std::string_view v) {
  const auto fail = [&](const std::string& why) {
    return UsageError{"--listen '" + std::string(v) + "': " + why};
  };
  ListenAddress a;
  std::string_view port = v;
  if (const std::size_t colon = v.rfind(':'); colon != std::string_view::npos) {
    std::string_view host = v.substr(0, colon);
    port = v.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string_view::npos)
      throw fail("an IPv6 address goes in brackets: [::1]:9464");
    if (host.empty()) throw fail("empty address before ':'");
    a.host = std::string(host);
  }
  int p = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 0 || p > 65535)
    throw fail("'" + std::string(port) + "' is not a port (0-65535)");
  a.port = p;
  return a;
}

class MetricsServer {
 public:
  // Binds now, so that a bad address or a port in use is an error before tracing starts.
  // Throws UsageError.
  MetricsServer(const ListenAddress& a, std::optional<std::size_t> max_comms)
      : max_comms_(max_comms) {
    // A few threads suffice for a scraper or two; a slow client holds one until the timeout.
    server_.new_task_queue = [] { return new httplib::ThreadPool(4); };
    server_.set_read_timeout(5, 0);
    server_.set_write_timeout(5, 0);
    server_.set_keep_alive_timeout(30);
    server_.set_payload_max_length(4096);  // a scrape has no body
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    if (a.port == 0) {
      port_ = server_.bind_to_any_port(a.host);
      if (port_ < 0) throw UsageError{"--listen: cannot listen on " + a.host + " (any port)"};
    } else {
      errno = 0;
      if (!server_.bind_to_port(a.host, a.port))
        throw UsageError{"--listen: cannot listen on " + a.host + ":" + std::to_string(a.port) +
                         (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string())};
      port_ = a.port;
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  ~MetricsServer() { stop(); }

  int port() const noexcept { return port_; }

  // The results the next scrapes see. Called on the reading thread: O(1) under the lock, the
  // old snapshot freed outside it.
  void publish(rtlat::Results r) {
    // The exposition has no use for the worst windows, the bulk of a Results (up to
    // Config::window events per metric and task): the snapshot lives beside the engine, so
    // they would double what a long run holds.
    for (rtlat::TaskResult& t : r.tasks)
      for (rtlat::MetricResult& m : t.metrics) m.worst.reset();
    for (rtlat::FoldedGroup& g : r.folded)
      for (rtlat::MetricResult& m : g.metrics) m.worst.reset();
    auto next = std::make_shared<const rtlat::Results>(std::move(r));
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      snapshot_.swap(next);
    }
  }

  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    if (req.path != "/metrics") {
      res.status = 404;
      res.set_content("not found: only /metrics is served\n", "text/plain");
      return;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content("method not allowed: /metrics is read-only\n", "text/plain");
      return;
    }
    std::shared_ptr<const rtlat::Results> snap;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      snap = snapshot_;
    }
    rtlat::OpenMetricsOptions opt;
    opt.max_comms = max_comms_;
    opt.format =
        req.get_header_value("Accept").find("application/openmetrics-text") != std::string::npos
            ? rtlat::ExpositionFormat::openmetrics
            : rtlat::ExpositionFormat::prometheus;
    std::ostringstream os;
    {
      // Which comms have series of their own is decided once for all scrapers, so that none
      // sees a comm move between its own series and the aggregate.
      const std::lock_guard<std::mutex> lock(series_mutex_);
      rtlat::write_openmetrics(os, snap ? *snap : rtlat::Results{}, opt, series_);
    }
    res.status = 200;
    res.set_content(os.str(), std::string(rtlat::exposition_content_type(opt.format)));
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::shared_ptr<const rtlat::Results> snapshot_;
  std::optional<std::size_t> max_comms_;
  std::mutex series_mutex_;
  rtlat::OpenMetricsSeries series_;
};

}  // namespace rtlat_cli
