/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target: the signalling messages browsers send vdiwebrtcsink over
 * the WebSocket. (Data-channel input goes through the shared input parser,
 * fuzzed by fuzz-input-message.) Invariants: no crash, no leak; a rejected
 * message has an error text.
 */

#include "webrtc-signalling.h"

#include <gst/gst.h>

#include <cstdint>
#include <cstdlib>

/* Once, not in the first input (whose allocations would all look leaked). */
extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  gst_init(argc, argv);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = reinterpret_cast<const char *>(data);
  auto m = vdi::webrtc::parseIncoming(text, size);
  if (m.type == vdi::webrtc::IncomingMessage::Type::Invalid && m.error.empty())
    abort();
  return 0;
}
