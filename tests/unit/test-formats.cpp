/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"
#include "wayland-connection.h"

TEST_CASE("wl_shm formats map to GStreamer formats by memory order", "[formats]")
{
  CHECK(vdi::videoFormatFromShm(WL_SHM_FORMAT_XRGB8888) == GST_VIDEO_FORMAT_BGRx);
  CHECK(vdi::videoFormatFromShm(WL_SHM_FORMAT_ARGB8888) == GST_VIDEO_FORMAT_BGRA);
  CHECK(vdi::videoFormatFromShm(WL_SHM_FORMAT_XBGR8888) == GST_VIDEO_FORMAT_RGBx);
  CHECK(vdi::videoFormatFromShm(WL_SHM_FORMAT_ABGR8888) == GST_VIDEO_FORMAT_RGBA);
  CHECK(vdi::videoFormatFromShm(WL_SHM_FORMAT_BGR888) == GST_VIDEO_FORMAT_RGB);
  CHECK(vdi::videoFormatFromShm(WL_SHM_FORMAT_NV12) == GST_VIDEO_FORMAT_UNKNOWN);
}

TEST_CASE("every mapped format is in the source's caps template", "[formats]")
{
  GstElementFactory *f = gst_element_factory_find("vdiwaylandsrc");
  REQUIRE(f);
  const GList *templates = gst_element_factory_get_static_pad_templates(f);
  REQUIRE(templates);
  auto *tmpl = static_cast<GstStaticPadTemplate *>(templates->data);
  g_autoptr(GstCaps) caps = gst_static_caps_get(&tmpl->static_caps);
  for (uint32_t shm : {WL_SHM_FORMAT_XRGB8888, WL_SHM_FORMAT_ARGB8888, WL_SHM_FORMAT_XBGR8888,
                       WL_SHM_FORMAT_ABGR8888, WL_SHM_FORMAT_RGBX8888, WL_SHM_FORMAT_RGBA8888,
                       WL_SHM_FORMAT_BGRX8888, WL_SHM_FORMAT_BGRA8888, WL_SHM_FORMAT_XRGB2101010,
                       WL_SHM_FORMAT_RGB565, WL_SHM_FORMAT_BGR888, WL_SHM_FORMAT_RGB888}) {
    GstVideoFormat fmt = vdi::videoFormatFromShm(shm);
    g_autoptr(GstCaps) one = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING,
                                                 gst_video_format_to_string(fmt), nullptr);
    INFO(gst_video_format_to_string(fmt));
    CHECK(gst_caps_can_intersect(caps, one));
  }
  gst_object_unref(f);
}
