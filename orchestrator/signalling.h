/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * WebRTC signalling for vdid: the WebSocket
 * /api/v1/sessions/{id}/signalling speaks the gst-plugins-rs JSON protocol;
 * vdid authenticates the viewer, then relays every message, unchanged, between
 * the WebSocket and the session's vdiwebrtcsink (one signalling peer per
 * WebSocket, through the session's worker process).
 */

#pragma once

#include "api.h"
#include "http.h"
#include "metrics.h"
#include "sessions.h"

namespace vdid {

class Signalling
{
public:
  Signalling(HttpServer &http, Api &api, SessionManager &sessions, Metrics &metrics);

private:
  void accept(Request &req, SoupWebsocketConnection *conn);

  Api &api_;
  SessionManager &sessions_;
  Metrics &metrics_;
};

} // namespace vdid
