/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What stands between vdid's one port and a hostile client. libsoup reads
 * requests as slowly as a client sends them and holds an idle keep-alive
 * connection for ever, so a few thousand connections that never finish a
 * request would pin vdid's fds and memory. The guard watches every request
 * libsoup starts to read:
 * - a request (headers and body) must arrive within request-timeout, and an
 *   idle keep-alive connection gets the same time for its next request
 *   (IdleConnections, which also closes one whose client has gone: libsoup
 *   3.2 would keep it in CLOSE-WAIT for ever);
 * - one address may have at most max-connections-per-address requests in
 *   flight (one per connection: vdid does not pipeline);
 * a connection over either limit is shut down;
 * - a request body may hold at most max_body bytes: one that says more
 *   (Content-Length) or counts more as its chunks arrive is answered 413
 *   without vdid's handlers seeing it, and its bytes are dropped as they
 *   come instead of gathered in memory (a client that announces
 *   `Expect: 100-continue` gets the 413 at once, before sending them).
 * The listen backlog is raised
 * so that a burst of connects is not answered with SYN retransmits.
 */

#pragma once

#include "idle-connections.h"

#include <libsoup/soup.h>

#include <map>
#include <string>

namespace vdid {

struct ConnectionLimits {
  unsigned request_timeout_ms = 10000;
  unsigned per_address = 64;
  int backlog = 1024;
  goffset max_body = 1 << 20;
};

class ConnectionGuard
{
public:
  ConnectionGuard(SoupServer *server, const ConnectionLimits &limits);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard &) = delete;
  ConnectionGuard &operator=(const ConnectionGuard &) = delete;

  void setLimits(const ConnectionLimits &limits)
  {
    limits_ = limits;
    idle_.setTimeout(limits.request_timeout_ms);
  }
  const ConnectionLimits &limits() const { return limits_; }

  /* Counters for /metrics. */
  unsigned long timedOut() const { return timed_out_ + idle_.timedOut(); }
  unsigned long refused() const { return refused_; }
  unsigned long bodiesTooLarge() const { return too_large_; }
  unsigned long idleClosed() const { return idle_.closedByPeer(); }
  size_t open() const;
  size_t idle() const { return idle_.idle(); }

  struct Tracked; /* one per request being read or answered */

private:
  static void onRequestStarted(SoupServer *, SoupServerMessage *msg, gpointer data);
  void started(SoupServerMessage *msg);
  void closeConnection(SoupServerMessage *msg);
  /* Answers 413 and drops the body, once per request. */
  void refuseBody(SoupServerMessage *msg);

  SoupServer *server_;
  gulong handler_ = 0;
  ConnectionLimits limits_;
  std::map<std::string, unsigned> per_address_;
  unsigned long timed_out_ = 0, refused_ = 0, too_large_ = 0;
  vdi::IdleConnections idle_;
};

/* A listening TCP socket on @address:@port with @backlog, for
 * soup_server_listen_socket(). */
GSocket *listenSocket(GSocketAddress *address, int backlog, GError **error);

} // namespace vdid
