/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "door-main.h"

#include "api-common.h"
#include "auth.h"
#include "daemon.h"
#include "door-proxy.h"
#include "door.h"
#include "http.h"
#include "metrics.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <functional>

namespace vdid {

namespace {

/* A free TCP port on @address (for `[door] listen` with port 0): HAProxy
 * needs a number. Another process may take it before HAProxy binds it. */
unsigned freePort(const std::string &address)
{
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new_from_string(address.c_str(), 0);
  if (!addr)
    return 0;
  g_autoptr(GSocket) sock = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_TCP, nullptr);
  if (!sock || !g_socket_bind(sock, addr, TRUE, nullptr))
    return 0;
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(sock, nullptr);
  return bound ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)) : 0;
}

/* Whether something accepts connections on @address:@port. */
bool listening(const std::string &address, unsigned port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 1);
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host(client, address == "0.0.0.0" ? "127.0.0.1" : address.c_str(),
                                    static_cast<guint16>(port), nullptr, nullptr);
  return conn != nullptr;
}

std::vector<ProxyRoute> routesOf(const Door &door)
{
  std::vector<ProxyRoute> routes;
  for (const auto &n : door.nodes()) {
    ProxyRoute r;
    if (!n.reported || !splitHttpUrl(n.routeUrl(), &r.host, &r.port))
      continue;
    r.node = n.report.id;
    routes.push_back(r);
  }
  return routes;
}

} // namespace

int runDoor(Config config)
{
  Auth auth(authOptions(config));
  Metrics metrics;
  HttpServer http;
  CommonRoutes common(config, auth, metrics, http);
  Door door(config, auth, metrics, http, common);

  g_autoptr(GError) error = nullptr;
  /* HAProxy, on this host, tells who the client is (X-Forwarded-For). */
  http.setTrustedProxies({"127.0.0.1", "::1"});
  http.setLimits({config.request_timeout_s * 1000, config.max_connections_per_address, 4096});
  if (!http.listen(config.listen_address, config.listen_port, &error)) {
    fprintf(stderr, "vdid: cannot listen on %s:%u: %s\n", config.listen_address.c_str(),
            config.listen_port, error->message);
    return 1;
  }
  Config::Door &d = config.door;
  if (d.listen_port == 0 && !(d.listen_port = freePort(d.listen_address))) {
    fprintf(stderr, "vdid: door: no free port on %s\n", d.listen_address.c_str());
    return 1;
  }
  g_autofree char *dir = g_dir_make_tmp("vdid-door-XXXXXX", &error);
  if (!dir) {
    fprintf(stderr, "vdid: door: %s\n", error->message);
    return 1;
  }
  std::string internal = config.listen_address == "0.0.0.0" ? "127.0.0.1" : config.listen_address;
  int exit_code = 0;
  {
    DoorProxy proxy(d.haproxy, dir);
    std::string why;
    auto apply = [&] {
      std::string cfg = haproxyConfig(d.listen_address, d.listen_port, internal, http.port(),
                                      routesOf(door), std::max(250u, d.poll_ms / 2));
      if (!proxy.apply(cfg, &why))
        fprintf(stderr, "vdid: door: warning: the proxy keeps its routes: %s\n", why.c_str());
      else
        fprintf(stderr, "vdid: door: routes to %zu node(s)\n", routesOf(door).size());
    };
    /* The first reports of several nodes come together: one reload. */
    struct Pending {
      guint timer = 0;
      std::function<void()> apply;
    } pending{0, apply};
    door.on_routes_changed = [&pending] {
      if (!pending.timer)
        pending.timer = g_timeout_add(
          200,
          +[](gpointer data) -> gboolean {
            auto *p = static_cast<Pending *>(data);
            p->timer = 0;
            p->apply();
            return G_SOURCE_REMOVE;
          },
          &pending);
    };
    if (!proxy.apply(haproxyConfig(d.listen_address, d.listen_port, internal, http.port(), {},
                                   std::max(250u, d.poll_ms / 2)),
                     &why)) {
      fprintf(stderr, "vdid: door: %s\n", why.c_str());
      g_rmdir(dir);
      return 1;
    }
    for (int i = 0; i < 100 && !listening(d.listen_address, d.listen_port); i++)
      g_usleep(50000);
    if (!listening(d.listen_address, d.listen_port)) {
      fprintf(stderr, "vdid: door: HAProxy does not listen on %s:%u\n", d.listen_address.c_str(),
              d.listen_port);
      g_rmdir(dir);
      return 1;
    }
    door.start();

    g_autoptr(GMainLoop) loop = g_main_loop_new(nullptr, FALSE);
    quitOnSignals(loop);
    printf("vdid: listening on http://%s:%u/\n", d.listen_address.c_str(), d.listen_port);
    printf("vdid: door: %zu node(s); its own API on http://%s:%u/ behind HAProxy (pid %d)\n",
           d.nodes.size(), internal.c_str(), http.port(), proxy.pid());
    fflush(stdout);
    sd_notify(0, "READY=1");
    g_main_loop_run(loop);
    sd_notify(0, "STOPPING=1");
    door.on_routes_changed = nullptr;
    if (pending.timer)
      g_source_remove(pending.timer);
  }
  g_autofree char *left = g_build_filename(dir, "haproxy.cfg.next", nullptr);
  unlink(left);
  g_rmdir(dir);
  printf("vdid: stopped\n");
  return exit_code;
}

} // namespace vdid
