/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The interface between vdiwaylandsrc and the ways of getting pixels out of
 * a compositor: wlr-screencopy (screencopy-backend.cpp) and Mutter
 * ScreenCast over PipeWire (mutter-backend.cpp); ext-image-copy-capture can
 * plug in here without touching the element.
 */

#pragma once

#include "wayland-connection.h"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vdi {

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
  bool operator==(const Rect &o) const
  {
    return x == o.x && y == o.y && width == o.width && height == o.height;
  }
};

/* The smallest rectangle holding every one of @rects (not empty). */
inline Rect boundingBox(const std::vector<Rect> &rects)
{
  int x1 = rects[0].x, y1 = rects[0].y;
  int x2 = x1 + rects[0].width, y2 = y1 + rects[0].height;
  for (const Rect &r : rects) {
    x1 = std::min(x1, r.x);
    y1 = std::min(y1, r.y);
    x2 = std::max(x2, r.x + r.width);
    y2 = std::max(y2, r.y + r.height);
  }
  return {x1, y1, x2 - x1, y2 - y1};
}

struct FrameFormat {
  GstVideoFormat format = GST_VIDEO_FORMAT_UNKNOWN;
  int width = 0;
  int height = 0;
  int stride = 0;
  /* Nominal refresh of the captured output in mHz, 0 if unknown. */
  int refresh_mhz = 0;

  bool sameLayout(const FrameFormat &o) const
  {
    return format == o.format && width == o.width && height == o.height && stride == o.stride;
  }
  /* Frames per second of the output's refresh, @fallback if unknown. */
  int defaultFps(int fallback) const
  {
    return refresh_mhz <= 0 ? fallback : std::max(1, (refresh_mhz + 500) / 1000);
  }
  /* video/x-raw caps for this format; @fps_n 0 leaves the rate a range. */
  GstCaps *caps(int fps_n, int fps_d) const
  {
    GstCaps *c = gst_caps_new_simple(
      "video/x-raw", "format", G_TYPE_STRING, gst_video_format_to_string(format), "width",
      G_TYPE_INT, width, "height", G_TYPE_INT, height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1,
      1, "colorimetry", G_TYPE_STRING, "sRGB", nullptr);
    if (fps_n > 0)
      gst_caps_set_simple(c, "framerate", GST_TYPE_FRACTION, fps_n, fps_d, nullptr);
    else
      gst_caps_set_simple(c, "framerate", GST_TYPE_FRACTION_RANGE, 1, 1, 1000, 1, nullptr);
    return c;
  }
};

/* unique_ptr for GstBuffer. */
struct GstBufferUnref {
  void operator()(GstBuffer *b) const { gst_buffer_unref(b); }
};
using BufferPtr = std::unique_ptr<GstBuffer, GstBufferUnref>;

struct CapturedFrame {
  /* The pixels, zero-copy: its memory is the buffer the compositor wrote
   * into. Carries a GstVideoMeta with the stride. */
  BufferPtr buffer;
  FrameFormat format;
  /* What changed since the previous frame of this backend, in buffer
   * pixels. Never empty for a new frame (a full-frame box at worst). */
  std::vector<Rect> damage;
  /* CLOCK_MONOTONIC time (ns) at which the frame was ready to read. */
  int64_t ready_time_ns = 0;
};

/* Where the pointer is and what it looks like, for backends that deliver
 * it as metadata instead of drawing it into the frames (Mutter with
 * show-cursor=false). Coordinates in frame pixels. */
struct CursorUpdate {
  bool visible = false;
  int x = 0, y = 0;
  int hotspot_x = 0, hotspot_y = 0;
  /* The image changed: a new one when image_width > 0 (tightly packed
   * pixels, image_width * 4 bytes a row, in image_format), else the
   * compositor sent none (Mutter 43 headless never renders the sprite in
   * metadata mode; a client may also have hidden the pointer). */
  bool image_changed = false;
  GstVideoFormat image_format = GST_VIDEO_FORMAT_UNKNOWN;
  int image_width = 0, image_height = 0;
  std::vector<uint8_t> image;
};

class CaptureBackend
{
public:
  struct Callbacks {
    /* A new frame (event thread). */
    std::function<void(CapturedFrame &&frame)> frame;
    /* Capture cannot continue (event thread). */
    std::function<void(const GError *error)> error;
    /* The pointer moved or changed shape (event thread); optional. */
    std::function<void(const CursorUpdate &cursor)> cursor;
  };

  virtual ~CaptureBackend() = default;

  virtual const char *name() const = 0;
  /* The output being captured, as the compositor names it. */
  virtual std::string outputName() const = 0;
  /* Asks the compositor what a frame looks like now (format, size, stride),
   * without capturing. Any thread but the event thread. */
  virtual bool probe(FrameFormat *format, GError **error) = 0;
  /* Starts delivering frames; they come only when the output changed. */
  virtual bool start(Callbacks callbacks, GError **error) = 0;
  virtual void stop() = 0;
  /* Frames never come closer together than this (0: as fast as damage). */
  virtual void setMinInterval(uint64_t interval_ns) = 0;
  virtual void setShowCursor(bool show) = 0;

  /* Picks the best backend the compositor supports for @output (empty: the
   * first output). Sets a GST_RESOURCE_ERROR that a user understands when
   * there is none or the output does not exist. */
  static std::unique_ptr<CaptureBackend> create(const WaylandConnectionPtr &conn,
                                                const std::string &output, GError **error);
};

} // namespace vdi
