/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Checks each TURN server of [webrtc] the way a viewer's browser uses it: a
 * real TURN Allocate (RFC 8656) with a credential vdid minted, over the
 * server's transport (UDP, TCP or TLS), then a Refresh with lifetime 0 to
 * free the relay again. vdid does this at start and every few minutes, says
 * in its log what is wrong (no answer, credentials refused: the shared
 * secret does not match the server's) and exports vdi_turn_server_up.
 */

#pragma once

#include "ice-servers.h"

#include <gio/gio.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace vdid {

struct TurnProbeResult {
  bool ok = false;
  unsigned error_code = 0; /* the server's ERROR-CODE, 0 if it sent none */
  std::string message;     /* "relay 127.0.0.1:50012", or what went wrong */
};

/* One Allocate + Refresh(0) against @server; blocks up to about @timeout. */
TurnProbeResult probeTurnServer(const IceUri &server, const TurnCredential &credential,
                                std::chrono::milliseconds timeout);

class TurnProbe
{
public:
  explicit TurnProbe(const IceServers &ice) : ice_(ice) {}
  ~TurnProbe();

  /* Probes now (in a thread) and then every @interval; logs each result
   * that differs from the last one of that server. */
  void start(std::chrono::seconds interval);
  /* server text -> up (the last result), for /metrics. */
  const std::map<std::string, bool> &up() const { return up_; }

private:
  void round();
  static gboolean onTimer(gpointer data);

  const IceServers &ice_;
  std::map<std::string, bool> up_;
  std::map<std::string, std::string> last_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool running_ = false;
  guint timer_ = 0;
};

} // namespace vdid
