/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-rtx-budget.h"

#include <gst/rtp/rtp.h>

#include <algorithm>
#include <cstring>
#include <set>

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace vdi::webrtc {

void RtxBudget::setEstimate(unsigned kbps)
{
  double allowed = std::max<double>(kFloorKbps, kbps * kShare);
  std::lock_guard<std::mutex> l(lock_);
  rateBytesPerUs_ = allowed * 1000.0 / 8 / 1e6;
}

bool RtxBudget::admit(size_t bytes, int64_t nowUs)
{
  std::lock_guard<std::mutex> l(lock_);
  /* At most 200 ms worth of retransmissions in one burst. */
  double capacity = rateBytesPerUs_ * 200000;
  if (lastUs_)
    tokens_ = std::min(capacity, tokens_ + (nowUs - lastUs_) * rateBytesPerUs_);
  else
    tokens_ = capacity;
  lastUs_ = nowUs;
  if (tokens_ < double(bytes)) {
    return false;
  }
  tokens_ -= double(bytes);
  return true;
}

namespace {

struct ProbeData {
  std::shared_ptr<RtxBudget> budget;
  std::mutex lock; /* the streaming thread and rtprtxsend's own push here */
  std::set<guint> pts;
  int64_t readUs = 0; /* when the map was last read (while still empty) */
};

/* The retransmission payload types of @rtx (values of payload-type-map). */
std::set<guint> rtxPayloadTypes(GstElement *rtx)
{
  std::set<guint> out;
  GstStructure *map = nullptr;
  g_object_get(rtx, "payload-type-map", &map, nullptr);
  if (!map)
    return out;
  for (int i = 0; i < gst_structure_n_fields(map); i++) {
    guint pt = 0;
    if (gst_structure_get_uint(map, gst_structure_nth_field_name(map, i), &pt))
      out.insert(pt);
  }
  gst_structure_free(map);
  return out;
}

GstPadProbeReturn onRtxOut(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto *d = static_cast<ProbeData *>(data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!buf || !gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  guint pt = gst_rtp_buffer_get_payload_type(&rtp);
  gst_rtp_buffer_unmap(&rtp);
  {
    /* The map is set at negotiation: read it once it is there. */
    std::lock_guard<std::mutex> l(d->lock);
    /* The element through its pad: in a teardown the pad may outlive it. */
    if (d->pts.empty()) {
      /* Every packet passes here: read the map at most once a second. */
      int64_t now = g_get_monotonic_time();
      if (now - d->readUs < G_USEC_PER_SEC)
        return GST_PAD_PROBE_OK;
      d->readUs = now;
      if (GstElement *rtx = gst_pad_get_parent_element(pad)) {
        d->pts = rtxPayloadTypes(rtx);
        gst_object_unref(rtx);
      }
    }
    if (!d->pts.count(pt))
      return GST_PAD_PROBE_OK;
  }
  if (d->budget->admit(gst_buffer_get_size(buf), g_get_monotonic_time()))
    return GST_PAD_PROBE_OK;
  return GST_PAD_PROBE_DROP;
}

void onDeepElementAdded(GstBin *, GstBin *, GstElement *element, gpointer data)
{
  GstElementFactory *f = gst_element_get_factory(element);
  if (!f || strcmp(GST_OBJECT_NAME(f), "rtprtxsend") != 0)
    return;
  auto &budget = *static_cast<std::shared_ptr<RtxBudget> *>(data);
  g_object_set(element, "max-size-time", guint(RtxBudget::kHistoryMs), nullptr);
  g_autoptr(GstPad) src = gst_element_get_static_pad(element, "src");
  if (!src)
    return;
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, onRtxOut, new ProbeData{budget, {}, {}, 0},
                    [](gpointer p) { delete static_cast<ProbeData *>(p); });
  GST_DEBUG_OBJECT(element, "retransmissions bounded (%u ms history)", RtxBudget::kHistoryMs);
}

} // namespace

void RtxBudget::attach(GstBin *bin, std::shared_ptr<RtxBudget> budget)
{
  g_signal_connect_data(
    bin, "deep-element-added", G_CALLBACK(onDeepElementAdded),
    new std::shared_ptr<RtxBudget>(std::move(budget)),
    [](gpointer p, GClosure *) { delete static_cast<std::shared_ptr<RtxBudget> *>(p); },
    GConnectFlags(0));
}

} // namespace vdi::webrtc
