/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-rtx-budget.h"

#include "webrtc-nack-repair.h"

#include <gst/rtp/rtp.h>

#include <algorithm>
#include <cstring>
#include <map>
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

/* What the bin's signal handler holds. */
struct Hook {
  std::shared_ptr<RtxBudget> budget;
  std::function<void()> keyframe;
};

/* Video RTP clock rate (H.264, VP8, VP9, AV1): rtprtxsend's max-size-time
 * is measured in it. */
constexpr unsigned kVideoClockRate = 90000;

struct ProbeData {
  std::shared_ptr<RtxBudget> budget;
  std::function<void()> keyframe;
  unsigned maxPackets = 0;
  std::mutex lock;               /* the streaming thread, rtprtxsend's own push and RTCP here */
  std::set<guint> pts, mediaPts; /* retransmission / original payload types */
  int64_t readUs = 0;            /* when the map was last read (while still empty) */
  std::map<guint32, RtxHistory> histories; /* by original SSRC */
  NackRepair repair;
  bool lastDelta = true; /* the last original packet was not a keyframe's first */
};

/* The payload-type-map of @rtx: original payload types (its fields) into
 * @media, retransmission ones (its values) into @rtxPts. */
void readPayloadTypes(GstElement *rtx, std::set<guint> *media, std::set<guint> *rtxPts)
{
  GstStructure *map = nullptr;
  g_object_get(rtx, "payload-type-map", &map, nullptr);
  if (!map)
    return;
  for (int i = 0; i < gst_structure_n_fields(map); i++) {
    const char *name = gst_structure_nth_field_name(map, i);
    guint pt = 0;
    if (gst_structure_get_uint(map, name, &pt)) {
      rtxPts->insert(pt);
      media->insert(guint(g_ascii_strtoull(name, nullptr, 10)));
    }
  }
  gst_structure_free(map);
}

/* A retransmission request that cannot be answered (@refused: its
 * retransmission was over the budget): a keyframe, if this is the first
 * of its moment. */
void unanswered(ProbeData *d, guint seq, bool refused, const char *why)
{
  bool request;
  {
    std::lock_guard<std::mutex> l(d->lock);
    int64_t now = g_get_monotonic_time() / 1000;
    request =
      refused ? d->repair.refused(uint16_t(seq), now) : d->repair.unanswered(uint16_t(seq), now);
  }
  if (!request)
    return;
  GST_INFO("NACK for packet %u cannot be answered (%s): requesting a keyframe", seq, why);
  d->keyframe();
}

/* One packet leaving rtprtxsend: an original one is remembered as
 * rtprtxsend keeps it; a retransmission passes the budget or not. */
GstPadProbeReturn onPacket(GstPad *pad, GstBuffer *buf, ProbeData *d, bool single)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!buf || !gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  guint pt = gst_rtp_buffer_get_payload_type(&rtp);
  guint16 seq = gst_rtp_buffer_get_seq(&rtp);
  guint32 ts = gst_rtp_buffer_get_timestamp(&rtp), ssrc = gst_rtp_buffer_get_ssrc(&rtp);
  guint osn = G_MAXUINT;
  if (gst_rtp_buffer_get_payload_len(&rtp) >= 2)
    osn = GST_READ_UINT16_BE(gst_rtp_buffer_get_payload(&rtp));
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
        readPayloadTypes(rtx, &d->mediaPts, &d->pts);
        gst_object_unref(rtx);
      }
    }
    if (d->mediaPts.count(pt)) {
      auto it =
        d->histories.try_emplace(ssrc, d->maxPackets, RtxBudget::kHistoryMs, kVideoClockRate).first;
      it->second.sent(seq, ts);
      /* The first packet of a key unit is the one without DELTA_UNIT
       * (rtph264pay marks the others); a payloader that never marks any
       * has no keyframes here, and every hole asks for one. */
      bool delta = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
      if (!delta && d->lastDelta)
        d->repair.keyframeSent(seq);
      d->lastDelta = delta;
      return GST_PAD_PROBE_OK;
    }
    if (!single || !d->pts.count(pt))
      return GST_PAD_PROBE_OK;
  }
  if (d->budget->admit(gst_buffer_get_size(buf), g_get_monotonic_time())) {
    if (osn != G_MAXUINT) {
      std::lock_guard<std::mutex> l(d->lock);
      d->repair.resent(uint16_t(osn), g_get_monotonic_time() / 1000);
    }
    return GST_PAD_PROBE_OK;
  }
  if (osn != G_MAXUINT)
    unanswered(d, osn, true, "over the retransmission budget");
  return GST_PAD_PROBE_DROP;
}

GstPadProbeReturn onRtxOut(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto *d = static_cast<ProbeData *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    for (guint i = 0; list && i < gst_buffer_list_length(list); i++)
      onPacket(pad, gst_buffer_list_get(list, i), d, false);
    return GST_PAD_PROBE_OK;
  }
  return onPacket(pad, GST_PAD_PROBE_INFO_BUFFER(info), d, true);
}

/* A NACK on its way into rtprtxsend (rtpsession turns each lost packet of
 * a NACK into one GstRTPRetransmissionRequest): judged on the history
 * rtprtxsend has at this moment. */
GstPadProbeReturn onRtxRequest(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *d = static_cast<ProbeData *>(data);
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (!ev || GST_EVENT_TYPE(ev) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;
  const GstStructure *s = gst_event_get_structure(ev);
  guint seq = 0, ssrc = 0;
  if (!s || !gst_structure_has_name(s, "GstRTPRetransmissionRequest") ||
      !gst_structure_get_uint(s, "seqnum", &seq) || !gst_structure_get_uint(s, "ssrc", &ssrc))
    return GST_PAD_PROBE_OK;
  bool gone;
  {
    std::lock_guard<std::mutex> l(d->lock);
    auto it = d->histories.find(ssrc);
    if (it == d->histories.end())
      return GST_PAD_PROBE_OK; /* not a stream with retransmissions */
    auto newest = it->second.newest();
    /* A packet not sent yet is no loss of ours (bogus feedback). */
    gone = newest && !seqBefore(*newest, uint16_t(seq)) && !it->second.has(uint16_t(seq));
  }
  if (gone)
    unanswered(d, seq, false, "no longer in the retransmission history");
  return GST_PAD_PROBE_OK;
}

void onDeepElementAdded(GstBin *, GstBin *, GstElement *element, gpointer data)
{
  GstElementFactory *f = gst_element_get_factory(element);
  if (!f || strcmp(GST_OBJECT_NAME(f), "rtprtxsend") != 0)
    return;
  auto *hook = static_cast<Hook *>(data);
  g_object_set(element, "max-size-time", guint(RtxBudget::kHistoryMs), nullptr);
  g_autoptr(GstPad) src = gst_element_get_static_pad(element, "src");
  if (!src)
    return;
  auto *d = new ProbeData;
  d->budget = hook->budget;
  d->keyframe = hook->keyframe;
  g_object_get(element, "max-size-packets", &d->maxPackets, nullptr);
  gst_pad_add_probe(src,
                    GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    onRtxOut, d, nullptr);
  /* The data outlives both probes: freed with the second. */
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onRtxRequest, d,
                    [](gpointer p) { delete static_cast<ProbeData *>(p); });
  GST_DEBUG_OBJECT(element, "retransmissions bounded (%u ms, %u packets of history)",
                   RtxBudget::kHistoryMs, d->maxPackets);
}

} // namespace

void RtxBudget::attach(GstBin *bin, std::shared_ptr<RtxBudget> budget,
                       std::function<void()> keyframe)
{
  g_signal_connect_data(
    bin, "deep-element-added", G_CALLBACK(onDeepElementAdded),
    new Hook{std::move(budget), std::move(keyframe)},
    [](gpointer p, GClosure *) { delete static_cast<Hook *>(p); }, GConnectFlags(0));
}

} // namespace vdi::webrtc
