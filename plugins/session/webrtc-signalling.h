/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The gst-plugins-rs WebRTC signalling protocol (JSON, "type"-tagged,
 * camelCase), as spoken by the producer side that vdiwebrtcsink embeds:
 * parsing of what a consumer sends and building of what it receives.
 * docs/webrtc.md describes the exchange.
 */

#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vdi::webrtc {

struct IncomingMessage {
  enum class Type { Invalid, SetPeerStatus, List, ListConsumers, StartSession, EndSession, Peer };
  Type type = Type::Invalid;
  std::string error; /* for Invalid: what is wrong, for the `error` reply */

  std::string peerId;             /* startSession; setPeerStatus (optional) */
  std::string sessionId;          /* endSession, peer */
  std::vector<std::string> roles; /* setPeerStatus */
  std::string metaJson;           /* setPeerStatus: "meta" as JSON text, "" for none */

  /* peer: either an SDP or an ICE candidate. */
  bool hasSdp = false;
  std::string sdpType; /* "offer" | "answer" */
  std::string sdp;
  bool hasIce = false;
  std::string candidate; /* empty: end of candidates */
  unsigned sdpMLineIndex = 0;

  /* startSession may carry the consumer's own offer (gst-plugins-rs >= 0.13). */
  std::string offer;
};

IncomingMessage parseIncoming(const char *text, size_t length);

std::string welcomeMessage(const std::string &peerId);
std::string errorMessage(const std::string &details);
/* A peer in `list` (producers) or `listConsumers` (consumers). */
struct PeerEntry {
  std::string id;
  std::string metaJson; /* "" for null */
};
/* @type is "list" or "listConsumers". */
std::string listMessage(const char *type, const std::vector<PeerEntry> &peers);
std::string peerStatusChangedMessage(const std::string &peerId,
                                     const std::vector<std::string> &roles,
                                     const std::string &metaJson);
std::string sessionStartedMessage(const std::string &peerId, const std::string &sessionId);
std::string endSessionMessage(const std::string &sessionId);
std::string sdpMessage(const std::string &sessionId, const std::string &type,
                       const std::string &sdp);
std::string iceMessage(const std::string &sessionId, const std::string &candidate,
                       unsigned sdpMLineIndex);

/* A GstStructure's fields as a JSON object (numbers, booleans and strings
 * as themselves, anything else as its serialised string); "{}" for null.
 * The producer `meta` of `list` and `peerStatusChanged`. */
std::string structureToJson(const GstStructure *s);

/* Data-channel message (element -> viewer) carrying the session's
 * clipboard: {"type":"vdi-clipboard","mime":MIME,"data":BASE64}. */
std::string clipboardMessage(const std::string &mime, const std::string &base64);

/* Whether @mime is a text type the clipboard forwards to viewers
 * (text/..., UTF8_STRING, STRING, TEXT). */
bool isTextMime(const std::string &mime);

/* Reads a WHEP PATCH body (application/trickle-ice-sdpfrag, RFC 8840):
 * every non-blank line must be an SDP line ("x=..."); the candidates of
 * `a=candidate:` lines go to @candidates ("candidate:..." without "a=").
 * Returns false with @error for a malformed fragment (empty, not SDP, a
 * candidate line without foundation, component, transport, priority,
 * address, port and "typ TYPE"). */
bool parseTrickleFragment(const std::string &fragment, std::vector<std::string> *candidates,
                          std::string *error);

/* A random UUID (version 4), used for peer and session ids. */
std::string newId();

} // namespace vdi::webrtc
