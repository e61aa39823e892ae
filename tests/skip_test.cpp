// support/skip.hpp: a skip stays a skip outside CI and is a failure under RTLAT_TEST_NO_SKIP,
// which scripts/test sets.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "support/skip.hpp"

namespace {

// Sets RTLAT_TEST_NO_SKIP (or unsets it, nullopt) for one scope, restoring what was there.
class NoSkipVariable {
 public:
  explicit NoSkipVariable(const std::optional<std::string>& value) {
    if (const char* v = std::getenv(rtlat::test::no_skip_variable)) saved_ = v;
    if (value)
      ::setenv(rtlat::test::no_skip_variable, value->c_str(), 1);
    else
      ::unsetenv(rtlat::test::no_skip_variable);
  }
  NoSkipVariable(const NoSkipVariable&) = delete;
  NoSkipVariable& operator=(const NoSkipVariable&) = delete;
  ~NoSkipVariable() {
    if (saved_)
      ::setenv(rtlat::test::no_skip_variable, saved_->c_str(), 1);
    else
      ::unsetenv(rtlat::test::no_skip_variable);
  }

 private:
  std::optional<std::string> saved_;
};

bool reached_after_skip = false;

void skip_for_a_missing_tool() {
  reached_after_skip = false;
  RTLAT_SKIP("frobnicator is not installed");
  reached_after_skip = true;
}

void skip_unless_missing_program() {
  reached_after_skip = false;
  RTLAT_SKIP_UNLESS_PROGRAM("rtlat-no-such-program");
  reached_after_skip = true;
}

// What the skip macros reported, intercepted so that this test itself neither skips nor fails.
void intercept(void (*f)(), ::testing::TestPartResultArray& results) {
  const ::testing::ScopedFakeTestPartResultReporter reporter(
      ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
  f();
}

TEST(SkipHelper, VariableOnlyCountsWhenSetToSomethingButZero) {
  {
    const NoSkipVariable v(std::nullopt);
    EXPECT_FALSE(rtlat::test::skips_are_failures());
  }
  {
    const NoSkipVariable v("");
    EXPECT_FALSE(rtlat::test::skips_are_failures());
  }
  {
    const NoSkipVariable v("0");
    EXPECT_FALSE(rtlat::test::skips_are_failures());
  }
  {
    const NoSkipVariable v("1");
    EXPECT_TRUE(rtlat::test::skips_are_failures());
  }
}

TEST(SkipHelper, SkipsWithTheReasonOutsideCi) {
  const NoSkipVariable v(std::nullopt);
  ::testing::TestPartResultArray r;
  intercept(skip_for_a_missing_tool, r);
  ASSERT_EQ(r.size(), 1);
  EXPECT_EQ(r.GetTestPartResult(0).type(), ::testing::TestPartResult::kSkip);
  EXPECT_STREQ(r.GetTestPartResult(0).message(), "frobnicator is not installed");
  EXPECT_FALSE(reached_after_skip);
}

TEST(SkipHelper, FailsWithTheReasonUnderTheVariable) {
  const NoSkipVariable v("1");
  ::testing::TestPartResultArray r;
  intercept(skip_for_a_missing_tool, r);
  ASSERT_EQ(r.size(), 1);
  EXPECT_EQ(r.GetTestPartResult(0).type(), ::testing::TestPartResult::kFatalFailure);
  EXPECT_STREQ(
      r.GetTestPartResult(0).message(),
      "Failed\nfrobnicator is not installed (a skip is a failure under RTLAT_TEST_NO_SKIP, "
      "which scripts/test sets)");
  EXPECT_FALSE(reached_after_skip);
}

TEST(SkipHelper, MissingProgramSkipsOrFails) {
  {
    const NoSkipVariable v(std::nullopt);
    ::testing::TestPartResultArray r;
    intercept(skip_unless_missing_program, r);
    ASSERT_EQ(r.size(), 1);
    EXPECT_EQ(r.GetTestPartResult(0).type(), ::testing::TestPartResult::kSkip);
    EXPECT_STREQ(r.GetTestPartResult(0).message(),
                 "rtlat-no-such-program is not installed (scripts/setup installs it)");
  }
  {
    const NoSkipVariable v("1");
    ::testing::TestPartResultArray r;
    intercept(skip_unless_missing_program, r);
    ASSERT_EQ(r.size(), 1);
    EXPECT_EQ(r.GetTestPartResult(0).type(), ::testing::TestPartResult::kFatalFailure);
  }
  EXPECT_FALSE(reached_after_skip);
}

TEST(SkipHelper, ProgramOnPathIsFoundLikeCommandV) {
  EXPECT_TRUE(rtlat::test::have_program("sh"));
  EXPECT_FALSE(rtlat::test::have_program("rtlat-no-such-program"));
  const char* path = std::getenv("PATH");
  const std::string saved = path != nullptr ? path : "";
  ::setenv("PATH", "/nonexistent:/bin", 1);
  EXPECT_TRUE(rtlat::test::have_program("sh"));
  ::setenv("PATH", "/nonexistent", 1);
  EXPECT_FALSE(rtlat::test::have_program("sh"));
  ::setenv("PATH", saved.c_str(), 1);
}

}  // namespace
