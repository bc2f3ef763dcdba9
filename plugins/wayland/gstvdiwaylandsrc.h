/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_VDI_WAYLAND_SRC (gst_vdi_wayland_src_get_type())
G_DECLARE_FINAL_TYPE(GstVdiWaylandSrc, gst_vdi_wayland_src, GST, VDI_WAYLAND_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE(vdiwaylandsrc);

G_END_DECLS
