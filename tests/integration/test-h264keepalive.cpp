/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdih264keepalive against real encoders and a real decoder: x264enc
 * encodes changing frames, then nothing for a while, then changing frames
 * again; the element's output, skipped pictures included, goes through
 * avdec_h264 (corrupt frames dropped), and every picture must decode: the
 * encoder's pictures as they decode without the element, the skipped ones
 * as the picture before them, pixel for pixel.
 */

#include "test-util.h"

#include <catch2/catch.hpp>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr int kWidth = 320, kHeight = 240;
constexpr size_t kFrameBytes = kWidth * kHeight * 3 / 2;

struct Unit {
  std::vector<uint8_t> bytes;
  GstClockTime pts;
};

using Frame = std::vector<uint8_t>;

bool haveElements()
{
  for (const char *name : {"x264enc", "avdec_h264", "h264parse", "vdih264keepalive"})
    if (GstElementFactory *f = gst_element_factory_find(name))
      gst_object_unref(f);
    else
      return false;
  return true;
}

Unit unitOf(GstBuffer *b)
{
  Unit u;
  u.bytes.resize(gst_buffer_get_size(b));
  gst_buffer_extract(b, 0, u.bytes.data(), u.bytes.size());
  u.pts = GST_BUFFER_PTS(b);
  return u;
}

struct Collector {
  std::mutex lock;
  std::vector<Unit> units;
  static GstFlowReturn onSample(GstAppSink *sink, gpointer data)
  {
    auto *c = static_cast<Collector *>(data);
    GstSample *sample = gst_app_sink_pull_sample(sink);
    std::lock_guard<std::mutex> l(c->lock);
    c->units.push_back(unitOf(gst_sample_get_buffer(sample)));
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  }
  size_t size()
  {
    std::lock_guard<std::mutex> l(lock);
    return units.size();
  }
};

/* The encoder's input: noise that changes in every frame. */
GstBuffer *changingFrame(unsigned seed)
{
  GstBuffer *b = gst_buffer_new_allocate(nullptr, kFrameBytes, nullptr);
  GstMapInfo map;
  gst_buffer_map(b, &map, GST_MAP_WRITE);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < kFrameBytes; i++)
    map.data[i] = i < size_t(kWidth * kHeight) ? uint8_t(rng() & 0xf0) : 128;
  gst_buffer_unmap(b, &map);
  return b;
}

struct Encoded {
  std::vector<Unit> in, out; /* the encoder's output; the element's */
  std::vector<std::string> warnings;
  guint64 skipped = 0, repaints = 0;
  int repaint_events = 0;
};

/* Encodes @before changing frames, waits until @idle_units skipped
 * pictures (or repaint requests) followed, then encodes @after more. */
Encoded encode(const std::string &encoder, int before, guint64 idle_units, int after)
{
  std::string desc = "appsrc name=src is-live=true do-timestamp=true format=time "
                     "caps=video/x-raw,format=I420,width=" +
                     std::to_string(kWidth) + ",height=" + std::to_string(kHeight) +
                     ",framerate=30/1 ! " + encoder +
                     " ! video/x-h264,stream-format=byte-stream,alignment=au ! tee name=t "
                     "t. ! queue ! appsink name=in sync=false "
                     "t. ! queue ! vdih264keepalive name=keepalive interval=40 "
                     "! appsink name=out sync=false";
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &error);
  REQUIRE(pipeline);
  REQUIRE(!error);
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *keepalive = gst_bin_get_by_name(GST_BIN(pipeline), "keepalive");
  Collector in, out;
  GstAppSinkCallbacks cb = {};
  cb.new_sample = Collector::onSample;
  for (auto [name, c] : {std::pair{"in", &in}, std::pair{"out", &out}}) {
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), name);
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, c, nullptr);
    gst_object_unref(sink);
  }
  Encoded e;
  std::atomic<int> repaints{0};
  GstPad *src_pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(
    src_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
    [](GstPad *, GstPadProbeInfo *info, gpointer data) {
      GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
      if (GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_UPSTREAM && gst_event_has_name(ev, "vdi-repaint"))
        (*static_cast<std::atomic<int> *>(data))++;
      return GST_PAD_PROBE_OK;
    },
    &repaints, nullptr);
  gst_object_unref(src_pad);
  REQUIRE(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);

  auto pushFrames = [&](int n, unsigned seed) {
    for (int i = 0; i < n; i++) {
      size_t had = in.size();
      REQUIRE(gst_app_src_push_buffer(GST_APP_SRC(src), changingFrame(seed + i)) == GST_FLOW_OK);
      /* one at a time, as a damage-driven source would send them */
      REQUIRE(vdi::test::eventually(10s, [&] { return in.size() > had; }));
    }
  };
  pushFrames(before, 1);
  auto idleUnits = [&] {
    guint64 skipped = 0, asked = 0;
    g_object_get(keepalive, "skipped", &skipped, "repaints", &asked, nullptr);
    return skipped + asked;
  };
  REQUIRE(vdi::test::eventually(10s, [&] { return idleUnits() >= idle_units; }));
  pushFrames(after, 1000);
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  GstBus *bus = gst_element_get_bus(pipeline);
  /* Until EOS, keeping the warnings on the way. */
  bool eos = false;
  while (!eos) {
    GstMessage *m = gst_bus_timed_pop_filtered(
      bus, 10 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_WARNING));
    REQUIRE(m);
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) {
      GError *err = nullptr;
      gst_message_parse_warning(m, &err, nullptr);
      e.warnings.push_back(err->message);
      g_error_free(err);
    }
    eos = GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
    gst_message_unref(m);
  }
  gst_object_unref(bus);
  g_object_get(keepalive, "skipped", &e.skipped, "repaints", &e.repaints, nullptr);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  e.in = std::move(in.units);
  e.out = std::move(out.units);
  e.repaint_events = repaints;
  gst_object_unref(keepalive);
  gst_object_unref(src);
  gst_object_unref(pipeline);
  return e;
}

/* Every picture of @units as avdec_h264 decodes it (I420), corrupt ones
 * dropped. */
std::vector<Frame> decode(const std::vector<Unit> &units)
{
  GstElement *pipeline = gst_parse_launch(
    "appsrc name=src format=time caps=video/x-h264,stream-format=byte-stream,alignment=au "
    "! h264parse ! avdec_h264 output-corrupt=false ! videoconvert "
    "! video/x-raw,format=I420 ! appsink name=sink sync=false",
    nullptr);
  REQUIRE(pipeline);
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  REQUIRE(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstClockTime pts = 0;
  for (const Unit &u : units) {
    GstBuffer *b = gst_buffer_new_memdup(u.bytes.data(), u.bytes.size());
    GST_BUFFER_PTS(b) = GST_BUFFER_DTS(b) = pts;
    pts += 10 * GST_MSECOND;
    REQUIRE(gst_app_src_push_buffer(GST_APP_SRC(src), b) == GST_FLOW_OK);
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  std::vector<Frame> frames;
  while (GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 10 * GST_SECOND)) {
    GstBuffer *b = gst_sample_get_buffer(s);
    Frame f(gst_buffer_get_size(b));
    gst_buffer_extract(b, 0, f.data(), f.size());
    frames.push_back(std::move(f));
    gst_sample_unref(s);
  }
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *err = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  CHECK(!err);
  if (err)
    gst_message_unref(err);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_object_unref(pipeline);
  return frames;
}

/* The element's output must be the encoder's, in order, with skipped
 * pictures between: the ones not found among the encoder's (renumbered
 * ones differ in a few header bits only, never in size by much). */
void checkExtended(const std::string &encoder)
{
  Encoded e = encode(encoder, 6, 8, 6);
  INFO(encoder);
  CHECK(e.warnings.empty());
  REQUIRE(e.skipped >= 8);
  REQUIRE(e.out.size() == e.in.size() + e.skipped);

  /* Skipped pictures: a few bytes each, every macroblock skipped. */
  std::vector<bool> is_skip;
  size_t real = 0;
  for (const Unit &u : e.out) {
    bool skip = real >= e.in.size() || u.bytes.size() + 32 < e.in[real].bytes.size();
    is_skip.push_back(skip);
    if (!skip)
      real++;
    else
      CHECK(u.bytes.size() < 64);
  }
  REQUIRE(real == e.in.size());
  /* Timestamps keep rising through the skipped pictures. */
  for (size_t i = 1; i < e.out.size(); i++)
    CHECK(e.out[i].pts > e.out[i - 1].pts);

  std::vector<Frame> plain = decode(e.in), extended = decode(e.out);
  REQUIRE(plain.size() == e.in.size());
  REQUIRE(extended.size() == e.out.size());
  size_t n = 0;
  int skipped_checked = 0;
  for (size_t i = 0; i < extended.size(); i++) {
    INFO("picture " << i << (is_skip[i] ? " (skipped)" : ""));
    if (is_skip[i]) {
      REQUIRE(i > 0);
      CHECK(extended[i] == extended[i - 1]);
      skipped_checked++;
    } else {
      CHECK(extended[i] == plain[n++]);
    }
  }
  CHECK(skipped_checked == int(e.skipped));
}

} // namespace

TEST_CASE("vdih264keepalive: skipped pictures decode as the previous picture, CAVLC (the worker's "
          "x264 settings)",
          "[h264keepalive]")
{
  if (!haveElements())
    VDI_SKIP("x264enc, avdec_h264, h264parse or vdih264keepalive missing");
  checkExtended("x264enc tune=zerolatency speed-preset=ultrafast bframes=0 b-adapt=false "
                "sliced-threads=true key-int-max=1000");
}

TEST_CASE("vdih264keepalive: skipped pictures decode as the previous picture, CABAC with "
          "weighted prediction",
          "[h264keepalive]")
{
  if (!haveElements())
    VDI_SKIP("x264enc, avdec_h264, h264parse or vdih264keepalive missing");
  checkExtended("x264enc tune=zerolatency speed-preset=veryfast bframes=0 key-int-max=1000 "
                "ref=1 cabac=true option-string=weightp=2");
}

TEST_CASE("vdih264keepalive: a stream with more reference frames passes unchanged, with a "
          "warning and repaint requests",
          "[h264keepalive]")
{
  if (!haveElements())
    VDI_SKIP("x264enc, avdec_h264, h264parse or vdih264keepalive missing");
  Encoded e = encode("x264enc tune=zerolatency speed-preset=fast bframes=0 ref=3", 4, 3, 2);
  REQUIRE(e.warnings.size() == 1);
  CHECK(e.warnings[0].find("3 reference frames") != std::string::npos);
  CHECK(e.skipped == 0);
  CHECK(e.repaints >= 3);
  CHECK(e.repaint_events >= 3);
  REQUIRE(e.out.size() == e.in.size());
  for (size_t i = 0; i < e.in.size(); i++)
    CHECK(e.out[i].bytes == e.in[i].bytes);
}
