/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A viewer's figures from one webrtcbin get-stats reply: bytes and packets
 * sent, PLI/FIR/NACK counts, loss, the round trip of the stream that sent
 * the most, and rtpsession's transport-cc window (ViewerStats).
 */

#pragma once

#include "webrtc-viewer.h"

#include <gst/gst.h>

namespace vdi::webrtc {

ViewerStats readViewerStats(const GstStructure *reply);

} // namespace vdi::webrtc
