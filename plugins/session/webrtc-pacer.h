/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A viewer's pacer: an element between its RTP payloader (capssetter) and
 * webrtcbin that lets each packet go when PacingSchedule (webrtc-pacing.h)
 * says, waiting on the viewer's own streaming thread (the leaky queue at
 * the head of the viewer's branch takes what piles up meanwhile, so the
 * other viewers never wait). GStreamer 1.22 has no pacer: webrtcbin and
 * rtpbin push each frame's packets as one buffer list, and rtpsession has
 * no send-rate setting. Pacing before webrtcbin keeps transport-wide CC
 * true: rtpsession stamps each packet's send time as it passes, after the
 * wait. Not a registered factory: vdiwebrtcsink makes it for its viewers.
 */

#pragma once

#include <gst/gst.h>

namespace vdi::webrtc {

/* A new pacer element called @name (floating), not pacing yet. */
GstElement *makePacer(const char *name);
/* The viewer's estimate (kbit/s) and whether a bottleneck was found on its
 * path: packets are paced at PacingSchedule::kFactor x it, or not at all.
 * Any thread. */
void setPacerEstimate(GstElement *pacer, unsigned kbps, bool bottleneck);

} // namespace vdi::webrtc
