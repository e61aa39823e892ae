/// @file
/// Comm selection by regular expression (target rtlat::regex, which links RE2).
///
/// RE2 matches in time linear in the comm's length whatever the pattern, so no --comm pattern
/// can stall a report the way a backtracking engine does on `((a*)*)*b`. Its syntax is the
/// familiar Perl/ECMAScript one (classes, `\d \w \s \b`, anchors, alternation, counted and lazy
/// repetition, `(?i)` flags) without backreferences and lookaround, which need backtracking.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "rtlat/config.hpp"

namespace rtlat {
inline namespace v1 {

/// Effects: compiles `pattern` into a predicate for Selection::comm that is true when the
/// pattern matches anywhere in the comm (a search, not a whole match: anchor with ^ and $).
/// Complexity: each call is linear in the comm's length. Throws: std::invalid_argument with
/// RE2's reason when the pattern does not compile. Thread safety: the predicate may be copied
/// and called from several threads (copies share the compiled pattern).
inline CommPredicate comm_regex(const std::string& pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<const RE2>(pattern, opts);
  if (!re->ok()) throw std::invalid_argument(re->error());
  return [re](std::string_view comm) {
    return RE2::PartialMatch(re2::StringPiece(comm.data(), comm.size()), *re);
  };
}

}  // namespace v1
}  // namespace rtlat
