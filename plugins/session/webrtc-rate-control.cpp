/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-rate-control.h"

#include <cstring>

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace vdi::webrtc {

void RateControl::setLimits(unsigned minKbps, unsigned maxKbps)
{
  controller_.setLimits(minKbps, maxKbps);
  maxKbps_ = maxKbps;
  appliedKbps_ = 0;
}

void RateControl::addViewer(const std::string &id)
{
  controller_.addViewer(id, encoderKbps());
  viewers_++;
}

void RateControl::removeViewer(const std::string &id)
{
  controller_.removeViewer(id);
  if (viewers_)
    viewers_--;
}

unsigned RateControl::update(const std::string &id, const Feedback &fb, bool control)
{
  return controller_.update(id, fb, control);
}

GstElement *RateControl::findEncoder()
{
  if (GstElement *enc = configured_())
    return enc;
  GstPad *peer = gst_pad_get_peer(videoPad_);
  for (int hops = 0; peer && hops < 32; hops++) {
    GstElement *e = gst_pad_get_parent_element(peer);
    gst_object_unref(peer);
    peer = nullptr;
    if (!e)
      break;
    const char *klass =
      gst_element_class_get_metadata(GST_ELEMENT_GET_CLASS(e), GST_ELEMENT_METADATA_KLASS);
    if (klass && strstr(klass, "Encoder") &&
        g_object_class_find_property(G_OBJECT_GET_CLASS(e), "bitrate"))
      return e;
    GstIterator *it = gst_element_iterate_sink_pads(e);
    GValue v = G_VALUE_INIT;
    if (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
      peer = gst_pad_get_peer(GST_PAD(g_value_get_object(&v)));
      g_value_unset(&v);
    }
    gst_iterator_free(it);
    gst_object_unref(e);
  }
  if (peer)
    gst_object_unref(peer);
  return nullptr;
}

unsigned RateControl::encoderKbps()
{
  unsigned kbps = 0;
  if (GstElement *enc = findEncoder()) {
    GParamSpec *p = g_object_class_find_property(G_OBJECT_GET_CLASS(enc), "bitrate");
    GValue v = G_VALUE_INIT, u = G_VALUE_INIT;
    g_value_init(&v, p->value_type);
    g_object_get_property(G_OBJECT(enc), "bitrate", &v);
    g_value_init(&u, G_TYPE_UINT);
    if (g_value_transform(&v, &u))
      kbps = g_value_get_uint(&u);
    g_value_unset(&u);
    g_value_unset(&v);
    gst_object_unref(enc);
  }
  return kbps ? kbps : maxKbps_;
}

void RateControl::apply()
{
  if (!viewers_)
    return;
  unsigned target = controller_.target();
  if (!target)
    return;
  if (appliedKbps_ && target > appliedKbps_ * 0.95 && target < appliedKbps_ * 1.05)
    return;
  GstElement *enc = findEncoder();
  if (!enc)
    return;
  GParamSpec *p = g_object_class_find_property(G_OBJECT_GET_CLASS(enc), "bitrate");
  GValue u = G_VALUE_INIT, v = G_VALUE_INIT;
  g_value_init(&u, G_TYPE_UINT);
  g_value_set_uint(&u, target);
  g_value_init(&v, p->value_type);
  if ((p->flags & G_PARAM_WRITABLE) && g_value_transform(&u, &v) &&
      !g_param_value_validate(p, &v)) {
    g_object_set_property(G_OBJECT(enc), "bitrate", &v);
    GST_INFO("encoder %s bitrate -> %u kbit/s", GST_OBJECT_NAME(enc), target);
    appliedKbps_ = target;
  }
  g_value_unset(&u);
  g_value_unset(&v);
  gst_object_unref(enc);
}

} // namespace vdi::webrtc
