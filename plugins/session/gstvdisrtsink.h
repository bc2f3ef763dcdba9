/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_VDI_SRT_SINK (gst_vdi_srt_sink_get_type())
G_DECLARE_FINAL_TYPE(GstVdiSrtSink, gst_vdi_srt_sink, GST, VDI_SRT_SINK, GstElement)

#define GST_TYPE_VDI_SRT_SINK_PAD (gst_vdi_srt_sink_pad_get_type())
G_DECLARE_FINAL_TYPE(GstVdiSrtSinkPad, gst_vdi_srt_sink_pad, GST, VDI_SRT_SINK_PAD, GstPad)

GST_ELEMENT_REGISTER_DECLARE(vdisrtsink);

G_END_DECLS
