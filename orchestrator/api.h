/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The session routes of vdid's HTTP port (/api/v1/sessions, budgets and
 * the node report), beside the routes every vdid serves and their
 * authentication (api-common.h). Only /health is open.
 */

#pragma once

#include "api-common.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "ice-servers.h"
#include "metrics.h"
#include "operations.h"
#include "sessions.h"

#include <optional>

namespace vdid {

class Api
{
public:
  Api(const Config &config, Auth &auth, Metrics &metrics, HttpServer &http,
      SessionManager &sessions, Operations &operations);

  /* The identity of the request, or nullopt after answering 401 (with a
   * WWW-Authenticate challenge) or 429. */
  std::optional<Identity> authenticate(Request &req) { return common_.authenticate(req); }
  /* The same without answering: sets @status and @error instead. Also
   * accepts a share token as the `token` query parameter (browsers cannot
   * set headers on a WebSocket). */
  std::optional<Identity> identify(Request &req, unsigned *status, std::string *error)
  {
    return common_.identify(req, status, error);
  }
  /* Whether @id may see session @s. */
  static bool maySee(const Identity &id, const Session &s) { return Operations::maySee(id, s); }
  /* Answers @outcome's failure with its status and message. */
  static void respondFailure(SoupServerMessage *msg, const Outcome &outcome);
  /* The session @sid if @id may see it, else answers 404 (the same answer
   * whether it does not exist or is someone else's) and returns nullptr. */
  std::shared_ptr<Session> visibleSession(Request &req, const Identity &id, const std::string &sid);
  /* authenticate() then visibleSession(): the session @sid of the caller
   * (who is put in @who), or nullptr once the request has been answered. */
  std::shared_ptr<Session> requestedSession(Request &req, const std::string &sid,
                                            Identity *who = nullptr);

  /* The host's STUN/TURN servers, and the TURN credential of a viewer
   * authenticated as @id, minted now (docs/webrtc.md). */
  const IceServers &iceServers() const { return common_.iceServers(); }
  TurnCredential turnCredential(const Identity &id) const { return common_.turnCredential(id); }

private:
  void node(Request &req);
  void sessionsRoot(Request &req);
  void sessionItem(Request &req);
  void createSession(Request &req, const Identity &id);
  void sharesItem(Request &req, const Identity &who, const std::string &sid,
                  const std::string &action);
  void budgets(Request &req);

  const Config &config_;
  Metrics &metrics_;
  HttpServer &http_;
  SessionManager &sessions_;
  Operations &ops_;
  CommonRoutes common_;
};

} // namespace vdid
