/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "door-proxy.h"

#include <gio/gio.h>

#include <csignal>
#include <cstdio>
#include <sys/wait.h>

namespace vdid {

namespace {

std::string hostPort(const std::string &host, unsigned port)
{
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

} // namespace

bool splitHttpUrl(const std::string &url, std::string *host, unsigned *port)
{
  g_autoptr(GUri) uri = g_uri_parse(url.c_str(), G_URI_FLAGS_NONE, nullptr);
  if (!uri || !g_uri_get_host(uri))
    return false;
  std::string scheme = g_uri_get_scheme(uri);
  if (scheme != "http" && scheme != "https")
    return false;
  *host = g_uri_get_host(uri);
  int p = g_uri_get_port(uri);
  *port = p > 0 ? static_cast<unsigned>(p) : (scheme == "https" ? 443 : 80);
  return true;
}

std::string haproxyConfig(const std::string &address, unsigned port,
                          const std::string &door_address, unsigned door_port,
                          const std::vector<ProxyRoute> &routes, unsigned check_ms)
{
  std::string c;
  c += "# Written by vdid's front door (docs/fleet.md); rewritten when the nodes change.\n";
  /* No maxconn: HAProxy derives it from its file limit. */
  c += "global\n\n";
  c += "defaults\n  mode http\n  option forwardfor\n  timeout connect 2s\n"
       "  timeout client 60s\n  timeout server 60s\n  timeout http-request 10s\n"
       "  timeout tunnel 1h\n  timeout client-fin 5s\n\n";
  c += "frontend door\n  bind " + hostPort(address, port) + "\n";
  for (const auto &r : routes) {
    const std::string acl = "  acl on_" + r.node + " ";
    const std::string p = r.node + "-";
    c += acl + "path_beg /api/v1/sessions/" + p + " /whep/" + p + " /hls/" + p + "\n";
    c += acl + "req.hdr(Authorization) -m beg \"Bearer " + p + "\"\n";
    c += acl + "urlp(token) -m beg " + p + "\n";
    c += "  use_backend node_" + r.node + " if on_" + r.node + " { nbsrv(node_" + r.node +
         ") gt 0 }\n";
  }
  c += "  default_backend door\n\n";
  c += "backend door\n  server door " + hostPort(door_address, door_port) + "\n";
  for (const auto &r : routes) {
    c += "\nbackend node_" + r.node + "\n  option httpchk GET /health\n";
    c += "  server " + r.node + " " + hostPort(r.host, r.port) + " check inter " +
         std::to_string(check_ms) + "ms fall 2 rise 1\n";
  }
  return c;
}

DoorProxy::DoorProxy(std::string haproxy, std::string dir)
  : haproxy_(std::move(haproxy)), path_(std::move(dir) + "/haproxy.cfg")
{
}

DoorProxy::~DoorProxy()
{
  stopping_ = true;
  if (restart_)
    g_source_remove(restart_);
  if (watch_)
    g_source_remove(watch_);
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200 && waitpid(pid_, &status, WNOHANG) == 0; i++)
      g_usleep(10000);
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  unlink(path_.c_str());
}

bool DoorProxy::apply(const std::string &config, std::string *error)
{
  std::string next = path_ + ".next";
  g_autoptr(GError) e = nullptr;
  if (!g_file_set_contents(next.c_str(), config.c_str(), -1, &e)) {
    *error = e->message;
    return false;
  }
  /* Check it first: a running HAProxy keeps the old one if this fails. */
  const char *check[] = {haproxy_.c_str(), "-c", "-q", "-f", next.c_str(), nullptr};
  g_autofree char *out = nullptr, *err = nullptr;
  int status = 0;
  if (!g_spawn_sync(nullptr, const_cast<char **>(check), nullptr, G_SPAWN_SEARCH_PATH, nullptr,
                    nullptr, &out, &err, &status, &e)) {
    *error = "cannot run " + haproxy_ + ": " + e->message;
    return false;
  }
  if (!g_spawn_check_wait_status(status, nullptr)) {
    *error = "HAProxy refused the configuration: " + std::string(err ? err : "") + (out ? out : "");
    return false;
  }
  if (rename(next.c_str(), path_.c_str()) < 0) {
    *error = "cannot write " + path_ + ": " + g_strerror(errno);
    return false;
  }
  if (pid_ > 0) {
    kill(pid_, SIGUSR2); /* master-worker: re-reads the file, old workers finish */
    return true;
  }
  spawn();
  if (pid_ <= 0) {
    *error = "cannot start " + haproxy_;
    return false;
  }
  return true;
}

void DoorProxy::spawn()
{
  /* -W master-worker (reload by SIGUSR2), -db in the foreground, -q: its
   * warnings only. */
  const char *argv[] = {haproxy_.c_str(), "-W", "-db", "-q", "-f", path_.c_str(), nullptr};
  g_autoptr(GError) e = nullptr;
  GPid pid = 0;
  if (!g_spawn_async(
        nullptr, const_cast<char **>(argv), nullptr,
        GSpawnFlags(G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL),
        nullptr, nullptr, &pid, &e)) {
    fprintf(stderr, "vdid: door: cannot start %s: %s\n", haproxy_.c_str(), e->message);
    return;
  }
  pid_ = pid;
  watch_ = g_child_watch_add(
    pid,
    +[](GPid pid, gint status, gpointer data) {
      auto *self = static_cast<DoorProxy *>(data);
      g_spawn_close_pid(pid);
      self->watch_ = 0;
      self->pid_ = -1;
      if (self->stopping_)
        return;
      fprintf(stderr, "vdid: door: warning: HAProxy exited (status %d); restarting it in 1 s\n",
              status);
      self->restart_ = g_timeout_add(
        1000,
        +[](gpointer data) -> gboolean {
          auto *self = static_cast<DoorProxy *>(data);
          self->restart_ = 0;
          self->spawn();
          return G_SOURCE_REMOVE;
        },
        self);
    },
    this);
}

} // namespace vdid
