/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid: the gst-vdi orchestrator daemon.
 *
 *   vdid [--config FILE] [--listen ADDRESS:PORT]
 *   vdid hash-password [PASSWORD]     (reads stdin when PASSWORD is absent)
 *   vdid list-users --config FILE     (checks FILE, prints its users one a line)
 */

#include "api.h"
#include "auth.h"
#include "config.h"
#include "daemon.h"
#include "dbus-manager.h"
#include "door-main.h"
#include "http.h"
#include "metrics.h"
#include "pool.h"
#include "sessions.h"
#include "signalling.h"
#include "srt.h"
#include "streams.h"
#include "turn-probe.h"

#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <sys/resource.h>

namespace {

int hashPasswordCommand(int argc, char **argv)
{
  std::string password;
  if (argc >= 3) {
    password = argv[2];
  } else {
    if (isatty(STDIN_FILENO))
      fprintf(stderr, "password: ");
    std::getline(std::cin, password);
  }
  if (password.empty()) {
    fprintf(stderr, "vdid hash-password: the password is empty\n");
    return 2;
  }
  std::string hash = vdid::hashPassword(password);
  if (hash.empty()) {
    fprintf(stderr, "vdid hash-password: crypt failed\n");
    return 1;
  }
  printf("%s\n", hash.c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv)
{
  if (argc >= 2 && strcmp(argv[1], "hash-password") == 0)
    return hashPasswordCommand(argc, argv);

  g_autofree char *config_path = nullptr;
  g_autofree char *listen = nullptr;
  g_autofree char *demo_user = nullptr;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
     "Configuration file (see docs/vdid.md); without it, one demo user on 127.0.0.1", "FILE"},
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
     "Address and port to serve on, overriding [server] listen", "ADDRESS:PORT"},
    {"demo-user", 0, 0, G_OPTION_ARG_STRING, &demo_user,
     "Without --config: the user (and Unix account) of the embedded default, instead of demo",
     "NAME"},
    {nullptr},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- gst-vdi orchestrator daemon");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_set_description(ctx, "Other commands:\n  vdid hash-password [PASSWORD]  "
                                        "print a crypt(3) hash for [users]\n"
                                        "  vdid list-users --config FILE  check FILE and "
                                        "print its users, one a line\n");
  g_autoptr(GError) error = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "vdid: %s\n", error->message);
    return 2;
  }

  bool list_users = argc == 2 && strcmp(argv[1], "list-users") == 0;
  if (argc > 1 && !list_users) {
    fprintf(stderr, "vdid: unexpected argument \"%s\" (see vdid --help)\n", argv[1]);
    return 2;
  }
  if (list_users && !config_path) {
    fprintf(stderr, "vdid list-users: needs --config FILE\n");
    return 2;
  }

  vdid::Config config;
  if (config_path) {
    if (!vdid::Config::load(config_path, &config, &error)) {
      fprintf(stderr, "vdid: %s\n", error->message);
      return 2;
    }
  } else {
    config = vdid::Config::embeddedDefault(demo_user && *demo_user ? demo_user : "demo");
  }
  if (list_users) {
    /* The container's entrypoint makes a Unix account for each
     * (docs/deploying.md), with the config already checked. */
    for (const auto &[name, hash] : config.users)
      printf("%s\n", name.c_str());
    return 0;
  }
  if (config_path && demo_user) {
    fprintf(stderr, "vdid: --demo-user goes without --config (name users in [users])\n");
    return 2;
  }
  if (listen && !vdid::Config::parseListen(listen, &config.listen_address, &config.listen_port)) {
    fprintf(stderr, "vdid: --listen must be ADDRESS:PORT, not \"%s\"\n", listen);
    return 2;
  }

  /* Thousands of connections (and every session's pipes) need more than the
   * usual soft limit of 1024 descriptors. */
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (config.isDoor())
    return vdid::runDoor(std::move(config));

  vdid::Auth::Options auth_options = vdid::authOptions(config);
  if (!config.node_id.empty())
    auth_options.share_prefix = config.node_id + "-";
  vdid::Auth auth(auth_options);
  vdid::Metrics metrics;
  vdid::HttpServer http;
  vdid::SessionManager sessions(config);
  const vdid::Cgroups &cgroups = sessions.cgroups();
  if (cgroups.limits().any() && !cgroups.enforced())
    fprintf(stderr,
            "vdid: warning: session limits (cpu-limit, memory-limit, pids-limit) are NOT "
            "enforced: %s; sessions run without limits\n",
            cgroups.reason().c_str());
  else if (cgroups.enforced()) {
    std::string parents;
    for (const auto &dir : cgroups.parents())
      parents += " " + dir;
    printf("vdid: session limits enforced with cgroup %s under%s\n",
           vdid::cgroupVersionName(cgroups.version()), parents.c_str());
  }
  metrics.declare("vdi_cgroup_limits_enforced", vdid::Metrics::Type::Gauge,
                  "1 when per-session cpu-limit/memory-limit/pids-limit are enforced "
                  "(cgroup v2 or v1)");
  metrics.declare("vdi_pool_ready", vdid::Metrics::Type::Gauge,
                  "Pre-warmed sessions ready to be claimed, by pool user");
  metrics.declare("vdi_pool_claims_total", vdid::Metrics::Type::Counter,
                  "Session requests served from the pre-warmed pool");
  metrics.declare("vdi_pool_misses_total", vdid::Metrics::Type::Counter,
                  "Session requests the pool could not serve (cold starts)");
  metrics.declare("vdi_http_connections_open", vdid::Metrics::Type::Gauge,
                  "HTTP requests being read or answered (one per connection)");
  metrics.declare("vdi_http_connections_refused_total", vdid::Metrics::Type::Counter,
                  "Connections shut because their address had max-connections-per-address open");
  metrics.declare("vdi_http_requests_timed_out_total", vdid::Metrics::Type::Counter,
                  "Connections shut because no whole request came within request-timeout");
  metrics.declare("vdi_http_connections_idle", vdid::Metrics::Type::Gauge,
                  "Keep-alive connections between two requests");
  metrics.declare("vdi_http_idle_connections_closed_total", vdid::Metrics::Type::Counter,
                  "Keep-alive connections closed because their client had gone");
  metrics.addCollector([&http](vdid::Metrics &m) {
    m.set("vdi_http_connections_open", {}, static_cast<double>(http.guard().open()));
    m.set("vdi_http_connections_idle", {}, static_cast<double>(http.guard().idle()));
    m.set("vdi_http_idle_connections_closed_total", {},
          static_cast<double>(http.guard().idleClosed()));
    m.set("vdi_http_connections_refused_total", {}, static_cast<double>(http.guard().refused()));
    m.set("vdi_http_requests_timed_out_total", {}, static_cast<double>(http.guard().timedOut()));
    m.set("vdi_http_bodies_too_large_total", {},
          static_cast<double>(http.guard().bodiesTooLarge()));
  });
  metrics.declare("vdi_budget_cpu_cores", vdid::Metrics::Type::Gauge,
                  "[budget] cpu: cores all sessions may reserve (total) and reserve now");
  metrics.declare("vdi_budget_memory_bytes", vdid::Metrics::Type::Gauge,
                  "[budget] memory: bytes all sessions may reserve (total) and reserve now");
  metrics.declare("vdi_sessions_refused_total", vdid::Metrics::Type::Counter,
                  "Session creates refused because a host budget was exhausted");
  metrics.declare("vdi_tier_moves_total", vdid::Metrics::Type::Counter,
                  "Running sessions moved to another encode tier, by direction (down, up)");
  metrics.addCollector([&sessions, &config](vdid::Metrics &m) {
    for (const auto &[direction, n] : sessions.tierMoves())
      m.set("vdi_tier_moves_total", {{"direction", direction}}, static_cast<double>(n));
    const vdid::HostBudget &budget = config.budget;
    vdid::Reservation reserved = sessions.reserved();
    if (budget.cpu > 0) {
      m.set("vdi_budget_cpu_cores", {{"kind", "total"}}, budget.cpu);
      m.set("vdi_budget_cpu_cores", {{"kind", "reserved"}}, reserved.cpu);
    }
    if (budget.memory > 0) {
      m.set("vdi_budget_memory_bytes", {{"kind", "total"}}, static_cast<double>(budget.memory));
      m.set("vdi_budget_memory_bytes", {{"kind", "reserved"}},
            static_cast<double>(reserved.memory));
    }
    for (const auto &[name, n] : sessions.refusedByBudget())
      m.set("vdi_sessions_refused_total", {{"budget", name}}, static_cast<double>(n));
    m.set("vdi_cgroup_limits_enforced", {}, sessions.cgroups().enforced() ? 1 : 0);
    const vdid::Pool *pool = sessions.pool();
    m.clear("vdi_pool_ready");
    if (pool)
      for (const auto &user : pool->users())
        m.set("vdi_pool_ready", {{"user", user}}, pool->ready(user));
    m.set("vdi_pool_claims_total", {}, pool ? static_cast<double>(pool->claims()) : 0);
    m.set("vdi_pool_misses_total", {}, pool ? static_cast<double>(pool->misses()) : 0);
  });
  /* Sessions of a vdid that died are not adopted (their workers' control
   * pipes died with it): stop them so that nothing is orphaned. */
  if (unsigned n = sessions.reapLeftovers())
    printf("vdid: stopped %u session(s) left by a previous run\n", n);
  vdid::Operations operations(config, auth, sessions);
  vdid::Api api(config, auth, metrics, http, sessions, operations);
  /* Each TURN server checked as a browser would use it, now and every 5 min. */
  vdid::TurnProbe turn_probe(api.iceServers());
  turn_probe.start(std::chrono::minutes(5));
  metrics.declare("vdi_turn_server_up", vdid::Metrics::Type::Gauge,
                  "1 if the TURN server gave vdid a relay at its last check (every 5 min)");
  metrics.addCollector([&turn_probe](vdid::Metrics &m) {
    for (const auto &[server, up] : turn_probe.up())
      m.set("vdi_turn_server_up", {{"server", server}}, up ? 1 : 0);
  });
  vdid::Signalling signalling(http, api, sessions, metrics);
  vdid::Streams streams(config, api, http, sessions);
  vdid::SrtService srt(config, auth, sessions);
  std::string srt_error;
  if (!srt.start(&srt_error))
    fprintf(stderr, "vdid: warning: no SRT: %s\n", srt_error.c_str());
  sessions.worker_arguments = [&streams, &srt](const vdid::Session &s) {
    auto args = streams.workerArguments(s);
    auto more = srt.workerArguments(s);
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  vdid::DBusManager dbus(config, operations);
  sessions.on_state_changed = [&srt, &dbus](const vdid::Session &s) {
    srt.sessionChanged(s);
    dbus.sessionChanged(s);
  };
  sessions.on_tier_changed = [&dbus, &config](const vdid::Session &s) {
    dbus.tierChanged(s, config.tiers[s.tier].name);
  };
  sessions.on_hls_failed = [&streams](const std::string &id, const std::string &message) {
    streams.hlsFailed(id, message);
  };
  operations.describe_urls = [&streams, &srt](JsonBuilder *b, const vdid::Session &s) {
    streams.describeUrls(b, s);
    srt.describeUrls(b, s);
  };

  if (!config.tls_certificate.empty() &&
      !http.setTls(config.tls_certificate, config.tls_key, &error)) {
    fprintf(stderr, "vdid: cannot use the TLS certificate: %s\n", error->message);
    return 1;
  }
  /* Players on other origins: WHEP, HLS and the API, as mediamtx does. */
  http.setCors(config.allowed_origins, {"/whep/", "/hls/", "/api/"});
  http.setTrustedProxies(config.trusted_proxies);
  http.setLimits({config.request_timeout_s * 1000, config.max_connections_per_address, 4096});
  if (!http.listen(config.listen_address, config.listen_port, &error)) {
    fprintf(stderr, "vdid: cannot listen on %s:%u: %s\n", config.listen_address.c_str(),
            config.listen_port, error->message);
    return 1;
  }

  /* Signals first: a SIGTERM right after the first line must stop vdid cleanly. */
  g_autoptr(GMainLoop) loop = g_main_loop_new(nullptr, FALSE);
  vdid::quitOnSignals(loop);
  /* The D-Bus API is an addition: without its bus vdid serves on, unless
   * [dbus] required says it must not. */
  int exit_code = 0;
  dbus.start([&](const std::string &why) {
    if (!config.dbus_required) {
      fprintf(stderr, "vdid: warning: no D-Bus API: %s\n", why.c_str());
      return;
    }
    fprintf(stderr, "vdid: no D-Bus API ([dbus] required=true): %s\n", why.c_str());
    exit_code = 1;
    g_main_loop_quit(loop);
  });
  const char *scheme = http.tls() ? "https" : "http";
  /* The first line on stdout says where vdid listens (tests read it). */
  printf("vdid: listening on %s://%s:%u/\n", scheme, config.listen_address.c_str(), http.port());
  if (config.embedded_default)
    printf("vdid: no --config: demo user \"%s\", password \"%s\"\n", config.demo_user.c_str(),
           config.demo_password.c_str());
  fflush(stdout);

  sd_notify(0, "READY=1");
  g_main_loop_run(loop);
  sd_notify(0, "STOPPING=1");
  /* SIGTERM stops every session: nothing of them outlives vdid. */
  sessions.destroyAll();
  sessions.on_state_changed = nullptr;
  sessions.on_tier_changed = nullptr;
  sessions.worker_arguments = nullptr;
  printf("vdid: stopped\n");
  return exit_code;
}
