/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_VDI_WEBRTC_SINK (gst_vdi_webrtc_sink_get_type())
G_DECLARE_FINAL_TYPE(GstVdiWebrtcSink, gst_vdi_webrtc_sink, GST, VDI_WEBRTC_SINK, GstBin)

/**
 * GstVdiViewerControl:
 * @GST_VDI_VIEWER_CONTROL_ALL: every viewer may send input
 * @GST_VDI_VIEWER_CONTROL_FIRST: only the longest-connected viewer may
 * @GST_VDI_VIEWER_CONTROL_NONE: nobody may (view only)
 */
typedef enum {
  GST_VDI_VIEWER_CONTROL_ALL,
  GST_VDI_VIEWER_CONTROL_FIRST,
  GST_VDI_VIEWER_CONTROL_NONE,
} GstVdiViewerControl;

/**
 * GstVdiCongestionControl:
 * @GST_VDI_CONGESTION_CONTROL_DELAY: transport-wide CC negotiated;
 *   delay-based where its feedback arrives, loss-based elsewhere
 * @GST_VDI_CONGESTION_CONTROL_LOSS: loss and RTT from receiver reports only
 * @GST_VDI_CONGESTION_CONTROL_DISABLED: the encoder's bitrate is left alone
 */
typedef enum {
  GST_VDI_CONGESTION_CONTROL_DELAY,
  GST_VDI_CONGESTION_CONTROL_LOSS,
  GST_VDI_CONGESTION_CONTROL_DISABLED,
} GstVdiCongestionControl;

GType gst_vdi_viewer_control_get_type(void);
#define GST_TYPE_VDI_VIEWER_CONTROL (gst_vdi_viewer_control_get_type())
GType gst_vdi_congestion_control_get_type(void);
#define GST_TYPE_VDI_CONGESTION_CONTROL (gst_vdi_congestion_control_get_type())

GST_ELEMENT_REGISTER_DECLARE(vdiwebrtcsink);

G_END_DECLS
