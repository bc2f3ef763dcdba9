/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The shared main of every Catch2 test binary: initialises GStreamer, runs
 * the tests, and exits with 77 (meson's "skipped") when every test case that
 * ran was skipped with VDI_SKIP.
 */

#define CATCH_CONFIG_RUNNER
#include "test-util.h"

#include <catch2/catch.hpp>
#include <gst/gst.h>

namespace vdi::test {
int g_cases_started = 0;
int g_cases_skipped = 0;
} // namespace vdi::test

namespace {
struct SkipCounter : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(const Catch::TestCaseInfo &) override { vdi::test::g_cases_started++; }
};
} // namespace
CATCH_REGISTER_LISTENER(SkipCounter)

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  int failed = Catch::Session().run(argc, argv);
  if (failed == 0 && vdi::test::g_cases_started > 0 &&
      vdi::test::g_cases_skipped == vdi::test::g_cases_started) {
    fprintf(stderr, "all %d test cases skipped\n", vdi::test::g_cases_started);
    return 77;
  }
  return failed > 255 ? 255 : failed;
}
