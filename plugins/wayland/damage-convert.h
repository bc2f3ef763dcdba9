/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The pixel work of vdidamageconvert, without GStreamer objects: RGB to
 * I420 / NV12 of one rectangle with libyuv (BT.601, limited range), copies
 * of one rectangle between two YUV frames, and the history that says which
 * rectangles an output buffer of generation G misses to show the newest
 * frame.
 *
 * Rectangles are grown to even coordinates (a 2x2 block shares one chroma
 * sample), so converting a rectangle gives the very bytes a whole-frame
 * conversion gives there: libyuv computes each 2x2 block from its own four
 * pixels only.
 */

#pragma once

#include "capture-backend.h"

#include <gst/video/video.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace vdi {

/* One frame as the converter sees it: planes and strides (a mapped
 * GstVideoFrame gives them). */
struct PlaneImage {
  GstVideoFormat format = GST_VIDEO_FORMAT_UNKNOWN;
  int width = 0, height = 0;
  uint8_t *data[3] = {nullptr, nullptr, nullptr};
  int stride[3] = {0, 0, 0};

  static PlaneImage fromFrame(const GstVideoFrame *frame);
};

/* Whether @in -> @out is a conversion the converter does. */
bool canConvert(GstVideoFormat in, GstVideoFormat out);

/* @r grown to even x and y, and to an even right / bottom edge unless that
 * is the frame's edge; clipped to @width x @height. Empty stays empty. */
Rect alignToChroma(Rect r, int width, int height);

/* Converts @r (chroma-aligned) of @src (RGB) into the same place of @dst
 * (YUV). False if the formats are not a pair canConvert() accepts. */
bool convertRect(const PlaneImage &src, const PlaneImage &dst, const Rect &r);

/* Copies @r (chroma-aligned) of @src into @dst, both of the same YUV
 * format and size. */
void copyRect(const PlaneImage &src, const PlaneImage &dst, const Rect &r);

/* The damage of the last few frames, by generation: frame G changed the
 * rectangles pushed with it relative to frame G-1. */
class DamageHistory
{
public:
  explicit DamageHistory(size_t depth = 16) : depth_(depth) {}

  /* Forgets every frame: buffers written before are unknown from now on. */
  void reset();
  /* Records a frame that changed @damage; returns its generation (> 0). */
  uint64_t push(std::vector<Rect> damage);
  uint64_t latest() const { return latest_; }
  /* What changed after generation @gen up to latest(); nullopt if that is
   * not known (@gen too old, from before reset(), or 0). */
  std::optional<std::vector<Rect>> since(uint64_t gen) const;

private:
  struct Entry {
    uint64_t gen;
    std::vector<Rect> damage;
  };
  size_t depth_;
  uint64_t latest_ = 0;
  uint64_t floor_ = 1;        /* generations below it are unknown */
  std::deque<Entry> entries_; /* oldest first, generations consecutive */
};

} // namespace vdi
