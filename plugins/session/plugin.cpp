/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libgstvdisession: session-aware sinks that deliver one desktop to many
 * viewers (WebRTC) or many desktops through one port (SRT).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#ifdef VDI_HAVE_SRTSINK
#include "gstvdisrtsink.h" /* vdisrtsink */
#endif
#ifdef VDI_HAVE_WEBRTCSINK
#include "gstvdiwebrtcsink.h" /* vdiwebrtcsink */
#endif
#ifdef VDI_HAVE_H264KEEPALIVE
#include "gstvdih264keepalive.h" /* vdih264keepalive */
#endif

/* Element registrations (one line per element). */

static gboolean plugin_init(GstPlugin *plugin)
{
  gboolean ret = FALSE;
  /* ret |= GST_ELEMENT_REGISTER(element, plugin); one line per element */
#ifdef VDI_HAVE_SRTSINK
  ret |= GST_ELEMENT_REGISTER(vdisrtsink, plugin);
#endif
#ifdef VDI_HAVE_WEBRTCSINK
  ret |= GST_ELEMENT_REGISTER(vdiwebrtcsink, plugin);
#endif
#ifdef VDI_HAVE_H264KEEPALIVE
  ret |= GST_ELEMENT_REGISTER(vdih264keepalive, plugin);
#endif
  return ret;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, vdisession,
                  "gst-vdi: session-aware sinks (WebRTC fan-out, one-port SRT server)", plugin_init,
                  VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
