/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "damage-meta.h"

#include <algorithm>

namespace vdi {

void addDamageMeta(GstBuffer *buffer, const std::vector<Rect> &damage)
{
  if (damage.size() <= kMaxDamageRects) {
    for (const Rect &r : damage)
      gst_buffer_add_video_region_of_interest_meta(buffer, VDI_DAMAGE_ROI_TYPE, r.x, r.y, r.width,
                                                   r.height);
    return;
  }
  int x1 = damage[0].x, y1 = damage[0].y;
  int x2 = x1 + damage[0].width, y2 = y1 + damage[0].height;
  for (const Rect &r : damage) {
    x1 = std::min(x1, r.x);
    y1 = std::min(y1, r.y);
    x2 = std::max(x2, r.x + r.width);
    y2 = std::max(y2, r.y + r.height);
  }
  gst_buffer_add_video_region_of_interest_meta(buffer, VDI_DAMAGE_ROI_TYPE, x1, y1, x2 - x1,
                                               y2 - y1);
}

std::vector<Rect> damageFromBuffer(GstBuffer *buffer)
{
  std::vector<Rect> out;
  static GQuark type = g_quark_from_static_string(VDI_DAMAGE_ROI_TYPE);
  gpointer state = nullptr;
  GstMeta *meta;
  while ((meta = gst_buffer_iterate_meta_filtered(buffer, &state,
                                                  GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    auto *roi = reinterpret_cast<GstVideoRegionOfInterestMeta *>(meta);
    if (roi->roi_type == type)
      out.push_back({static_cast<int>(roi->x), static_cast<int>(roi->y), static_cast<int>(roi->w),
                     static_cast<int>(roi->h)});
  }
  return out;
}

} // namespace vdi
