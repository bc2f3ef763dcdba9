/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Congestion control on a real shaped link (docs/webrtc.md "Bitrate
 * adaptation"): Chromium runs in a network namespace of the test's own,
 * behind a veth pair whose server-to-viewer direction goes through a Linux
 * token bucket (tbf). vdiwebrtcsink negotiates transport-wide CC with it;
 * the delay-based estimate must take the encoder below a 2 Mbit/s link
 * within 5 s, and back up when the limit is lifted; once adapted, a key
 * press must show in the viewer within 150 ms (p95: no standing queue);
 * steps down to the narrow link must not freeze the picture; a slow
 * view-only viewer must not drag the controller's stream down; a still
 * desktop (vdih264keepalive: one skipped picture a second) behind a link
 * with jitter must keep its bitrate, and every key press must show.
 */

#include "encoder-choice.h"
#include "shaped-link.h"
#include "sway-session.h"
#include "test-util.h"
#include "vdid-fixture.h"
#include "webrtcsink-stats.h"

#include <gst/gst.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <vector>

using namespace vdi::test;
using namespace std::chrono_literals;

namespace {

double median(std::vector<double> v)
{
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

unsigned encoderKbps(GstElement *pipeline, const char *name = "enc")
{
  GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), name);
  guint kbps = 0;
  g_object_get(enc, "bitrate", &kbps, nullptr);
  gst_object_unref(enc);
  return kbps;
}

/* The noise pipeline on the link's near side, and Chromium viewers of it
 * (tests/browser/webrtc.mjs "viewers 1": plays, then stays until told). */
class ShapedStream
{
public:
  ShapedStream(const ShapedLink &link, unsigned kbps, const std::string &sinkProps,
               bool flipSquare = false)
    : link_(link)
  {
    std::string error;
    pipeline_ = noisePipeline(link.hostAddress(), kbps, sinkProps,
                              std::string(g_getenv("VDI_BUILD_ROOT")) + "/web", &error, flipSquare);
    INFO(error);
    REQUIRE(pipeline_);
    sink_ = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
    base_ = playerUrl(pipeline_, link.hostAddress());
  }
  ~ShapedStream()
  {
    for (auto &v : viewers_) {
      v->send("done");
      v->wait(10s);
    }
    viewers_.clear();
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(sink_);
    gst_object_unref(pipeline_);
  }
  /* A viewer that plays, behind the link (@shaped) or on this side. */
  void addViewer(bool shaped)
  {
    std::vector<std::string> argv = {
      "node", std::string(g_getenv("VDI_SOURCE_ROOT")) + "/tests/browser/webrtc.mjs", "viewers",
      base_, "1"};
    viewers_.push_back(std::make_unique<Process>(shaped ? link_.run(argv) : argv));
    auto played = viewers_.back()->waitFor("result ", 60s);
    REQUIRE(played);
    INFO(*played);
    REQUIRE(played->find("\"error\"") == std::string::npos);
  }
  /* A viewer behind the link that keeps pressing keys and timing their
   * flips (tests/bench/webrtc-latency.mjs); its lines are read by the test. */
  Process &addPressingViewer(int presses)
  {
    viewers_.push_back(std::make_unique<Process>(link_.run(
      {"node", std::string(g_getenv("VDI_SOURCE_ROOT")) + "/tests/bench/webrtc-latency.mjs", base_,
       std::to_string(presses)})));
    return *viewers_.back();
  }
  GstElement *pipeline() const { return pipeline_; }
  GstElement *sink() const { return sink_; }

private:
  const ShapedLink &link_;
  GstElement *pipeline_ = nullptr;
  GstElement *sink_ = nullptr;
  std::string base_;
  std::vector<std::unique_ptr<Process>> viewers_;
};

struct Sample {
  double seconds = 0;
  ViewerStatsRow row;
  double encoderKbps = 0;
};

} // namespace

TEST_CASE("on a 2 Mbit/s link the stream adapts below it in 5 s and recovers when it lifts",
          "[webrtc][congestion][browser]")
{
  REQUIRE_BROWSER();
  REQUIRE_SHAPED_LINK();
  ShapedLink link;
  REQUIRE(link.ok());
  ShapedStream stream(link, 6000, "min-bitrate=300 max-bitrate=6000");
  stream.addViewer(true);

  auto t0 = std::chrono::steady_clock::now();
  auto now = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::vector<Sample> samples;
  auto sampleFor = [&](double seconds) {
    double until = now() + seconds;
    while (now() < until) {
      for (const auto &r : viewerStatsRows(stream.sink()))
        samples.push_back({now(), r, double(encoderKbps(stream.pipeline()))});
      std::this_thread::sleep_for(500ms); /* the element refreshes its stats every second */
    }
  };
  auto window = [&](double from, double to, double ViewerStatsRow::*field) {
    std::vector<double> v;
    for (const auto &s : samples)
      if (s.seconds >= from && s.seconds < to)
        v.push_back(s.row.*field);
    return v;
  };

  /* Unshaped: the stream runs near its maximum. */
  sampleFor(6);
  double open = median(window(2, 6, &ViewerStatsRow::sentKbps));
  /* 2 Mbit/s, at most 100 ms of queue in the token bucket. */
  REQUIRE(link.shape(2000, 100));
  double shapedAt = now();
  sampleFor(12);
  /* Lifted. */
  REQUIRE(link.shape(0));
  double liftedAt = now();
  sampleFor(15);

  for (const auto &s : samples)
    std::cout << "sample t=" << s.seconds << " sent=" << s.row.sentKbps
              << " target=" << s.row.targetKbps << " rtt=" << s.row.rttMs << " twcc=" << s.row.twcc
              << " enc=" << s.encoderKbps << "\n";
  bool twcc = std::any_of(samples.begin(), samples.end(), [](auto &s) { return s.row.twcc; });
  CHECK(twcc);
  CHECK(open > 3000);
  /* Within 5 s the target is below the link, and stays there. */
  double convergedAt = -1;
  for (const auto &s : samples)
    if (s.seconds >= shapedAt && s.seconds < liftedAt && s.row.targetKbps < 2000 && convergedAt < 0)
      convergedAt = s.seconds;
  CHECK(convergedAt >= 0);
  CHECK(convergedAt - shapedAt <= 5.0);
  /* Then the estimate hovers at the link (the probe crosses it by a step
   * before a queue shows), and what is sent (RTP with its headers,
   * retransmissions, what the bucket then drops) stays near it: no
   * runaway. */
  CHECK(median(window(shapedAt + 5, liftedAt, &ViewerStatsRow::targetKbps)) < 2200);
  double shapedSent = median(window(shapedAt + 5, liftedAt, &ViewerStatsRow::sentKbps));
  CHECK(shapedSent < 2300);
  CHECK(shapedSent > 600);
  /* No queue that grows without bound: the token bucket holds at most
   * 100 ms, so the round trip stays bounded. (Issue 15's target, p95
   * input-to-photon <= 150 ms, is not reliably met yet: the RTCP round
   * trip median is 110-146 ms here, see docs/benchmarks.md.) */
  double shapedRtt = median(window(shapedAt + 5, liftedAt, &ViewerStatsRow::rttMs));
  CHECK(shapedRtt < 200);
  /* Back toward the maximum when the limit goes: above the old link
   * within 10 s, near the maximum within 15 s. (The estimate can only
   * see growth in what the encoder sends, and x264 sent 1560-1900 kbit/s
   * for targets of 1900-2300 for seconds after the lift: when the lift
   * came just after an overuse the fast probing began 10 s later, 2323
   * at 10 s and 2903 at 10.02 s with b540a19; since 8d6f8cc reads
   * growth at 1.02x, 6000 within 8-10 s in every run. The controller
   * before b540a19 was at 1823-2740 after 10 s and missed 5000 within
   * 15 s.) */
  auto best = [&](double seconds) {
    auto v = window(liftedAt, liftedAt + seconds, &ViewerStatsRow::targetKbps);
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
  };
  CHECK(best(10) >= 2200);
  CHECK(best(15) >= 5000);
}

namespace {
struct PressFigures {
  std::vector<double> latencies; /* sorted, ms */
  int misses = 0;
  double pct(double p) const
  {
    return latencies.empty()
             ? -1
             : latencies[std::min(latencies.size() - 1, size_t(p * double(latencies.size())))];
  }
};

/* @count presses of @page sent after @fromMs (epoch ms, the page's clock),
 * or those until @stop; @tick runs at least every 500 ms meanwhile. */
PressFigures presses(
  Process &page, size_t count, const std::function<double()> &fromMs,
  const std::function<void()> &tick = [] {},
  const std::function<bool()> &stop = [] { return false; })
{
  PressFigures f;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (f.latencies.size() + f.misses < count && std::chrono::steady_clock::now() < deadline &&
         !stop()) {
    auto line = page.readLine(500ms);
    tick();
    if (!line)
      continue;
    INFO(*line);
    REQUIRE(line->rfind("done ", 0) != 0); /* the page ended early: error or skip */
    PressResult press;
    double from = fromMs();
    if (!parsePressLine(*line, &press) || from < 0 || press.sentMs < from)
      continue;
    if (press.latencyMs < 0)
      f.misses++;
    else
      f.latencies.push_back(press.latencyMs);
  }
  std::sort(f.latencies.begin(), f.latencies.end());
  return f;
}
} // namespace

TEST_CASE("on a 2 Mbit/s link key presses stay interactive once the stream adapted",
          "[webrtc][congestion][browser][latency]")
{
  REQUIRE_BROWSER();
  REQUIRE_SHAPED_LINK();
  ShapedLink link;
  REQUIRE(link.ok());
  ShapedStream stream(link, 6000, "min-bitrate=300 max-bitrate=6000", true);
  Process &page = stream.addPressingViewer(100000);
  auto nowMs = [] { return g_get_real_time() / 1000.0; };

  /* The same presses on the open link first: what this machine gives
   * now, the reference (it is shared and its load moves the figures). */
  double start = nowMs();
  PressFigures open = presses(page, 40, [&] { return start; });
  /* 2 Mbit/s, 100 ms of queue; the stream runs at 6 Mbit/s. Presses from
   * 3 s after the estimate went below the link (the queue the step built
   * has drained by then). */
  REQUIRE(link.shape(2000, 100));
  double convergedMs = -1;
  PressFigures shaped = presses(
    page, 60, [&] { return convergedMs < 0 ? -1 : convergedMs + 3000; },
    [&] {
      if (convergedMs < 0)
        for (const auto &r : viewerStatsRows(stream.sink()))
          if (r.targetKbps > 0 && r.targetKbps < 2000)
            convergedMs = nowMs();
    });
  REQUIRE(convergedMs > 0);
  std::cout << "input-to-photon open link: median " << open.pct(0.5) << " ms, p95 "
            << open.pct(0.95) << " ms, misses " << open.misses << "; on 2 Mbit/s: median "
            << shaped.pct(0.5) << " ms, p95 " << shaped.pct(0.95) << " ms, misses " << shaped.misses
            << "\n";
  REQUIRE(open.latencies.size() >= 35);
  REQUIRE(shaped.latencies.size() >= 55);
  /* No standing queue: for the presses that showed, the narrow link adds
   * at most 60 ms to the median of the open one, and at most 150 ms to
   * its p95 (issue 15's absolute target, p95 <= 150 ms, is reported in
   * docs/benchmarks.md: on a loaded machine the open link alone can miss
   * it). A press whose flip never showed within 3 s is a freeze (a frame
   * lost in the bucket until the next keyframe, whose own burst may not
   * fit a 100 ms bucket either: webrtcbin 1.22 has no pacer); 0-5 of 60
   * were seen per run, so at most 6. A controller that did not adapt
   * freezes nearly every press; one that left the bucket full adds its
   * 100 ms to every press. */
  CHECK(shaped.misses <= 6);
  CHECK(shaped.pct(0.5) <= open.pct(0.5) + 60);
  CHECK(shaped.pct(0.95) <= open.pct(0.95) + 150);
}

TEST_CASE("on a 2 Mbit/s link the adapted stream does not freeze",
          "[webrtc][congestion][browser][freeze]")
{
  REQUIRE_BROWSER();
  REQUIRE_SHAPED_LINK();
  ShapedLink link;
  REQUIRE(link.ok());
  ShapedStream stream(link, 6000, "min-bitrate=300 max-bitrate=6000", true);
  Process &page = stream.addPressingViewer(100000);
  auto nowMs = [] { return g_get_real_time() / 1000.0; };
  /* Playing: the first presses showed. */
  double start = nowMs();
  PressFigures warm = presses(page, 5, [&] { return start; });
  REQUIRE(warm.latencies.size() + warm.misses == 5);
  /* 2 Mbit/s with 100 ms of queue; the stream runs at 6 Mbit/s. The step
   * itself (the stream at 6 Mbit/s into the bucket until the estimate is
   * down) is only reported; from 3 s after the estimate went below the
   * link, 150 presses. A freeze is a press whose flip never showed within
   * 3 s: a hole the retransmissions could not fill (a keyframe's burst
   * overflowing the bucket, its NACKs unanswerable), kept until Chromium
   * gives up and sends a PLI. Without the pacer and the keyframe for an
   * unanswerable NACK, 0-5 of 60 presses froze (see the case above). */
  REQUIRE(link.shape(2000, 100));
  double shapedMs = nowMs(), convergedMs = -1;
  presses(
    page, 100000, [&] { return convergedMs < 0 ? shapedMs : -1; },
    [&] {
      if (convergedMs < 0)
        for (const auto &r : viewerStatsRows(stream.sink()))
          if (r.targetKbps > 0 && r.targetKbps < 2000)
            convergedMs = nowMs();
    },
    [&] { return convergedMs >= 0; });
  REQUIRE(convergedMs > 0);
  PressFigures adapted = presses(page, 150, [&] { return convergedMs + 3000; });
  std::cout << "2 Mbit/s step: converged in " << (convergedMs - shapedMs) / 1000
            << " s; adapted: " << adapted.latencies.size() << " presses shown, median "
            << adapted.pct(0.5) << " ms, p95 " << adapted.pct(0.95) << " ms, freezes "
            << adapted.misses << "\n";
  REQUIRE(adapted.latencies.size() + adapted.misses >= 140);
  CHECK(adapted.misses <= 1);
}

TEST_CASE("a view-only viewer on a slow link does not drag the encoder down for the controller",
          "[webrtc][congestion][browser]")
{
  REQUIRE_BROWSER();
  REQUIRE_SHAPED_LINK();
  ShapedLink link;
  REQUIRE(link.ok());
  /* viewer-control=first: the viewer that connects first controls: here
   * the one on this side of the link (unshaped), then one behind it. */
  ShapedStream stream(link, 5000, "min-bitrate=300 max-bitrate=5000 viewer-control=first");
  stream.addViewer(false);
  stream.addViewer(true);
  REQUIRE(link.shape(1500, 100));

  std::vector<double> controlSent, slowTarget, encoder;
  for (int i = 0; i < 20; i++) {
    std::this_thread::sleep_for(500ms); /* sampling the 1 s stats */
    if (i < 8)
      continue; /* let the slow viewer's estimate settle */
    for (const auto &r : viewerStatsRows(stream.sink()))
      (r.control ? controlSent : slowTarget).push_back(r.control ? r.sentKbps : r.targetKbps);
    encoder.push_back(encoderKbps(stream.pipeline()));
  }
  INFO("controller sent " << median(controlSent) << " kbit/s, slow viewer's estimate "
                          << median(slowTarget) << ", encoder " << median(encoder));
  /* The slow view-only viewer's own estimate is below its link... */
  CHECK(median(slowTarget) < 1500);
  /* ...but the encoder, and the controller's stream, stay far above it. */
  CHECK(median(encoder) >= 4000);
  CHECK(median(controlSent) > 3000);
}

TEST_CASE("a still desktop on a link with jitter keeps its bitrate and shows every key press",
          "[webrtc][congestion][browser][still]")
{
  /* Seen in tier-bench on a loaded host: a still screen sends one skipped
   * picture a second, and a TWCC window of one or two packets read as a
   * growing delay cut the estimate to the 300 kbit/s floor. Nothing
   * probes back up while the screen is still; at 300 kbit/s x264 codes a
   * full-screen flip a frame at QP 51 (a flat grey picture, then skipped
   * frames), so the page saw 23-32 of 40 flips never. Jitter on the
   * link (0-20 ms per frame, in order, as on a radio link) gives those
   * windows the same noise here. */
  REQUIRE_BROWSER();
  REQUIRE_SWAY();
  REQUIRE_SHAPED_LINK(ShapedLink::Path::Relay);
  ShapedLink link(ShapedLink::Path::Relay);
  REQUIRE(link.ok());
  link.jitter(20);
  SwaySession::Options opt;
  opt.width = 1280;
  opt.height = 720;
  SwaySession sway(opt);
  auto client = sway.spawnClient({helperPath("vdi-input-client"), "--flip"});
  INFO(sway.log());
  REQUIRE(client->waitFor("configured", 15s));

  /* The worker's video chain (orchestrator/worker.cpp) at 8 Mbit/s. */
  vdi::enc::Settings settings;
  settings.bitrate_kbps = 8000;
  std::string desc =
    "vdiwaylandsrc keepalive=0 show-cursor=false display=" + quoted(sway.display()) +
    " ! video/x-raw,framerate=30/1 ! " +
    vdi::enc::describe(vdi::enc::Encoder::X264, settings).launch() +
    " ! vdih264keepalive interval=1000 ! vdiwebrtcsink name=sink port=0 address=" +
    link.hostAddress() + " ice-addresses=<\"" + link.hostAddress() + "\"> web-root=\"" +
    std::string(g_getenv("VDI_BUILD_ROOT")) + "/web\" min-bitrate=300 max-bitrate=8000";
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &err);
  INFO(desc << ": " << (err ? err->message : ""));
  REQUIRE(pipeline);
  REQUIRE(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");

  /* The page watches the still desktop for 10 s, then presses 20 keys. */
  Process page(link.run(
    {"node", std::string(g_getenv("VDI_SOURCE_ROOT")) + "/tests/bench/webrtc-latency.mjs",
     playerUrl(pipeline, link.hostAddress()), "20", "press", "?autoconnect=0&stats=0", "10000"}));
  auto idle = page.waitFor("idle ", 60s);
  REQUIRE(idle);
  unsigned stillKbps = encoderKbps(pipeline, "encoder");
  double target = 0;
  for (const auto &r : viewerStatsRows(sink))
    target = r.targetKbps;
  PressFigures f = presses(page, 20, [] { return 0.0; });
  std::cout << "still desktop, 0-20 ms of jitter: encoder at " << stillKbps
            << " kbit/s after 10 s (estimate " << target << "); presses: median " << f.pct(0.5)
            << " ms, p95 " << f.pct(0.95) << " ms, misses " << f.misses << "\n";
  /* Nothing on the link queued or lost: the estimate stays at the top. */
  CHECK(stillKbps >= 6000);
  REQUIRE(f.latencies.size() + f.misses == 20);
  CHECK(f.misses == 0);
  page.stop();
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}
