/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Keep-alive connections of a SoupServer between two requests, for vdid
 * and vdiwebrtcsink's built-in server.
 *
 * libsoup 3.2 reads a keep-alive connection's end of stream between two
 * requests but, as no request had started (it emits request-started only
 * once a request's first bytes are in), never drops the connection: every
 * keep-alive client that leaves keeps a socket in CLOSE-WAIT, an fd of the
 * server, for ever. IdleConnections watches each connection from the end
 * of a request ("request-finished") to the start of the next and closes
 * its socket once the client has gone; with a time-out, it also shuts a
 * connection that stays idle that long.
 *
 * Its watches run at G_PRIORITY_LOW, below libsoup's own source on the
 * socket: libsoup reads what came (a request, or the end of stream) first,
 * and the socket is closed only once libsoup is done with it. libsoup's
 * connection object itself stays in the server's list until the server is
 * disconnected (3.2 has no public call that drops one): an fd freed per
 * connection, a few hundred bytes of memory not.
 */

#pragma once

#include <libsoup/soup.h>

#include <map>
#include <memory>

namespace vdi {

class IdleConnections
{
public:
  explicit IdleConnections(SoupServer *server);
  ~IdleConnections();
  IdleConnections(const IdleConnections &) = delete;
  IdleConnections &operator=(const IdleConnections &) = delete;

  /* An idle connection gets @ms for its next request, then is shut; 0
   * (the default) keeps it while its client is there. */
  void setTimeout(unsigned ms) { timeout_ms_ = ms; }

  /* Connections between two requests now. */
  size_t idle() const { return idle_.size(); }
  /* Connections closed because their client had gone. */
  unsigned long closedByPeer() const { return closed_by_peer_; }
  /* Connections shut because they stayed idle past the time-out. */
  unsigned long timedOut() const { return timed_out_; }

  struct Connection;

private:
  static void onRequestStarted(SoupServer *, SoupServerMessage *msg, gpointer data);
  static void onRequestFinished(SoupServer *, SoupServerMessage *msg, gpointer data);

  SoupServer *server_;
  gulong started_ = 0, finished_ = 0;
  unsigned timeout_ms_ = 0;
  /* By socket (a reference each holds). */
  std::map<GSocket *, std::unique_ptr<Connection>> idle_;
  unsigned long closed_by_peer_ = 0, timed_out_ = 0;
};

} // namespace vdi
