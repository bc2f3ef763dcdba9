/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-vdih264keepalive
 * @title: vdih264keepalive
 * @short_description: keeps a still H.264 stream going without the encoder
 *
 * A damage-driven source (vdiwaylandsrc) pushes nothing while the screen is
 * still, but MPEG-TS readers (SRT, HLS) finish a frame only when the next
 * one starts, and players want data to keep coming. Repeating the last raw
 * frame upstream costs a colour conversion and an encode each time.
 * vdih264keepalive sits after the encoder instead: when no access unit
 * came for #GstVdiH264Keepalive:interval ms, it pushes an access unit of
 * its own, a P picture whose every macroblock is skipped (a slice header
 * and the skip run, a few bytes; CAVLC or CABAC like the stream), which a
 * decoder shows as the previous picture again, bit-exact. It keeps doing
 * so every interval until the encoder sends something. The encoder's later
 * pictures get frame_num and pic_order_cnt_lsb moved past the inserted ones
 * (rewritten in place); timestamps follow the last access unit's by one
 * interval each.
 *
 * That is exact for streams whose encoder keeps one reference frame, with
 * P (and I) slices only, progressive: x264enc with bframes=0 and ref=1
 * (the ultrafast, superfast and veryfast presets), openh264enc. For any other stream (B-frames,
 * more reference frames, interlaced, slice groups...) the element passes the stream through
 * unchanged, posts a warning naming the reason, and asks upstream for a repaint instead (the
 * `vdi-repaint` event, which vdiwaylandsrc answers by pushing its frame again): the encoder then
 * runs as it would with the source's own keepalive.
 *
 * A force-key-unit from downstream is passed on and followed by a
 * `vdi-repaint` upstream (at once, or at the running time the keyframe is
 * asked for, as splitmuxsink/hlssink2 do): the encoder, idle on a still
 * screen, gets a frame to make the keyframe from.
 *
 * Input is `video/x-h264, stream-format=byte-stream, alignment=au`, as
 * x264enc, openh264enc and h264parse give it.
 *
 * ## Example
 * |[
 * gst-launch-1.0 vdiwaylandsrc keepalive=0 ! videoconvert \
 *     ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 \
 *     ! vdih264keepalive interval=33 ! h264parse config-interval=-1 \
 *     ! mpegtsmux ! srtsink uri=srt://:8890 wait-for-connection=false
 * ]| SRT from a still desktop at 30 frames a second, the encoder idle.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvdih264keepalive.h"

#include "events.h"
#include "h264-skip.h"

#include <gst/video/video.h>

#include <condition_variable>
#include <mutex>
#include <string>

GST_DEBUG_CATEGORY_STATIC(vdi_h264_keepalive_debug);
#define GST_CAT_DEFAULT vdi_h264_keepalive_debug

#define DEFAULT_INTERVAL 1000

enum {
  PROP_0,
  PROP_INTERVAL,
  PROP_SKIPPED,
  PROP_REPAINTS,
};

namespace {

struct State {
  /* Serialises everything pushed out of the source pad (the streaming
   * thread's buffers and events, the task's skipped pictures). Taken
   * before `lock`, never after it. */
  std::mutex push_lock;
  /* The rest, and the task's condition. */
  std::mutex lock;
  std::condition_variable cond;
  vdi::h264::SkipStream stream;
  guint interval_ms = DEFAULT_INTERVAL;
  bool playing = false, stopping = false, eos = false, flushing = false;
  bool have_frame = false;
  /* The last buffer pushed: its timestamps, and when (clock time). */
  GstClockTime last_pts = GST_CLOCK_TIME_NONE, last_dts = GST_CLOCK_TIME_NONE;
  GstClockTime last_push = GST_CLOCK_TIME_NONE;
  bool last_was_skip = false;
  /* Bumped by anything that moves the task's next deadline. */
  guint64 generation = 0;
  GstClockID wait_id = nullptr;
  /* A keyframe asked for at this running time: the source is asked to
   * repaint then (NONE: none pending). */
  GstClockTime repaint_at = GST_CLOCK_TIME_NONE;
  std::string warned; /* the reason last warned about */
  guint64 skipped = 0, repaints = 0;

  void wake()
  {
    generation++;
    if (wait_id)
      gst_clock_id_unschedule(wait_id);
    cond.notify_all();
  }
};

} // namespace

struct _GstVdiH264Keepalive {
  GstElement parent;
  GstPad *sinkpad, *srcpad;
  State *state;
};

G_DEFINE_TYPE(GstVdiH264Keepalive, gst_vdi_h264_keepalive, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(vdih264keepalive, "vdih264keepalive", GST_RANK_NONE,
                            GST_TYPE_VDI_H264_KEEPALIVE)

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                          GST_STATIC_CAPS("video/x-h264, stream-format=byte-stream, alignment=au"));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                          GST_STATIC_CAPS("video/x-h264, stream-format=byte-stream, alignment=au"));

static GstClockTime clockNow(GstElement *element)
{
  GstClock *clock = gst_element_get_clock(element);
  if (!clock)
    return GST_CLOCK_TIME_NONE;
  GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  return now;
}

/* Warns once per reason when the stream cannot be extended. Called with
 * push_lock held. */
static void checkExtendable(GstVdiH264Keepalive *self)
{
  State &s = *self->state;
  std::string why;
  {
    std::lock_guard<std::mutex> l(s.lock);
    if (!s.stream.started() || s.stream.canExtend() || s.stream.why() == s.warned)
      return;
    why = s.warned = s.stream.why();
  }
  GST_ELEMENT_WARNING(self, STREAM, NOT_IMPLEMENTED,
                      ("Cannot keep this H.264 stream going with skipped pictures: %s; "
                       "asking upstream to repaint instead",
                       why.c_str()),
                      ("SkipStream: %s", why.c_str()));
}

static GstFlowReturn gst_vdi_h264_keepalive_chain(GstPad *, GstObject *parent, GstBuffer *buf)
{
  auto *self = GST_VDI_H264_KEEPALIVE(parent);
  State &s = *self->state;
  std::lock_guard<std::mutex> push(s.push_lock);
  GstBuffer *out = s.stream.push(buf);
  gst_buffer_unref(buf);
  {
    std::lock_guard<std::mutex> l(s.lock);
    /* After a skipped picture, a late encoder frame must not go back in
     * time (muxers need rising DTS). */
    if (s.last_was_skip) {
      GstClockTime dts = GST_BUFFER_DTS_OR_PTS(out);
      GstClockTime last = GST_CLOCK_TIME_IS_VALID(s.last_dts) ? s.last_dts : s.last_pts;
      if (GST_CLOCK_TIME_IS_VALID(dts) && GST_CLOCK_TIME_IS_VALID(last) && dts <= last) {
        out = gst_buffer_make_writable(out);
        GstClockTimeDiff shift = last + GST_MSECOND - dts; /* a 90 kHz tick and more */
        if (GST_BUFFER_PTS_IS_VALID(out))
          GST_BUFFER_PTS(out) += shift;
        if (GST_BUFFER_DTS_IS_VALID(out))
          GST_BUFFER_DTS(out) += shift;
        GST_DEBUG_OBJECT(self, "encoder frame moved %" G_GINT64_FORMAT " ns past the skipped one",
                         shift);
      }
    }
    s.last_pts = GST_BUFFER_PTS(out);
    s.last_dts = GST_BUFFER_DTS(out);
    s.last_push = clockNow(GST_ELEMENT(self));
    s.last_was_skip = false;
    s.have_frame = s.stream.started();
    s.wake();
  }
  checkExtendable(self);
  return gst_pad_push(self->srcpad, out);
}

/* The task's work at a deadline: a skipped picture, or a repaint request
 * when the stream cannot take one. */
static void keepAlive(GstVdiH264Keepalive *self, guint64 generation)
{
  State &s = *self->state;
  GstBuffer *skip = nullptr;
  {
    std::lock_guard<std::mutex> push(s.push_lock);
    {
      std::lock_guard<std::mutex> l(s.lock);
      if (generation != s.generation || !s.playing || s.flushing || s.eos)
        return;
      GstClockTime step = s.interval_ms * GST_MSECOND;
      s.last_push = clockNow(GST_ELEMENT(self));
      if (s.stream.canExtend() && (skip = s.stream.skip())) {
        if (GST_CLOCK_TIME_IS_VALID(s.last_pts))
          s.last_pts += step;
        if (GST_CLOCK_TIME_IS_VALID(s.last_dts))
          s.last_dts += step;
        GST_BUFFER_PTS(skip) = s.last_pts;
        GST_BUFFER_DTS(skip) = s.last_dts;
        GST_BUFFER_DURATION(skip) = step;
        GST_BUFFER_FLAG_SET(skip, GST_BUFFER_FLAG_DELTA_UNIT);
        s.last_was_skip = true;
        s.skipped++;
      } else {
        s.repaints++;
      }
      s.generation++;
    }
    if (skip) {
      GST_LOG_OBJECT(self, "skipped picture %" GST_TIME_FORMAT, GST_TIME_ARGS(s.last_pts));
      GstFlowReturn ret = gst_pad_push(self->srcpad, skip);
      if (ret != GST_FLOW_OK)
        GST_DEBUG_OBJECT(self, "skipped picture: %s", gst_flow_get_name(ret));
      return;
    }
  }
  GST_LOG_OBJECT(self, "asking upstream for a repaint");
  gst_pad_push_event(self->sinkpad, vdi::newRepaintEvent());
}

static void gst_vdi_h264_keepalive_loop(gpointer data)
{
  auto *self = GST_VDI_H264_KEEPALIVE(data);
  State &s = *self->state;
  std::unique_lock<std::mutex> l(s.lock);
  if (s.stopping) {
    gst_pad_pause_task(self->srcpad);
    return;
  }
  GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
  if (!s.playing || s.flushing || s.eos || !clock) {
    if (clock)
      gst_object_unref(clock);
    s.cond.wait(l);
    return;
  }
  GstClockTime keep = GST_CLOCK_TIME_NONE, repaint = GST_CLOCK_TIME_NONE;
  if (s.have_frame && s.interval_ms > 0) {
    if (!GST_CLOCK_TIME_IS_VALID(s.last_push))
      s.last_push = gst_clock_get_time(clock);
    keep = s.last_push + s.interval_ms * GST_MSECOND;
  }
  if (GST_CLOCK_TIME_IS_VALID(s.repaint_at))
    repaint = gst_element_get_base_time(GST_ELEMENT(self)) + s.repaint_at;
  if (!GST_CLOCK_TIME_IS_VALID(keep) && !GST_CLOCK_TIME_IS_VALID(repaint)) {
    gst_object_unref(clock);
    s.cond.wait(l);
    return;
  }
  bool for_repaint =
    GST_CLOCK_TIME_IS_VALID(repaint) && (!GST_CLOCK_TIME_IS_VALID(keep) || repaint <= keep);
  guint64 generation = s.generation;
  GstClockID id = gst_clock_new_single_shot_id(clock, for_repaint ? repaint : keep);
  gst_object_unref(clock);
  s.wait_id = id;
  l.unlock();
  GstClockReturn ret = gst_clock_id_wait(id, nullptr);
  l.lock();
  s.wait_id = nullptr;
  gst_clock_id_unref(id);
  if (ret != GST_CLOCK_OK && ret != GST_CLOCK_EARLY)
    return;
  if (for_repaint) {
    s.repaint_at = GST_CLOCK_TIME_NONE;
    l.unlock();
    GST_DEBUG_OBJECT(self, "keyframe due: asking upstream for a repaint");
    gst_pad_push_event(self->sinkpad, vdi::newRepaintEvent());
    return;
  }
  l.unlock();
  keepAlive(self, generation);
}

static gboolean gst_vdi_h264_keepalive_src_activate_mode(GstPad *pad, GstObject *parent,
                                                         GstPadMode mode, gboolean active)
{
  auto *self = GST_VDI_H264_KEEPALIVE(parent);
  State &s = *self->state;
  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (active) {
    std::lock_guard<std::mutex> l(s.lock);
    s.stopping = false;
    return gst_pad_start_task(pad, gst_vdi_h264_keepalive_loop, self, nullptr);
  }
  {
    std::lock_guard<std::mutex> l(s.lock);
    s.stopping = true;
    s.wake();
  }
  return gst_pad_stop_task(pad);
}

static gboolean gst_vdi_h264_keepalive_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  auto *self = GST_VDI_H264_KEEPALIVE(parent);
  State &s = *self->state;
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_FLUSH_START: {
    std::lock_guard<std::mutex> l(s.lock);
    s.flushing = true;
    s.wake();
    break;
  }
  case GST_EVENT_FLUSH_STOP: {
    std::lock_guard<std::mutex> push(s.push_lock);
    std::lock_guard<std::mutex> l(s.lock);
    s.flushing = s.eos = s.have_frame = s.last_was_skip = false;
    s.stream.reset();
    s.wake();
    return gst_pad_push_event(self->srcpad, event);
  }
  default:
    break;
  }
  if (!GST_EVENT_IS_SERIALIZED(event))
    return gst_pad_event_default(pad, parent, event);
  std::lock_guard<std::mutex> push(s.push_lock);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS || GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
    std::lock_guard<std::mutex> l(s.lock);
    /* A new segment: timestamps start again from the next frame. */
    s.eos = GST_EVENT_TYPE(event) == GST_EVENT_EOS;
    s.have_frame = false;
    s.wake();
  }
  return gst_pad_event_default(pad, parent, event);
}

/* A keyframe request from downstream (hlssink2 every second, a new SRT
 * caller): the encoder swallows force-key-unit and, with nothing to encode
 * on a still screen, would answer it only at the next change. The source
 * is asked for its frame too (vdi-repaint), as vdi::requestKeyframe()
 * does. */
static gboolean gst_vdi_h264_keepalive_src_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  auto *self = GST_VDI_H264_KEEPALIVE(parent);
  State &s = *self->state;
  GstClockTime at = GST_CLOCK_TIME_NONE;
  bool keyframe = gst_video_event_is_force_key_unit(event);
  if (keyframe)
    gst_video_event_parse_upstream_force_key_unit(event, &at, nullptr, nullptr);
  gboolean ret = gst_pad_event_default(pad, parent, event);
  if (!keyframe)
    return ret;
  /* A keyframe for later (splitmuxsink asks for the next segment's): the
   * repaint comes then, a little after, so that the frame is not early. */
  GstClockTime now = clockNow(GST_ELEMENT(self));
  GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  if (GST_CLOCK_TIME_IS_VALID(at) && GST_CLOCK_TIME_IS_VALID(now) && now >= base &&
      at > now - base) {
    std::lock_guard<std::mutex> l(s.lock);
    GstClockTime when = at + 10 * GST_MSECOND;
    if (!GST_CLOCK_TIME_IS_VALID(s.repaint_at) || when < s.repaint_at)
      s.repaint_at = when;
    s.wake();
    GST_DEBUG_OBJECT(self, "keyframe asked for %" GST_TIME_FORMAT ": repaint then",
                     GST_TIME_ARGS(at));
    return ret;
  }
  GST_DEBUG_OBJECT(self, "keyframe request: asking upstream for a repaint too");
  gst_pad_push_event(self->sinkpad, vdi::newRepaintEvent());
  return ret;
}

static GstStateChangeReturn gst_vdi_h264_keepalive_change_state(GstElement *element,
                                                                GstStateChange transition)
{
  auto *self = GST_VDI_H264_KEEPALIVE(element);
  State &s = *self->state;
  if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING) {
    std::lock_guard<std::mutex> l(s.lock);
    s.playing = true;
    s.last_push = GST_CLOCK_TIME_NONE; /* from now, on this clock */
    s.wake();
  } else if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED) {
    std::lock_guard<std::mutex> l(s.lock);
    s.playing = false;
    s.wake();
  }
  GstStateChangeReturn ret =
    GST_ELEMENT_CLASS(gst_vdi_h264_keepalive_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    std::lock_guard<std::mutex> push(s.push_lock);
    std::lock_guard<std::mutex> l(s.lock);
    s.stream.reset();
    s.have_frame = s.eos = s.flushing = s.last_was_skip = false;
    s.last_pts = s.last_dts = s.last_push = s.repaint_at = GST_CLOCK_TIME_NONE;
    s.warned.clear();
  }
  return ret;
}

static void gst_vdi_h264_keepalive_set_property(GObject *object, guint prop_id, const GValue *value,
                                                GParamSpec *pspec)
{
  State &s = *GST_VDI_H264_KEEPALIVE(object)->state;
  switch (prop_id) {
  case PROP_INTERVAL: {
    std::lock_guard<std::mutex> l(s.lock);
    s.interval_ms = g_value_get_uint(value);
    s.wake();
    break;
  }
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void gst_vdi_h264_keepalive_get_property(GObject *object, guint prop_id, GValue *value,
                                                GParamSpec *pspec)
{
  State &s = *GST_VDI_H264_KEEPALIVE(object)->state;
  std::lock_guard<std::mutex> l(s.lock);
  switch (prop_id) {
  case PROP_INTERVAL:
    g_value_set_uint(value, s.interval_ms);
    break;
  case PROP_SKIPPED:
    g_value_set_uint64(value, s.skipped);
    break;
  case PROP_REPAINTS:
    g_value_set_uint64(value, s.repaints);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
  }
}

static void gst_vdi_h264_keepalive_finalize(GObject *object)
{
  delete GST_VDI_H264_KEEPALIVE(object)->state;
  G_OBJECT_CLASS(gst_vdi_h264_keepalive_parent_class)->finalize(object);
}

static void gst_vdi_h264_keepalive_init(GstVdiH264Keepalive *self)
{
  self->state = new State();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_vdi_h264_keepalive_chain);
  gst_pad_set_event_function(self->sinkpad, gst_vdi_h264_keepalive_sink_event);
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_activatemode_function(self->srcpad, gst_vdi_h264_keepalive_src_activate_mode);
  gst_pad_set_event_function(self->srcpad, gst_vdi_h264_keepalive_src_event);
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_vdi_h264_keepalive_class_init(GstVdiH264KeepaliveClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_vdi_h264_keepalive_set_property;
  gobject_class->get_property = gst_vdi_h264_keepalive_get_property;
  gobject_class->finalize = gst_vdi_h264_keepalive_finalize;
  element_class->change_state = gst_vdi_h264_keepalive_change_state;

  /**
   * GstVdiH264Keepalive:interval:
   *
   * Milliseconds without an access unit after which a skipped picture (or
   * a repaint request) follows, and then again every interval; 0 turns
   * the element into a pass-through.
   */
  g_object_class_install_property(
    gobject_class, PROP_INTERVAL,
    g_param_spec_uint("interval", "Interval (ms)",
                      "Milliseconds without a frame before a skipped picture is pushed, and "
                      "between them while the stream is still (0: never)",
                      0, G_MAXUINT, DEFAULT_INTERVAL,
                      static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                               GST_PARAM_MUTABLE_PLAYING)));
  /**
   * GstVdiH264Keepalive:skipped:
   *
   * Skipped pictures pushed so far.
   */
  g_object_class_install_property(
    gobject_class, PROP_SKIPPED,
    g_param_spec_uint64("skipped", "Skipped pictures", "Skipped pictures pushed so far", 0,
                        G_MAXUINT64, 0,
                        static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  /**
   * GstVdiH264Keepalive:repaints:
   *
   * Repaint requests sent upstream so far, in place of skipped pictures
   * the stream could not take.
   */
  g_object_class_install_property(
    gobject_class, PROP_REPAINTS,
    g_param_spec_uint64("repaints", "Repaint requests",
                        "Repaint requests sent upstream for a stream that cannot take skipped "
                        "pictures",
                        0, G_MAXUINT64, 0,
                        static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
    element_class, "VDI H.264 keepalive", "Filter/Video",
    "Keeps a still H.264 stream going with pictures of skipped macroblocks, so the encoder "
    "does not run while nothing changes",
    "gst-vdi developers");
  GST_DEBUG_CATEGORY_INIT(vdi_h264_keepalive_debug, "vdih264keepalive", 0,
                          "gst-vdi H.264 keepalive");
}
