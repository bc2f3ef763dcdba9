/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "idle-connections.h"

#include <cerrno>
#include <sys/socket.h>

namespace vdi {

struct IdleConnections::Connection {
  IdleConnections *owner;
  GSocket *sock;
  GMainContext *context;
  GSource *start = nullptr, *readable = nullptr, *timer = nullptr, *rearm = nullptr;
  bool timedOut = false;

  Connection(IdleConnections *o, GSocket *s)
    : owner(o), sock(G_SOCKET(g_object_ref(s))), context(g_main_context_ref_thread_default())
  {
  }
  ~Connection()
  {
    for (GSource **s : {&start, &readable, &timer, &rearm})
      clear(s);
    g_object_unref(sock);
    g_main_context_unref(context);
  }
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  static void clear(GSource **s)
  {
    if (*s) {
      g_source_destroy(*s);
      g_source_unref(*s);
      *s = nullptr;
    }
  }
  /* @s at G_PRIORITY_LOW on the server's context, calling @fn(this). */
  GSource *attach(GSource *s, void (*fn)(Connection *))
  {
    g_source_set_priority(s, G_PRIORITY_LOW);
    struct Call {
      void (*fn)(Connection *);
      Connection *c;
    };
    g_source_set_callback(
      s,
      [](gpointer d) -> gboolean {
        auto *call = static_cast<Call *>(d);
        call->fn(call->c);
        return G_SOURCE_CONTINUE; /* every handler clears its own source */
      },
      new Call{fn, this}, [](gpointer d) { delete static_cast<Call *>(d); });
    g_source_attach(s, context);
    return s;
  }
  /* Deletes this. */
  void drop()
  {
    GSocket *key = sock;
    owner->idle_.erase(key);
  }

  void begin()
  {
    start = attach(g_idle_source_new(), [](Connection *c) {
      clear(&c->start);
      /* libsoup closed it (no keep-alive, or an error). */
      if (g_socket_is_closed(c->sock))
        return c->drop();
      c->watch();
      if (c->owner->timeout_ms_)
        c->timer = c->attach(g_timeout_source_new(c->owner->timeout_ms_), [](Connection *c) {
          clear(&c->timer);
          c->timedOut = true;
          c->owner->timed_out_++;
          /* libsoup reads the end of stream; the watch then closes. */
          g_socket_shutdown(c->sock, TRUE, TRUE, nullptr);
        });
    });
  }
  void watch()
  {
    GSource *s = g_socket_create_source(sock, GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR), nullptr);
    /* A GSocketSourceFunc takes the socket and condition first. */
    g_source_set_priority(s, G_PRIORITY_LOW);
    g_source_set_callback(s, G_SOURCE_FUNC(+[](GSocket *, GIOCondition, gpointer d) -> gboolean {
                            static_cast<Connection *>(d)->onReadable();
                            return G_SOURCE_CONTINUE;
                          }),
                          this, nullptr);
    g_source_attach(s, context);
    readable = s;
  }
  void onReadable()
  {
    if (g_socket_is_closed(sock))
      return drop();
    char byte;
    ssize_t n = recv(g_socket_get_fd(sock), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return;
    if (n > 0) {
      /* Bytes libsoup has yet to read (TLS records, or a request whose
       * start removes this watch): look again a little later rather than
       * spin on a readable socket. */
      clear(&readable);
      rearm = attach(g_timeout_source_new(100), [](Connection *c) {
        clear(&c->rearm);
        c->watch();
      });
      return;
    }
    /* End of stream or an error: the client has gone. */
    if (!timedOut)
      owner->closed_by_peer_++;
    g_socket_close(sock, nullptr);
    drop();
  }
};

IdleConnections::IdleConnections(SoupServer *server) : server_(server)
{
  started_ = g_signal_connect(server_, "request-started", G_CALLBACK(onRequestStarted), this);
  finished_ = g_signal_connect(server_, "request-finished", G_CALLBACK(onRequestFinished), this);
}

IdleConnections::~IdleConnections()
{
  g_signal_handler_disconnect(server_, started_);
  g_signal_handler_disconnect(server_, finished_);
  idle_.clear();
}

void IdleConnections::onRequestStarted(SoupServer *, SoupServerMessage *msg, gpointer data)
{
  /* A connection that was idle is busy again. */
  if (GSocket *sock = soup_server_message_get_socket(msg))
    static_cast<IdleConnections *>(data)->idle_.erase(sock);
}

void IdleConnections::onRequestFinished(SoupServer *, SoupServerMessage *msg, gpointer data)
{
  auto *self = static_cast<IdleConnections *>(data);
  GSocket *sock = soup_server_message_get_socket(msg);
  if (!sock)
    return;
  /* Once this signal returns libsoup either drops the connection (no
   * keep-alive) or waits for the next request: look from an idle
   * callback. */
  auto &slot = self->idle_[sock];
  slot = std::make_unique<Connection>(self, sock);
  slot->begin();
}

} // namespace vdi
