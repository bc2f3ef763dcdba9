/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The request pad of vdisrtsink: one session, with its own passphrase and
 * caller credentials as pad properties (sink_NAME::user=... from
 * gst-launch, through the element's GstChildProxy).
 */

#include "gstvdisrtsinkpad.h"

enum {
  PAD_PROP_0,
  PAD_PROP_PASSPHRASE,
  PAD_PROP_USER,
  PAD_PROP_PASSWORD,
};

G_DEFINE_TYPE(GstVdiSrtSinkPad, gst_vdi_srt_sink_pad, GST_TYPE_PAD);

static void gst_vdi_srt_sink_pad_set_property(GObject *object, guint prop_id, const GValue *value,
                                              GParamSpec *pspec)
{
  auto *pad = GST_VDI_SRT_SINK_PAD(object);
  GST_OBJECT_LOCK(pad);
  switch (prop_id) {
  case PAD_PROP_PASSPHRASE:
    g_free(pad->passphrase);
    pad->passphrase = g_value_dup_string(value);
    break;
  case PAD_PROP_USER:
    g_free(pad->user);
    pad->user = g_value_dup_string(value);
    break;
  case PAD_PROP_PASSWORD:
    g_free(pad->password);
    pad->password = g_value_dup_string(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(pad);
  gst_vdi_srt_sink_pad_changed(pad);
}

static void gst_vdi_srt_sink_pad_get_property(GObject *object, guint prop_id, GValue *value,
                                              GParamSpec *pspec)
{
  auto *pad = GST_VDI_SRT_SINK_PAD(object);
  GST_OBJECT_LOCK(pad);
  switch (prop_id) {
  case PAD_PROP_USER:
    g_value_set_string(value, pad->user);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(pad);
}

static void gst_vdi_srt_sink_pad_finalize(GObject *object)
{
  auto *pad = GST_VDI_SRT_SINK_PAD(object);
  g_free(pad->passphrase);
  g_free(pad->user);
  g_free(pad->password);
  delete pad->remainder;
  G_OBJECT_CLASS(gst_vdi_srt_sink_pad_parent_class)->finalize(object);
}

static void gst_vdi_srt_sink_pad_class_init(GstVdiSrtSinkPadClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = gst_vdi_srt_sink_pad_set_property;
  gobject_class->get_property = gst_vdi_srt_sink_pad_get_property;
  gobject_class->finalize = gst_vdi_srt_sink_pad_finalize;

  /**
   * GstVdiSrtSinkPad:passphrase:
   *
   * Encrypts this session with its own passphrase (10 to 79 characters)
   * instead of the element's #GstVdiSrtSink:passphrase. Applies to callers
   * that connect after it is set.
   */
  g_object_class_install_property(
    gobject_class, PAD_PROP_PASSPHRASE,
    g_param_spec_string("passphrase", "Passphrase",
                        "SRT passphrase of this session (empty: the element's)", nullptr,
                        static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  /**
   * GstVdiSrtSinkPad:user:
   *
   * With #GstVdiSrtSinkPad:password: callers of this session must send
   * `streamid=read:NAME:USER:PASS` (or `#!::r=NAME,u=USER,s=PASS`).
   */
  g_object_class_install_property(
    gobject_class, PAD_PROP_USER,
    g_param_spec_string("user", "User", "User name callers of this session must give", nullptr,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
    gobject_class, PAD_PROP_PASSWORD,
    g_param_spec_string("password", "Password", "Password callers of this session must give",
                        nullptr,
                        static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
}

static void gst_vdi_srt_sink_pad_init(GstVdiSrtSinkPad *pad)
{
  pad->remainder = new std::string();
}
