/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "http.h"

#include "static-files.h"

#include <algorithm>
#include <cstring>

namespace vdid {

std::string Request::header(const char *name) const
{
  const char *v = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), name);
  return v ? v : "";
}

std::string Request::cookie(const std::string &name) const
{
  std::string raw = header("Cookie");
  if (raw.empty())
    return "";
  GHashTable *params = soup_header_parse_semi_param_list(raw.c_str());
  const char *v = static_cast<const char *>(g_hash_table_lookup(params, name.c_str()));
  std::string out = v ? v : "";
  soup_header_free_param_list(params);
  return out;
}

std::string Request::query(const char *name) const
{
  GUri *uri = soup_server_message_get_uri(msg);
  const char *q = g_uri_get_query(uri);
  if (!q)
    return "";
  GHashTable *params = soup_form_decode(q);
  const char *v = static_cast<const char *>(g_hash_table_lookup(params, name));
  std::string out = v ? v : "";
  g_hash_table_unref(params);
  return out;
}

std::string Request::body() const
{
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
  gsize len = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &len));
  return std::string(data ? data : "", len);
}

void respondText(SoupServerMessage *msg, unsigned status, const char *content_type,
                 const std::string &body)
{
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, content_type, SOUP_MEMORY_COPY, body.data(), body.size());
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                               "no-store");
}

void respondJson(SoupServerMessage *msg, unsigned status, JsonNode *node)
{
  g_autofree char *text = json_to_string(node, FALSE);
  json_node_unref(node);
  respondText(msg, status, "application/json", text);
}

void respondError(SoupServerMessage *msg, unsigned status, const std::string &message)
{
  respondJson(msg, status, buildJson([&](JsonBuilder *b) {
                json_builder_set_member_name(b, "error");
                json_builder_add_string_value(b, message.c_str());
              }));
}

void respondFile(Request &req, const std::string &root)
{
  switch (vdi::serveStaticFile(req.msg, root, req.path)) {
  case SOUP_STATUS_OK:
    return;
  case SOUP_STATUS_METHOD_NOT_ALLOWED:
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
  default:
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such resource: " + req.path);
  }
}

JsonNode *buildJson(const std::function<void(JsonBuilder *)> &fill)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  fill(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

HttpServer::HttpServer()
{
  server_ = soup_server_new("server-header", "vdid", nullptr);
  soup_server_add_handler(server_, nullptr, dispatch, this, nullptr);
  guard_ = std::make_unique<ConnectionGuard>(server_, ConnectionLimits());
}

HttpServer::~HttpServer()
{
  guard_.reset();
  soup_server_disconnect(server_);
  g_object_unref(server_);
}

bool HttpServer::setTls(const std::string &cert, const std::string &key, GError **error)
{
  g_autoptr(GTlsCertificate) c = g_tls_certificate_new_from_files(cert.c_str(), key.c_str(), error);
  if (!c)
    return false;
  soup_server_set_tls_certificate(server_, c);
  tls_ = true;
  return true;
}

bool HttpServer::listen(const std::string &address, unsigned port, GError **error)
{
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string(address.c_str(), port);
  if (!addr) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "\"%s\" is not an IP address to listen on", address.c_str());
    return false;
  }
  /* Our own socket: libsoup's keeps GLib's backlog of 10, and a burst of
   * connects then waits for SYN retransmits. */
  g_autoptr(GSocket) sock = listenSocket(addr, guard_->limits().backlog, error);
  if (!sock ||
      !soup_server_listen_socket(
        server_, sock, tls_ ? SOUP_SERVER_LISTEN_HTTPS : SoupServerListenOptions(0), error))
    return false;
  GSList *uris = soup_server_get_uris(server_);
  if (uris)
    port_ = static_cast<unsigned>(g_uri_get_port(static_cast<GUri *>(uris->data)));
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  return true;
}

void HttpServer::route(const std::string &prefix, Handler handler)
{
  routes_[prefix] = std::move(handler);
}

void HttpServer::websocket(const std::string &prefix, WebSocketHandler handler)
{
  ws_routes_[prefix] = std::move(handler);
  /* The same path entry serves plain requests through dispatch(). */
  soup_server_add_handler(server_, prefix.c_str(), dispatch, this, nullptr);
  soup_server_add_websocket_handler(server_, prefix.c_str(), nullptr, nullptr, dispatchWebSocket,
                                    this, nullptr);
}

std::string HttpServer::remoteOf(SoupServerMessage *msg) const
{
  const char *host = soup_server_message_get_remote_host(msg);
  std::string remote = host ? host : "";
  if (std::find(proxies_.begin(), proxies_.end(), remote) == proxies_.end())
    return remote;
  const char *forwarded =
    soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "X-Forwarded-For");
  if (!forwarded)
    return remote;
  std::string list = forwarded;
  std::string last = list.substr(list.rfind(',') == std::string::npos ? 0 : list.rfind(',') + 1);
  g_strstrip(last.data());
  last.resize(strlen(last.c_str()));
  return last.empty() ? remote : last;
}

void HttpServer::dispatchWebSocket(SoupServer *, SoupServerMessage *msg, const char *path,
                                   SoupWebsocketConnection *conn, gpointer data)
{
  auto *self = static_cast<HttpServer *>(data);
  Request req{msg, soup_server_message_get_method(msg), path, self->remoteOf(msg)};
  for (const auto &[prefix, handler] : self->ws_routes_) {
    if (req.path.compare(0, prefix.size(), prefix) == 0) {
      handler(req, conn);
      return;
    }
  }
  soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "no such resource");
}

void HttpServer::dispatch(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                          gpointer data)
{
  auto *self = static_cast<HttpServer *>(data);
  Request req{msg, soup_server_message_get_method(msg), path, self->remoteOf(msg)};

  /* A WebSocket handshake under a WebSocket route is left alone (no status
   * set), so that libsoup completes it and calls dispatchWebSocket(). */
  if (g_ascii_strcasecmp(req.header("Upgrade").c_str(), "websocket") == 0) {
    for (const auto &r : self->ws_routes_)
      if (req.path.compare(0, r.first.size(), r.first) == 0)
        return;
  }

  if (self->cors(req)) {
    if (self->on_response)
      self->on_response(req.method, req.path, soup_server_message_get_status(msg));
    return;
  }

  /* Longest matching prefix, on a path-segment boundary. */
  const Handler *best = nullptr;
  size_t best_len = 0;
  for (const auto &r : self->routes_) {
    const std::string &p = r.first;
    bool match = req.path == p || (req.path.compare(0, p.size(), p) == 0 &&
                                   (p.back() == '/' || req.path[p.size()] == '/'));
    if (match && p.size() >= best_len) {
      best = &r.second;
      best_len = p.size();
    }
  }
  if (best)
    (*best)(req);
  else
    respondError(msg, SOUP_STATUS_NOT_FOUND, "no such resource: " + req.path);

  /* A deferred answer is counted when it is sent. */
  if (self->on_response && soup_server_message_get_status(msg) != 0)
    self->on_response(req.method, req.path, soup_server_message_get_status(msg));
}

void HttpServer::setCors(std::vector<std::string> origins, std::vector<std::string> prefixes)
{
  cors_origins_ = std::move(origins);
  cors_prefixes_ = std::move(prefixes);
}

bool HttpServer::cors(Request &req)
{
  if (cors_origins_.empty())
    return false;
  bool under = false;
  for (const auto &p : cors_prefixes_)
    under = under || req.path.compare(0, p.size(), p) == 0;
  std::string origin = req.header("Origin");
  if (!under || origin.empty())
    return false;
  bool any = false, listed = false;
  for (const auto &o : cors_origins_) {
    any = any || o == "*";
    listed = listed || o == origin;
  }
  if (!any && !listed)
    return false; /* no CORS headers: the browser keeps the answer from the page */
  SoupMessageHeaders *h = soup_server_message_get_response_headers(req.msg);
  soup_message_headers_replace(h, "Access-Control-Allow-Origin", origin.c_str());
  soup_message_headers_append(h, "Vary", "Origin");
  if (listed)
    soup_message_headers_replace(h, "Access-Control-Allow-Credentials", "true");
  soup_message_headers_replace(h, "Access-Control-Expose-Headers", "Location, ETag, Link");
  if (req.method != "OPTIONS")
    return false;
  soup_message_headers_replace(h, "Access-Control-Allow-Methods",
                               "OPTIONS, GET, HEAD, POST, PATCH, DELETE");
  soup_message_headers_replace(h, "Access-Control-Allow-Headers",
                               "Authorization, Content-Type, If-Match");
  soup_message_headers_replace(h, "Access-Control-Max-Age", "86400");
  soup_server_message_set_status(req.msg, SOUP_STATUS_NO_CONTENT, nullptr);
  return true;
}

std::function<void(const HttpServer::Answer &)> HttpServer::defer(Request &req)
{
  struct Pending {
    SoupServerMessage *msg = nullptr;
    bool finished = false;
    /* Never left hanging: an answer that was dropped becomes a 500. */
    ~Pending()
    {
      if (!msg)
        return;
      if (!finished) {
        respondError(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "the request was dropped");
        soup_server_message_unpause(msg);
      }
      g_object_unref(msg);
    }
  };
  auto pending = std::make_shared<Pending>();
  pending->msg = static_cast<SoupServerMessage *>(g_object_ref(req.msg));
  /* "finished" also fires when the client goes away. */
  auto *weak = new std::weak_ptr<Pending>(pending);
  g_signal_connect_data(
    req.msg, "finished", G_CALLBACK(+[](SoupServerMessage *, gpointer data) {
      if (auto p = static_cast<std::weak_ptr<Pending> *>(data)->lock())
        p->finished = true;
    }),
    weak, [](gpointer data, GClosure *) { delete static_cast<std::weak_ptr<Pending> *>(data); },
    GConnectFlags(0));
  soup_server_message_pause(req.msg);
  std::string method = req.method, path = req.path;
  return [this, pending, method, path](const Answer &answer) {
    if (!pending->msg)
      return;
    if (!pending->finished) {
      answer(pending->msg);
      soup_server_message_unpause(pending->msg);
      if (on_response)
        on_response(method, path, soup_server_message_get_status(pending->msg));
    }
    g_clear_object(&pending->msg);
  };
}

} // namespace vdid
