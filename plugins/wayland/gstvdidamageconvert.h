/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_VDI_DAMAGE_CONVERT (gst_vdi_damage_convert_get_type())
G_DECLARE_FINAL_TYPE(GstVdiDamageConvert, gst_vdi_damage_convert, GST, VDI_DAMAGE_CONVERT,
                     GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE(vdidamageconvert);

G_END_DECLS
