/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Encoder choice: selection logic with a fake registry, and the encoders
 * this machine has, live (encode real frames, check the units they got).
 */

#include "encoder-choice.h"
#include "gst-util.h"
#include "test-util.h"

#include <gst/app/gstappsink.h>

#include <set>

using namespace vdi::enc;

namespace {

/* A fake registry holding exactly @factories. */
Availability registry(std::set<std::string> factories)
{
  return [factories](const std::string &f) { return factories.count(f) > 0; };
}

const std::set<std::string> kCpu = {"videoconvert", "x264enc", "openh264enc"};

} // namespace

TEST_CASE("encoder choice: preference order follows availability", "[encoder]")
{
  Settings s;
  auto all = registry({"cudaupload", "cudaconvert", "cudascale", "nvh264enc", "vapostproc",
                       "vah264enc", "videoconvert", "x264enc", "openh264enc"});
  auto c = choose(s, all);
  REQUIRE(c);
  CHECK(c->encoder == Encoder::Nvh264);

  c = choose(s, registry({"vapostproc", "vah264enc", "videoconvert", "x264enc"}));
  REQUIRE(c);
  CHECK(c->encoder == Encoder::Vah264);

  c = choose(s, registry(kCpu));
  REQUIRE(c);
  CHECK(c->encoder == Encoder::X264);

  c = choose(s, registry({"videoconvert", "openh264enc"}));
  REQUIRE(c);
  CHECK(c->encoder == Encoder::OpenH264);
}

TEST_CASE("encoder choice: an encoder without its converter is skipped", "[encoder]")
{
  Settings s;
  /* nvh264enc registered but CUDA upload missing: not usable. */
  auto c =
    choose(s, registry({"nvh264enc", "cudaconvert", "vah264enc", "videoconvert", "x264enc"}));
  REQUIRE(c);
  CHECK(c->encoder == Encoder::X264);
}

TEST_CASE("encoder choice: software encoders convert only damage where they can", "[encoder]")
{
  Settings s;
  auto c = choose(s, registry({"vdidamageconvert", "videoconvert", "x264enc"}));
  REQUIRE(c);
  CHECK(c->convert == "vdidamageconvert ! video/x-raw,format=I420");
  CHECK(c->requires == std::vector<std::string>{"vdidamageconvert", "x264enc"});

  /* Built without libyuv: the same encoder with videoconvert. */
  c = choose(s, registry({"videoconvert", "openh264enc"}));
  REQUIRE(c);
  CHECK(c->encoder == Encoder::OpenH264);
  CHECK(c->convert == "videoconvert ! video/x-raw,format=I420");

  s.damage_convert = false;
  c = choose(s, registry({"vdidamageconvert", "videoconvert", "x264enc"}));
  REQUIRE(c);
  CHECK(c->convert == "videoconvert ! video/x-raw,format=I420");
}

TEST_CASE("encoder choice: nothing usable says what is missing", "[encoder]")
{
  std::string why;
  auto c = choose(Settings{}, registry({"videoconvert"}), defaultPreference(), &why);
  CHECK_FALSE(c);
  CHECK(why.find("nvh264enc: missing cudaupload cudaconvert cudascale nvh264enc") !=
        std::string::npos);
  CHECK(why.find("x264enc: missing x264enc") != std::string::npos);
  CHECK(why.find("openh264enc: missing openh264enc") != std::string::npos);
}

TEST_CASE("encoder choice: a forced preference", "[encoder]")
{
  auto c = choose(Settings{}, registry(kCpu), {Encoder::OpenH264});
  REQUIRE(c);
  CHECK(c->encoder == Encoder::OpenH264);
  CHECK(parseEncoder("x264") == Encoder::X264);
  CHECK(parseEncoder("nvh264enc") == Encoder::Nvh264);
  CHECK(parseEncoder("va") == Encoder::Vah264);
  CHECK_FALSE(parseEncoder("h265"));
}

TEST_CASE("encoder choice: units and low-latency settings", "[encoder]")
{
  Settings s;
  s.bitrate_kbps = 2500;
  s.framerate = 60;
  s.keyframe_interval_s = 1;
  s.vbv_ms = 200;

  Choice x = describe(Encoder::X264, s);
  CHECK(x.gop_frames == 60);
  CHECK(x.encode.find("bitrate=2500 ") != std::string::npos);
  CHECK(x.encode.find("key-int-max=60") != std::string::npos);
  CHECK(x.encode.find("bframes=0") != std::string::npos);
  CHECK(x.encode.find("tune=zerolatency") != std::string::npos);
  CHECK(x.encode.find("vbv-buf-capacity=200") != std::string::npos);
  CHECK(x.convert.find("vdidamageconvert ! video/x-raw,format=I420") == 0);
  CHECK(x.caps == "capsfilter caps=video/x-h264,profile=constrained-baseline");

  Choice o = describe(Encoder::OpenH264, s);
  CHECK(o.encode.find("bitrate=2500000 ") != std::string::npos); /* bit/s */
  CHECK(o.encode.find("gop-size=60") != std::string::npos);

  Choice n = describe(Encoder::Nvh264, s);
  CHECK(n.encode.find("bitrate=2500 ") != std::string::npos);
  CHECK(n.encode.find("vbv-buffer-size=500") != std::string::npos); /* kbit: 2500 * 0.2 */
  CHECK(n.encode.find("gop-size=60") != std::string::npos);
  CHECK(n.encode.find("bframes=0") != std::string::npos);
  CHECK(n.convert.find("cudaupload ! cudaconvert") == 0);

  Choice v = describe(Encoder::Vah264, s);
  CHECK(v.encode.find("bitrate=2500 ") != std::string::npos);
  CHECK(v.encode.find("cpb-size=500") != std::string::npos);
  CHECK(v.encode.find("b-frames=0") != std::string::npos);
  CHECK(v.convert.find("vapostproc") == 0);

  /* A size cap that can change while it runs: after the conversion, scaled
   * by videoscale, cudascale, or vapostproc itself. */
  CHECK(describe(Encoder::X264, s)
          .launchScalable("size")
          .find(" ! video/x-raw,format=I420 ! videoscale ! capsfilter name=size ! x264enc ") !=
        std::string::npos);
  CHECK(n.launchScalable("size").find("format=NV12 ! cudascale ! capsfilter name=size ! "
                                      "nvh264enc ") != std::string::npos);
  CHECK(v.launchScalable("size").find("format=NV12 ! capsfilter name=size ! vah264enc ") !=
        std::string::npos);

  /* Keyframes on demand: a long safety GOP. */
  s.keyframe_interval_s = 0;
  CHECK(describe(Encoder::X264, s).gop_frames == 60 * kOnDemandGopSeconds);
  /* Fractional intervals round to frames. */
  s.keyframe_interval_s = 0.5;
  s.framerate = 25;
  CHECK(describe(Encoder::X264, s).gop_frames == 13);
}

/* ---- live: the encoders registered here ----------------------------------- */

namespace {

struct LiveResult {
  int frames = 0;
  int keyframes = 0;
  std::string profile;
};

/* Encodes 40 frames of 320x240@30 through the chosen fragment. */
LiveResult encodeLive(const Choice &c)
{
  std::string desc = "videotestsrc num-buffers=40 pattern=ball ! "
                     "video/x-raw,width=320,height=240,framerate=30/1 ! " +
                     c.launch() +
                     " ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au"
                     " ! appsink name=out sync=false";
  g_autoptr(GError) error = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &error);
  INFO(desc << ": " << (error ? error->message : ""));
  REQUIRE(pipeline);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  REQUIRE(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  LiveResult r;
  while (GstSample *sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 20 * GST_SECOND)) {
    r.frames++;
    if (!GST_BUFFER_FLAG_IS_SET(gst_sample_get_buffer(sample), GST_BUFFER_FLAG_DELTA_UNIT))
      r.keyframes++;
    if (r.profile.empty()) {
      const gchar *p =
        gst_structure_get_string(gst_caps_get_structure(gst_sample_get_caps(sample), 0), "profile");
      r.profile = p ? p : "";
    }
    gst_sample_unref(sample);
    if (gst_app_sink_is_eos(GST_APP_SINK(sink)))
      break;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return r;
}

void liveTest(Encoder e)
{
  Settings s;
  s.bitrate_kbps = 800;
  s.framerate = 30;
  s.keyframe_interval_s = 0.5; /* 15 frames */
  std::string why;
  auto c = choose(s, gstAvailable, {e}, &why);
  if (!c)
    VDI_SKIP(std::string(factoryName(e)) + " not usable here (" + why + ")");

  /* The bin the library builds holds the encoder with our units. */
  g_autoptr(GError) error = nullptr;
  GstElement *bin = makeBin(*c, &error);
  REQUIRE(bin);
  GstElement *enc = gst_bin_get_by_name(GST_BIN(bin), "encoder");
  REQUIRE(enc);
  guint bitrate = 0;
  g_object_get(enc, "bitrate", &bitrate, nullptr);
  CHECK(bitrate == (e == Encoder::OpenH264 ? 800000u : 800u));
  gst_object_unref(enc);
  gst_object_unref(bin);

  LiveResult r = encodeLive(*c);
  CHECK(r.frames == 40);
  CHECK(r.keyframes >= 3); /* frames 0, 15, 30 */
  CHECK(r.keyframes <= 4);
  CHECK(r.profile == "constrained-baseline");
}

} // namespace

TEST_CASE("encoder live: x264enc", "[encoder][live]")
{
  liveTest(Encoder::X264);
}
TEST_CASE("encoder live: openh264enc", "[encoder][live]")
{
  liveTest(Encoder::OpenH264);
}
TEST_CASE("encoder live: nvh264enc", "[encoder][live]")
{
  liveTest(Encoder::Nvh264);
}
TEST_CASE("encoder live: vah264enc", "[encoder][live]")
{
  liveTest(Encoder::Vah264);
}

TEST_CASE("encoder live: the default choice works here", "[encoder][live]")
{
  std::string why;
  auto c = choose(Settings{}, gstAvailable, defaultPreference(), &why);
  if (!c)
    VDI_SKIP("no H.264 encoder usable here: " + why);
  LiveResult r = encodeLive(*c);
  CHECK(r.frames == 40);
  CHECK(r.keyframes >= 1);
}
