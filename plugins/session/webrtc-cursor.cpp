/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-cursor.h"

#include "json.h"

namespace vdi::webrtc {

namespace {

int intField(const GstStructure *s, const char *name, int fallback)
{
  int v = fallback;
  gst_structure_get_int(s, name, &v);
  return v;
}

} // namespace

std::string CursorTracker::update(const GstStructure *cursor)
{
  if (!cursor || !gst_structure_has_name(cursor, "vdi-cursor"))
    return "";
  gboolean visible = FALSE;
  gst_structure_get_boolean(cursor, "visible", &visible);
  int x = intField(cursor, "x", x_), y = intField(cursor, "y", y_);
  int hx = intField(cursor, "hotspot-x", hotspot_x_),
      hy = intField(cursor, "hotspot-y", hotspot_y_);
  /* With "image", the shape changed; "" (width 0): the session sent no
   * image, the viewer draws its own pointer. */
  const char *image = gst_structure_get_string(cursor, "image");
  int w = intField(cursor, "width", 0), h = intField(cursor, "height", 0);
  if (image && (w <= 0 || h <= 0 || !*image)) {
    w = h = 0;
    image = "";
  }
  bool shape = image && (!shape_known_ || w != width_ || h != height_ || image_ != image);
  bool changed = !known_ || shape || bool(visible) != visible_ || x != x_ || y != y_ ||
                 hx != hotspot_x_ || hy != hotspot_y_;
  known_ = true;
  visible_ = visible;
  x_ = x;
  y_ = y;
  hotspot_x_ = hx;
  hotspot_y_ = hy;
  if (shape) {
    shape_known_ = true;
    width_ = w;
    height_ = h;
    image_ = image;
  }
  return changed ? message(shape) : "";
}

std::string CursorTracker::current() const
{
  return known_ ? message(shape_known_) : "";
}

std::string CursorTracker::message(bool with_shape) const
{
  json::Writer w;
  w.begin()
    .set("type", "vdi-cursor")
    .set("visible", visible_)
    .set("x", x_)
    .set("y", y_)
    .set("hotspotX", hotspot_x_)
    .set("hotspotY", hotspot_y_);
  if (with_shape)
    w.set("width", width_).set("height", height_).set("image", image_);
  return w.end().text();
}

} // namespace vdi::webrtc
