// A command line the CLI cannot run (exit 2, one line on stderr).
#pragma once

#include <string>

namespace rtlat_cli {

struct UsageError {
  std::string message;
};

}  // namespace rtlat_cli
