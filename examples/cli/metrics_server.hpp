// `rtlat live --listen [ADDR:]PORT`: GET /metrics serves the session's Results, cumulative since
// start, in the OpenMetrics or Prometheus text format (whichever the client's Accept prefers).
// Compiled into the metrics module (metrics_module.cpp), which the CLI loads only for --listen
// (metrics_loader.hpp): linking cpp-httplib, and the OpenSSL and brotli it needs, into the CLI
// delayed the start of every rtlat command, --listen or not.
//
// The reading thread never waits on a client: at each interval it publishes a snapshot of the
// results (a shared_ptr swap under a mutex held for nothing else), and the server's own threads
// render and send it. A client that reads one byte per second holds one of those threads until
// the write timeout, never the reader. The HTTP is cpp-httplib's (Debian libcpp-httplib-dev):
// maintained, a thread-pool server with read and write timeouts, no event loop to own.
#pragma once

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "listen_address.hpp"
#include "metrics_endpoint.hpp"
#include "rtlat/report/openmetrics.hpp"
#include "rtlat/results.hpp"
#include "usage_error.hpp"

namespace rtlat_cli {

class MetricsServer final : public MetricsEndpoint {
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
  ~MetricsServer() override { stop(); }

  int port() const noexcept override { return port_; }

  // The results the next scrapes see. Called on the reading thread: O(1) under the lock, the
  // old snapshot freed outside it.
  void publish(rtlat::Results r) override {
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
