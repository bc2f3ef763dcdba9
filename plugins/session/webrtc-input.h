/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Parsing of the input messages viewers send on the data channel (the
 * webrtcsink control-channel shape, see docs/webrtc.md):
 *
 *   {"id":N,"request":{"type":"navigationEvent","event":{"event":"KeyPress","key":"a"}}}
 *   {"id":N,"request":{"type":"customUpstreamEvent","structureName":"vdi-clipboard",
 *                      "structure":{"text":"hello"}}}
 *
 * into upstream GstNavigation events and GST_EVENT_CUSTOM_UPSTREAM events,
 * and the reply {"type":"ControlResponseMessage","id":N,"error":null|"..."}.
 * Kept free of element state so that it can be shared with vdiinputsink.
 */

#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <string>

namespace vdi::webrtc {

struct EventDeleter {
  void operator()(GstEvent *e) const { gst_event_unref(e); }
};
using EventPtr = std::unique_ptr<GstEvent, EventDeleter>;

struct ControlRequest {
  int64_t id = -1;   /* -1 when the message carried no usable id */
  EventPtr event;    /* the upstream event, when parsing succeeded */
  std::string error; /* why not, when it failed */
};

/* Parses one data-channel message. Never throws; bad input gives an error. */
ControlRequest parseControlRequest(const char *text, size_t length);

/* The reply to a request: error empty means success. */
std::string controlResponse(int64_t id, const std::string &error);

} // namespace vdi::webrtc
