/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target: what browsers send vdiwebrtcsink from the network, the
 * signalling messages (WebSocket) and the data-channel input messages.
 * Invariants: no crash, no leak; a rejected message has an error text; an
 * accepted input message yields an upstream event.
 */

#include "webrtc-input.h"
#include "webrtc-signalling.h"

#include <gst/gst.h>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static bool initialised = [] {
    gst_init(nullptr, nullptr);
    return true;
  }();
  (void)initialised;
  const char *text = reinterpret_cast<const char *>(data);
  auto m = vdi::webrtc::parseIncoming(text, size);
  if (m.type == vdi::webrtc::IncomingMessage::Type::Invalid && m.error.empty())
    abort();
  auto r = vdi::webrtc::parseControlRequest(text, size);
  if (!r.event && r.error.empty())
    abort();
  if (r.event && !GST_EVENT_IS_UPSTREAM(r.event.get()))
    abort();
  (void)vdi::webrtc::controlResponse(r.id, r.error);
  return 0;
}
