/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid's one HTTP(S) port: a libsoup 3 server with JSON helpers. Every error
 * is answered with a JSON body {"error": "..."} and the right status.
 */

#pragma once

#include "connection-guard.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vdid {

/* libsoup 3.2 has no name for 429. */
constexpr unsigned kStatusTooManyRequests = 429;

struct Request {
  SoupServerMessage *msg;
  std::string method;
  std::string path;
  std::string remote;

  std::string header(const char *name) const;
  std::string cookie(const std::string &name) const;
  std::string query(const char *name) const;
  /* The request body (at most ConnectionLimits::max_body, 1 MiB: a larger
   * one never reaches a handler). */
  std::string body() const;
};

void respondJson(SoupServerMessage *msg, unsigned status, JsonNode *node);
void respondError(SoupServerMessage *msg, unsigned status, const std::string &message);
void respondText(SoupServerMessage *msg, unsigned status, const char *content_type,
                 const std::string &body);
/* Answers GET/HEAD of a file below @root (path from the request, "/" means
 * index.html); refuses anything that leaves @root. */
void respondFile(Request &req, const std::string &root);

/* Builds a JSON object node with json-glib's builder, in one expression:
 *   jsonObject([](JsonBuilder *b) { ... }) */
JsonNode *buildJson(const std::function<void(JsonBuilder *)> &fill);

class HttpServer
{
public:
  using Handler = std::function<void(Request &)>;

  HttpServer();
  ~HttpServer();
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  /* TLS with a PEM certificate and key file. Before listen(). */
  bool setTls(const std::string &cert, const std::string &key, GError **error);
  /* Time-outs and per-address caps for the connections (see
   * connection-guard.h). Before listen() for the backlog. */
  void setLimits(const ConnectionLimits &limits) { guard_->setLimits(limits); }
  const ConnectionGuard &guard() const { return *guard_; }
  /* Listens on @address:@port (0: any free port). */
  bool listen(const std::string &address, unsigned port, GError **error);
  unsigned port() const { return port_; }
  /* Serves one client connection that is already open (@local and @remote
   * its ends), as if accepted on the port; for tests and fuzzing. */
  bool accept(GIOStream *stream, GSocketAddress *local, GSocketAddress *remote, GError **error)
  {
    return soup_server_accept_iostream(server_, stream, local, remote, error);
  }
  bool tls() const { return tls_; }

  /* @prefix "/api/v1/sessions" matches that path and everything below. */
  void route(const std::string &prefix, Handler handler);

  /* WebSocket upgrades under @prefix go to @handler (after the handshake);
   * other requests there still go through route(). */
  using WebSocketHandler = std::function<void(Request &, SoupWebsocketConnection *)>;
  void websocket(const std::string &prefix, WebSocketHandler handler);

  /* For an answer that comes later: pauses the request's message and
   * returns a function that fills in the answer (status, headers, body)
   * and sends it. Call it once; after the client went away it only drops
   * the message. */
  using Answer = std::function<void(SoupServerMessage *)>;
  std::function<void(const Answer &)> defer(Request &req);

  /* CORS, as mediamtx does for its players: requests under @prefixes from
   * one of @origins ("*": any, without credentials) get
   * Access-Control-Allow-Origin and the exposed WHEP headers; an OPTIONS
   * there is a preflight answered 204 with the allowed methods and headers
   * (Authorization, Content-Type, If-Match). No origins: no CORS. */
  void setCors(std::vector<std::string> origins, std::vector<std::string> prefixes);

  /* Requests from these addresses (a proxy such as the front door's
   * HAProxy) come from the last address of their X-Forwarded-For. */
  void setTrustedProxies(std::vector<std::string> addresses) { proxies_ = std::move(addresses); }

  /* Called for every answered request (method, path, status). */
  std::function<void(const std::string &, const std::string &, unsigned)> on_response;

private:
  static void dispatch(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                       gpointer data);
  SoupServer *server_ = nullptr;
  std::unique_ptr<ConnectionGuard> guard_;
  std::map<std::string, Handler> routes_;
  std::map<std::string, WebSocketHandler> ws_routes_;
  std::vector<std::string> cors_origins_, cors_prefixes_;
  std::vector<std::string> proxies_;
  /* The client's address of @msg (see setTrustedProxies()). */
  std::string remoteOf(SoupServerMessage *msg) const;
  /* Adds the CORS headers; true when @req is a preflight, answered. */
  bool cors(Request &req);
  static void dispatchWebSocket(SoupServer *, SoupServerMessage *msg, const char *path,
                                SoupWebsocketConnection *conn, gpointer data);
  unsigned port_ = 0;
  bool tls_ = false;
};

} // namespace vdid
