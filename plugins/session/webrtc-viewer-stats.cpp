/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-viewer-stats.h"

#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vdi::webrtc {

static uint64_t u64(const GstStructure *s, const char *f)
{
  const GValue *v = gst_structure_get_value(s, f);
  if (!v)
    return 0;
  if (G_VALUE_HOLDS_UINT64(v))
    return g_value_get_uint64(v);
  if (G_VALUE_HOLDS_INT64(v))
    return uint64_t(std::max<gint64>(0, g_value_get_int64(v)));
  if (G_VALUE_HOLDS_UINT(v))
    return g_value_get_uint(v);
  if (G_VALUE_HOLDS_INT(v))
    return uint64_t(std::max(0, g_value_get_int(v)));
  return 0;
}

static double dbl(const GstStructure *s, const char *f)
{
  double d = 0;
  if (gst_structure_get_double(s, f, &d))
    return d;
  return double(u64(s, f));
}

/* What one get-stats reply holds, before it becomes ViewerStats: the round
 * trip is taken from the receiver report about the stream that sent the
 * most (a report about the RTX stream stops when retransmissions do, and
 * would keep its last, congested, value). */
struct StatsWalk {
  ViewerStats out;
  std::map<std::string, uint64_t> packetsByOutbound; /* outbound-rtp id -> packets */
  std::vector<std::pair<std::string, double>> rtts;  /* remote-inbound local-id, rtt */
};

static gboolean collectStats(GQuark, const GValue *value, gpointer data)
{
  auto *walk = static_cast<StatsWalk *>(data);
  ViewerStats *out = &walk->out;
  if (!GST_VALUE_HOLDS_STRUCTURE(value))
    return TRUE;
  const GstStructure *s = gst_value_get_structure(value);
  GstWebRTCStatsType type;
  if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr))
    return TRUE;
  if (type == GST_WEBRTC_STATS_OUTBOUND_RTP) {
    out->bytesSent += u64(s, "bytes-sent");
    out->packetsSent += u64(s, "packets-sent");
    if (const char *id = gst_structure_get_string(s, "id"))
      walk->packetsByOutbound[id] = u64(s, "packets-sent");
    out->pli += unsigned(u64(s, "pli-count"));
    out->fir += unsigned(u64(s, "fir-count"));
    out->nack += unsigned(u64(s, "nack-count"));
  } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
    out->fractionLost = std::max(out->fractionLost, dbl(s, "fraction-lost"));
    const GValue *v = gst_structure_get_value(s, "packets-lost");
    if (v && G_VALUE_HOLDS_INT64(v))
      out->packetsLost += g_value_get_int64(v);
    else if (v && G_VALUE_HOLDS_INT(v))
      out->packetsLost += g_value_get_int(v);
    const char *local = gst_structure_get_string(s, "local-id");
    walk->rtts.emplace_back(local ? local : "", dbl(s, "round-trip-time"));
  } else if (type == GST_WEBRTC_STATS_TRANSPORT || type == GST_WEBRTC_STATS_CANDIDATE_PAIR) {
    /* rtpsession's view of the last transport-cc feedback window. */
    const GValue *v = gst_structure_get_value(s, "gst-twcc-stats");
    if (v && GST_VALUE_HOLDS_STRUCTURE(v) && !out->twcc) {
      const GstStructure *t = gst_value_get_structure(v);
      gint64 dod = 0;
      out->twcc = true;
      out->twccSentBps = dbl(t, "bitrate-sent");
      out->twccRecvBps = dbl(t, "bitrate-recv");
      out->twccLossPct = dbl(t, "packet-loss-pct");
      if (gst_structure_get_int64(t, "avg-delta-of-delta", &dod))
        out->twccDelayGradientMs = double(dod) / 1e6;
    }
  }
  return TRUE;
}

ViewerStats readViewerStats(const GstStructure *r)
{
  StatsWalk walk;
  gst_structure_foreach(r, collectStats, &walk);
  ViewerStats &st = walk.out;
  uint64_t most = 0;
  for (const auto &[local, rtt] : walk.rtts) {
    auto it = walk.packetsByOutbound.find(local);
    uint64_t packets = it == walk.packetsByOutbound.end() ? 0 : it->second;
    if (packets > most || (most == 0 && rtt > st.rttSeconds)) {
      most = std::max(most, packets);
      st.rttSeconds = rtt;
    }
  }
  return st;
}

} // namespace vdi::webrtc
