/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-http.h"

#include "idle-connections.h"
#include "static-files.h"

#include "webrtc-signalling.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <cstring>

namespace vdi::webrtc {

/* Largest signalling message or WHEP body accepted (an SDP is a few kB). */
static constexpr size_t kMaxMessage = 256 * 1024;

struct HttpServer::Impl {
  HttpServer *self;
  Handlers handlers;
  std::string webRoot;
  SoupServer *server = nullptr;
  /* Closes keep-alive connections whose browser has gone. */
  std::unique_ptr<vdi::IdleConnections> idle;

  static void onMessage(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data);
  static void onClosed(SoupWebsocketConnection *ws, gpointer data);
  static void onWebsocket(SoupServer *, SoupServerMessage *, const char *,
                          SoupWebsocketConnection *ws, gpointer data);
  static void onStatic(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                       gpointer data);
  static void onWhep(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                     gpointer data);
};

static const char *clientOf(SoupWebsocketConnection *ws)
{
  return static_cast<const char *>(g_object_get_data(G_OBJECT(ws), "vdi-client"));
}

void HttpServer::Impl::onMessage(SoupWebsocketConnection *ws, gint type, GBytes *message,
                                 gpointer data)
{
  auto *impl = static_cast<Impl *>(data);
  const char *client = clientOf(ws);
  gsize size = 0;
  const char *bytes = static_cast<const char *>(g_bytes_get_data(message, &size));
  if (type != SOUP_WEBSOCKET_DATA_TEXT || size > kMaxMessage ||
      !g_utf8_validate(bytes, gssize(size), nullptr)) {
    soup_websocket_connection_send_text(
      ws, errorMessage("signalling messages must be UTF-8 JSON text of at most 256 KiB").c_str());
    return;
  }
  if (impl->handlers.wsMessage)
    impl->handlers.wsMessage(client, std::string(bytes, size));
}

void HttpServer::Impl::onClosed(SoupWebsocketConnection *ws, gpointer data)
{
  auto *impl = static_cast<Impl *>(data);
  std::string client = clientOf(ws);
  auto it = impl->self->sockets_.find(client);
  if (it == impl->self->sockets_.end())
    return;
  impl->self->sockets_.erase(it);
  g_signal_handlers_disconnect_by_data(ws, impl);
  if (impl->handlers.wsClose)
    impl->handlers.wsClose(client);
  g_object_unref(ws);
}

void HttpServer::Impl::onWebsocket(SoupServer *, SoupServerMessage *, const char *,
                                   SoupWebsocketConnection *ws, gpointer data)
{
  auto *impl = static_cast<Impl *>(data);
  std::string client = newId();
  g_object_set_data_full(G_OBJECT(ws), "vdi-client", g_strdup(client.c_str()), g_free);
  /* Dead peers: ping every 5 s, give up after 15 s without an answer. */
  soup_websocket_connection_set_keepalive_interval(ws, 5);
  g_object_set(ws, "max-incoming-payload-size", guint64(kMaxMessage + 1), nullptr);
  impl->self->sockets_[client] = g_object_ref(ws);
  g_signal_connect(ws, "message", G_CALLBACK(onMessage), impl);
  g_signal_connect(ws, "closed", G_CALLBACK(onClosed), impl);
  if (impl->handlers.wsOpen)
    impl->handlers.wsOpen(client);
}

void HttpServer::Impl::onStatic(SoupServer *, SoupServerMessage *msg, const char *path,
                                GHashTable *, gpointer data)
{
  unsigned status =
    vdi::serveStaticFile(msg, static_cast<Impl *>(data)->webRoot, path ? path : "/");
  if (status != SOUP_STATUS_OK) {
    const char *body = status == SOUP_STATUS_NOT_FOUND ? "not found\n" : "use GET\n";
    soup_server_message_set_status(msg, status, nullptr);
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, body, strlen(body));
  }
}

void HttpServer::Impl::onWhep(SoupServer *server, SoupServerMessage *msg, const char *path,
                              GHashTable *, gpointer data)
{
  auto *impl = static_cast<Impl *>(data);
  const char *method = soup_server_message_get_method(msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers(msg);
  soup_message_headers_append(resp, "Access-Control-Allow-Origin", "*");
  soup_message_headers_append(resp, "Access-Control-Allow-Methods", "POST, PATCH, DELETE, OPTIONS");
  soup_message_headers_append(resp, "Access-Control-Allow-Headers", "Content-Type, If-Match");
  soup_message_headers_append(resp, "Access-Control-Expose-Headers", "Location, ETag");
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten(body);
  std::string text(static_cast<const char *>(g_bytes_get_data(bytes, nullptr)),
                   g_bytes_get_size(bytes));
  const char *ctype =
    soup_message_headers_get_content_type(soup_server_message_get_request_headers(msg), nullptr);
  std::string sub = path + strlen("/whep");
  if (!sub.empty() && sub[0] == '/')
    sub.erase(0, 1);

  auto fail = [&](unsigned status, const char *why) {
    soup_server_message_set_status(msg, status, nullptr);
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, why, strlen(why));
  };
  if (!strcmp(method, "OPTIONS")) {
    soup_message_headers_append(resp, "Accept-Post", "application/sdp");
    soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }
  if (text.size() > kMaxMessage)
    return fail(SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "body too large\n");
  if (!strcmp(method, "POST")) {
    if (!sub.empty())
      return fail(SOUP_STATUS_METHOD_NOT_ALLOWED, "POST the offer to /whep\n");
    if (!ctype || g_ascii_strcasecmp(ctype, "application/sdp") != 0)
      return fail(SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/sdp\n");
    if (text.empty() || !g_str_has_prefix(text.c_str(), "v=0"))
      return fail(SOUP_STATUS_BAD_REQUEST, "the body is not an SDP offer\n");
    if (!impl->handlers.whepOffer)
      return fail(SOUP_STATUS_SERVICE_UNAVAILABLE, "WHEP is not available\n");
    soup_server_message_pause(msg);
    /* Keep the message alive until the reply. */
    g_object_ref(msg);
    GWeakRef *srv = g_new0(GWeakRef, 1);
    g_weak_ref_init(srv, server);
    impl->handlers.whepOffer(
      text, [msg, srv](unsigned status, const std::string &answer, const std::string &resource) {
        g_autoptr(SoupServer) s = static_cast<SoupServer *>(g_weak_ref_get(srv));
        g_weak_ref_clear(srv);
        g_free(srv);
        if (s) {
          if (status == SOUP_STATUS_CREATED) {
            SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
            std::string loc = "/whep/" + resource;
            soup_message_headers_append(h, "Location", loc.c_str());
            soup_server_message_set_status(msg, status, nullptr);
            soup_server_message_set_response(msg, "application/sdp", SOUP_MEMORY_COPY,
                                             answer.data(), answer.size());
          } else {
            soup_server_message_set_status(msg, status, nullptr);
            soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, answer.data(),
                                             answer.size());
          }
          soup_server_message_unpause(msg);
        }
        g_object_unref(msg);
      });
    return;
  }
  if (sub.empty() || sub.find('/') != std::string::npos)
    return fail(SOUP_STATUS_NOT_FOUND, "no such WHEP session\n");
  if (!strcmp(method, "PATCH")) {
    if (!ctype || g_ascii_strcasecmp(ctype, "application/trickle-ice-sdpfrag") != 0)
      return fail(SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                  "Content-Type must be application/trickle-ice-sdpfrag\n");
    unsigned status = impl->handlers.whepPatch ? impl->handlers.whepPatch(sub, text) : 404;
    soup_server_message_set_status(msg, status, nullptr);
    return;
  }
  if (!strcmp(method, "DELETE")) {
    unsigned status = impl->handlers.whepDelete ? impl->handlers.whepDelete(sub) : 404;
    soup_server_message_set_status(msg, status, nullptr);
    return;
  }
  fail(SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed\n");
}

HttpServer::HttpServer(Handlers handlers, std::string webRoot) : impl_(std::make_unique<Impl>())
{
  impl_->self = this;
  impl_->handlers = std::move(handlers);
  impl_->webRoot = std::move(webRoot);
}

HttpServer::~HttpServer()
{
  for (auto &s : sockets_) {
    auto *ws = static_cast<SoupWebsocketConnection *>(s.second);
    g_signal_handlers_disconnect_by_data(ws, impl_.get());
    if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
    g_object_unref(ws);
  }
  sockets_.clear();
  impl_->idle.reset();
  if (impl_->server) {
    soup_server_disconnect(impl_->server);
    g_object_unref(impl_->server);
  }
}

bool HttpServer::start(const std::string &address, unsigned port, GError **error)
{
  impl_->server = soup_server_new("server-header", "gst-vdi", nullptr);
  impl_->idle = std::make_unique<vdi::IdleConnections>(impl_->server);
  soup_server_add_websocket_handler(impl_->server, "/signalling", nullptr, nullptr,
                                    Impl::onWebsocket, impl_.get(), nullptr);
  soup_server_add_handler(impl_->server, "/whep", Impl::onWhep, impl_.get(), nullptr);
  soup_server_add_handler(impl_->server, nullptr, Impl::onStatic, impl_.get(), nullptr);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address.c_str());
  if (!inet) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "'%s' is not an IP address (use e.g. 127.0.0.1 or 0.0.0.0)", address.c_str());
    return false;
  }
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(inet, guint16(port));
  if (!soup_server_listen(impl_->server, sa, SoupServerListenOptions(0), error))
    return false;
  GSList *uris = soup_server_get_uris(impl_->server);
  if (uris)
    port_ = unsigned(g_uri_get_port(static_cast<GUri *>(uris->data)));
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  return true;
}

void HttpServer::send(const std::string &client, const std::string &text)
{
  auto it = sockets_.find(client);
  if (it == sockets_.end())
    return;
  auto *ws = static_cast<SoupWebsocketConnection *>(it->second);
  if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text(ws, text.c_str());
}

void HttpServer::close(const std::string &client)
{
  auto it = sockets_.find(client);
  if (it == sockets_.end())
    return;
  auto *ws = static_cast<SoupWebsocketConnection *>(it->second);
  if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
}

} // namespace vdi::webrtc
