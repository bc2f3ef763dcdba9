/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "connection-guard.h"

#include <cstring>
#include <sys/socket.h>

namespace vdid {

struct ConnectionGuard::Tracked {
  ConnectionGuard *guard;
  std::string address;
  guint timer = 0;
  bool counted = false;
  goffset body = 0; /* bytes of the body so far */
  bool too_large = false;

  ~Tracked()
  {
    if (timer)
      g_source_remove(timer);
    if (counted) {
      auto it = guard->per_address_.find(address);
      if (it != guard->per_address_.end() && --it->second == 0)
        guard->per_address_.erase(it);
    }
  }
};

namespace {

constexpr const char kTrackedKey[] = "vdid-connection-guard";

ConnectionGuard::Tracked *trackedOf(SoupServerMessage *msg)
{
  return static_cast<ConnectionGuard::Tracked *>(g_object_get_data(G_OBJECT(msg), kTrackedKey));
}

} // namespace

ConnectionGuard::ConnectionGuard(SoupServer *server, const ConnectionLimits &limits)
  : server_(server), limits_(limits), idle_(server)
{
  idle_.setTimeout(limits_.request_timeout_ms);
  handler_ = g_signal_connect(server_, "request-started", G_CALLBACK(onRequestStarted), this);
}

ConnectionGuard::~ConnectionGuard()
{
  g_signal_handler_disconnect(server_, handler_);
}

size_t ConnectionGuard::open() const
{
  size_t n = 0;
  for (const auto &[address, count] : per_address_)
    n += count;
  return n;
}

void ConnectionGuard::onRequestStarted(SoupServer *, SoupServerMessage *msg, gpointer data)
{
  static_cast<ConnectionGuard *>(data)->started(msg);
}

void ConnectionGuard::started(SoupServerMessage *msg)
{
  auto *t = new Tracked{this, ""};
  if (const char *host = soup_server_message_get_remote_host(msg))
    t->address = host;
  /* Freed with the message: the count follows the request's life. */
  g_object_set_data_full(G_OBJECT(msg), kTrackedKey, t,
                         [](gpointer d) { delete static_cast<Tracked *>(d); });

  unsigned &count = per_address_[t->address];
  if (count >= limits_.per_address) {
    if (count == 0)
      per_address_.erase(t->address);
    refused_++;
    g_message("refusing a connection from %s: %u requests of that address are open",
              t->address.c_str(), limits_.per_address);
    closeConnection(msg);
    return;
  }
  count++;
  t->counted = true;

  /* The whole request must be in within the time-out. The timer holds no
   * reference: a client that leaves half-way (libsoup drops the message,
   * without "finished" if its headers were not all in) must stop counting
   * against its address at once, and ~Tracked removes the timer with the
   * message. */
  t->timer = g_timeout_add(
    limits_.request_timeout_ms,
    [](gpointer d) -> gboolean {
      auto *m = static_cast<SoupServerMessage *>(d);
      if (Tracked *tr = trackedOf(m)) {
        tr->timer = 0;
        tr->guard->timed_out_++;
        tr->guard->closeConnection(m);
      }
      return G_SOURCE_REMOVE;
    },
    msg);
  g_signal_connect(msg, "got-headers", G_CALLBACK(+[](SoupServerMessage *m, gpointer) {
                     SoupMessageHeaders *h = soup_server_message_get_request_headers(m);
                     Tracked *tr = trackedOf(m);
                     /* A length past 2^63 reads as negative (libsoup parses it
                      * unsigned): over the cap too. */
                     goffset length = soup_message_headers_get_content_length(h);
                     if (tr &&
                         soup_message_headers_get_encoding(h) == SOUP_ENCODING_CONTENT_LENGTH &&
                         (length < 0 || length > tr->guard->limits_.max_body))
                       tr->guard->refuseBody(m);
                   }),
                   nullptr);
  g_signal_connect(msg, "got-chunk", G_CALLBACK(+[](SoupServerMessage *m, GBytes *chunk, gpointer) {
                     Tracked *tr = trackedOf(m);
                     if (!tr)
                       return;
                     tr->body += static_cast<goffset>(g_bytes_get_size(chunk));
                     if (tr->body > tr->guard->limits_.max_body)
                       tr->guard->refuseBody(m);
                   }),
                   nullptr);
  g_signal_connect(msg, "got-body", G_CALLBACK(+[](SoupServerMessage *m, gpointer) {
                     if (Tracked *tr = trackedOf(m); tr && tr->timer) {
                       g_source_remove(tr->timer);
                       tr->timer = 0;
                     }
                   }),
                   nullptr);
}

void ConnectionGuard::refuseBody(SoupServerMessage *msg)
{
  Tracked *t = trackedOf(msg);
  if (!t || t->too_large)
    return;
  t->too_large = true;
  too_large_++;
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  soup_message_body_set_accumulate(body, FALSE);
  soup_message_body_truncate(body);
  /* With a status set, libsoup calls no handler for the request. */
  g_autofree char *text =
    g_strdup_printf("{\"error\":\"the request body is larger than %lld bytes\"}",
                    static_cast<long long>(limits_.max_body));
  soup_server_message_set_status(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, nullptr);
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, text, strlen(text));
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                               "close");
  g_message("refusing a request body from %s: over %lld bytes", t->address.c_str(),
            static_cast<long long>(limits_.max_body));
}

void ConnectionGuard::closeConnection(SoupServerMessage *msg)
{
  /* libsoup sees end of stream and drops the connection (and the message)
   * itself. */
  if (GSocket *sock = soup_server_message_get_socket(msg))
    g_socket_shutdown(sock, TRUE, TRUE, nullptr);
}

GSocket *listenSocket(GSocketAddress *address, int backlog, GError **error)
{
  GSocket *sock = g_socket_new(g_socket_address_get_family(address), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, error);
  if (!sock)
    return nullptr;
  g_socket_set_listen_backlog(sock, backlog);
  if (!g_socket_bind(sock, address, TRUE, error) || !g_socket_listen(sock, error)) {
    g_object_unref(sock);
    return nullptr;
  }
  return sock;
}

} // namespace vdid
