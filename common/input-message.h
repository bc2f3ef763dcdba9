/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The input message format of vdiinputsink and of the WebRTC data channel
 * (the webrtcsink control-channel shape), see docs/input-protocol.md:
 *
 *   {"id":1,"request":{"type":"navigationEvent",
 *                      "event":{"event":"MouseMove","x":10,"y":20}}}
 *   {"id":2,"request":{"type":"customUpstreamEvent","structureName":"vdi-text",
 *                      "structure":{"text":"Grüße"}}}
 *
 * parseInputMessage() turns one line into the upstream GstEvent it stands
 * for (a GstNavigation event or a custom upstream event with a vdi-*
 * structure), checking every field, or into an error string. It never
 * crashes or asserts on any input (a libFuzzer target checks that).
 * validateInputEvent() applies the same checks to an event that arrived
 * some other way (e.g. upstream into vdiwaylandsrc).
 */

#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vdi {

/* Names of the custom upstream event structures. */
inline constexpr const char kPointerRelative[] = "vdi-pointer-relative";
inline constexpr const char kText[] = "vdi-text";
inline constexpr const char kKeyboardLayout[] = "vdi-keyboard-layout";
inline constexpr const char kClipboardSet[] = "vdi-clipboard-set";
inline constexpr const char kReleaseAll[] = "vdi-release-all";

/* Largest absolute coordinate or relative motion accepted (pixels). */
inline constexpr double kMaxCoordinate = 65535.0;
/* Largest scroll delta in one event (wheel clicks or pixels). */
inline constexpr double kMaxScroll = 10000.0;
/* Longest vdi-text, in bytes of UTF-8. */
inline constexpr size_t kMaxTextBytes = 64 * 1024;

struct GstEventUnref {
  void operator()(GstEvent *e) const { gst_event_unref(e); }
};
using EventPtr = std::unique_ptr<GstEvent, GstEventUnref>;

struct InputMessage {
  int64_t id = -1;   /* the request id, -1 if the message has none */
  EventPtr event;    /* set when the message is valid */
  std::string error; /* set when it is not */
  bool ok() const { return event != nullptr; }
};

/* Parses one message (one line, without its newline). */
InputMessage parseInputMessage(std::string_view line);

/* Parses a bare navigation event, the shape of webrtcsink's older `input`
 * data channel: {"event":"MouseMove","x":10,"y":20}. */
InputMessage parseNavigationMessage(std::string_view line);

/* True for the events the injector acts on: navigation events and custom
 * upstream events whose structure name starts with "vdi-" and is one of
 * the names above. */
bool isInputEvent(GstEvent *event);

/* Checks a navigation or vdi-* custom event. */
bool validateInputEvent(GstEvent *event, std::string *error);

/* The JSON reply the data channel sends back:
 * {"type":"ControlResponseMessage","id":N,"error":null|"..."}. */
std::string controlResponse(int64_t id, const std::string &error);

} // namespace vdi
