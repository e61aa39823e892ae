/// @file
/// The core in one include: events, configuration, the engine, results and durations. Standard
/// library only, C++17. Sources (`<rtlat/analyze.hpp>`, `<rtlat/source/...>`) and reports
/// (`<rtlat/report/...>`) have their own headers.
#pragma once

#include "rtlat/analyzer.hpp"
#include "rtlat/config.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/results.hpp"
#include "rtlat/sink.hpp"
