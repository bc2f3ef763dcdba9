/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The registered enums of vdiwebrtcsink's properties. */

#include "gstvdiwebrtcsink.h"

GType gst_vdi_viewer_control_get_type()
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_VDI_VIEWER_CONTROL_ALL, "Every viewer may send input", "all"},
    {GST_VDI_VIEWER_CONTROL_FIRST, "Only the longest-connected viewer may send input", "first"},
    {GST_VDI_VIEWER_CONTROL_NONE, "Nobody may send input (view only)", "none"},
    {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstVdiViewerControl", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

GType gst_vdi_congestion_control_get_type()
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_VDI_CONGESTION_CONTROL_DELAY, "Delay-based on transport-wide CC feedback, plus loss",
     "delay"},
    {GST_VDI_CONGESTION_CONTROL_LOSS, "Loss and RTT from receiver reports only", "loss"},
    {GST_VDI_CONGESTION_CONTROL_DISABLED, "Leave the encoder's bitrate alone", "disabled"},
    {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstVdiCongestionControl", values);
    g_once_init_leave(&type, t);
  }
  return type;
}
