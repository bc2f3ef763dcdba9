/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "worker-audio.h"

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC(vdi_audio_debug);
#define GST_CAT_DEFAULT vdi_audio_debug

namespace vdid::worker {

namespace {

/* What the encoders get: 48 kHz stereo, 16-bit (opusenc's native input). */
constexpr const char *kRawCaps =
  "audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2";

GstElement *make(const char *factory, const char *name, std::string *error)
{
  GstElement *e = gst_element_factory_make(factory, name);
  if (!e && error->empty())
    *error = std::string("the GStreamer element ") + factory + " is not installed";
  return e;
}

/* Whether the graph must run: see worker-audio.h. */
void updateKeeper(Audio &a)
{
  bool want = !a.failed && !a.device.empty() && (a.aac_demand || !a.opus_caps);
  if (want == (a.keeper != nullptr))
    return;
  if (!want) {
    stopKeeper(a);
    return;
  }
  a.keeper = gst_pipeline_new("audio-keeper");
  GstElement *src = gst_element_factory_make("pulsesrc", nullptr);
  GstElement *sink = gst_element_factory_make("fakesink", nullptr);
  if (!src || !sink) {
    for (GstElement *e : {src, sink})
      if (e)
        gst_object_unref(e);
    return;
  }
  g_object_set(src, "device", a.device.c_str(), "client-name", "vdid-worker-keeper",
               "provide-clock", FALSE, nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(a.keeper), src, sink, nullptr);
  /* Its failures are the capture's too, and reported there: its own bus
   * is not watched. */
  if (!gst_element_link(src, sink) ||
      gst_element_set_state(a.keeper, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    g_warning("the sound keeper did not start: the stream may have holes while nothing plays");
}

/* The encoder's first caps (a streaming thread): the keeper's start-up job
 * is done, on the main thread. */
GstPadProbeReturn onOpusCaps(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  g_idle_add(
    [](gpointer d) {
      Audio &a = *static_cast<Audio *>(d);
      a.opus_caps = true;
      updateKeeper(a);
      return G_SOURCE_REMOVE;
    },
    data);
  return GST_PAD_PROBE_REMOVE;
}

/* The capture's timestamps: CaptureClock (capture-clock.h), on the
 * pipeline's clock, the samples lost by the session's sound server filled
 * with silence. pulsesrc's own (skew-slaved) timestamps count samples:
 * they fall behind for good with every cycle the session's PipeWire loses,
 * and after a pause of the passive capture they stay behind by the whole
 * pause; HLS and SRT then play the sound late and their muxers hold the
 * video back to it. */
GstPadProbeReturn onCaptured(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Audio &a = *static_cast<Audio *>(data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  g_autoptr(GstClock) clock = gst_element_get_clock(a.pipeline);
  if (!buf || !clock || !GST_BUFFER_DURATION_IS_VALID(buf))
    return GST_PAD_PROBE_OK;
  /* The frame size and rate: kRawCaps (S16LE), whatever the channels. */
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  GstStructure *st = caps ? gst_caps_get_structure(caps, 0) : nullptr;
  int rate = 0, channels = 0;
  if (!st || !gst_structure_get_int(st, "rate", &rate) ||
      !gst_structure_get_int(st, "channels", &channels) || rate <= 0 || channels <= 0)
    return GST_PAD_PROBE_OK;
  GstClockTime now = gst_clock_get_time(clock) - gst_element_get_base_time(a.pipeline);
  GstClockTime duration = GST_BUFFER_DURATION(buf);
  CaptureClock::Stamp s = a.clock.stamp(gint64(now), gint64(duration), rate);
  GST_LOG("captured %" GST_TIME_FORMAT " at %" GST_TIME_FORMAT ": pts %" GST_TIME_FORMAT
          " (pulsesrc %" GST_TIME_FORMAT ")%s gap %" G_GINT64_FORMAT " samples",
          GST_TIME_ARGS(duration), GST_TIME_ARGS(now), GST_TIME_ARGS(GstClockTime(s.pts)),
          GST_TIME_ARGS(GST_BUFFER_PTS(buf)), s.discont ? " resync" : "", s.gap_samples);
  GST_PAD_PROBE_INFO_DATA(info) = applyStamp(buf, s, gsize(2 * channels));
  return GST_PAD_PROBE_OK;
}

/* A capture that fails (its sound server gone) ends its stream with EOS
 * before its error reaches the main thread. The chain below must never see
 * it: the encoders' queues would stop their threads for good, and the
 * silence that replaces the capture then hung on its first (serialized)
 * allocation query in the AAC queue, so no audio reached the TS muxers and
 * SRT and HLS sent no video either (seen after a SIGKILL of the session's
 * pipewire while HLS ran). The sound ends, the streams do not. */
GstPadProbeReturn dropCaptureEos(GstPad *, GstPadProbeInfo *info, gpointer)
{
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  return GST_PAD_PROBE_DROP;
}

} // namespace

void configureOpus(GstElement *opus)
{
  /* 10 ms frames; FEC needs an expected loss to be used; DTX: silence
   * costs ~1 kbit/s (and rtpopuspay dtx sends no packet for it).
   * Complexity 7, not libopus' 10: 0.81x the CPU for speech, the same
   * SNR. Below 7 (and with restricted-lowdelay) libopus 1.3 codes CELT
   * only, 3.5x cheaper, but has no DTX there (a 3-byte frame per 10 ms
   * of silence, all sent), and gating the silence ourselves made
   * Chromium's jitter buffer grow to 530-840 ms (docs/sound.md). */
  gst_util_set_object_arg(G_OBJECT(opus), "audio-type", "generic");
  g_object_set(opus, "frame-size", 10, "inband-fec", TRUE, "packet-loss-percentage", 5, "dtx", TRUE,
               "bitrate", 96000, "complexity", kOpusComplexity, nullptr);
}

GstBuffer *applyStamp(GstBuffer *buf, const CaptureClock::Stamp &s, gsize frame)
{
  GstClockTime duration = GST_BUFFER_DURATION(buf);
  gsize size = gst_buffer_get_size(buf);
  if (s.gap_samples > 0) {
    /* The lost samples: silence where they were. */
    gsize fill = gsize(s.gap_samples) * frame;
    GstBuffer *silence = gst_buffer_new_allocate(nullptr, fill, nullptr);
    gst_buffer_memset(silence, 0, 0, fill);
    gst_buffer_copy_into(silence, buf, GST_BUFFER_COPY_FLAGS, 0, 0);
    buf = gst_buffer_append(silence, buf);
  } else {
    buf = gst_buffer_make_writable(buf);
    if (s.gap_samples < 0) {
      gsize cut = std::min(gsize(-s.gap_samples) * frame, size - size % frame);
      gst_buffer_resize(buf, gssize(cut), gssize(size - cut));
    }
  }
  GST_BUFFER_PTS(buf) = GstClockTime(s.pts);
  GST_BUFFER_DURATION(buf) = GstClockTime(gint64(duration) + s.gap);
  GST_BUFFER_OFFSET(buf) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_OFFSET_END(buf) = GST_BUFFER_OFFSET_NONE;
  if (s.discont)
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

void stopKeeper(Audio &a)
{
  if (!a.keeper)
    return;
  /* Not on the main thread: a pulsesrc whose server just died may take
   * its time (or hang) going to NULL, and the session must go on. */
  gst_element_call_async(
    a.keeper,
    [](GstElement *keeper, gpointer) {
      gst_element_set_state(keeper, GST_STATE_NULL);
      gst_object_unref(keeper);
    },
    nullptr, nullptr);
  a.keeper = nullptr;
}

bool buildAudio(Audio &a, GstElement *pipeline, GstElement *webrtcsink, const char *device,
                std::string *error)
{
  if (!vdi_audio_debug)
    GST_DEBUG_CATEGORY_INIT(vdi_audio_debug, "vdiaudio", 0, "vdid-worker's sound");
  a.pipeline = pipeline;
  GstElement *src = make("pulsesrc", "audio-capture", error);
  GstElement *caps = make("capsfilter", "audio-caps", error);
  GstElement *conv = make("audioconvert", "audio-convert", error);
  GstElement *raw = make("capsfilter", "audio-raw", error);
  GstElement *tee = make("tee", "audio-tee", error);
  GstElement *oqueue = make("queue", "audio-opus-queue", error);
  GstElement *opus = make("opusenc", "audio-opus", error);
  GstElement *valve = make("valve", "aac-valve", error);
  GstElement *aqueue = make("queue", "aac-queue", error);
  GstElement *aconv = make("audioconvert", "aac-convert", error);
  GstElement *aac = make("avenc_aac", "aac-encoder", error);
  GstElement *aac_tee = make("tee", "aac-tee", error);
  GstElement *all[] = {src, caps, conv, raw, tee, oqueue, opus, valve, aqueue, aconv, aac, aac_tee};
  bool ok = error->empty();
  if (!ok) {
    for (GstElement *e : all)
      if (e)
        gst_object_unref(e);
    return false;
  }
  /* Periods of kCapturePeriodUs (20 ms; the Opus frames stay 10 ms); room
   * for 100 ms, so that a busy host does not lose samples (a 20 ms buffer,
   * at load 7 on 2 cores, made 150 ms holes in the stream). */
  g_object_set(src, "device", device, "buffer-time", G_GINT64_CONSTANT(100000), "latency-time",
               kCapturePeriodUs, "provide-clock", FALSE, "client-name", "vdid-worker", nullptr);
  /* A passive link (pipewire-pulse hands the stream's properties to
   * PipeWire, WirePlumber makes the link passive): the capture alone does
   * not keep the virtual speaker running, so with no app playing the
   * session's graph suspends and nothing wakes 100 times a second. */
  GstStructure *props = gst_structure_new("props", "node.passive", G_TYPE_STRING, "true", nullptr);
  g_object_set(src, "stream-properties", props, nullptr);
  gst_structure_free(props);
  /* Timestamps follow the pipeline (system) clock, so audio stays in step
   * with the video even when the session's PipeWire runs slower than real
   * time: on an overloaded host (load 9.6 on 2 cores) its 10 ms timer graph
   * delivered 45.4 kHz instead of 48, and sample-count timestamps
   * (slave-method none) fell behind by 5 %. pulsesrc's skew slaving (the
   * default) does not see the pauses of the passive capture: onCaptured
   * makes the timestamps. */
  GstCaps *c = gst_caps_from_string(kRawCaps);
  g_object_set(caps, "caps", c, nullptr);
  g_object_set(raw, "caps", c, nullptr);
  gst_caps_unref(c);
  g_object_set(tee, "allow-not-linked", TRUE, nullptr);
  g_object_set(aac_tee, "allow-not-linked", TRUE, nullptr);
  configureOpus(opus);
  /* Each encoder on its own thread: a WebRTC viewer branch that blocks for
   * a moment (joining, leaving) must not hold back the AAC of HLS and SRT,
   * whose muxers then wait for audio and stall the video too. 1 s,
   * counted in buffers (of one capture period), not in time: the timestamps jump where the
   * passive capture pauses (onCaptured) and where the silence that replaces
   * a dead capture starts (at the running time); a time level then reads as
   * full at once, and a queue that leaks with a serialized query in it
   * aborts the worker (GStreamer 1.22, gst_queue_leak_downstream:
   * "assertion failed: (leak != NULL)"; seen after a SIGKILL of the
   * session's pipewire). */
  for (GstElement *q : {oqueue, aqueue})
    g_object_set(q, "max-size-buffers", guint(1000000 / kCapturePeriodUs), "max-size-bytes", 0u,
                 "max-size-time", guint64(0), "leaky", 2 /* downstream */, nullptr);
  g_object_set(valve, "drop", TRUE, nullptr);
  g_object_set(aac, "bitrate", 128000, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), src, caps, conv, raw, tee, oqueue, opus, valve, aqueue, aconv,
                   aac, aac_tee, nullptr);
  /* The capture joins when startAudio() says so, not with the pipeline: a
   * sound server that is gone must not stop the video. */
  gst_element_set_locked_state(src, TRUE);
  GstPad *sink_pad = gst_element_request_pad_simple(webrtcsink, "audio");
  g_autoptr(GstPad) opus_src = gst_element_get_static_pad(opus, "src");
  if (!gst_element_link_many(src, caps, conv, raw, tee, nullptr) ||
      !gst_element_link_many(tee, oqueue, opus, nullptr) || !sink_pad ||
      gst_pad_link(opus_src, sink_pad) != GST_PAD_LINK_OK ||
      !gst_element_link_many(tee, valve, aqueue, aconv, aac, aac_tee, nullptr)) {
    *error = "cannot link the audio chain";
    ok = false;
  }
  if (sink_pad)
    gst_object_unref(sink_pad);
  a.capture = src;
  a.caps = caps;
  a.valve = valve;
  a.aac_tee = aac_tee;
  a.opus = opus;
  a.device = device;
  g_autoptr(GstPad) captured = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(captured, GST_PAD_PROBE_TYPE_BUFFER, onCaptured, &a, nullptr);
  /* On what the capture links to: stays when the capture is replaced. */
  g_autoptr(GstPad) chain_in = gst_element_get_static_pad(caps, "sink");
  gst_pad_add_probe(chain_in, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, dropCaptureEos, nullptr,
                    nullptr);
  g_autoptr(GstPad) opus_out = gst_element_get_static_pad(opus, "src");
  gst_pad_add_probe(opus_out, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, onOpusCaps, &a, nullptr);
  return ok;
}

void startAudio(Audio &a)
{
  if (!a.capture)
    return;
  if (gst_element_set_state(a.capture, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    captureFailed(a, "the capture of the virtual speaker did not start");
    return;
  }
  /* From now on it follows the pipeline (to NULL at the end). */
  gst_element_set_locked_state(a.capture, FALSE);
  updateKeeper(a);
}

bool ownsMessage(const Audio &a, GstObject *src)
{
  /* Every element of the chain, also a capture already replaced. */
  const char *name = GST_OBJECT_NAME(src);
  return a.pipeline && name && (g_str_has_prefix(name, "audio-") || g_str_has_prefix(name, "aac-"));
}

void captureFailed(Audio &a, const std::string &reason)
{
  if (a.failed || !a.capture)
    return;
  a.failed = true;
  g_warning("sound stopped: %s; the session goes on with silence", reason.c_str());
  GstElement *dead = a.capture;
  gst_element_unlink(dead, a.caps);
  gst_element_set_locked_state(dead, FALSE);
  gst_element_set_state(dead, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(a.pipeline), dead);
  /* Live silence keeps the encoders (and new viewers' caps) going. */
  GstElement *silence = gst_element_factory_make("audiotestsrc", "audio-silence");
  a.capture = nullptr;
  if (!silence) {
    stopKeeper(a);
    return;
  }
  gst_util_set_object_arg(G_OBJECT(silence), "wave", "silence");
  /* Timestamped with the running time it is made at: its own sample count
   * would start at 0, minutes behind the video, and the HLS/SRT muxers,
   * which order by time, would hold the video back for ever. */
  g_object_set(silence, "is-live", TRUE, "samplesperbuffer", int(48 * kCapturePeriodUs / 1000),
               "do-timestamp", TRUE, nullptr);
  gst_bin_add(GST_BIN(a.pipeline), silence);
  if (!gst_element_link(silence, a.caps) || !gst_element_sync_state_with_parent(silence))
    g_warning("cannot start the silence that replaces the sound");
  a.capture = silence;
  stopKeeper(a);
}

void connectMicrophone(GstElement *webrtcsink, const char *device)
{
  if (!g_object_class_find_property(G_OBJECT_GET_CLASS(webrtcsink), "microphone-sink"))
    return;
  /* 10 ms periods, 60 ms of buffer: what arrives is played at once (the
   * element runs it with sync=false; the browser's jitter is already
   * absorbed by webrtcbin's jitter buffer). */
  g_autofree char *desc = g_strdup_printf(
    "pulsesink device=\"%s\" client-name=vdid-microphone buffer-time=60000 latency-time=10000",
    device);
  g_object_set(webrtcsink, "microphone-sink", desc, nullptr);
}

void setAacDemand(Audio &a, bool on)
{
  if (!a.valve)
    return;
  g_object_set(a.valve, "drop", !on, nullptr);
  a.aac_demand = on;
  if (a.capture && !a.failed)
    updateKeeper(a);
}

} // namespace vdid::worker
