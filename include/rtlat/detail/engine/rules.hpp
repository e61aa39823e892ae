// The engine's third job, the metric rules (README "Metric definitions" has the full text):
//   latency  = wakeup of a sleeping/unknown task -> its next recorded switch-in
//   response = that wakeup -> its first voluntary switch-out (preemptions do not end it)
//   relief   = a wakeup after a timer sleep -> the next voluntary switch-out that is a timer sleep
//   irq      = irq_threaded_handler_entry -> exit of an irq/ thread (or, without those events,
//              its on-CPU time per activation, marked derived)
// and the data-quality rules: every event's common_pid tells who runs on its CPU (except a
// detached one: a stack trace, an NMI's event), a mismatch is an implicit switch, and no sample
// is ever built on an unseen start (such samples are counted as unobserved).
//
// The rules live in three parts: metric_rules.hpp (the class, the event dispatch, the timer-sleep
// marker and threaded-IRQ rules), sched_event_rules.hpp (switches, wakeups, exits, forks) and
// sample_completion.hpp (how a sample ends). Include this header, not the parts: each part's
// members are called by the others.
#pragma once

#include "rtlat/detail/engine/metric_rules.hpp"
#include "rtlat/detail/engine/sample_completion.hpp"
#include "rtlat/detail/engine/sched_event_rules.hpp"
