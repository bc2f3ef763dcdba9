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
 * within 5 s without a standing queue, and back up when the limit is
 * lifted.
 */

#include "shaped-link.h"
#include "test-util.h"
#include "vdid-fixture.h"

#include <gst/gst.h>

#include <algorithm>
#include <iostream>
#include <vector>

using namespace vdi::test;
using namespace std::chrono_literals;

namespace {

/* What the element says about its one viewer (its `stats`). */
struct ViewerSample {
  double seconds = 0;
  double sentKbps = 0;
  double targetKbps = 0;
  double rttMs = 0;
  bool twcc = false;
  double encoderKbps = 0;
};

bool sampleViewer(GstElement *sink, double t, ViewerSample *out)
{
  GstStructure *stats = nullptr;
  g_object_get(sink, "stats", &stats, nullptr);
  if (!stats)
    return false;
  bool found = false;
  for (int i = 0; i < gst_structure_n_fields(stats); i++) {
    const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
    if (!GST_VALUE_HOLDS_STRUCTURE(v))
      continue;
    const GstStructure *s = gst_value_get_structure(v);
    double bitrate = 0, rtt = 0;
    guint target = 0;
    gboolean twcc = FALSE;
    gst_structure_get_double(s, "bitrate", &bitrate);
    gst_structure_get_double(s, "rtt", &rtt);
    gst_structure_get_uint(s, "target-bitrate", &target);
    gst_structure_get_boolean(s, "twcc", &twcc);
    *out = {t, bitrate / 1000, double(target), rtt * 1000, bool(twcc)};
    found = true;
  }
  gst_structure_free(stats);
  return found;
}

/* Each viewer's (may-control, sent kbit/s, target kbit/s). */
struct ViewerRow {
  bool control = false;
  double sentKbps = 0;
  double targetKbps = 0;
};
std::vector<ViewerRow> viewerRows(GstElement *sink)
{
  std::vector<ViewerRow> rows;
  GstStructure *stats = nullptr;
  g_object_get(sink, "stats", &stats, nullptr);
  for (int i = 0; stats && i < gst_structure_n_fields(stats); i++) {
    const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
    if (!GST_VALUE_HOLDS_STRUCTURE(v))
      continue;
    const GstStructure *s = gst_value_get_structure(v);
    ViewerRow r;
    gboolean control = FALSE;
    guint target = 0;
    gst_structure_get_boolean(s, "may-control", &control);
    gst_structure_get_double(s, "bitrate", &r.sentKbps);
    gst_structure_get_uint(s, "target-bitrate", &target);
    r.control = control;
    r.sentKbps /= 1000;
    r.targetKbps = target;
    rows.push_back(r);
  }
  if (stats)
    gst_structure_free(stats);
  return rows;
}

double median(std::vector<double> v)
{
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

TEST_CASE("on a 2 Mbit/s link the stream adapts below it in 5 s and recovers when it lifts",
          "[webrtc][congestion][browser]")
{
  REQUIRE_BROWSER();
  REQUIRE_SHAPED_LINK();
  ShapedLink link;
  REQUIRE(link.ok());
  /* Noise is the hardest picture to compress: the encoder spends whatever
   * bitrate it is given, so the sent rate follows the target. */
  std::string desc =
    "videotestsrc is-live=true pattern=snow ! video/x-raw,width=640,height=360,framerate=30/1 ! "
    "videoconvert ! x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate=6000 "
    "key-int-max=60 ! vdiwebrtcsink name=sink port=0 min-bitrate=300 max-bitrate=6000 address=" +
    link.hostAddress() + " ice-addresses=<\"" + link.hostAddress() + "\"> web-root=\"" +
    std::string(g_getenv("VDI_BUILD_ROOT")) + "/web\"";
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &err);
  REQUIRE(pipeline);
  REQUIRE_FALSE(err);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  REQUIRE(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  guint port = 0;
  g_object_get(sink, "bound-port", &port, nullptr);
  REQUIRE(port > 0);

  std::string base = "http://" + link.hostAddress() + ":" + std::to_string(port);
  Process browser(
    link.run({"node", std::string(g_getenv("VDI_SOURCE_ROOT")) + "/tests/browser/webrtc.mjs",
              "viewers", base, "1"}));
  auto played = browser.waitFor("result ", 60s);
  REQUIRE(played);
  INFO(*played);
  REQUIRE(played->find("\"error\"") == std::string::npos);

  auto t0 = std::chrono::steady_clock::now();
  auto now = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::vector<ViewerSample> samples;
  auto sampleFor = [&](double seconds) {
    double until = now() + seconds;
    while (now() < until) {
      ViewerSample s;
      if (sampleViewer(sink, now(), &s)) {
        GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
        guint kbps = 0;
        g_object_get(enc, "bitrate", &kbps, nullptr);
        gst_object_unref(enc);
        s.encoderKbps = kbps;
        samples.push_back(s);
      }
      std::this_thread::sleep_for(500ms); /* the element refreshes its stats every second */
    }
  };
  auto window = [&](double from, double to, double ViewerSample::*field) {
    std::vector<double> v;
    for (const auto &s : samples)
      if (s.seconds >= from && s.seconds < to)
        v.push_back(s.*field);
    return v;
  };

  /* Unshaped: the stream runs near its maximum. */
  sampleFor(6);
  double open = median(window(2, 6, &ViewerSample::sentKbps));
  /* 2 Mbit/s, at most 100 ms of queue in the token bucket. */
  REQUIRE(link.shape(2000, 100));
  double shapedAt = now();
  sampleFor(12);
  /* Lifted. */
  REQUIRE(link.shape(0));
  double liftedAt = now();
  sampleFor(12);

  for (const auto &s : samples)
    std::cout << "sample t=" << s.seconds << " sent=" << s.sentKbps << " target=" << s.targetKbps
              << " rtt=" << s.rttMs << " twcc=" << s.twcc << " enc=" << s.encoderKbps << "\n";
  bool twcc = std::any_of(samples.begin(), samples.end(), [](auto &s) { return s.twcc; });
  CHECK(twcc);
  CHECK(open > 3000);
  /* Within 5 s the target is below the link, and stays there. */
  double convergedAt = -1;
  for (const auto &s : samples)
    if (s.seconds >= shapedAt && s.seconds < liftedAt && s.targetKbps < 2000 && convergedAt < 0)
      convergedAt = s.seconds;
  CHECK(convergedAt >= 0);
  CHECK(convergedAt - shapedAt <= 5.0);
  double shapedSent = median(window(shapedAt + 5, liftedAt, &ViewerSample::sentKbps));
  CHECK(shapedSent < 2000);
  CHECK(shapedSent > 600);
  /* No queue that grows without bound: the token bucket holds at most
   * 100 ms, so the round trip stays bounded. (Issue 15's target, p95
   * input-to-photon <= 150 ms, is not reliably met yet: the RTCP round
   * trip median is 110-146 ms here, see docs/benchmarks.md.) */
  double shapedRtt = median(window(shapedAt + 5, liftedAt, &ViewerSample::rttMs));
  CHECK(shapedRtt < 200);
  /* Back toward the maximum within 10 s of the limit going. */
  auto after = window(liftedAt, liftedAt + 10, &ViewerSample::targetKbps);
  double best = after.empty() ? 0 : *std::max_element(after.begin(), after.end());
  CHECK(best >= 4000);

  browser.send("done");
  browser.wait(10s);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}

TEST_CASE("a view-only viewer on a slow link does not drag the encoder down for the controller",
          "[webrtc][congestion][browser]")
{
  REQUIRE_BROWSER();
  REQUIRE_SHAPED_LINK();
  ShapedLink link;
  REQUIRE(link.ok());
  /* viewer-control=first: the viewer that connects first controls. */
  std::string desc =
    "videotestsrc is-live=true pattern=snow ! video/x-raw,width=640,height=360,framerate=30/1 ! "
    "videoconvert ! x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate=5000 "
    "key-int-max=60 ! vdiwebrtcsink name=sink port=0 min-bitrate=300 max-bitrate=5000 "
    "viewer-control=first address=" +
    link.hostAddress() + " ice-addresses=<\"" + link.hostAddress() + "\"> web-root=\"" +
    std::string(g_getenv("VDI_BUILD_ROOT")) + "/web\"";
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &err);
  REQUIRE(pipeline);
  REQUIRE_FALSE(err);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  REQUIRE(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  guint port = 0;
  g_object_get(sink, "bound-port", &port, nullptr);
  std::string base = "http://" + link.hostAddress() + ":" + std::to_string(port);
  std::string script = std::string(g_getenv("VDI_SOURCE_ROOT")) + "/tests/browser/webrtc.mjs";
  /* The controller on this side of the link (unshaped), then a viewer
   * behind the token bucket. */
  Process controller({"node", script, "viewers", base, "1"});
  auto a = controller.waitFor("result ", 60s);
  REQUIRE(a);
  REQUIRE(a->find("\"error\"") == std::string::npos);
  Process slow(link.run({"node", script, "viewers", base, "1"}));
  auto b = slow.waitFor("result ", 60s);
  REQUIRE(b);
  REQUIRE(b->find("\"error\"") == std::string::npos);
  REQUIRE(link.shape(1500, 100));

  std::vector<double> controlSent, slowTarget, encoder;
  for (int i = 0; i < 20; i++) {
    std::this_thread::sleep_for(500ms); /* sampling the 1 s stats */
    if (i < 8)
      continue; /* let the slow viewer's estimate settle */
    for (const auto &r : viewerRows(sink))
      (r.control ? controlSent : slowTarget).push_back(r.control ? r.sentKbps : r.targetKbps);
    GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
    guint kbps = 0;
    g_object_get(enc, "bitrate", &kbps, nullptr);
    gst_object_unref(enc);
    encoder.push_back(kbps);
  }
  INFO("controller sent " << median(controlSent) << " kbit/s, slow viewer's estimate "
                          << median(slowTarget) << ", encoder " << median(encoder));
  /* The slow view-only viewer's own estimate is below its link... */
  CHECK(median(slowTarget) < 1500);
  /* ...but the encoder, and the controller's stream, stay far above it. */
  CHECK(median(encoder) >= 4000);
  CHECK(median(controlSent) > 3000);

  controller.send("done");
  slow.send("done");
  controller.wait(10s);
  slow.wait(10s);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}
