/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "damage-convert.h"

#include <libyuv/convert.h>
#include <libyuv/convert_from_argb.h>
#include <libyuv/planar_functions.h>

#include <algorithm>

namespace vdi {

namespace {

/* libyuv names packed RGB by the 32-bit word, GStreamer by the bytes:
 * GStreamer BGRx (bytes B, G, R, x) is libyuv ARGB, RGBx is ABGR. */
enum class Order { Argb, Abgr, None };

Order orderOf(GstVideoFormat f)
{
  switch (f) {
  case GST_VIDEO_FORMAT_BGRx:
  case GST_VIDEO_FORMAT_BGRA:
    return Order::Argb;
  case GST_VIDEO_FORMAT_RGBx:
  case GST_VIDEO_FORMAT_RGBA:
    return Order::Abgr;
  default:
    return Order::None;
  }
}

bool isYuv(GstVideoFormat f)
{
  return f == GST_VIDEO_FORMAT_I420 || f == GST_VIDEO_FORMAT_NV12;
}

/* More rectangles than this in a catch-up are copied as their bounding
 * box: one copy beats hundreds of tiny ones. */
constexpr size_t kMaxCatchUpRects = 64;

} // namespace

PlaneImage PlaneImage::fromFrame(const GstVideoFrame *frame)
{
  PlaneImage img;
  img.format = GST_VIDEO_FRAME_FORMAT(frame);
  img.width = GST_VIDEO_FRAME_WIDTH(frame);
  img.height = GST_VIDEO_FRAME_HEIGHT(frame);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES(frame) && i < 3; i++) {
    img.data[i] = static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(frame, i));
    img.stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE(frame, i);
  }
  return img;
}

bool canConvert(GstVideoFormat in, GstVideoFormat out)
{
  return orderOf(in) != Order::None && isYuv(out);
}

Rect alignToChroma(Rect r, int width, int height)
{
  int x1 = std::max(0, r.x), y1 = std::max(0, r.y);
  int x2 = std::min(width, r.x + r.width), y2 = std::min(height, r.y + r.height);
  if (x2 <= x1 || y2 <= y1)
    return {};
  x1 &= ~1;
  y1 &= ~1;
  x2 = std::min(width, (x2 + 1) & ~1);
  y2 = std::min(height, (y2 + 1) & ~1);
  return {x1, y1, x2 - x1, y2 - y1};
}

bool convertRect(const PlaneImage &src, const PlaneImage &dst, const Rect &r)
{
  Order order = orderOf(src.format);
  if (order == Order::None || !isYuv(dst.format))
    return false;
  if (r.width <= 0 || r.height <= 0)
    return true;
  const uint8_t *in = src.data[0] + static_cast<size_t>(r.y) * src.stride[0] + r.x * 4;
  uint8_t *y = dst.data[0] + static_cast<size_t>(r.y) * dst.stride[0] + r.x;
  int cy = r.y / 2, cx = r.x / 2;
  if (dst.format == GST_VIDEO_FORMAT_I420) {
    uint8_t *u = dst.data[1] + static_cast<size_t>(cy) * dst.stride[1] + cx;
    uint8_t *v = dst.data[2] + static_cast<size_t>(cy) * dst.stride[2] + cx;
    auto fn = order == Order::Argb ? libyuv::ARGBToI420 : libyuv::ABGRToI420;
    return fn(in, src.stride[0], y, dst.stride[0], u, dst.stride[1], v, dst.stride[2], r.width,
              r.height) == 0;
  }
  uint8_t *uv = dst.data[1] + static_cast<size_t>(cy) * dst.stride[1] + cx * 2;
  auto fn = order == Order::Argb ? libyuv::ARGBToNV12 : libyuv::ABGRToNV12;
  return fn(in, src.stride[0], y, dst.stride[0], uv, dst.stride[1], r.width, r.height) == 0;
}

void copyRect(const PlaneImage &src, const PlaneImage &dst, const Rect &r)
{
  if (r.width <= 0 || r.height <= 0)
    return;
  auto copy = [&](int plane, int x_bytes, int y, int w_bytes, int h) {
    libyuv::CopyPlane(src.data[plane] + static_cast<size_t>(y) * src.stride[plane] + x_bytes,
                      src.stride[plane],
                      dst.data[plane] + static_cast<size_t>(y) * dst.stride[plane] + x_bytes,
                      dst.stride[plane], w_bytes, h);
  };
  int cx = r.x / 2, cy = r.y / 2, cw = (r.width + 1) / 2, ch = (r.height + 1) / 2;
  copy(0, r.x, r.y, r.width, r.height);
  if (src.format == GST_VIDEO_FORMAT_I420) {
    copy(1, cx, cy, cw, ch);
    copy(2, cx, cy, cw, ch);
  } else {
    copy(1, cx * 2, cy, cw * 2, ch);
  }
}

void DamageHistory::reset()
{
  entries_.clear();
  floor_ = latest_ + 1;
}

uint64_t DamageHistory::push(std::vector<Rect> damage)
{
  entries_.push_back({++latest_, std::move(damage)});
  while (entries_.size() > depth_)
    entries_.pop_front();
  return latest_;
}

std::optional<std::vector<Rect>> DamageHistory::since(uint64_t gen) const
{
  if (gen < floor_ || gen > latest_ || gen + 1 < entries_.front().gen)
    return std::nullopt;
  std::vector<Rect> out;
  for (const Entry &e : entries_)
    if (e.gen > gen)
      out.insert(out.end(), e.damage.begin(), e.damage.end());
  if (out.size() > kMaxCatchUpRects)
    return std::vector<Rect>{boundingBox(out)};
  return out;
}

} // namespace vdi
