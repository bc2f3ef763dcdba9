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
  Rect box = boundingBox(damage);
  gst_buffer_add_video_region_of_interest_meta(buffer, VDI_DAMAGE_ROI_TYPE, box.x, box.y, box.width,
                                               box.height);
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
