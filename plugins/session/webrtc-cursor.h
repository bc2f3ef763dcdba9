/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The session's pointer for the viewers to draw (docs/input-protocol.md,
 * "vdi-cursor"): vdiwaylandsrc's out-of-band `vdi-cursor` event (Mutter,
 * show-cursor=false; plugins/wayland/cursor-event.h) becomes a data-channel
 * message
 *
 *   {"type":"vdi-cursor","visible":B,"x":X,"y":Y,"hotspotX":HX,"hotspotY":HY,
 *    "width":W,"height":H,"image":BASE64_RGBA}
 *
 * with width, height and image only when the shape changed (or for a viewer
 * that just connected, which gets the whole current cursor at once); width
 * 0 and image "" when the session sent no image (the viewer draws its own
 * pointer).
 * Nothing is sent when neither shape, position nor visibility changed.
 */

#pragma once

#include <gst/gst.h>

#include <string>

namespace vdi::webrtc {

class CursorTracker
{
public:
  /* Takes a vdi-cursor structure; returns the message for every viewer,
   * or "" when it changes nothing a viewer draws (or is not a cursor). */
  std::string update(const GstStructure *cursor);
  /* The whole current cursor, shape included; "" before the first one. */
  std::string current() const;
  void clear() { *this = CursorTracker(); }

private:
  std::string message(bool with_shape) const;

  bool known_ = false;
  bool shape_known_ = false;
  bool visible_ = false;
  int x_ = 0, y_ = 0, hotspot_x_ = 0, hotspot_y_ = 0;
  int width_ = 0, height_ = 0;
  std::string image_; /* base64 RGBA */
};

} // namespace vdi::webrtc
