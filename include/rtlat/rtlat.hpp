/// @file
/// The core in one include: events, configuration, the engine, results, the pass/fail gate and
/// durations. Standard library only, C++17. Sources (`<rtlat/analyze.hpp>`, `<rtlat/source/...>`)
/// and reports
/// (`<rtlat/report/...>`) have their own headers.
#pragma once

/// @namespace rtlat
/// Real-time latency analysis of Linux ftrace events: sources that read traces, the engine
/// that measures per-task metrics, results and report writers. Everything public is declared in
/// the inline namespace rtlat::v1, so `rtlat::X` names it; rtlat::detail is internal and may
/// change in any release.
///
/// @namespace rtlat::v1
/// Version 1 of the API (inline: its names are used as `rtlat::X`). An incompatible change
/// would come as v2, with RTLAT_VERSION_MAJOR.

#include "rtlat/analyzer.hpp"
#include "rtlat/config.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/gate.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/results.hpp"
#include "rtlat/sink.hpp"
