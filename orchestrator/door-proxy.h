/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The front door's data path (docs/fleet.md): HAProxy, configured from
 * what the nodes report. Everything that belongs to a node carries its id
 * ("n1-..." session ids and share tokens), so HAProxy routes by the
 * request alone: /api/v1/sessions/n1-*, /whep/n1-*, /hls/n1-* and requests
 * bearing a share token n1-* (Authorization: Bearer or ?token=) go to node
 * n1 while its health check passes; the rest (the page, sign-in, the
 * session list and creation) and a node that is down go to the door's own
 * vdid. vdid runs HAProxy in master-worker mode and reloads it (SIGUSR2)
 * when the nodes change; media (WebRTC, SRT) never passes through it.
 */

#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace vdid {

struct ProxyRoute {
  std::string node; /* its id */
  std::string host; /* where HAProxy reaches it */
  unsigned port = 0;
};

/* The HAProxy configuration: listen on @address:@port, the door's vdid at
 * 127.0.0.1:@door_port (or @door_address), one backend per route with a
 * health check every @check_ms. Pure: unit-tested. */
std::string haproxyConfig(const std::string &address, unsigned port,
                          const std::string &door_address, unsigned door_port,
                          const std::vector<ProxyRoute> &routes, unsigned check_ms);

/* "http://HOST:PORT[/...]" into @host and @port (80/443 by default). */
bool splitHttpUrl(const std::string &url, std::string *host, unsigned *port);

class DoorProxy
{
public:
  /* @haproxy: the program; @dir: where its configuration is written. */
  DoorProxy(std::string haproxy, std::string dir);
  ~DoorProxy();
  DoorProxy(const DoorProxy &) = delete;
  DoorProxy &operator=(const DoorProxy &) = delete;

  /* Writes @config and starts HAProxy, or reloads it if it runs; restarts
   * it (after 1 s) if it dies. False with @error if HAProxy refuses the
   * configuration (`haproxy -c`) or cannot start. */
  bool apply(const std::string &config, std::string *error);
  pid_t pid() const { return pid_; }

private:
  void spawn();
  std::string haproxy_, path_;
  pid_t pid_ = -1;
  guint watch_ = 0, restart_ = 0;
  bool stopping_ = false;
};

} // namespace vdid
