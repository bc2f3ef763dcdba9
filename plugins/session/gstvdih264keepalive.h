/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_VDI_H264_KEEPALIVE (gst_vdi_h264_keepalive_get_type())
G_DECLARE_FINAL_TYPE(GstVdiH264Keepalive, gst_vdi_h264_keepalive, GST, VDI_H264_KEEPALIVE,
                     GstElement)

GST_ELEMENT_REGISTER_DECLARE(vdih264keepalive);

G_END_DECLS
