/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* vdiwebrtcsink's pure parts: the signalling protocol and the bitrate
 * controller. Data-channel input uses the shared parser of common/
 * (input-message), tested in test-input-message.cpp. */

#include "test-util.h"

#include "webrtc-bitrate.h"
#include "webrtc-microphone.h"
#include "webrtc-signalling.h"

#include <gst/video/navigation.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace vdi::webrtc;

TEST_CASE("signalling messages parse and build", "[webrtc-signalling]")
{
  using T = IncomingMessage::Type;
  auto p = [](const std::string &s) { return parseIncoming(s.data(), s.size()); };
  CHECK(p(R"({"type":"list"})").type == T::List);
  auto m = p(R"({"type":"setPeerStatus","roles":["listener"],"meta":{"name":"x"}})");
  CHECK(m.type == T::SetPeerStatus);
  REQUIRE(m.roles.size() == 1);
  CHECK(m.roles[0] == "listener");
  m = p(R"({"type":"startSession","peerId":"abc"})");
  CHECK(m.type == T::StartSession);
  CHECK(m.peerId == "abc");
  m = p(R"({"type":"peer","sessionId":"s","sdp":{"type":"answer","sdp":"v=0\r\n"}})");
  CHECK(m.type == T::Peer);
  CHECK(m.hasSdp);
  CHECK(m.sdpType == "answer");
  m = p(
    R"({"type":"peer","sessionId":"s","ice":{"candidate":"candidate:1 1 UDP 1 127.0.0.1 5000 typ host","sdpMLineIndex":0}})");
  CHECK(m.type == T::Peer);
  CHECK(m.hasIce);
  CHECK(m.candidate.rfind("candidate:", 0) == 0);
  CHECK(p(R"({"type":"endSession","sessionId":"s"})").type == T::EndSession);

  for (const char *bad :
       {"", "x", "[]", "{}", R"({"type":5})", R"({"type":"hello"})", R"({"type":"startSession"})",
        R"({"type":"peer","sessionId":"s"})",
        R"({"type":"peer","sessionId":"s","sdp":{"type":"pranswer","sdp":"x"}})",
        R"({"type":"peer","sessionId":"s","ice":{"candidate":"c","sdpMLineIndex":-1}})",
        R"({"type":"endSession"})"}) {
    INFO(bad);
    auto r = p(bad);
    CHECK(r.type == T::Invalid);
    CHECK_FALSE(r.error.empty());
  }

  CHECK(welcomeMessage("p1") == R"({"type":"welcome","peerId":"p1"})");
  CHECK(errorMessage("no") == R"({"type":"error","details":"no"})");
  CHECK(sessionStartedMessage("p", "s") ==
        R"({"type":"sessionStarted","peerId":"p","sessionId":"s"})");
  CHECK(endSessionMessage("s") == R"({"type":"endSession","sessionId":"s"})");
  CHECK(iceMessage("s", "candidate:x", 0) ==
        R"({"type":"peer","sessionId":"s","ice":{"candidate":"candidate:x","sdpMLineIndex":0}})");
  CHECK(sdpMessage("s", "offer", "v=0") ==
        R"({"type":"peer","sessionId":"s","sdp":{"type":"offer","sdp":"v=0"}})");
  CHECK(listMessage("list", {{"p", "{}"}}) ==
        R"({"type":"list","producers":[{"id":"p","meta":{}}]})");
  CHECK(listMessage("listConsumers", {}) == R"({"type":"listConsumers","consumers":[]})");
  CHECK(newId() != newId());
}

TEST_CASE("bitrate follows the weakest viewer within the limits", "[webrtc-bitrate]")
{
  BitrateController c(500, 4000);
  CHECK(c.target() == 0);
  c.addViewer("a", 2000);
  c.addViewer("b", 2000);
  CHECK(c.target() == 2000);
  /* Clean feedback: both grow by 8 % per report, up to the max. */
  for (int i = 0; i < 30; i++) {
    c.update("a", {0.0, 0.02, 0});
    c.update("b", {0.0, 0.02, 0});
  }
  CHECK(c.target() == 4000);
  /* 30 % loss on b: it backs off by 15 % per report; a stays. */
  c.update("b", {0.30, 0.02, 0});
  CHECK(c.estimate("b") == 3400);
  CHECK(c.estimate("a") == 4000);
  CHECK(c.target() == 3400);
  /* Moderate loss holds. */
  c.update("b", {0.05, 0.02, 0});
  CHECK(c.estimate("b") == 3400);
  /* High RTT backs off even without loss. */
  c.update("b", {0.0, 0.5, 0});
  CHECK(c.estimate("b") == 2890);
  /* REMB caps; never below the minimum. */
  c.update("b", {0.0, 0.02, 800000.0 / 1000});
  CHECK(c.estimate("b") == 800);
  for (int i = 0; i < 50; i++)
    c.update("b", {1.0, 1.0, 0});
  CHECK(c.estimate("b") == 500);
  /* The weak viewer leaves: the target goes back to the others. */
  c.removeViewer("b");
  CHECK(c.target() == 4000);
}

namespace {
/* A TWCC window: @sent and @recv kbit/s, no loss, delay gradient @dod ms. */
Feedback twcc(double sent, double recv, double dod = 0, double loss = 0)
{
  Feedback f;
  f.twcc = true;
  f.sentKbps = sent;
  f.recvKbps = recv;
  f.delayGradientMs = dod;
  f.twccLoss = loss;
  return f;
}
/* Reports of viewer "a" with all that was sent arriving, until its
 * estimate reaches @kbps (at most 20): how fast it climbs. */
unsigned reportsUntil(BitrateController &c, unsigned kbps)
{
  unsigned reports = 0;
  for (; c.estimate("a") < kbps && reports < 20; reports++) {
    double sent = c.estimate("a");
    c.update("a", twcc(sent, sent));
  }
  return reports;
}
} // namespace

TEST_CASE("a queue seen in TWCC feedback takes the estimate below the link, then it recovers",
          "[webrtc-bitrate]")
{
  BitrateController c(300, 8000);
  c.addViewer("a", 8000);
  /* 8 Mbit/s sent into a 2 Mbit/s link: 2 arrive. Below the link at once. */
  unsigned est = c.update("a", twcc(8000, 2000));
  CHECK(est == 1700);
  /* At the link's rate without queueing: probe, slowly near where it
   * queued, and it stays below the link while the link stays. */
  std::vector<unsigned> estimates;
  for (int s = 0; s < 10; s++) {
    double sent = c.estimate("a");
    double recv = std::min(sent, 2000.0);
    estimates.push_back(c.update("a", twcc(sent, recv)));
  }
  /* It probes past the link by at most one step before the gap shows,
   * and spends most of the time below it. */
  unsigned peak = *std::max_element(estimates.begin(), estimates.end());
  CHECK(peak <= 2000 / (1 - BitrateController::kQueueGap) * BitrateController::kIncreaseNear + 1);
  std::sort(estimates.begin(), estimates.end());
  CHECK(estimates[estimates.size() / 2] <= 2000);
  /* A growing queueing delay alone is overuse too. */
  c.update("a", twcc(1900, 1890, 5.0));
  CHECK(c.estimate("a") <= 1890 * BitrateController::kOveruseDecrease + 1);
  /* The limit is lifted: above 4 Mbit/s within 10 reports (s), back at
   * the maximum within 15. */
  for (int s = 0; s < 10; s++) {
    double sent = c.estimate("a");
    c.update("a", twcc(sent, sent));
  }
  CHECK(c.estimate("a") >= 4000);
  for (int s = 0; s < 5; s++) {
    double sent = c.estimate("a");
    c.update("a", twcc(sent, sent));
  }
  CHECK(c.estimate("a") == 8000);
}

TEST_CASE("after a queue the estimate comes back just below the rate that queued and holds",
          "[webrtc-bitrate]")
{
  BitrateController c(300, 8000);
  c.addViewer("a", 4000);
  c.update("a", twcc(4000, 2000));
  CHECK(c.estimate("a") == 1700);
  /* Additive steps of 5 % of the queued rate up to 95 % of it (time for
   * the queue to drain): never a multiplicative jump past the link while
   * it stays. */
  std::vector<unsigned> path;
  for (int s = 0; s < 3; s++) {
    double sent = c.estimate("a");
    path.push_back(c.update("a", twcc(sent, sent)));
  }
  CHECK(path[0] == 1800);
  CHECK(path[1] == 1900); /* 0.95 x 2000 */
  CHECK(path[2] == 1900); /* held one report */
  /* Then one cautious probe above it. */
  double sent = c.estimate("a");
  CHECK(c.update("a", twcc(sent, sent)) == 1995);
}

TEST_CASE("an estimate cut far below the rate that queued starts back from 0.85 of it",
          "[webrtc-bitrate]")
{
  /* Seen after a bucket was lifted: its last drops (40 % TWCC loss) cut
   * the estimate to 1237 after a queue at 1829; in small steps from there
   * the way back took seven reports. (That report also said the link
   * grew; here the loss comes alone.) */
  BitrateController c(300, 8000);
  c.addViewer("a", 2000);
  c.update("a", twcc(2200, 1829));
  CHECK(c.estimate("a") == 1554);
  Feedback lossy = twcc(1890, 1880);
  lossy.twccLoss = 0.4;
  CHECK(c.update("a", lossy) == 1243);
  double sent = c.estimate("a");
  CHECK(c.update("a", twcc(sent, sent)) == 1554); /* 0.85 x 1829 */
  sent = c.estimate("a");
  CHECK(c.update("a", twcc(sent, sent)) == 1645); /* then + 5 % of it */
}

TEST_CASE("far more arriving than when it queued means the link grew, even with loss",
          "[webrtc-bitrate]")
{
  /* A 2 Mbit/s bucket lifted: 2770 arrived where 1864 had queued, while
   * 30 % of what was sent before the lift was lost. */
  BitrateController c(300, 8000);
  c.addViewer("a", 2000);
  c.update("a", twcc(2087, 1864));
  Feedback lossy = twcc(2495, 2770);
  lossy.twccLoss = 0.3;
  c.update("a", lossy);
  /* x 1.25 from the cut at once: no way back to, and hold at, 1864. */
  CHECK(reportsUntil(c, 3000) <= 4);
}

TEST_CASE("a queue at a far higher rate than the last one means the link grew: probe fast",
          "[webrtc-bitrate]")
{
  /* A 2 Mbit/s bucket lifted: its last drops queued 2621 of 2810, where
   * 1850 had queued before. */
  BitrateController c(300, 8000);
  c.addViewer("a", 3000);
  c.update("a", twcc(3000, 1850));
  double sent = c.estimate("a");
  c.update("a", twcc(sent, sent));
  c.update("a", twcc(2810, 2621));
  /* 0.85 x 2621, two steps to 0.95 x it, one held, then x 1.25. */
  CHECK(reportsUntil(c, 3000) <= 6);
}

TEST_CASE("more arriving than when a queue overflowed is no growth while some is missing",
          "[webrtc-bitrate]")
{
  /* Seen on a 2 Mbit/s bucket: 1842 arrived while it overflowed, 1937 of
   * 1998 a few seconds later. Taken for a grown link, the next step was
   * x 1.25 (2.6 Mbit/s for a second: a full queue and a frozen frame). */
  BitrateController c(300, 8000);
  c.addViewer("a", 3000);
  c.update("a", twcc(3140, 1842));
  for (int s = 0; s < 4; s++) { /* back to 0.95 x 1842, held, one probe */
    double sent = c.estimate("a");
    c.update("a", twcc(sent, sent));
  }
  unsigned before = c.estimate("a");
  CHECK(c.update("a", twcc(1998, 1937)) <= before * BitrateController::kIncreaseNear + 1);
  /* Arriving whole above what queued once (seen: 1944 of 1944 on that
   * bucket, the next probe above it no longer arriving whole): no growth. */
  before = c.estimate("a");
  CHECK(c.update("a", twcc(1944, 1944)) <= before * BitrateController::kIncreaseNear + 1);
  before = c.estimate("a");
  CHECK(c.update("a", twcc(2040, 1950)) <= before * BitrateController::kIncreaseNear + 1);
  before = c.estimate("a");
  CHECK(c.update("a", twcc(1960, 1960)) <= before * BitrateController::kIncreaseNear + 1);
  /* Twice in a row: growth. */
  before = c.estimate("a");
  CHECK(c.update("a", twcc(2100, 2100)) > before * BitrateController::kIncreaseNear + 1);
}

TEST_CASE("a TWCC viewer's RTCP round trip below 400 ms does not hold the estimate down",
          "[webrtc-bitrate]")
{
  /* After a bucket is lifted, webrtcbin went on reporting the congested
   * round trip (134 ms) for seconds while everything arrived: a controller
   * that took it for a standing queue never recovered (seen). */
  BitrateController c(300, 8000);
  c.addViewer("a", 2000);
  for (int s = 0; s < 6; s++) {
    double sent = c.estimate("a");
    Feedback f = twcc(sent, sent);
    f.rttSeconds = 0.134 + s * 0.0005;
    c.update("a", f);
  }
  CHECK(c.estimate("a") > 4000);
}

TEST_CASE("a still screen does not let the estimate run away from what arrives", "[webrtc-bitrate]")
{
  BitrateController c(300, 8000);
  c.addViewer("a", 1000);
  for (int s = 0; s < 20; s++)
    c.update("a", twcc(100, 100));
  CHECK(c.estimate("a") == 1000);
  /* TWCC loss backs off like RTCP loss. */
  c.update("a", twcc(1000, 1000, 0, 0.40));
  CHECK(c.estimate("a") == 800);
}

TEST_CASE("a report of a few packets is no queue: a still screen keeps its estimate",
          "[webrtc-bitrate]")
{
  /* Seen on a loaded host with a still screen (one skipped picture a
   * second): a window of one or two packets said 5 ms of delay gradient,
   * and the estimate went from 8000 to the 300 floor. */
  BitrateController c(300, 8000);
  c.addViewer("a", 8000);
  for (int s = 0; s < 20; s++) {
    Feedback still = twcc(0.3, 0.3, s % 2 ? 5.0 : -5.0);
    still.packets = 2;
    c.update("a", still);
    /* ... nor is one lost packet of them a loss rate. */
    Feedback lost = twcc(0.3, 0.1, 0, 0.5);
    lost.packets = 2;
    c.update("a", lost);
  }
  CHECK(c.estimate("a") == 8000);
  CHECK_FALSE(c.bottleneck("a"));
  /* Without TWCC the receiver report's loss of a few packets neither. */
  c.addViewer("b", 8000);
  Feedback rr{0.5, 0.01, 0};
  rr.packets = 3;
  c.update("b", rr);
  CHECK(c.estimate("b") == 8000);
  /* The same gradient over as many packets as a typing burst sends is a
   * queue. */
  Feedback busy = twcc(300, 300, 5.0);
  busy.packets = BitrateController::kMinPackets;
  CHECK(c.update("a", busy) == 300);
  /* A long round trip backs off whatever the packet count. */
  c.addViewer("c", 8000);
  Feedback slow = twcc(0.3, 0.3);
  slow.packets = 1;
  slow.rttSeconds = 0.5;
  CHECK(c.update("c", slow) == 6800);
}

TEST_CASE("bogus feedback never takes the encoder past its limits", "[webrtc-bitrate]")
{
  BitrateController c(500, 4000);
  c.addViewer("a", 2000);
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  for (const Feedback &f :
       {twcc(inf, inf), twcc(nan, nan, nan, nan), twcc(1e12, 1e12, -1e9), twcc(-5, -5),
        Feedback{nan, nan, nan}, Feedback{-1, -1, -1}, Feedback{0, 0, 1e15}}) {
    unsigned e = c.update("a", f);
    CHECK(e >= 500);
    CHECK(e <= 4000);
    CHECK(c.target() >= 500);
    CHECK(c.target() <= 4000);
  }
  for (int i = 0; i < 50; i++)
    c.update("a", twcc(1e9, 0.001));
  CHECK(c.estimate("a") == 500);
  for (int i = 0; i < 50; i++)
    c.update("a", twcc(1e9, 1e9));
  CHECK(c.estimate("a") == 4000);
}

TEST_CASE("the encoder follows the weakest control viewer; view-only ones never drag it down",
          "[webrtc-bitrate]")
{
  BitrateController c(300, 8000);
  c.addViewer("ctl", 6000);
  c.addViewer("slow-view", 6000);
  c.update("ctl", twcc(6000, 6000), true);
  c.update("slow-view", twcc(6000, 1000), false);
  CHECK(c.estimate("slow-view") == 850);
  CHECK(c.target() == c.estimate("ctl"));
  CHECK(c.target() > 6000);
  /* A slow control viewer does take it down. */
  c.addViewer("slow-ctl", 6000);
  c.update("slow-ctl", twcc(6000, 1500), true);
  CHECK(c.target() == 1275);
  /* Nobody in control: the weakest viewer of all sets it. */
  c.removeViewer("ctl");
  c.removeViewer("slow-ctl");
  CHECK(c.target() == 850);
}

TEST_CASE("WHEP trickle fragments are checked before use", "[webrtc-signalling]")
{
  std::vector<std::string> c;
  std::string why;
  /* RFC 8840 shape, CRLF, with an end-of-candidates. */
  REQUIRE(
    parseTrickleFragment("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
                         "m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                         "a=candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host\r\n"
                         "a=candidate:2 1 TCP 1518280447 10.0.0.2 9 typ host tcptype active\r\n"
                         "a=end-of-candidates\r\n",
                         &c, &why));
  REQUIRE(c.size() == 2);
  CHECK(c[0] == "candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host");
  CHECK(c[1].rfind("candidate:2 1 TCP", 0) == 0);
  /* Only the ufrag (an ICE restart probe): fine, no candidates. */
  CHECK(parseTrickleFragment("a=ice-ufrag:x\n", &c, &why));
  CHECK(c.empty());

  for (const char *bad :
       {"", "\r\n\r\n", "hello", "a=candidate:1 1 udp\r\n",
        "a=candidate:1 x udp 1 127.0.0.1 9 typ host", "a=candidate:1 1 sctp 1 127.0.0.1 9 typ host",
        "a=candidate:1 1 udp 1 127.0.0.1 99999 typ host",
        "a=candidate:1 1 udp 1 127.0.0.1 9 host host", "A=mid:0", "=x"}) {
    INFO(bad);
    why.clear();
    CHECK_FALSE(parseTrickleFragment(bad, &c, &why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("clipboard data-channel messages", "[webrtc-signalling]")
{
  CHECK(clipboardMessage("text/plain;charset=utf-8", "R3LDvMOfZQ==") ==
        R"({"type":"vdi-clipboard","mime":"text/plain;charset=utf-8","data":"R3LDvMOfZQ=="})");
  /* Escaped, whatever the type says. */
  CHECK(clipboardMessage("text/\"x\"", "") ==
        R"({"type":"vdi-clipboard","mime":"text/\"x\"","data":""})");
  for (const char *t :
       {"text/plain", "text/plain;charset=utf-8", "text/html", "UTF8_STRING", "STRING", "TEXT"})
    CHECK(isTextMime(t));
  for (const char *t : {"image/png", "application/json", "", "texts", "utf8_string"})
    CHECK_FALSE(isTextMime(t));
}

TEST_CASE("one microphone is heard: the one that started last; a quiet holder hands over",
          "[webrtc-microphone]")
{
  vdi::webrtc::MicrophoneFloor floor(1000);
  bool changed = false;
  CHECK(floor.admit("a", 0, &changed));
  CHECK(changed);
  CHECK(floor.admit("a", 20));
  /* b turns its microphone on: b is heard, a is not any more. */
  changed = false;
  CHECK(floor.admit("b", 40, &changed));
  CHECK(changed);
  CHECK_FALSE(floor.admit("a", 60));
  CHECK(floor.admit("b", 80));
  /* a keeps sending (not a new start): still b's. */
  for (int64_t t = 100; t < 900; t += 20)
    CHECK_FALSE(floor.admit("a", t));
  /* b turns off (quiet > 1 s): a, still sending, takes over. */
  CHECK(floor.admit("a", 2000));
  CHECK(floor.holder() == "a");
  /* b turns on again: a start, b wins. */
  CHECK(floor.admit("b", 2020));
  CHECK_FALSE(floor.admit("a", 2040));
  /* b leaves: a is heard with its next packet. */
  floor.forget("b");
  CHECK(floor.holder().empty());
  CHECK(floor.admit("a", 2060));
}
