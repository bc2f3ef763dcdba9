/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The timestamps of the worker's sound capture (orchestrator/capture-clock.h),
 * fed the arrival patterns measured in a session (docs/benchmarks.md
 * "A/V sync at an SRT reader, timestamps from the capture"): 20 ms buffers
 * cut from 1024-frame chunks (arrivals 21.3, 21.3, 21.3, 16 ms apart), lost
 * 256-frame graph cycles, pauses of the passive capture. */

#include "capture-clock.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

using vdid::worker::CaptureClock;

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBuffer = 20 * kMs;
constexpr int64_t kCycle = 256 * 1'000'000'000LL / 48000; /* one lost graph quantum */

/* A capture: samples made in real time from @start, delivered in 1024-frame
 * chunks cut into 20 ms buffers; each buffer arrives once the chunk holding
 * its last sample is made, + @delay. lose() drops samples at the source. */
struct Capture {
  CaptureClock clock;
  int64_t made = 0;      /* ns of samples made (real time, from 0) */
  int64_t delivered = 0; /* ns of samples delivered */
  int64_t lost = 0;      /* ns of samples lost so far */
  int64_t delay = 2 * kMs;
  std::vector<CaptureClock::Stamp> stamps;
  std::vector<int64_t> truth; /* when each buffer's first sample was made */

  /* The next buffer, delivered late by @extra. */
  CaptureClock::Stamp next(int64_t extra = 0)
  {
    int64_t end_made = delivered + lost + kBuffer;  /* real time of its last sample */
    int64_t chunk = 1024 * 1'000'000'000LL / 48000; /* 21.3 ms */
    int64_t arrival = ((end_made + chunk - 1) / chunk) * chunk + delay + extra;
    truth.push_back(delivered + lost);
    delivered += kBuffer;
    stamps.push_back(clock.stamp(arrival, kBuffer, 48000));
    return stamps.back();
  }
  void run(int64_t ns)
  {
    for (int64_t end = delivered + ns; delivered < end;)
      next();
  }
  /* The error of the last buffer: when its first sample plays by the
   * output stream (after the silence put before it, or the part dropped
   * from it) - when that sample was made. */
  int64_t error() const
  {
    const CaptureClock::Stamp &s = stamps.back();
    return s.pts + std::max<int64_t>(s.gap, 0) - (truth.back() + std::max<int64_t>(-s.gap, 0));
  }
  /* Every buffer starts where the last one ended (from @from on). */
  void requireContiguous(size_t from) const
  {
    for (size_t i = from; i < stamps.size(); i++) {
      INFO("buffer " << i);
      REQUIRE_FALSE(stamps[i].discont);
      REQUIRE(stamps[i].pts == stamps[i - 1].pts + kBuffer + stamps[i - 1].gap);
      /* A gap is whole samples. */
      REQUIRE(stamps[i].gap == stamps[i].gap_samples * 1'000'000'000 / 48000);
    }
  }
};

} // namespace

TEST_CASE("capture timestamps stay contiguous through the arrival jitter of 1024-frame chunks",
          "[vdid][sound]")
{
  Capture c;
  c.run(10'000 * kMs);
  c.requireContiguous(1);
  /* After the first window, nothing filled nor dropped: jitter is not a hole. */
  for (size_t i = 40; i < c.stamps.size(); i++) {
    INFO("buffer " << i);
    REQUIRE(c.stamps[i].gap == 0);
  }
  /* On the clock: within a chunk (+ the delivery delay) of when the samples were made. */
  CHECK(c.error() >= 0);
  CHECK(c.error() <= 22 * kMs + c.delay);
  CHECK(c.clock.resyncs() == 0);
}

TEST_CASE("a graph cycle the sound server lost is filled with as much silence, where it was lost",
          "[vdid][sound]")
{
  Capture c;
  c.run(2'000 * kMs);
  int64_t before = c.error();
  int64_t holes = c.clock.holes();
  /* Ten lost cycles, one a second: counting samples would fall 53 ms behind. */
  for (int i = 0; i < 10; i++) {
    c.lost += kCycle;
    c.run(1'000 * kMs);
    INFO("lost cycle " << i + 1);
    /* Caught up within one window (and a chunk of rounding). */
    CHECK(c.error() - before >= -c.delay);
    CHECK(c.error() - before <= 2 * kMs);
  }
  /* One jump per lost cycle, or two (the envelope rises in steps while
   * the arrivals from before the loss leave the window). */
  CHECK(c.clock.holes() - holes >= 10);
  CHECK(c.clock.holes() - holes <= 20);
  CHECK(c.clock.resyncs() == 0);
  c.requireContiguous(1);
  /* The output keeps time: as many samples as real time, lost ones filled. */
  int64_t out = 0;
  for (auto &s : c.stamps)
    out += kBuffer + s.gap;
  CHECK(out - (c.delivered + c.lost) >= -5 * kMs);
  CHECK(out - (c.delivered + c.lost) <= 25 * kMs);
}

TEST_CASE("a capture that paused starts a new run at its arrival", "[vdid][sound]")
{
  Capture c;
  c.run(1'000 * kMs);
  /* The passive capture: no app plays for 3 s, the graph sleeps. */
  c.lost += 3'000 * kMs;
  CaptureClock::Stamp s = c.next();
  CHECK(s.discont);
  CHECK(c.clock.resyncs() == 1);
  CHECK(c.error() >= -kBuffer);
  CHECK(c.error() <= 22 * kMs + c.delay);
  c.run(1'000 * kMs);
  CHECK(c.error() >= 0);
  CHECK(c.error() <= 22 * kMs + c.delay);
}

TEST_CASE("a late first buffer runs the stream ahead until samples are dropped from its front",
          "[vdid][sound]")
{
  Capture c;
  c.next(40 * kMs); /* the run's anchor came 40 ms late: it stamps 40 ms ahead */
  c.run(2'000 * kMs);
  c.requireContiguous(1);
  int64_t dropped = 0;
  for (auto &s : c.stamps) {
    CHECK(s.gap <= 0);
    CHECK(-s.gap <= kBuffer / 2);
    dropped -= s.gap;
  }
  CHECK(dropped >= 38 * kMs);
  CHECK(dropped <= 42 * kMs);
  CHECK(c.error() >= 0);
  CHECK(c.error() <= 22 * kMs + c.delay);
}

TEST_CASE("buffers held up by a stall but not lost leave the timestamps alone", "[vdid][sound]")
{
  Capture c;
  c.run(2'000 * kMs);
  int64_t before = c.error();
  /* The worker's thread stalls for 150 ms: the next buffers come in a burst. */
  int64_t stall_end = c.delivered + 150 * kMs;
  while (c.delivered + kBuffer < stall_end) {
    int64_t late = stall_end - (c.delivered + kBuffer);
    c.next(late);
  }
  c.run(2'000 * kMs);
  CHECK(c.error() == before);
  CHECK(c.clock.holes() == 0);
}

TEST_CASE("the burst after a long stall never moves the timestamps backwards", "[vdid][sound]")
{
  Capture c;
  c.run(2'000 * kMs);
  /* 300 ms without a buffer, nothing lost: the first late one starts a new
   * run (it looks like a pause), and the burst behind it then runs up to
   * 300 ms ahead of its arrivals. */
  size_t at = c.stamps.size();
  int64_t stall_end = c.delivered + 300 * kMs;
  while (c.delivered + kBuffer < stall_end)
    c.next(stall_end - (c.delivered + kBuffer));
  c.run(3'000 * kMs);
  CHECK(c.clock.resyncs() == 1);
  for (size_t i = at + 1; i < c.stamps.size(); i++) {
    INFO("buffer " << i);
    REQUIRE_FALSE(c.stamps[i].discont);
    REQUIRE(c.stamps[i].pts == c.stamps[i - 1].pts + kBuffer + c.stamps[i - 1].gap);
  }
  /* Back on the clock. */
  CHECK(c.error() >= 0);
  CHECK(c.error() <= 22 * kMs + c.delay);
}
