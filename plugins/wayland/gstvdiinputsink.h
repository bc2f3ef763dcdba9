/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_VDI_INPUT_SINK (gst_vdi_input_sink_get_type())
G_DECLARE_FINAL_TYPE(GstVdiInputSink, gst_vdi_input_sink, GST, VDI_INPUT_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE(vdiinputsink);

G_END_DECLS
