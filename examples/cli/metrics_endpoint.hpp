// What `rtlat live` needs of its /metrics server, and the one C entry point of the module that
// holds the server (metrics_module.cpp, loaded by metrics_loader.hpp): the CLI itself links no
// HTTP library.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "listen_address.hpp"
#include "rtlat/results.hpp"

namespace rtlat_cli {

class MetricsEndpoint {
 public:
  MetricsEndpoint() = default;
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;
  virtual ~MetricsEndpoint() = default;
  // The port it listens on (the kernel's pick for port 0).
  virtual int port() const noexcept = 0;
  // The results the next scrapes see; called on the reading thread, never waits on a client.
  virtual void publish(rtlat::Results r) = 0;
};

// The module's entry point: a server listening as `where` asks, or null with `error` saying why.
// Never throws (C linkage).
using OpenMetricsEndpoint = MetricsEndpoint* (*)(const ListenAddress& where,
                                                 const std::optional<std::size_t>& max_comms,
                                                 std::string& error) noexcept;
inline constexpr const char* metrics_module_entry = "rtlat_open_metrics_endpoint";
inline constexpr const char* metrics_module_file = "rtlat-metrics.so";

}  // namespace rtlat_cli
