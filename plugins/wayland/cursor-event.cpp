/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "cursor-event.h"

namespace vdi {

GstStructure *cursorEventStructure(const CursorUpdate &cursor)
{
  GstStructure *s =
    gst_structure_new(kCursorEvent, "visible", G_TYPE_BOOLEAN, cursor.visible, "x", G_TYPE_INT,
                      cursor.x, "y", G_TYPE_INT, cursor.y, "hotspot-x", G_TYPE_INT,
                      cursor.hotspot_x, "hotspot-y", G_TYPE_INT, cursor.hotspot_y, nullptr);
  if (cursor.image_changed && (cursor.image_width <= 0 || cursor.image.empty())) {
    gst_structure_set(s, "width", G_TYPE_INT, 0, "height", G_TYPE_INT, 0, "image", G_TYPE_STRING,
                      "", nullptr);
  } else if (cursor.image_changed) {
    /* RGBA for canvas ImageData, whatever order the compositor used. */
    std::vector<uint8_t> rgba(cursor.image);
    bool bgr =
      cursor.image_format == GST_VIDEO_FORMAT_BGRA || cursor.image_format == GST_VIDEO_FORMAT_BGRx;
    bool argb =
      cursor.image_format == GST_VIDEO_FORMAT_ARGB || cursor.image_format == GST_VIDEO_FORMAT_xRGB;
    for (size_t i = 0; i + 3 < rgba.size(); i += 4) {
      const uint8_t *p = &cursor.image[i];
      if (bgr) {
        rgba[i] = p[2];
        rgba[i + 2] = p[0];
      } else if (argb) {
        rgba[i] = p[1];
        rgba[i + 1] = p[2];
        rgba[i + 2] = p[3];
        rgba[i + 3] = p[0];
      }
    }
    g_autofree char *b64 = g_base64_encode(rgba.data(), rgba.size());
    gst_structure_set(s, "width", G_TYPE_INT, cursor.image_width, "height", G_TYPE_INT,
                      cursor.image_height, "image", G_TYPE_STRING, b64, nullptr);
  }
  return s;
}

} // namespace vdi
