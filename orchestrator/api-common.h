/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What every vdid serves, a node or a front door (docs/fleet.md), and how
 * each request is authenticated: HTTP Basic against [users], the login
 * cookie `vdid_session` (a fleet token when [fleet] secret is set), or a
 * bearer share token. Routes: the web page at /, /health, /metrics,
 * /api/v1/login, /logout, /whoami and /ice-servers.
 */

#pragma once

#include "auth.h"
#include "config.h"
#include "http.h"
#include "ice-servers.h"
#include "metrics.h"

#include <chrono>
#include <optional>

namespace vdid {

class CommonRoutes
{
public:
  CommonRoutes(const Config &config, Auth &auth, Metrics &metrics, HttpServer &http);

  /* The identity of the request, or nullopt after answering 401 (with a
   * WWW-Authenticate challenge), 403 or 429. */
  std::optional<Identity> authenticate(Request &req);
  /* The same without answering: sets @status and @error instead. Also
   * accepts a share token as the `token` query parameter (browsers cannot
   * set headers on a WebSocket). The front door's fleet token is good for
   * GET /api/v1/node only. */
  std::optional<Identity> identify(Request &req, unsigned *status, std::string *error);

  /* The host's STUN/TURN servers, and the TURN credential of a viewer
   * authenticated as @id, minted now (docs/webrtc.md). */
  const IceServers &iceServers() const { return ice_; }
  TurnCredential turnCredential(const Identity &id) const;

private:
  void health(Request &req);
  void metricsPage(Request &req);
  void login(Request &req);
  void logout(Request &req);
  void whoami(Request &req);
  void iceServersPage(Request &req);

  const Config &config_;
  Auth &auth_;
  Metrics &metrics_;
  HttpServer &http_;
  IceServers ice_;
  std::chrono::steady_clock::time_point started_;
};

} // namespace vdid
