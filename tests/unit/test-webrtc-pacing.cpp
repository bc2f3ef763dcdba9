/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The pacer's schedule (plugins/session/webrtc-pacing.h), when a viewer's
 * path counts as a bottleneck (webrtc-bitrate.h), and which unanswerable
 * NACKs ask for a keyframe (webrtc-nack-repair.h): the pure decisions
 * behind the shaped-link behaviour of test-webrtc-congestion.
 */

#include "webrtc-bitrate.h"
#include "webrtc-nack-repair.h"
#include "webrtc-pacing.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace vdi::webrtc;

TEST_CASE("without a bottleneck every packet leaves at once", "[webrtc-pacing]")
{
  PacingSchedule s;
  s.setEstimate(2000, false);
  CHECK(s.rateKbps() == 0);
  /* A 60 kB keyframe in one list: all of it now, as webrtcbin alone does. */
  for (int i = 0; i < 50; i++)
    CHECK(s.departure(1200, 1000000) == 1000000);
}

TEST_CASE("behind a bottleneck a keyframe is spread at 2.5x the estimate", "[webrtc-pacing]")
{
  PacingSchedule s;
  s.setEstimate(2000, true);
  CHECK(s.rateKbps() == Approx(5000));
  /* 50 packets of 1250 bytes (62.5 kB) ready at once: at 5 Mbit/s each
   * takes 2 ms, so the last leaves 98 ms after the first. */
  std::vector<int64_t> at;
  for (int i = 0; i < 50; i++)
    at.push_back(s.departure(1250, 1000000));
  CHECK(at.front() == 1000000);
  for (size_t i = 1; i < at.size(); i++)
    CHECK(at[i] - at[i - 1] == 2000);
  CHECK(at.back() - at.front() == 98000);
  /* A bucket of 2 Mbit/s drains 24.5 kB meanwhile: the queue peaks at
   * 38 kB instead of 62.5. */
}

TEST_CASE("a paced packet after a pause leaves at once; one right behind waits its turn",
          "[webrtc-pacing]")
{
  PacingSchedule s;
  s.setEstimate(4000, true); /* 10 Mbit/s: 1250 bytes take 1 ms */
  CHECK(s.departure(2500, 0) == 0);
  /* Due at 2 ms; asked at 1.5 ms: within the slack (1 ms), so now. */
  CHECK(s.departure(1250, 1500) == 1500);
  /* The schedule went on from when it was due (2 ms), not from 1.5. */
  CHECK(s.departure(1250, 1500) == 3000);
  /* 100 ms of silence: no credit saved up, no debt either. */
  CHECK(s.departure(2500, 100000) == 100000);
  CHECK(s.departure(12500, 100000) == 102000);
  CHECK(s.departure(1250, 100000) == 112000);
}

TEST_CASE("the pacing rate follows the estimate and stops with the bottleneck", "[webrtc-pacing]")
{
  PacingSchedule s;
  s.setEstimate(1000, true);
  CHECK(s.departure(25000, 0) == 0); /* 2.5 Mbit/s: 80 ms */
  s.setEstimate(4000, true);         /* the backlog stays, the next ones go faster */
  CHECK(s.departure(1250, 0) == 80000);
  CHECK(s.departure(1250, 0) == 81000);
  s.setEstimate(6000, false); /* gone: the backlog too */
  CHECK(s.departure(1250, 0) == 0);
  s.setEstimate(0, true); /* no estimate yet: nothing to pace at */
  CHECK(s.rateKbps() == 0);
}

namespace {
Feedback twcc(double sent, double recv)
{
  Feedback f;
  f.twcc = true;
  f.sentKbps = sent;
  f.recvKbps = recv;
  return f;
}
} // namespace

TEST_CASE("a bottleneck is a cut by a queue or loss, until the estimate is back at the maximum",
          "[webrtc-pacing][webrtc-bitrate]")
{
  BitrateController c(300, 6000);
  /* A viewer that starts low and climbs on an open link: no bottleneck,
   * even while below the maximum (a loopback viewer is never paced). */
  c.addViewer("a", 1000);
  for (int i = 0; i < 3; i++) {
    double e = c.estimate("a");
    c.update("a", twcc(e, e));
    CHECK(!c.bottleneck("a"));
  }
  /* A queue (less arrives than was sent): found. */
  c.update("a", twcc(6000, 2000));
  CHECK(c.estimate("a") == 1700);
  CHECK(c.bottleneck("a"));
  /* It stays while the estimate holds below the link... */
  for (int i = 0; i < 5; i++) {
    double e = c.estimate("a");
    c.update("a", twcc(e, e));
    CHECK(c.bottleneck("a"));
  }
  /* ...and goes once the estimate is back at the maximum (the link was
   * lifted). */
  for (int i = 0; i < 40 && c.estimate("a") < 6000; i++) {
    double e = c.estimate("a");
    c.update("a", twcc(e, e * 1.3));
  }
  CHECK(c.estimate("a") == 6000);
  CHECK(!c.bottleneck("a"));
  /* Loss alone (a viewer without TWCC) is one too. */
  c.addViewer("b", 6000);
  Feedback lossy;
  lossy.fractionLost = 0.2;
  c.update("b", lossy);
  CHECK(c.bottleneck("b"));
  CHECK(!c.bottleneck("nobody"));
}

TEST_CASE("the history mirror forgets packets as rtprtxsend does", "[webrtc-nack]")
{
  /* 100 packets, 400 ms at 90 kHz (36000 ticks). */
  RtxHistory h(100, 400, 90000);
  CHECK(!h.newest());
  for (uint16_t s = 0; s < 150; s++)
    h.sent(s, 1000);
  CHECK(!h.has(49));
  CHECK(h.has(50));
  CHECK(h.has(149));
  CHECK(*h.newest() == 149);
  /* A frame 400 ms later keeps the old ones (but for the one that makes
   * 101); 401 ms later drops them. */
  h.sent(150, 1000 + 36000);
  CHECK(!h.has(50));
  CHECK(h.has(51));
  h.sent(151, 1000 + 36090);
  CHECK(!h.has(149));
  CHECK(h.has(150));
  /* Sequence numbers and RTP times wrap. */
  RtxHistory w(0, 400, 90000);
  w.sent(65535, 0xffffff00u);
  w.sent(0, 0x100);
  CHECK(w.has(65535));
  CHECK(*w.newest() == 0);
  CHECK(seqBefore(65535, 0));
  CHECK(!seqBefore(0, 65535));
}

TEST_CASE("one keyframe request covers all the unanswerable NACKs of a moment", "[webrtc-nack]")
{
  NackRepair r;
  r.keyframeSent(100);
  /* A hole of 12 packets NACKed together: one request. */
  int requests = 0;
  for (uint16_t s = 500; s < 512; s++)
    requests += r.unanswered(s, 10000);
  CHECK(requests == 1);
  /* The same NACKs again (Chromium repeats them) while the keyframe is
   * on its way: nothing more. */
  for (uint16_t s = 500; s < 512; s++)
    CHECK(!r.unanswered(s, 10300));
  /* The keyframe went out at 700: NACKs for packets before it are
   * repaired by it. */
  r.keyframeSent(700);
  CHECK(!r.unanswered(505, 10400));
  CHECK(!r.unanswered(699, 10400));
  /* A packet of the keyframe itself, or after it, lost beyond repair:
   * a new request at once. */
  CHECK(r.unanswered(701, 10450));
  CHECK(!r.unanswered(702, 10450));
}

TEST_CASE("a keyframe request that brought no keyframe is made again after a while",
          "[webrtc-nack]")
{
  NackRepair r;
  /* Nothing known of keyframes yet (a payloader that marks none): any
   * hole asks. */
  CHECK(r.unanswered(10, 0));
  CHECK(!r.unanswered(11, NackRepair::kPendingMs - 1));
  CHECK(r.unanswered(12, NackRepair::kPendingMs));
  /* Across the wrap of sequence numbers. */
  r.keyframeSent(65530);
  CHECK(!r.unanswered(65529, 5000));
  CHECK(r.unanswered(3, 5000));
}

TEST_CASE("a refused retransmission of a packet just resent is no hole yet", "[webrtc-nack]")
{
  NackRepair r;
  r.keyframeSent(0);
  /* 40 resent at 1000 ms; Chromium NACKs it again 100 ms later and the
   * budget is spent: the first may still arrive. */
  r.resent(40, 1000);
  CHECK(!r.refused(40, 1100));
  /* Refused again after the grace: it did not arrive. */
  CHECK(r.refused(40, 1000 + NackRepair::kResentGraceMs + 1));
  /* A packet never resent, refused: at once (here: pending already). */
  CHECK(!r.refused(41, 1300));
  r.keyframeSent(100);
  CHECK(r.refused(141, 1400));
  /* Old entries go: 40's is forgotten once newer ones come. */
  r.resent(150, 5000);
  r.keyframeSent(200);
  CHECK(r.refused(240, 5100));
}
