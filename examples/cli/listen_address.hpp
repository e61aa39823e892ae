// `--listen [ADDR:]PORT`: where `rtlat live` serves /metrics.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

#include "usage_error.hpp"

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

}  // namespace rtlat_cli
