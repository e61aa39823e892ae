// The public face: what an embedder can name, and what it cannot.
#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <utility>

#include "rtlat/error.hpp"
#include "rtlat/rtlat.hpp"
#include "rtlat/source/tracedat.hpp"

namespace {

template <class S, class = void>
struct public_feed_view : std::false_type {};
template <class S>
struct public_feed_view<
    S, std::void_t<decltype(std::declval<S&>().feed_view(std::declval<const rtlat::Event&>()))>>
    : std::true_type {};
template <class S, class = void>
struct public_release_views : std::false_type {};
template <class S>
struct public_release_views<S, std::void_t<decltype(std::declval<S&>().release_views())>>
    : std::true_type {};
template <class S, class = void>
struct public_meta : std::false_type {};
template <class S>
struct public_meta<S, std::void_t<decltype(std::declval<const S&>().meta())>> : std::true_type {};
template <class S, class = void>
struct public_file : std::false_type {};
template <class S>
struct public_file<S, std::void_t<decltype(std::declval<const S&>().file())>> : std::true_type {};

// The engine borrows events from the library's trace.dat reader, yet an embedder sees feed().
TEST(FrontDoor, TheViewProtocolIsInternal) {
  EXPECT_FALSE(public_feed_view<rtlat::Analyzer>::value);
  EXPECT_FALSE(public_release_views<rtlat::Analyzer>::value);
  EXPECT_TRUE(rtlat::detail::borrows_events<rtlat::Analyzer>::value);
  struct Copies {
    void feed(const rtlat::Event&) {}
  };
  EXPECT_FALSE(rtlat::detail::borrows_events<Copies>::value);
}

// Borrowed events give the same results as copies through the internal door.
TEST(FrontDoor, ViewsReachTheEngine) {
  rtlat::Analyzer viewed, copied;
  const rtlat::Event w =
      rtlat::Event::make_wakeup(rtlat::EventKind::sched_wakeup, 1000, 0, 1, 7, "t", 50, 0);
  const rtlat::Event s =
      rtlat::Event::make_switch(4000, 0, 1, 1, "x", 120, rtlat::PrevState::runnable, 0, 7, "t", 50);
  for (const rtlat::Event* e : {&w, &s}) {
    rtlat::detail::Views::feed(viewed, *e);
    copied.feed(*e);
  }
  rtlat::detail::Views::release(viewed);
  ASSERT_EQ(viewed.results().tasks.size(), copied.results().tasks.size());
  ASSERT_FALSE(copied.results().tasks.empty());
}

// The parsed metadata and the open file are detail types, reached through detail accessors.
TEST(FrontDoor, TraceDatSourceShowsNoDetailType) {
  EXPECT_FALSE(public_meta<rtlat::TraceDatSource>::value);
  EXPECT_FALSE(public_file<rtlat::TraceDatSource>::value);
  rtlat::TraceDatSource src(RTLAT_SOURCE_DIR "/data/cyclictest.dat");
  EXPECT_EQ(rtlat::detail::tracedat_meta(src).buffers.at(0).cpus.size(), src.info().cpus);
}

// LiveError is public vocabulary beside InputError, not a type of the live reader's internals.
TEST(FrontDoor, LiveErrorIsDeclaredWithTheErrors) {
  static_assert(std::is_base_of_v<std::runtime_error, rtlat::LiveError>);
  try {
    throw rtlat::LiveError("no tracefs");
  } catch (const rtlat::LiveError& e) {
    EXPECT_EQ(std::string(e.what()), "no tracefs");
  }
}

}  // namespace
