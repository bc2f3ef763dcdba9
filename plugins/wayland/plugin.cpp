/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libgstvdiwayland: capture of and input into headless Wayland desktops, and
 * the colour conversion that follows the capture's damage.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstvdiinputsink.h"
#include "gstvdiwaylandsrc.h"
#ifdef HAVE_LIBYUV
#include "gstvdidamageconvert.h"
#endif

static gboolean plugin_init(GstPlugin *plugin)
{
  gboolean ret = FALSE;
  ret |= GST_ELEMENT_REGISTER(vdiwaylandsrc, plugin);
  ret |= GST_ELEMENT_REGISTER(vdiinputsink, plugin);
#ifdef HAVE_LIBYUV
  ret |= GST_ELEMENT_REGISTER(vdidamageconvert, plugin);
#endif
  return ret;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, vdiwayland,
                  "gst-vdi: capture of and input into headless Wayland desktops", plugin_init,
                  VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
