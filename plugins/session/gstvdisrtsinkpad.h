/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdisrtsink's request pad, shared by the element and the pad's own file
 * (gstvdisrtsinkpad.cpp): its fields and the hook through which a changed
 * pad property reaches the element's SRT server.
 */

#pragma once

#include "gstvdisrtsink.h"

#include <string>

struct _GstVdiSrtSinkPad {
  GstPad parent;
  /* Guarded by the object lock. */
  gchar *passphrase;
  gchar *user;
  gchar *password;
  /* Streaming thread only: bytes of an incomplete TS packet. */
  std::string *remainder;
  gboolean eos;
};

/* The pad's passphrase or credentials changed: the element (if the pad has
 * one yet) hands them to its server. Defined in gstvdisrtsink.cpp. */
void gst_vdi_srt_sink_pad_changed(GstVdiSrtSinkPad *pad);
