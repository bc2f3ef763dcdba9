/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The worker's frame timer (orchestrator/frame-timer.h). */

#include "frame-timer.h"

#include <catch2/catch.hpp>

using vdid::FrameTimer;

TEST_CASE("the frame timer gives the mean time from entry to exit, matched by timestamp",
          "[vdid][tiers]")
{
  FrameTimer t;
  CHECK(t.take().frames == 0); /* no frames */
  t.enter(100, 1000);
  t.leave(100, 11000); /* 10 ms */
  t.enter(200, 2000);
  t.enter(300, 3000);
  t.leave(200, 32000); /* 30 ms */
  FrameTimer::Times times = t.take();
  CHECK(times.mean_ms == Approx(20.0));
  CHECK(times.frames == 2); /* 300 is still in flight */
  times = t.take();
  CHECK(times.mean_ms == 0); /* take() restarts the count */
  CHECK(times.frames == 0);
}

TEST_CASE("frames the encoder dropped or never saw do not count", "[vdid][tiers]")
{
  FrameTimer t;
  t.enter(0, 0);
  t.leave(0, 0);
  t.take();
  t.enter(1, 0);
  t.enter(2, 0);
  t.enter(3, 0);
  t.leave(1, 1000);
  t.leave(3, 5000); /* 2 was dropped: forgotten */
  t.leave(2, 9000000);
  CHECK(t.take().mean_ms == Approx(3.0));
  /* Only kMaxInFlight frames are remembered. */
  for (uint64_t pts = 10; pts < 10 + FrameTimer::kMaxInFlight + 10; pts++)
    t.enter(pts, 0);
  t.leave(10, 1000);
  CHECK(t.take().mean_ms == 0);
  t.leave(10 + FrameTimer::kMaxInFlight + 9, 2000);
  CHECK(t.take().mean_ms == Approx(2.0));
}

TEST_CASE("an encoder's shifted output timeline still matches its frames", "[vdid][tiers]")
{
  const uint64_t hours1000 = 1000ull * 3600 * 1000000000; /* x264enc's shift, in ns */
  FrameTimer t;
  t.enter(0, 0);
  t.leave(hours1000 + 0, 4000);
  t.enter(33, 1000);
  t.leave(hours1000 + 33, 9000);
  CHECK(t.take().mean_ms == Approx(6.0)); /* 4 and 8 ms */

  /* The shift is learnt only from a frame alone in flight: with two in,
   * which one came out is not known, and nothing counts. */
  FrameTimer u;
  u.enter(5, 0);
  u.enter(6, 0);
  u.leave(hours1000 + 6, 1000); /* 5 or 6? */
  CHECK(u.take().mean_ms == 0);
  u.leave(hours1000 + 6, 2000); /* 6 alone now: learnt, and counted */
  CHECK(u.take().mean_ms == Approx(2.0));
  /* A new shift (a new encoder after a renegotiation) is learnt again
   * after kRelearnAfter frames in a row that match nothing. */
  for (uint64_t i = 0; i < FrameTimer::kRelearnAfter; i++) {
    u.enter(100 + i, 0);
    u.leave(7 * hours1000 + 100 + i, 1000);
  }
  CHECK(u.take().mean_ms == 0);
  u.enter(200, 0);
  u.leave(7 * hours1000 + 200, 4000);
  CHECK(u.take().mean_ms == Approx(4.0));
}
