/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The STUN and TURN servers of a vdid host (`[webrtc]`, docs/webrtc.md
 * "TURN and STUN through vdid") and the credentials minted for each viewer:
 * the coturn `use-auth-secret` scheme (TURN REST API: username
 * "EXPIRY:USER", password base64(HMAC-SHA1(secret, username))) or one
 * static user and password. One set of servers, written three ways: an
 * RTCConfiguration for browsers (`GET /api/v1/ice-servers`), `Link`
 * headers for WHEP (RFC 9725) and URIs for the worker's webrtcbin.
 */

#pragma once

#include <json-glib/json-glib.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace vdid {

/* One `stun:`, `turn:` or `turns:` URI (RFC 7064, RFC 7065). */
struct IceUri {
  std::string scheme;    /* "stun", "turn" or "turns" */
  std::string host;      /* without brackets for IPv6 */
  unsigned port = 0;     /* 3478, or 5349 for turns, when not given */
  std::string transport; /* "udp", "tcp" or "" (TURN only) */

  /* Parses @text; on error says why in @why. */
  static bool parse(const std::string &text, IceUri *out, std::string *why);
  /* The URI as browsers and RFC 7065 write it: "turn:host:3478?transport=udp". */
  std::string text() const;
  /* The URI as webrtcbin takes it: "turn://USER:PASS@host:3478?transport=udp"
   * (user and password percent-encoded), "stun://host:3478". */
  std::string webrtcbin(const std::string &user = "", const std::string &password = "") const;
};

struct TurnCredential {
  std::string username;
  std::string password;
  int64_t expires = 0; /* Unix seconds; 0 for static credentials */
};

struct IceSettings {
  std::vector<IceUri> stun;
  std::vector<IceUri> turn;
  std::string secret;             /* TURN REST shared secret (coturn static-auth-secret) */
  std::string username, password; /* static TURN credentials, when no secret */
  std::chrono::seconds lifetime{24 * 3600};

  bool empty() const { return stun.empty() && turn.empty(); }
  /* Checks the settings as a whole (credentials go with TURN servers). */
  bool validate(std::string *why) const;
};

/* The TURN REST credential of @user valid until @now + lifetime. */
TurnCredential mintTurnCredential(const std::string &secret, const std::string &user, int64_t now,
                                  std::chrono::seconds lifetime);

class IceServers
{
public:
  explicit IceServers(IceSettings settings) : settings_(std::move(settings)) {}

  bool empty() const { return settings_.empty(); }
  const IceSettings &settings() const { return settings_; }
  /* The credential for a viewer of @user at Unix time @now (minted with the
   * secret, or the static one; empty without TURN servers). */
  TurnCredential credentialFor(const std::string &user, int64_t now) const;

  /* {"iceServers":[{"urls":[...]},{"urls":[...],"username":..,"credential":..}],
   *  "expires":N} for a browser's RTCPeerConnection. */
  std::string rtcConfiguration(const TurnCredential &c) const;
  /* RFC 9725 `Link` header values, one per server. */
  std::vector<std::string> linkHeaders(const TurnCredential &c) const;
  /* For the worker's webrtcbin (vdiwebrtcsink `stun-server`, `turn-servers`). */
  std::string webrtcbinStun() const;
  std::vector<std::string> webrtcbinTurn(const TurnCredential &c) const;
  /* "stun-server" and "turn-servers" members of a worker's add-peer or
   * whep-offer command: the worker sets them on vdiwebrtcsink first, so the
   * viewer's webrtcbin gathers with the same servers as its browser. */
  void addWorkerMembers(JsonBuilder *b, const TurnCredential &c) const;

private:
  IceSettings settings_;
};

} // namespace vdid
