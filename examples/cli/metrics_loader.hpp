// Loads the /metrics server of `rtlat live --listen` from its module, next to the rtlat binary
// (the build tree) or where the package installs it (RTLAT_METRICS_MODULE_DIR, relative to the
// binary's directory). Only --listen pays for the HTTP library and its TLS and compression
// libraries; every other command starts without them.
#pragma once

#include <dlfcn.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "listen_address.hpp"
#include "metrics_endpoint.hpp"
#include "usage_error.hpp"

#ifndef RTLAT_METRICS_MODULE_DIR
#define RTLAT_METRICS_MODULE_DIR "../lib/rtlat"
#endif

namespace rtlat_cli {

// Where the module may be, in the order tried.
inline std::vector<std::filesystem::path> metrics_module_paths() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const std::filesystem::path dir = exe.parent_path();
  return {dir / metrics_module_file,
          (dir / RTLAT_METRICS_MODULE_DIR / metrics_module_file).lexically_normal()};
}

// Starts the server. Throws UsageError: the module is missing or broken, or the address is bad
// or taken. The module stays loaded for the life of the process.
inline std::unique_ptr<MetricsEndpoint> open_metrics_endpoint(
    const ListenAddress& where, const std::optional<std::size_t>& max_comms) {
  std::string tried;
  void* module = nullptr;
  for (const std::filesystem::path& p : metrics_module_paths()) {
    if (!std::filesystem::exists(p)) {
      tried += (tried.empty() ? "" : ", ") + p.string();
      continue;
    }
    module = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module == nullptr) {
      const char* why = dlerror();
      throw UsageError{"--listen: cannot load " + p.string() + ": " +
                       (why ? why : "dlopen failed")};
    }
    break;
  }
  if (module == nullptr)
    throw UsageError{"--listen: the HTTP module " + std::string(metrics_module_file) +
                     " is not installed (looked for " + tried + ")"};
  const auto open =
      reinterpret_cast<OpenMetricsEndpoint>(dlsym(module, metrics_module_entry));  // NOLINT
  if (open == nullptr)
    throw UsageError{"--listen: " + std::string(metrics_module_file) + " has no " +
                     metrics_module_entry};
  std::string error;
  std::unique_ptr<MetricsEndpoint> e(open(where, max_comms, error));
  if (!e) throw UsageError{error.empty() ? "--listen: the server did not start" : error};
  return e;
}

}  // namespace rtlat_cli
