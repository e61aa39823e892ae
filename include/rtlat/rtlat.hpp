// The core in one include: events, engine, results. Sources and reports have their own headers.
#pragma once

#include "rtlat/analyzer.hpp"
#include "rtlat/config.hpp"
#include "rtlat/duration.hpp"
#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/histogram.hpp"
#include "rtlat/history.hpp"
#include "rtlat/metric.hpp"
#include "rtlat/prev_state.hpp"
#include "rtlat/results.hpp"
#include "rtlat/sink.hpp"
