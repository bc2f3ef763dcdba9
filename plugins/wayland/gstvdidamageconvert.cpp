/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-vdidamageconvert
 * @title: vdidamageconvert
 * @short_description: RGB to I420 / NV12 that converts only what changed
 *
 * vdidamageconvert converts the BGRx (BGRA, RGBx, RGBA) frames of
 * vdiwaylandsrc to I420 or NV12 for an encoder, and converts only the
 * rectangles that changed: the source marks them on each new frame as
 * #GstVideoRegionOfInterestMeta with roi_type `vdi-damage`, and a frame
 * without such metas is a repeat of the previous one (keepalive, re-push).
 * Everything else of the output frame is copied from the previous output,
 * so one typed character costs a few thousand pixels instead of two
 * million. The conversion is libyuv's (SIMD), BT.601 limited range
 * (`colorimetry=bt601` in the output caps, which encoders write into the
 * stream); even a full frame is ~4x cheaper than videoconvert.
 *
 * Output buffers come from a pool of the element's own. A buffer still held
 * downstream (an encoder's reference, a queue) is never written to again;
 * a recycled buffer is brought up to date by copying what changed since it
 * was last written, and an element that draws into a frame downstream gets
 * its own copy of the memory. The result is byte for byte the whole-frame
 * libyuv conversion of the same input, frame after frame.
 *
 * Converts whole frames when it cannot trust the damage: until the first
 * damage meta arrives (any other source works, like a plain converter),
 * after caps changes and flushes, on a DISCONT buffer, when a buffer offset
 * (vdiwaylandsrc numbers frames there) shows that a frame was lost on the
 * way, and with #GstVdiDamageConvert:follow-damage set to false. Place it
 * after vdiwaylandsrc with nothing in between that drops frames (a
 * capsfilter is fine; a leaky queue is detected and costs full frames).
 *
 * ## Examples
 * |[
 * gst-launch-1.0 vdiwaylandsrc display=wayland-1 ! vdidamageconvert \
 *     ! x264enc tune=zerolatency speed-preset=ultrafast ! h264parse \
 *     ! mp4mux ! filesink location=desktop.mp4
 * ]| Records the desktop on socket wayland-1, converting only changed pixels.
 * |[
 * gst-launch-1.0 vdiwaylandsrc display=wayland-1 ! vdidamageconvert \
 *     ! video/x-raw,format=NV12 ! fakesink
 * ]| NV12 for encoders that prefer it.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvdidamageconvert.h"

#include "damage-convert.h"
#include "damage-meta.h"
#include "damage-pool.h"

#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC(gst_vdi_damage_convert_debug);
#define GST_CAT_DEFAULT gst_vdi_damage_convert_debug

#define DEFAULT_FOLLOW_DAMAGE TRUE

enum {
  PROP_0,
  PROP_FOLLOW_DAMAGE,
  PROP_STATS,
};

#define RGB_FORMATS "{ BGRx, BGRA, RGBx, RGBA }"
#define YUV_FORMATS "{ I420, NV12 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
  "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(RGB_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
  "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(YUV_FORMATS)));

namespace {

using namespace vdi;

struct Stats {
  guint64 frames = 0;
  guint64 full_frames = 0;      /* converted whole */
  guint64 converted_pixels = 0; /* luma pixels converted */
  guint64 copied_pixels = 0;    /* luma pixels copied from the previous output */
};

struct State {
  /* Guarded by the object lock. */
  bool follow_damage = DEFAULT_FOLLOW_DAMAGE;
  Stats stats;

  /* Streaming thread only. */
  GstVideoInfo out_info;
  DamageHistory history;
  GstBuffer *prev = nullptr; /* the last output, generation history.latest() */
  uint64_t written = 0;      /* generation transform_frame just wrote, to mark */
  bool damage_aware = false; /* a damage meta came since start */
  guint64 last_offset = GST_BUFFER_OFFSET_NONE;

  void forget()
  {
    history.reset();
    gst_clear_buffer(&prev);
    last_offset = GST_BUFFER_OFFSET_NONE;
  }
  ~State() { gst_clear_buffer(&prev); }
};

} // namespace

struct _GstVdiDamageConvert {
  GstVideoFilter parent;
  State *state;
};

#define gst_vdi_damage_convert_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstVdiDamageConvert, gst_vdi_damage_convert, GST_TYPE_VIDEO_FILTER,
                        GST_DEBUG_CATEGORY_INIT(gst_vdi_damage_convert_debug, "vdidamageconvert", 0,
                                                "Damage-following colour conversion"));
GST_ELEMENT_REGISTER_DEFINE(vdidamageconvert, "vdidamageconvert", GST_RANK_NONE,
                            GST_TYPE_VDI_DAMAGE_CONVERT);

/* ---- caps ---------------------------------------------------------------- */

static GstCaps *gst_vdi_damage_convert_transform_caps(GstBaseTransform *trans,
                                                      GstPadDirection direction, GstCaps *caps,
                                                      GstCaps *filter)
{
  bool to_yuv = direction == GST_PAD_SINK;
  GstCaps *out = gst_caps_new_empty();
  GValue formats = G_VALUE_INIT;
  gst_value_list_init(&formats, 4);
  static const char *const kYuv[] = {"I420", "NV12", nullptr};
  static const char *const kRgb[] = {"BGRx", "BGRA", "RGBx", "RGBA", nullptr};
  for (const char *const *f = to_yuv ? kYuv : kRgb; *f; f++) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_STRING);
    g_value_set_static_string(&v, *f);
    gst_value_list_append_and_take_value(&formats, &v);
  }
  for (guint i = 0; i < gst_caps_get_size(caps); i++) {
    GstStructure *s = gst_structure_copy(gst_caps_get_structure(caps, i));
    gst_structure_remove_fields(s, "format", "colorimetry", "chroma-site", nullptr);
    gst_structure_set_value(s, "format", &formats);
    if (to_yuv)
      gst_structure_set(s, "colorimetry", G_TYPE_STRING, "bt601", nullptr);
    out =
      gst_caps_merge_structure_full(out, s, gst_caps_features_copy(gst_caps_get_features(caps, i)));
  }
  g_value_unset(&formats);
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full(filter, out, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(out);
    out = tmp;
  }
  GST_DEBUG_OBJECT(trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, to_yuv ? "sink" : "src",
                   caps, out);
  return out;
}

static gboolean gst_vdi_damage_convert_set_info(GstVideoFilter *filter, GstCaps *incaps,
                                                GstVideoInfo *in_info, GstCaps *outcaps,
                                                GstVideoInfo *out_info)
{
  auto *self = GST_VDI_DAMAGE_CONVERT(filter);
  if (!canConvert(GST_VIDEO_INFO_FORMAT(in_info), GST_VIDEO_INFO_FORMAT(out_info)) ||
      GST_VIDEO_INFO_WIDTH(in_info) != GST_VIDEO_INFO_WIDTH(out_info) ||
      GST_VIDEO_INFO_HEIGHT(in_info) != GST_VIDEO_INFO_HEIGHT(out_info)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("Cannot convert %s %dx%d to %s %dx%d (no scaling; RGB to I420/NV12 only).",
                       gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(in_info)),
                       GST_VIDEO_INFO_WIDTH(in_info), GST_VIDEO_INFO_HEIGHT(in_info),
                       gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(out_info)),
                       GST_VIDEO_INFO_WIDTH(out_info), GST_VIDEO_INFO_HEIGHT(out_info)),
                      ("set_info: %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, incaps, outcaps));
    return FALSE;
  }
  self->state->out_info = *out_info;
  self->state->forget();
  GST_INFO_OBJECT(self, "%" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, incaps, outcaps);
  return TRUE;
}

/* Our own pool, always: only its buffers say what they hold. */
static gboolean gst_vdi_damage_convert_decide_allocation(GstBaseTransform *trans, GstQuery *query)
{
  GstCaps *caps = nullptr;
  gst_query_parse_allocation(query, &caps, nullptr);
  GstVideoInfo info;
  if (!caps || !gst_video_info_from_caps(&info, caps))
    return FALSE;
  guint min = 0;
  if (gst_query_get_n_allocation_pools(query) > 0)
    gst_query_parse_nth_allocation_pool(query, 0, nullptr, nullptr, &min, nullptr);
  GstBufferPool *pool = damagePoolNew();
  GstStructure *config = gst_buffer_pool_get_config(pool);
  gst_buffer_pool_config_set_params(config, caps, info.size, min, 0);
  if (!gst_buffer_pool_set_config(pool, config)) {
    gst_object_unref(pool);
    GST_ELEMENT_ERROR(trans, RESOURCE, SETTINGS, ("Could not set up the output buffers."),
                      ("gst_buffer_pool_set_config failed for %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  if (gst_query_get_n_allocation_pools(query) > 0)
    gst_query_set_nth_allocation_pool(query, 0, pool, info.size, min, 0);
  else
    gst_query_add_allocation_pool(query, pool, info.size, min, 0);
  gst_object_unref(pool);
  return GST_BASE_TRANSFORM_CLASS(parent_class)->decide_allocation(trans, query);
}

static gboolean gst_vdi_damage_convert_sink_event(GstBaseTransform *trans, GstEvent *event)
{
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP)
    GST_VDI_DAMAGE_CONVERT(trans)->state->forget();
  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

static gboolean gst_vdi_damage_convert_stop(GstBaseTransform *trans)
{
  State *st = GST_VDI_DAMAGE_CONVERT(trans)->state;
  st->forget();
  st->damage_aware = false;
  return TRUE;
}

/* ---- conversion ---------------------------------------------------------- */

/* Whether @in continues the frames converted so far: damage can be
 * trusted and the previous output is the frame before it. */
static bool continues(State *st, GstBuffer *in, bool repeat)
{
  if (!st->damage_aware || !st->prev || GST_BUFFER_FLAG_IS_SET(in, GST_BUFFER_FLAG_DISCONT))
    return false;
  guint64 offset = GST_BUFFER_OFFSET(in);
  if (offset == GST_BUFFER_OFFSET_NONE || st->last_offset == GST_BUFFER_OFFSET_NONE)
    return true;
  return offset == (repeat ? st->last_offset : st->last_offset + 1);
}

/* Copies into @dst what changed after the generation it shows. */
static bool catch_up(GstVdiDamageConvert *self, const PlaneImage &dst, GstBuffer *out, Stats *stats)
{
  State *st = self->state;
  auto missing = st->history.since(damagePoolGeneration(out));
  if (missing && missing->empty())
    return true;
  GstVideoFrame prev;
  if (!gst_video_frame_map(&prev, &st->out_info, st->prev, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not read the previous frame."),
                      ("gst_video_frame_map(%" GST_PTR_FORMAT ") failed", st->prev));
    return false;
  }
  PlaneImage src = PlaneImage::fromFrame(&prev);
  if (!missing)
    missing = std::vector<Rect>{{0, 0, dst.width, dst.height}};
  for (const Rect &r : *missing) {
    copyRect(src, dst, r);
    stats->copied_pixels += static_cast<guint64>(r.width) * r.height;
  }
  gst_video_frame_unmap(&prev);
  return true;
}

static GstFlowReturn gst_vdi_damage_convert_transform_frame(GstVideoFilter *filter,
                                                            GstVideoFrame *in_frame,
                                                            GstVideoFrame *out_frame)
{
  auto *self = GST_VDI_DAMAGE_CONVERT(filter);
  State *st = self->state;
  GST_OBJECT_LOCK(self);
  bool follow = st->follow_damage;
  GST_OBJECT_UNLOCK(self);

  PlaneImage src = PlaneImage::fromFrame(in_frame);
  PlaneImage dst = PlaneImage::fromFrame(out_frame);
  GstBuffer *in = in_frame->buffer, *out = out_frame->buffer;
  std::vector<Rect> damage;
  for (const Rect &r : damageFromBuffer(in))
    if (Rect a = alignToChroma(r, dst.width, dst.height); a.width > 0)
      damage.push_back(a);
  bool repeat = damage.empty();
  if (!repeat)
    st->damage_aware = true;

  Stats stats;
  stats.frames = 1;
  bool incremental = follow && continues(st, in, repeat);
  if (incremental) {
    if (!catch_up(self, dst, out, &stats))
      return GST_FLOW_ERROR;
  } else {
    GST_LOG_OBJECT(self, "whole frame (%s)",
                   !follow             ? "follow-damage=false"
                   : !st->damage_aware ? "no damage meta yet"
                   : !st->prev         ? "first frame"
                                       : "discontinuity");
    st->history.reset();
    damage = {{0, 0, dst.width, dst.height}};
    stats.full_frames = 1;
  }
  for (const Rect &r : damage) {
    if (!convertRect(src, dst, r)) {
      GST_ELEMENT_ERROR(
        self, STREAM, FORMAT,
        ("Cannot convert %s to %s.", gst_video_format_to_string(src.format),
         gst_video_format_to_string(dst.format)),
        ("libyuv conversion of %dx%d at %d,%d failed", r.width, r.height, r.x, r.y));
      return GST_FLOW_ERROR;
    }
    stats.converted_pixels += static_cast<guint64>(r.width) * r.height;
  }
  st->written = st->history.push(std::move(damage));
  gst_buffer_replace(&st->prev, out);
  st->last_offset = GST_BUFFER_OFFSET(in);

  GST_OBJECT_LOCK(self);
  st->stats.frames += stats.frames;
  st->stats.full_frames += stats.full_frames;
  st->stats.converted_pixels += stats.converted_pixels;
  st->stats.copied_pixels += stats.copied_pixels;
  GST_OBJECT_UNLOCK(self);
  return GST_FLOW_OK;
}

/* GstVideoFilter maps the frames, calls transform_frame and unmaps; the
 * output is marked once it is unmapped (a written mapping cannot be
 * protected). */
static GstFlowReturn gst_vdi_damage_convert_transform(GstBaseTransform *trans, GstBuffer *in,
                                                      GstBuffer *out)
{
  State *st = GST_VDI_DAMAGE_CONVERT(trans)->state;
  st->written = 0;
  GstFlowReturn ret = GST_BASE_TRANSFORM_CLASS(parent_class)->transform(trans, in, out);
  if (ret == GST_FLOW_OK && st->written)
    damagePoolMark(out, st->written);
  return ret;
}

/* ---- GObject ------------------------------------------------------------- */

static void gst_vdi_damage_convert_set_property(GObject *object, guint prop_id, const GValue *value,
                                                GParamSpec *pspec)
{
  auto *self = GST_VDI_DAMAGE_CONVERT(object);
  switch (prop_id) {
  case PROP_FOLLOW_DAMAGE:
    GST_OBJECT_LOCK(self);
    self->state->follow_damage = g_value_get_boolean(value);
    GST_OBJECT_UNLOCK(self);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
}

static void gst_vdi_damage_convert_get_property(GObject *object, guint prop_id, GValue *value,
                                                GParamSpec *pspec)
{
  auto *self = GST_VDI_DAMAGE_CONVERT(object);
  GST_OBJECT_LOCK(self);
  const State *st = self->state;
  switch (prop_id) {
  case PROP_FOLLOW_DAMAGE:
    g_value_set_boolean(value, st->follow_damage);
    break;
  case PROP_STATS:
    g_value_take_boxed(
      value, gst_structure_new("vdidamageconvert-stats", "frames", G_TYPE_UINT64, st->stats.frames,
                               "full-frames", G_TYPE_UINT64, st->stats.full_frames,
                               "converted-pixels", G_TYPE_UINT64, st->stats.converted_pixels,
                               "copied-pixels", G_TYPE_UINT64, st->stats.copied_pixels, nullptr));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_vdi_damage_convert_init(GstVdiDamageConvert *self)
{
  self->state = new State();
}

static void gst_vdi_damage_convert_finalize(GObject *object)
{
  auto *self = GST_VDI_DAMAGE_CONVERT(object);
  delete self->state;
  self->state = nullptr;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_vdi_damage_convert_class_init(GstVdiDamageConvertClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);

  gobject_class->set_property = gst_vdi_damage_convert_set_property;
  gobject_class->get_property = gst_vdi_damage_convert_get_property;
  gobject_class->finalize = gst_vdi_damage_convert_finalize;

  /**
   * GstVdiDamageConvert:follow-damage:
   *
   * Convert only the damaged rectangles (and copy the rest from the
   * previous output). False converts every frame whole, with the same
   * libyuv code: the reference the damage-following output equals, and a
   * way to measure what following damage saves.
   */
  g_object_class_install_property(
    gobject_class, PROP_FOLLOW_DAMAGE,
    g_param_spec_boolean("follow-damage", "Follow damage",
                         "Convert only what the vdi-damage metas say changed",
                         DEFAULT_FOLLOW_DAMAGE,
                         static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_PLAYING)));

  /**
   * GstVdiDamageConvert:stats:
   *
   * Counters since the element was made: `frames`, `full-frames` (converted
   * whole), `converted-pixels` and `copied-pixels` (luma pixels converted
   * from the input, copied from the previous output), all guint64.
   */
  g_object_class_install_property(
    gobject_class, PROP_STATS,
    g_param_spec_boxed("stats", "Statistics", "Frames and pixels converted and copied",
                       GST_TYPE_STRUCTURE,
                       static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
    element_class, "Damage-following colour conversion", "Filter/Converter/Video",
    "Converts BGRx/BGRA/RGBx/RGBA to I420 or NV12 (libyuv, BT.601), only the rectangles that "
    "vdi-damage metas mark as changed; the rest is copied from the previous output.\n"
    "Example:\n"
    "  gst-launch-1.0 vdiwaylandsrc display=wayland-1 ! vdidamageconvert ! x264enc "
    "tune=zerolatency ! h264parse ! mp4mux ! filesink location=desktop.mp4",
    "gst-vdi developers");

  trans_class->transform_caps = GST_DEBUG_FUNCPTR(gst_vdi_damage_convert_transform_caps);
  trans_class->transform = GST_DEBUG_FUNCPTR(gst_vdi_damage_convert_transform);
  trans_class->decide_allocation = GST_DEBUG_FUNCPTR(gst_vdi_damage_convert_decide_allocation);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_vdi_damage_convert_sink_event);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_vdi_damage_convert_stop);
  filter_class->set_info = GST_DEBUG_FUNCPTR(gst_vdi_damage_convert_set_info);
  filter_class->transform_frame = GST_DEBUG_FUNCPTR(gst_vdi_damage_convert_transform_frame);
}
