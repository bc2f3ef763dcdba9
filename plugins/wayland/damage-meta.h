/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Damage rectangles on buffers, as stock GstVideoRegionOfInterestMeta so that
 * any element can read them without linking to gst-vdi: one meta per
 * rectangle, roi_type "vdi-damage", in buffer pixels. A buffer without such
 * metas is a repeat of the previous frame (keepalive or re-push). The
 * buffer offset numbers the frames (a repeat keeps its frame's number), so
 * a consumer (vdidamageconvert) can tell that one was lost on the way.
 */

#pragma once

#include "capture-backend.h"

#include <gst/video/video.h>

#include <vector>

namespace vdi {

/* The roi_type of damage metas. */
#define VDI_DAMAGE_ROI_TYPE "vdi-damage"

/* More boxes than this are merged into their bounding box. */
constexpr size_t kMaxDamageRects = 16;

void addDamageMeta(GstBuffer *buffer, const std::vector<Rect> &damage);
std::vector<Rect> damageFromBuffer(GstBuffer *buffer);

} // namespace vdi
