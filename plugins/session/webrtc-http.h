/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The built-in HTTP server of vdiwebrtcsink (libsoup 3): the player page at
 * `/` (static files from a folder), the signalling WebSocket at
 * `/signalling` and WHEP (RFC 9725) at `/whep`. It runs in the GMainContext
 * that is thread-default when start() is called, and calls its handlers
 * there.
 */

#pragma once

#include <glib.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace vdi::webrtc {

class HttpServer
{
public:
  struct Handlers {
    /* A WebSocket client connected / sent a text message / went away. */
    std::function<void(const std::string &client)> wsOpen;
    std::function<void(const std::string &client, const std::string &text)> wsMessage;
    std::function<void(const std::string &client)> wsClose;
    /* WHEP: an offer; call @reply(status, answer, resource id) later, once. */
    using WhepReply =
      std::function<void(unsigned status, const std::string &body, const std::string &resource)>;
    std::function<void(const std::string &offer, WhepReply reply)> whepOffer;
    /* WHEP PATCH (trickle ICE, SDP fragment) and DELETE; return an HTTP status. */
    std::function<unsigned(const std::string &resource, const std::string &sdpfrag)> whepPatch;
    std::function<unsigned(const std::string &resource)> whepDelete;
  };

  HttpServer(Handlers handlers, std::string webRoot);
  ~HttpServer();
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  /* Listens on @address:@port (0 = any free port). */
  bool start(const std::string &address, unsigned port, GError **error);
  unsigned port() const { return port_; }
  /* Sends a text message to a WebSocket client (no-op if it is gone). */
  void send(const std::string &client, const std::string &text);
  /* Closes a client's WebSocket. */
  void close(const std::string &client);
  size_t clients() const { return sockets_.size(); }

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
  unsigned port_ = 0;
  std::map<std::string, void *> sockets_; /* client id -> SoupWebsocketConnection */
  friend struct Impl;
};

} // namespace vdi::webrtc
