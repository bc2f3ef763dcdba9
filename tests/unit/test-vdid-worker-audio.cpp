/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The shape of the worker's sound chain (orchestrator/worker-audio.h), as
 * buildAudio() makes it with the real elements and vdiwebrtcsink: each
 * encoder must run on a thread of its own, so that a WebRTC audio path that
 * blocks cannot hold back the AAC of HLS and SRT (whose muxers then stall
 * the video too), nor the other way round. */

#include "test-util.h"
#include "worker-audio.h"

#include <gst/gst.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace {

bool isAudioEncoder(GstElement *e)
{
  GstElementFactory *f = gst_element_get_factory(e);
  const char *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : nullptr;
  return klass && strstr(klass, "Encoder") && strstr(klass, "Audio");
}

bool isA(GstElement *e, const char *factory)
{
  GstElementFactory *f = gst_element_get_factory(e);
  return f && g_strcmp0(GST_OBJECT_NAME(f), factory) == 0;
}

/* The elements from the nearest tee upstream of @e (excluded) down to @e
 * (excluded), following each element's one sink pad; empty if a chain
 * upstream has no tee. */
std::vector<GstElement *> branchAbove(GstElement *e, bool *reached_tee)
{
  std::vector<GstElement *> chain;
  *reached_tee = false;
  for (GstElement *cur = e;;) {
    g_autoptr(GstPad) sink = gst_element_get_static_pad(cur, "sink");
    if (!sink)
      return chain;
    g_autoptr(GstPad) peer = gst_pad_get_peer(sink);
    if (!peer)
      return chain;
    g_autoptr(GstElement) up = gst_pad_get_parent_element(peer);
    if (!up)
      return chain;
    if (isA(up, "tee")) {
      *reached_tee = true;
      return chain;
    }
    chain.push_back(up); /* the pipeline holds a reference */
    cur = up;
  }
}

} // namespace

TEST_CASE("each audio encoder runs behind a queue of its own", "[vdid][worker][sound]")
{
  g_autoptr(GstElement) pipeline = gst_pipeline_new("worker");
  GstElement *sink = gst_element_factory_make("vdiwebrtcsink", "sink");
  REQUIRE(sink);
  gst_bin_add(GST_BIN(pipeline), sink);
  vdid::worker::Audio audio;
  std::string error;
  bool built = vdid::worker::buildAudio(audio, pipeline, sink, "vdi-speaker.monitor", &error);
  INFO(error);
  REQUIRE(built);

  std::vector<GstElement *> encoders;
  g_autoptr(GstIterator) it = gst_bin_iterate_elements(GST_BIN(pipeline));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT(g_value_get_object(&item));
    if (isAudioEncoder(e))
      encoders.push_back(e);
    g_value_reset(&item);
  }
  g_value_unset(&item);
  /* Opus (WebRTC, WHEP) and AAC (HLS, SRT). */
  REQUIRE(encoders.size() == 2);

  std::vector<GstElement *> queues;
  for (GstElement *enc : encoders) {
    bool reached_tee;
    auto chain = branchAbove(enc, &reached_tee);
    INFO("encoder " << GST_OBJECT_NAME(enc));
    /* Fed by the capture's tee (not a chain of its own). */
    CHECK(reached_tee);
    GstElement *queue = nullptr;
    for (GstElement *e : chain)
      if (isA(e, "queue"))
        queue = e;
    REQUIRE(queue);
    /* Leaky: a branch that stops taking buffers drops its own audio
     * rather than blocking the tee. */
    gint leaky = 0;
    g_object_get(queue, "leaky", &leaky, nullptr);
    CHECK(leaky != 0);
    for (GstElement *q : queues)
      CHECK(q != queue);
    queues.push_back(queue);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
}

namespace {

GstElement *byName(GstElement *pipeline, const char *name)
{
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
  if (e)
    gst_object_unref(e); /* the pipeline holds it */
  return e;
}

std::string enumNick(GstElement *e, const char *property)
{
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(e), property);
  if (!spec || !G_IS_PARAM_SPEC_ENUM(spec))
    return "";
  GValue v = G_VALUE_INIT;
  g_value_init(&v, spec->value_type);
  g_object_get_property(G_OBJECT(e), property, &v);
  GEnumValue *ev = g_enum_get_value(G_PARAM_SPEC_ENUM(spec)->enum_class, g_value_get_enum(&v));
  g_value_unset(&v);
  return ev ? ev->value_nick : "";
}

/* RTP packets rtpopuspay (dtx=true, as vdiwebrtcsink sets it) sends for
 * @seconds of @wave (audiotestsrc) through an opusenc with the worker's
 * settings. */
int packetsFor(const char *wave, int seconds)
{
  g_autofree char *desc = g_strdup_printf(
    "audiotestsrc wave=%s samplesperbuffer=960 num-buffers=%d ! "
    "audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2 ! "
    "opusenc name=opus ! rtpopuspay dtx=true ! fakesink name=out signal-handoffs=true",
    wave, seconds * 50);
  g_autoptr(GError) error = nullptr;
  g_autoptr(GstElement) pipeline = gst_parse_launch(desc, &error);
  if (!pipeline)
    return -1;
  vdid::worker::configureOpus(byName(pipeline, "opus"));
  int packets = 0;
  g_signal_connect(
    byName(pipeline, "out"), "handoff",
    G_CALLBACK(+[](GstElement *, GstBuffer *, GstPad *, gpointer n) { ++*static_cast<int *>(n); }),
    &packets);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  g_autoptr(GstMessage) msg = gst_bus_timed_pop_filtered(
    bus, 30 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_element_set_state(pipeline, GST_STATE_NULL);
  if (!msg || GST_MESSAGE_TYPE(msg) != GST_MESSAGE_EOS)
    return -1;
  return packets;
}

} // namespace

/* What docs/sound.md chose (docs/benchmarks.md "Opus encoder"): a regression
 * in these settings is a regression in CPU, latency or bitrate. */
TEST_CASE("the worker's capture and Opus encoder carry the measured settings",
          "[vdid][worker][sound]")
{
  g_autoptr(GstElement) pipeline = gst_pipeline_new("worker");
  GstElement *sink = gst_element_factory_make("vdiwebrtcsink", "sink");
  REQUIRE(sink);
  gst_bin_add(GST_BIN(pipeline), sink);
  vdid::worker::Audio audio;
  std::string error;
  REQUIRE(vdid::worker::buildAudio(audio, pipeline, sink, "vdi-speaker.monitor", &error));

  gint64 latency_time = 0, buffer_time = 0;
  g_object_get(byName(pipeline, "audio-capture"), "latency-time", &latency_time, "buffer-time",
               &buffer_time, nullptr);
  /* 20 ms periods: half the wake-ups of 10 ms; 100 ms of room. */
  CHECK(latency_time == 20000);
  CHECK(buffer_time == 100000);

  GstElement *opus = byName(pipeline, "audio-opus");
  gint frame_size = 0, complexity = 0, bitrate = 0;
  g_object_get(opus, "frame-size", &frame_size, "complexity", &complexity, "bitrate", &bitrate,
               nullptr);
  /* 10 ms frames; complexity 7: cheaper than libopus' 10, the lowest
   * that keeps DTX (docs/benchmarks.md "Opus encoder"). */
  gboolean dtx = FALSE, fec = FALSE;
  g_object_get(opus, "dtx", &dtx, "inband-fec", &fec, nullptr);
  CHECK(frame_size == 10);
  CHECK(complexity == 7);
  CHECK(bitrate == 96000);
  CHECK(dtx);
  CHECK(fec);
  CHECK(enumNick(opus, "audio-type") == "generic");
  gst_element_set_state(pipeline, GST_STATE_NULL);
}

/* libopus 1.3 has no DTX in CELT-only mode (audio-type=restricted-lowdelay,
 * or complexity below 7 with audio-type=generic): it makes a 3-byte frame
 * every 10 ms of silence, and rtpopuspay sends them all (400 packets for
 * these 4 s at complexity 5, measured). With DTX: the first frames and an
 * update every few hundred ms (57 in 10 s measured). */
TEST_CASE("the worker's Opus encoder sends almost no packets for silence, every one for sound",
          "[vdid][worker][sound]")
{
  int silence = packetsFor("silence", 4);
  REQUIRE(silence >= 0);
  CHECK(silence < 60);
  int tone = packetsFor("sine", 2);
  CHECK(tone >= 200); /* 200 frames (and the drained look-ahead) */
}

namespace {

/* A 20 ms S16LE stereo capture buffer whose every sample is @value. */
GstBuffer *captureBuffer(gint16 value)
{
  constexpr gsize kFrames = 960;
  GstBuffer *b = gst_buffer_new_allocate(nullptr, kFrames * 4, nullptr);
  GstMapInfo m;
  gst_buffer_map(b, &m, GST_MAP_WRITE);
  auto *s = reinterpret_cast<gint16 *>(m.data);
  for (gsize i = 0; i < kFrames * 2; i++)
    s[i] = value;
  gst_buffer_unmap(b, &m);
  GST_BUFFER_PTS(b) = 0;
  GST_BUFFER_DURATION(b) = 20 * GST_MSECOND;
  return b;
}

/* The buffer's samples (one channel's worth is enough: both are equal). */
std::vector<gint16> samples(GstBuffer *b)
{
  GstMapInfo m;
  gst_buffer_map(b, &m, GST_MAP_READ);
  const auto *s = reinterpret_cast<const gint16 *>(m.data);
  std::vector<gint16> out(s, s + m.size / 2);
  gst_buffer_unmap(b, &m);
  return out;
}

} // namespace

/* The capture's probe (docs/sound.md "One clock"): what CaptureClock says
 * becomes samples. Samples the sound server lost come back as silence in
 * front of the next buffer; when the stream runs ahead, samples go from
 * the front; the buffer's pts and duration say so. */
TEST_CASE(
  "lost capture samples come back as silence where they were; a stream ahead loses its front",
  "[vdid][worker][sound]")
{
  using vdid::worker::CaptureClock;
  const int64_t ms = 1'000'000;
  SECTION("a hole of 256 frames")
  {
    CaptureClock::Stamp s{100 * ms, 256 * 1'000'000'000LL / 48000, 256, false};
    GstBuffer *b = vdid::worker::applyStamp(captureBuffer(1000), s, 4);
    std::vector<gint16> v = samples(b);
    REQUIRE(v.size() == (960 + 256) * 2);
    CHECK(std::all_of(v.begin(), v.begin() + 256 * 2, [](gint16 x) { return x == 0; }));
    CHECK(std::all_of(v.begin() + 256 * 2, v.end(), [](gint16 x) { return x == 1000; }));
    CHECK(GST_BUFFER_PTS(b) == GstClockTime(100 * ms));
    CHECK(GST_BUFFER_DURATION(b) == GstClockTime(20 * ms + s.gap));
    CHECK_FALSE(GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref(b);
  }
  SECTION("ahead by 100 frames, after a pause")
  {
    CaptureClock::Stamp s{5000 * ms, -100 * 1'000'000'000LL / 48000, -100, true};
    GstBuffer *b = vdid::worker::applyStamp(captureBuffer(-7), s, 4);
    std::vector<gint16> v = samples(b);
    REQUIRE(v.size() == (960 - 100) * 2);
    CHECK(std::all_of(v.begin(), v.end(), [](gint16 x) { return x == -7; }));
    CHECK(GST_BUFFER_PTS(b) == GstClockTime(5000 * ms));
    CHECK(GST_BUFFER_DURATION(b) == GstClockTime(20 * ms + s.gap));
    CHECK(GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref(b);
  }
  SECTION("on time")
  {
    CaptureClock::Stamp s{40 * ms, 0, 0, false};
    GstBuffer *b = vdid::worker::applyStamp(captureBuffer(3), s, 4);
    CHECK(samples(b).size() == 960 * 2);
    CHECK(GST_BUFFER_PTS(b) == GstClockTime(40 * ms));
    CHECK(GST_BUFFER_DURATION(b) == GstClockTime(20 * ms));
    gst_buffer_unref(b);
  }
}
