/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdiwaylandsrc against real compositors and a real Wayland client: the
 * behaviours every backend has run against sway (wlr-screencopy) and
 * headless Mutter (ScreenCast over PipeWire) from one templated case.
 */

#include "damage-meta.h"
#include "desktops.h"
#include "gst-util.h"
#include "test-util.h"

#include <gst/check/gstharness.h>
#include <gst/video/navigation.h>
#include <gst/video/video.h>

#include <random>
#include <sys/wait.h>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

HarnessPtr captureHarness(const std::string &target, const std::string &props = "")
{
  std::string desc = "vdiwaylandsrc show-cursor=false " + target + " " + props;
  HarnessPtr h(gst_harness_new_parse(desc.c_str()));
  gst_harness_use_systemclock(h.get());
  gst_harness_play(h.get());
  return h;
}

bool isNewFrame(GstBuffer *buf)
{
  return !vdi::damageFromBuffer(buf).empty();
}

/* Pulls until @pred holds for a buffer, for at most @timeout. */
template <typename Pred>
Buffer pullUntil(GstHarness *h, std::chrono::milliseconds timeout, Pred pred)
{
  int64_t deadline = monotonicMs() + timeout.count();
  while (monotonicMs() < deadline) {
    Buffer b = pullWithin(h, std::chrono::milliseconds(deadline - monotonicMs()));
    if (b && pred(b.get()))
      return b;
  }
  return nullptr;
}

bool allPixels(GstBuffer *buf, uint32_t rgb)
{
  GstVideoMeta *meta = gst_buffer_get_video_meta(buf);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_READ);
  bool ok = true;
  for (guint y = 0; y < meta->height && ok; y++) {
    const uint8_t *row = map.data + meta->offset[0] + y * meta->stride[0];
    for (guint x = 0; x < meta->width; x++) {
      const uint8_t *p = row + x * 4;
      if (((uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | p[0]) != rgb) {
        ok = false;
        break;
      }
    }
  }
  gst_buffer_unmap(buf, &map);
  return ok;
}

struct FrameInfo {
  GstClockTime pts;
  bool fresh; /* carries damage: a new frame, not a repeat */
  uint32_t first_pixel;
  bool uniform; /* every pixel equals first_pixel */
};

/* Pulls whatever arrives during @period, keeping only what tests look at:
 * holding the buffers would starve the source's small buffer pool. */
std::vector<FrameInfo> collect(GstHarness *h, std::chrono::milliseconds period)
{
  std::vector<FrameInfo> out;
  int64_t deadline = monotonicMs() + period.count();
  while (monotonicMs() < deadline) {
    if (Buffer b = pullWithin(h, std::chrono::milliseconds(deadline - monotonicMs()))) {
      uint32_t p = pixelAt(b.get(), 0, 0);
      out.push_back({GST_BUFFER_PTS(b.get()), isNewFrame(b.get()), p, allPixels(b.get(), p)});
    }
  }
  return out;
}

} // namespace

TEMPLATE_TEST_CASE("a solid colour window is captured pixel-exact", "[waylandsrc]", SwayDesktop,
                   MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  TestType sway;
  auto client = sway.startTestClient();
  auto h = captureHarness(sway.props());

  for (uint32_t colour : {0xff0000u, 0x00ff00u, 0x123456u}) {
    char cmd[32];
    snprintf(cmd, sizeof(cmd), "color %06x", colour);
    REQUIRE(client->send(cmd));
    REQUIRE(client->waitFor("ok color", 5s));
    Buffer b = pullUntil(h.get(), 5s, [colour](GstBuffer *buf) { return allPixels(buf, colour); });
    INFO("colour " << cmd);
    REQUIRE(b);
  }

  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(h->sinkpad);
  GstVideoInfo info;
  REQUIRE(gst_video_info_from_caps(&info, caps));
  CHECK(GST_VIDEO_INFO_WIDTH(&info) == 640);
  CHECK(GST_VIDEO_INFO_HEIGHT(&info) == 480);
  CHECK(GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_FORMAT_BGRx);
  CHECK(GST_VIDEO_INFO_FPS_N(&info) == 60);
}

TEMPLATE_TEST_CASE("a moving client yields frames at its rate", "[waylandsrc]", SwayDesktop,
                   MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  TestType sway;
  auto client = sway.startTestClient();
  auto h = captureHarness(sway.props(), "keepalive=0");
  REQUIRE(client->send("animate 30"));
  REQUIRE(client->waitFor("ok animate", 5s));
  collect(h.get(), 300ms); /* settle */

  auto frames = collect(h.get(), 2000ms);
  size_t fresh = 0;
  GstClockTime first = GST_CLOCK_TIME_NONE, last = 0;
  for (const auto &f : frames) {
    if (!f.fresh)
      continue;
    fresh++;
    if (!GST_CLOCK_TIME_IS_VALID(first))
      first = f.pts;
    CHECK(f.pts >= last);
    last = f.pts;
  }
  INFO("new frames in 2 s: " << fresh);
  CHECK(fresh >= 50);
  CHECK(fresh <= 70);
  /* Timestamps span the collection period. */
  CHECK(last - first > 1500 * GST_MSECOND);
}

TEMPLATE_TEST_CASE("a static screen yields only keepalive frames", "[waylandsrc]", SwayDesktop,
                   MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  TestType sway;
  auto client = sway.startTestClient();
  REQUIRE(client->send("color 336699"));
  REQUIRE(client->waitFor("ok color", 5s));
  auto h = captureHarness(sway.props(), "keepalive=400");
  REQUIRE(pullUntil(h.get(), 5s, [](GstBuffer *b) { return allPixels(b, 0x336699); }));
  collect(h.get(), 300ms);

  auto frames = collect(h.get(), 2100ms);
  INFO("buffers in 2.1 s: " << frames.size());
  CHECK(frames.size() >= 4);
  CHECK(frames.size() <= 6);
  for (size_t i = 0; i < frames.size(); i++) {
    CHECK_FALSE(frames[i].fresh);
    CHECK(frames[i].uniform);
    CHECK(frames[i].first_pixel == 0x336699);
    if (i > 0) {
      GstClockTime gap = frames[i].pts - frames[i - 1].pts;
      CHECK(gap > 300 * GST_MSECOND);
      CHECK(gap < 600 * GST_MSECOND);
    }
  }
}

TEST_CASE("a change in one region yields damage meta covering it", "[waylandsrc]")
{
  REQUIRE_SWAY();
  SwaySession sway;
  auto client = sway.startTestClient();
  REQUIRE(client->send("color 000000"));
  REQUIRE(client->waitFor("ok color", 5s));
  auto h = captureHarness("display=" + quoted(sway.display()), "keepalive=0");
  REQUIRE(pullUntil(h.get(), 5s, [](GstBuffer *b) { return allPixels(b, 0); }));
  collect(h.get(), 200ms);

  REQUIRE(client->send("rect 100 50 64 32 00ff00"));
  REQUIRE(client->waitFor("ok rect", 5s));
  Buffer b = pullUntil(h.get(), 5s, [](GstBuffer *buf) { return isNewFrame(buf); });
  REQUIRE(b);
  auto damage = vdi::damageFromBuffer(b.get());
  REQUIRE_FALSE(damage.empty());

  /* The union covers the box; and it is not the whole screen. */
  int x1 = 640, y1 = 480, x2 = 0, y2 = 0;
  for (const auto &r : damage) {
    x1 = std::min(x1, r.x);
    y1 = std::min(y1, r.y);
    x2 = std::max(x2, r.x + r.width);
    y2 = std::max(y2, r.y + r.height);
  }
  INFO("damage bounds " << x1 << "," << y1 << " " << x2 - x1 << "x" << y2 - y1);
  CHECK(x1 <= 100);
  CHECK(y1 <= 50);
  CHECK(x2 >= 164);
  CHECK(y2 >= 82);
  CHECK((x2 - x1) * (y2 - y1) < 640 * 480 / 4);

  CHECK(pixelAt(b.get(), 100, 50) == 0x00ff00);
  CHECK(pixelAt(b.get(), 163, 81) == 0x00ff00);
  CHECK(pixelAt(b.get(), 99, 50) == 0x000000);
  CHECK(pixelAt(b.get(), 164, 82) == 0x000000);
}

TEMPLATE_TEST_CASE("force-key-unit and vdi-repaint re-push the last frame at once", "[waylandsrc]",
                   SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  TestType sway;
  auto client = sway.startTestClient();
  REQUIRE(client->send("color 884422"));
  REQUIRE(client->waitFor("ok color", 5s));
  auto h = captureHarness(sway.props(), "keepalive=0");
  REQUIRE(pullUntil(h.get(), 5s, [](GstBuffer *b) { return allPixels(b, 0x884422); }));
  collect(h.get(), 300ms);
  /* Nothing changes and keepalive is off: nothing comes. */
  CHECK_FALSE(pullWithin(h.get(), 500ms));

  GstEvent *fku = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 1);
  int64_t t0 = monotonicMs();
  REQUIRE(gst_harness_push_upstream_event(h.get(), fku));
  Buffer b = pullWithin(h.get(), 1000ms);
  REQUIRE(b);
  INFO("re-push after " << monotonicMs() - t0 << " ms");
  CHECK(monotonicMs() - t0 < 100);
  CHECK(allPixels(b.get(), 0x884422));
  CHECK_FALSE(pullWithin(h.get(), 300ms));

  GstEvent *repaint =
    gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty("vdi-repaint"));
  t0 = monotonicMs();
  REQUIRE(gst_harness_push_upstream_event(h.get(), repaint));
  b = pullWithin(h.get(), 1000ms);
  REQUIRE(b);
  CHECK(monotonicMs() - t0 < 100);
}

TEST_CASE("an output mode change renegotiates caps while playing", "[waylandsrc]")
{
  REQUIRE_SWAY();
  SwaySession sway;
  auto client = sway.startTestClient();
  REQUIRE(client->send("color 0000ff"));
  REQUIRE(client->waitFor("ok color", 5s));
  auto h = captureHarness("display=" + quoted(sway.display()));
  REQUIRE(pullUntil(h.get(), 5s, [](GstBuffer *b) { return allPixels(b, 0x0000ff); }));

  std::string out;
  REQUIRE(sway.swaymsg({"output", "HEADLESS-1", "resolution", "1280x720"}, &out) == 0);
  REQUIRE(client->waitFor("configured 1280 720", 5s));
  REQUIRE(client->send("color 00ffff"));
  REQUIRE(client->waitFor("ok color", 5s));
  Buffer b = pullUntil(h.get(), 5s, [](GstBuffer *buf) {
    GstVideoMeta *m = gst_buffer_get_video_meta(buf);
    return m->width == 1280 && allPixels(buf, 0x00ffff);
  });
  REQUIRE(b);
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(h->sinkpad);
  GstVideoInfo info;
  REQUIRE(gst_video_info_from_caps(&info, caps));
  CHECK(GST_VIDEO_INFO_WIDTH(&info) == 1280);
  CHECK(GST_VIDEO_INFO_HEIGHT(&info) == 720);
  CHECK(gst_buffer_get_size(b.get()) >= 1280u * 720 * 4);
}

TEMPLATE_TEST_CASE("downstream can ask for a lower framerate", "[waylandsrc]", SwayDesktop,
                   MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  TestType sway;
  auto client = sway.startTestClient();
  std::string desc = "vdiwaylandsrc show-cursor=false keepalive=0 " + sway.props() +
                     " ! capsfilter caps=video/x-raw,framerate=10/1";
  HarnessPtr h(gst_harness_new_parse(desc.c_str()));
  gst_harness_use_systemclock(h.get());
  gst_harness_play(h.get());
  REQUIRE(client->send("animate 60"));
  REQUIRE(client->waitFor("ok animate", 5s));
  collect(h.get(), 300ms);
  auto frames = collect(h.get(), 2000ms);
  INFO("frames in 2 s at framerate=10/1: " << frames.size());
  CHECK(frames.size() >= 16);
  CHECK(frames.size() <= 22);
}

/* ---- errors a user must understand --------------------------------------- */

namespace {

struct ElementRun {
  GstElement *pipeline;
  GstBus *bus;
  explicit ElementRun(const std::string &desc)
  {
    GError *err = nullptr;
    pipeline = gst_parse_launch(desc.c_str(), &err);
    REQUIRE(pipeline);
    bus = gst_element_get_bus(pipeline);
  }
  ~ElementRun()
  {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
  }
  /* Whether a frame reached the sink named "out" (since it last left
   * PAUSED) within @timeout: the source streams. */
  bool frameWithin(std::chrono::milliseconds timeout)
  {
    GstElement *out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
    REQUIRE(out);
    bool seen = eventually(timeout, [out] {
      GstSample *sample = nullptr;
      g_object_get(out, "last-sample", &sample, nullptr);
      if (sample)
        gst_sample_unref(sample);
      return sample != nullptr;
    });
    gst_object_unref(out);
    return seen;
  }
};

} // namespace

TEST_CASE("no compositor: the error names the display", "[waylandsrc][errors]")
{
  ElementRun run("vdiwaylandsrc display=/tmp/vdi-no-such-compositor/wayland-7 ! fakesink");
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  std::string err = waitForError(run.bus, 2s);
  INFO(err);
  CHECK(err.find("/tmp/vdi-no-such-compositor/wayland-7") != std::string::npos);
  CHECK(err.find("Could not connect") != std::string::npos);
}

TEST_CASE("unknown output: the error lists the outputs", "[waylandsrc][errors]")
{
  REQUIRE_SWAY();
  SwaySession sway;
  ElementRun run("vdiwaylandsrc output=DP-9 display=" + quoted(sway.display()) + " ! fakesink");
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  std::string err = waitForError(run.bus, 2s);
  INFO(err);
  CHECK(err.find("DP-9") != std::string::npos);
  CHECK(err.find("HEADLESS-1") != std::string::npos);
}

TEST_CASE("a compositor without screencopy: the error names the protocol", "[waylandsrc][errors]")
{
  /* weston is a real compositor that does not implement wlr-screencopy. */
  g_autofree char *weston = g_find_program_in_path("weston");
  if (!weston)
    VDI_SKIP("weston is not installed (run ./scripts/setup)");
  REQUIRE_SWAY();
  SwaySession::Options opts;
  opts.command = {"weston",      "--backend=headless-backend.so",
                  "--width=320", "--height=240",
                  "--no-config", "--idle-time=0"};
  SwaySession weston_session(opts);
  ElementRun run("vdiwaylandsrc display=" + quoted(weston_session.display()) + " ! fakesink");
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  std::string err = waitForError(run.bus, 2s);
  INFO(err);
  CHECK(err.find("wlr-screencopy-unstable-v1") != std::string::npos);
}

TEST_CASE("the compositor exiting while playing is an error, not a hang", "[waylandsrc][errors]")
{
  REQUIRE_SWAY();
  SwaySession sway;
  auto client = sway.startTestClient();
  ElementRun run("vdiwaylandsrc display=" + quoted(sway.display()) + " ! fakesink name=out");
  REQUIRE(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  REQUIRE(run.frameWithin(5s));
  sway.killCompositor();
  std::string err = waitForError(run.bus, 3s);
  INFO(err);
  CHECK(err.find("compositor") != std::string::npos);
  int64_t t0 = monotonicMs();
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  CHECK(monotonicMs() - t0 < 1000);
}

TEMPLATE_TEST_CASE("state changes while waiting for damage do not hang", "[waylandsrc]",
                   SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  TestType sway;
  auto client = sway.startTestClient();
  ElementRun run("vdiwaylandsrc keepalive=0 " + sway.props() + " ! fakesink name=out");
  for (int i = 0; i < 5; i++) {
    REQUIRE(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    /* Past its first frame the streaming thread sleeps in create()
     * (nothing changes): unlock must wake it at once. */
    REQUIRE(run.frameWithin(5s));
    int64_t t0 = monotonicMs();
    REQUIRE(gst_element_set_state(run.pipeline, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS);
    CHECK(monotonicMs() - t0 < 500);
  }
}

TEMPLATE_TEST_CASE("it behaves as a live source: no preroll, latency answered", "[waylandsrc]",
                   SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  TestType sway;
  auto client = sway.startTestClient();
  ElementRun run("vdiwaylandsrc " + sway.props() +
                 " ! capsfilter caps=video/x-raw,framerate=30/1 ! fakesink sync=true");
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_NO_PREROLL);
  REQUIRE(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  REQUIRE(gst_element_get_state(run.pipeline, nullptr, nullptr, 5 * GST_SECOND) ==
          GST_STATE_CHANGE_SUCCESS);
  g_autoptr(GstQuery) q = gst_query_new_latency();
  REQUIRE(gst_element_query(run.pipeline, q));
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  gst_query_parse_latency(q, &live, &min, &max);
  CHECK(live);
  /* One frame interval at the negotiated 30 fps. */
  CHECK(min == gst_util_uint64_scale_int(GST_SECOND, 1, 30));
}

/* ---- Mutter: errors a user must understand, cursor metadata -------------- */

TEST_CASE("mutter: no ScreenCast service on the bus names the service",
          "[waylandsrc][errors][mutter]")
{
  REQUIRE_DESKTOP(MutterDesktop);
  MutterCompositor::Options opts;
  opts.bus_only = true;
  MutterCompositor bus(opts);
  ElementRun run("vdiwaylandsrc backend=mutter bus-address=" + quoted(bus.busAddress()) +
                 " ! fakesink");
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  std::string err = waitForError(run.bus, 2s);
  INFO(err);
  CHECK(err.find("org.gnome.Mutter.ScreenCast") != std::string::npos);
  CHECK(err.find(bus.busAddress()) != std::string::npos);
}

TEST_CASE("mutter: an unreachable session bus is named in the error",
          "[waylandsrc][errors][mutter]")
{
  ElementRun run("vdiwaylandsrc backend=mutter bus-address=unix:path=/tmp/vdi-no-such-bus ! "
                 "fakesink");
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  std::string err = waitForError(run.bus, 2s);
  INFO(err);
  CHECK(err.find("Cannot reach the D-Bus session bus at unix:path=/tmp/vdi-no-such-bus") !=
        std::string::npos);
}

TEST_CASE("mutter: auto falls back to Mutter when there is no wlr-screencopy",
          "[waylandsrc][mutter]")
{
  REQUIRE_DESKTOP(MutterDesktop);
  MutterDesktop desk;
  auto client = desk.startTestClient();
  REQUIRE(client->send("color 00ffff"));
  REQUIRE(client->waitFor("ok color", 5s));
  auto h = captureHarness("backend=auto display=" + quoted(desk.session.display()) +
                          " bus-address=" + quoted(desk.session.busAddress()));
  CHECK(pullUntil(h.get(), 5s, [](GstBuffer *b) { return allPixels(b, 0x00ffff); }));
}

TEST_CASE("mutter: a stream that never starts is a time-out error", "[waylandsrc][errors][mutter]")
{
  REQUIRE_DESKTOP(MutterDesktop);
  MutterCompositor mutter;
  mutter.stopSessionManager(); /* nothing links the stream to us now */
  ElementRun run("vdiwaylandsrc " + mutter.elementProperties() + " ! fakesink");
  int64_t t0 = monotonicMs();
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  std::string err = waitForError(run.bus, 2s);
  INFO(err);
  CHECK(err.find("did not start within 5 s") != std::string::npos);
  CHECK(monotonicMs() - t0 < 8000);
}

TEST_CASE("mutter: Mutter exiting while playing is an error, not a hang",
          "[waylandsrc][errors][mutter]")
{
  REQUIRE_DESKTOP(MutterDesktop);
  MutterCompositor mutter;
  auto client = mutter.startTestClient();
  ElementRun run("vdiwaylandsrc " + mutter.elementProperties() + " ! fakesink");
  REQUIRE(gst_element_set_state(run.pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  REQUIRE(gst_element_get_state(run.pipeline, nullptr, nullptr, 5 * GST_SECOND) ==
          GST_STATE_CHANGE_SUCCESS);
  mutter.killCompositor();
  std::string err = waitForError(run.bus, 5s);
  INFO(err);
  /* Whichever notices first: the Wayland socket or Mutter leaving the bus. */
  CHECK((err.find("Mutter") != std::string::npos || err.find("compositor") != std::string::npos));
  int64_t t0 = monotonicMs();
  CHECK(gst_element_set_state(run.pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  CHECK(monotonicMs() - t0 < 1000);
}

TEST_CASE("mutter: with show-cursor=false the pointer travels as vdi-cursor events",
          "[waylandsrc][mutter][cursor-meta]")
{
  REQUIRE_DESKTOP(MutterDesktop);
  /* Its own Mutter: in the shared one, earlier cases leave the pointer's
   * sprite (and Mutter's idea of which bitmap it sent) behind. */
  MutterCompositor mutter;
  auto client = mutter.startTestClient();
  auto h = captureHarness(mutter.elementProperties());
  /* Mutter 43 sends a stream's first frame only when the monitor changes. */
  REQUIRE(client->send("color 224466"));
  REQUIRE(client->waitFor("ok color", 5s));
  REQUIRE(pullWithin(h.get(), 5s));
  /* Over the client the pointer has no image (it sets none); over Mutter's
   * background it has the theme's arrow. */
  client->stop();
  /* Two moves: the shared Mutter's pointer may already be at the first. */
  for (int x : {300, 123}) {
    GstEvent *move = gst_navigation_event_new_mouse_move(x, 45, GST_NAVIGATION_MODIFIER_NONE);
    REQUIRE(gst_harness_push_upstream_event(h.get(), move));
  }
  int64_t deadline = monotonicMs() + 5000;
  /* The shape is declared once per stream: an image, or none (width 0,
   * image ""; Mutter 43 headless has no image for a sprite it never
   * rendered, which happens or not depending on what ran before). */
  bool seen = false, shape = false, image_ok = true;
  while (monotonicMs() < deadline && !(seen && shape)) {
    pullWithin(h.get(), 100ms);
    while (GstEvent *e = gst_harness_try_pull_event(h.get())) {
      const GstStructure *st = gst_event_get_structure(e);
      if (GST_EVENT_TYPE(e) == GST_EVENT_CUSTOM_DOWNSTREAM_OOB &&
          gst_structure_has_name(st, "vdi-cursor")) {
        int x = -1, y = -1;
        gst_structure_get_int(st, "x", &x);
        gst_structure_get_int(st, "y", &y);
        gboolean visible = FALSE;
        gst_structure_get_boolean(st, "visible", &visible);
        if (const char *bitmap = gst_structure_get_string(st, "image")) {
          shape = true;
          int w = -1, h = -1;
          gst_structure_get_int(st, "width", &w);
          gst_structure_get_int(st, "height", &h);
          gsize len = 0;
          g_autofree guchar *raw = g_base64_decode(bitmap, &len);
          image_ok = image_ok && (*bitmap ? w > 0 && h > 0 && len == gsize(w) * h * 4 : w == 0);
        }
        if (visible && x == 123 && y == 45)
          seen = true;
      }
      gst_event_unref(e);
    }
  }
  CHECK(seen);
  CHECK(shape);
  CHECK(image_ok);
}

/* ---- vdidamageconvert on real damage (issue 19) ---------------------------- */

namespace {

/* The I420 planes of @buf, packed, for comparing two outputs. */
std::vector<uint8_t> i420Bytes(GstBuffer *buf, GstCaps *caps)
{
  GstVideoInfo info;
  gst_video_info_from_caps(&info, caps);
  GstVideoFrame frame;
  std::vector<uint8_t> out;
  if (!gst_video_frame_map(&frame, &info, buf, GST_MAP_READ))
    return out;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame); p++) {
    const auto *data = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, p));
    int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, p);
    int w = GST_VIDEO_FRAME_COMP_WIDTH(&frame, p), h = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, p);
    for (int y = 0; y < h; y++)
      out.insert(out.end(), data + size_t(y) * stride, data + size_t(y) * stride + w);
  }
  gst_video_frame_unmap(&frame);
  return out;
}

HarnessPtr converter(GstCaps *caps, bool follow)
{
  HarnessPtr h(gst_harness_new("vdidamageconvert"));
  g_object_set(h->element, "follow-damage", follow, nullptr);
  gst_harness_set_src_caps(h.get(), gst_caps_copy(caps));
  gst_harness_set_sink_caps_str(h.get(), "video/x-raw,format=I420");
  return h;
}

} // namespace

TEMPLATE_TEST_CASE("vdidamageconvert follows real damage pixel-exact", "[waylandsrc][damage]",
                   SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  if (!gst_element_factory_find("vdidamageconvert"))
    VDI_SKIP("vdidamageconvert is not built (no libyuv)");
  TestType desk;
  auto client = desk.startTestClient();
  REQUIRE(client->send("color 202020"));
  REQUIRE(client->waitFor("ok color", 5s));
  auto h = captureHarness(desk.props(), "keepalive=50");
  REQUIRE(pullWithin(h.get(), 5s));
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(h->sinkpad);
  /* Every captured frame through both: damage-following and whole-frame. */
  auto follow = converter(caps, true), whole = converter(caps, false);
  std::vector<Buffer> held; /* outputs kept "downstream" for a while */
  int compared = 0;
  auto compareNext = [&](std::chrono::milliseconds within) {
    Buffer raw = pullWithin(h.get(), within);
    if (!raw)
      return;
    REQUIRE(gst_harness_push(whole.get(), gst_buffer_ref(raw.get())) == GST_FLOW_OK);
    REQUIRE(gst_harness_push(follow.get(), raw.release()) == GST_FLOW_OK);
    Buffer a(gst_harness_pull(follow.get())), b(gst_harness_pull(whole.get()));
    g_autoptr(GstCaps) out_caps = gst_pad_get_current_caps(follow->sinkpad);
    INFO("frame " << compared);
    REQUIRE(i420Bytes(a.get(), out_caps) == i420Bytes(b.get(), out_caps));
    compared++;
    held.push_back(std::move(a));
    if (held.size() > 3)
      held.erase(held.begin());
  };

  std::mt19937 rng(19);
  for (int i = 0; i < 30; i++) {
    int w = 1 + int(rng() % 200), hh = 1 + int(rng() % 150);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rect %d %d %d %d %06x", int(rng() % (640 - w)),
             int(rng() % (480 - hh)), w, hh, unsigned(rng() & 0xffffff));
    REQUIRE(client->send(cmd));
    REQUIRE(client->waitFor("ok rect", 5s));
    compareNext(200ms);
    compareNext(20ms);
  }
  REQUIRE(client->send("animate 30"));
  REQUIRE(client->waitFor("ok animate", 5s));
  for (int i = 0; i < 20; i++)
    compareNext(200ms);
  REQUIRE(client->send("stop"));
  REQUIRE(client->waitFor("ok stop", 5s));
  for (int i = 0; i < 5; i++)
    compareNext(200ms);

  GstStructure *stats = nullptr;
  g_object_get(follow->element, "stats", &stats, nullptr);
  guint64 frames = 0, full = 0, converted = 0;
  gst_structure_get_uint64(stats, "frames", &frames);
  gst_structure_get_uint64(stats, "full-frames", &full);
  gst_structure_get_uint64(stats, "converted-pixels", &converted);
  gst_structure_free(stats);
  INFO(compared << " frames compared; converter: " << frames << " frames, " << full << " whole, "
                << converted << " pixels converted");
  CHECK(compared >= 40);
  /* Sway reports the boxes: far less than whole frames. Mutter 43 sends no
   * damage (whole frames, still exact). */
  if (std::string(TestType::kName) == "sway")
    CHECK(converted < frames * 640 * 480 / 4);
}
