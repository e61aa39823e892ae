// The module `rtlat live --listen` loads (metrics_loader.hpp): the HTTP server and what it links.
#include <exception>
#include <new>

#include "metrics_server.hpp"

extern "C" __attribute__((visibility("default"))) rtlat_cli::MetricsEndpoint*
rtlat_open_metrics_endpoint(const rtlat_cli::ListenAddress& where,
                            const std::optional<std::size_t>& max_comms,
                            std::string& error) noexcept {
  try {
    return new rtlat_cli::MetricsServer(where, max_comms);
  } catch (const rtlat_cli::UsageError& e) {
    error = e.message;
  } catch (const std::exception& e) {
    error = std::string("--listen: ") + e.what();
  }
  return nullptr;
}

// The entry point has the type the loader casts it to.
[[maybe_unused]] static constexpr rtlat_cli::OpenMetricsEndpoint entry_type_check =
    &rtlat_open_metrics_endpoint;
