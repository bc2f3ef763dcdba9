/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The `vdi-cursor` structure: where the pointer is and what it looks like,
 * sent downstream by vdiwaylandsrc as a custom out-of-band event when the
 * compositor delivers the cursor as metadata (Mutter, show-cursor=false),
 * so that a viewer can draw it locally. See docs/capture.md.
 *
 *   visible (boolean), x, y (int, frame pixels of the pointer's hotspot),
 *   hotspot-x, hotspot-y (int); only when the image changed: width, height
 *   (int) and image (string, base64 of width*height*4 bytes RGBA; width 0
 *   and image "" when the compositor sent no image, see CursorUpdate).
 */

#pragma once

#include "capture-backend.h"

#include <gst/gst.h>

namespace vdi {

inline constexpr const char kCursorEvent[] = "vdi-cursor";

GstStructure *cursorEventStructure(const CursorUpdate &cursor);

} // namespace vdi
