/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "compositor.h"

#include <cstring>

#include "auth.h"
#include "cgroup-limits.h"

#include <gio/gio.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#ifndef VDID_WEB_DIR
#define VDID_WEB_DIR "/usr/local/share/gst-vdi/web"
#endif

namespace vdid {

namespace {

const std::map<std::string, std::set<std::string>> kKnownKeys = {
  {"server",
   {"listen", "tls-certificate", "tls-key", "web-root", "srt-listen", "request-timeout",
    "max-connections-per-address", "allowed-origins", "trusted-proxies"}},
  {"auth", {"admins", "cookie-lifetime", "max-failed-logins", "failed-login-window", "users-file"}},
  {"users", {}}, /* any name */
  {"sessions",
   {"max-sessions", "max-sessions-per-user", "pool-size", "idle-timeout", "compositor", "width",
    "height", "fps", "stream", "hls", "audio", "runtime-dir", "pool-users", "cpu-limit",
    "memory-limit", "pids-limit"}},
  {"budget",
   {"cpu", "memory", "session-cpu", "session-memory", "downgrade", "tiers", "tier-window"}},
  {"tier NAME", {"fps", "max-size", "max-bitrate", "cpu"}}, /* [tier full], ... */
  {"encoders", {"max-hardware-sessions"}},
  {"dbus", {"bus", "required"}},
  {"webrtc",
   {"stun-servers", "turn-servers", "turn-secret", "turn-secret-file", "turn-username",
    "turn-password", "turn-credential-lifetime"}},
  {"fleet", {"secret", "secret-file"}},
  {"node", {"id", "url"}},
  {"door", {"nodes", "listen", "haproxy", "poll-interval", "lost-after"}},
};

/* The file being read: its name (for messages) and text. */
struct Source {
  const std::string &name;
  const std::string &text;
};

bool fail(GError **error, const std::string &where, const std::string &message)
{
  g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s: %s", where.c_str(),
              message.c_str());
  return false;
}

bool fail(GError **error, const Source &src, const std::string &message)
{
  return fail(error, src.name, message);
}

/* The line of @key in [@group] of @src (1-based), 0 if not found:
 * GKeyFile keeps no line numbers. */
unsigned keyLine(const Source &src, const char *group, const char *key)
{
  const char *text = src.text.c_str();
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  bool in_group = false;
  for (unsigned i = 0; lines[i]; i++) {
    std::string line = g_strstrip(lines[i]);
    if (!line.empty() && line[0] == '[') {
      in_group = line == std::string("[") + group + "]";
      continue;
    }
    size_t eq = line.find('=');
    if (in_group && eq != std::string::npos) {
      std::string name = line.substr(0, eq);
      if (g_strstrip(name.data()) == std::string(key))
        return i + 1;
    }
  }
  return 0;
}

/* An error at the line of @key: "PATH:LINE: [GROUP] KEY" + @message (which
 * starts with its separator: " must be ...", ": ..."). */
bool failAt(GError **error, const Source &src, const char *group, const char *key,
            const std::string &message)
{
  unsigned line = keyLine(src, group, key);
  std::string where = line ? src.name + ":" + std::to_string(line) : src.name;
  return fail(error, where, std::string("[") + group + "] " + key + message);
}

/* Reads an unsigned key within [min, max] if present. */
bool readUint(GKeyFile *kf, const Source &path, const char *group, const char *key, unsigned min,
              unsigned max, unsigned *out, GError **error)
{
  if (!g_key_file_has_key(kf, group, key, nullptr))
    return true;
  g_autofree char *raw = g_key_file_get_string(kf, group, key, nullptr);
  char *end = nullptr;
  guint64 v = g_ascii_strtoull(raw, &end, 10);
  if (!raw[0] || *end || v < min || v > max)
    return failAt(error, path, group, key,
                  " must be a whole number from " + std::to_string(min) + " to " +
                    std::to_string(max) + ", not \"" + raw + "\"");
  *out = static_cast<unsigned>(v);
  return true;
}

/* A string key, stripped, or "" when absent. */
std::string readString(GKeyFile *kf, const char *group, const char *key)
{
  g_autofree char *v = g_key_file_get_string(kf, group, key, nullptr);
  return v ? g_strstrip(v) : "";
}

/* [webrtc]: the STUN and TURN servers viewers get (ice-servers.h). */
bool readWebrtc(GKeyFile *kf, const Source &path, IceSettings *ice, GError **error)
{
  for (auto [key, list] :
       {std::pair<const char *, std::vector<IceUri> *>{"stun-servers", &ice->stun},
        {"turn-servers", &ice->turn}}) {
    g_auto(GStrv) parts = g_strsplit_set(readString(kf, "webrtc", key).c_str(), "; \t", -1);
    for (char **p = parts; *p; p++) {
      if (!**p)
        continue;
      IceUri u;
      std::string why;
      if (!IceUri::parse(*p, &u, &why))
        return failAt(error, path, "webrtc", key, ": " + why);
      list->push_back(std::move(u));
    }
  }
  ice->secret = readString(kf, "webrtc", "turn-secret");
  std::string secret_file = readString(kf, "webrtc", "turn-secret-file");
  if (!secret_file.empty()) {
    g_autofree char *text = nullptr;
    g_autoptr(GError) e = nullptr;
    if (!ice->secret.empty())
      return failAt(error, path, "webrtc", "turn-secret-file",
                    " and turn-secret exclude each other");
    if (!g_file_get_contents(secret_file.c_str(), &text, nullptr, &e))
      return failAt(error, path, "webrtc", "turn-secret-file", std::string(": ") + e->message);
    ice->secret = g_strstrip(text);
    if (ice->secret.empty())
      return failAt(error, path, "webrtc", "turn-secret-file", ": " + secret_file + " is empty");
  }
  ice->username = readString(kf, "webrtc", "turn-username");
  ice->password = readString(kf, "webrtc", "turn-password");
  unsigned lifetime = static_cast<unsigned>(ice->lifetime.count());
  if (!readUint(kf, path, "webrtc", "turn-credential-lifetime", 60, 30 * 24 * 3600, &lifetime,
                error))
    return false;
  ice->lifetime = std::chrono::seconds(lifetime);
  std::string why;
  if (!ice->validate(&why))
    return fail(error, path, "[webrtc] " + why);
  return true;
}

/* [users] of @kf (the config or a users file) into @users; a name already
 * there is an error. */
bool readUsers(GKeyFile *kf, const Source &path, std::map<std::string, std::string> *users,
               GError **error)
{
  g_auto(GStrv) names = g_key_file_get_keys(kf, "users", nullptr, nullptr);
  for (char **u = names; u && *u; u++) {
    g_autofree char *hash = g_key_file_get_string(kf, "users", *u, nullptr);
    if (!isSupportedHash(hash ? hash : ""))
      return failAt(error, path, "users", *u,
                    ": not a $y$ (yescrypt) or $6$ (sha512crypt) hash; make one with "
                    "`vdid hash-password`");
    if (users->count(*u))
      return failAt(error, path, "users", *u, ": named twice (in the config and its users-file)");
    (*users)[*u] = hash;
  }
  return true;
}

/* [auth] users-file: a file holding only a [users] group, as in the config
 * (a mounted Secret beside a ConfigMap, docs/deploying.md). */
bool readUsersFile(GKeyFile *kf, const Source &path, std::map<std::string, std::string> *users,
                   GError **error)
{
  std::string file = readString(kf, "auth", "users-file");
  if (file.empty())
    return true;
  g_autofree char *text = nullptr;
  gsize length = 0;
  g_autoptr(GError) e = nullptr;
  if (!g_file_get_contents(file.c_str(), &text, &length, &e))
    return failAt(error, path, "auth", "users-file", std::string(": ") + e->message);
  std::string body(text, length);
  Source src{file, body};
  g_autoptr(GKeyFile) ukf = g_key_file_new();
  if (!g_utf8_validate(body.data(), static_cast<gssize>(body.size()), nullptr) ||
      body.find('\0') != std::string::npos)
    return fail(error, src, "the file is not UTF-8 text");
  if (!g_key_file_load_from_data(ukf, body.data(), body.size(), G_KEY_FILE_NONE, &e))
    return fail(error, src, e->message);
  g_auto(GStrv) groups = g_key_file_get_groups(ukf, nullptr);
  for (char **g = groups; g && *g; g++)
    if (strcmp(*g, "users") != 0)
      return fail(error, src, std::string("a users-file holds only [users], not [") + *g + "]");
  return readUsers(ukf, src, users, error);
}

/* [tier NAME]: one encode tier of the ladder (tier-ladder.h). */
bool readTier(GKeyFile *kf, const Source &path, const std::string &name, bool needs_cpu, Tier *t,
              GError **error)
{
  std::string group = "tier " + name;
  const char *g = group.c_str();
  t->name = name;
  if (!g_key_file_has_group(kf, g))
    return fail(error, path,
                "[budget] tiers names \"" + name + "\", but there is no [" + group + "] group");
  if (!readUint(kf, path, g, "fps", 1, 240, &t->fps, error) ||
      !readUint(kf, path, g, "max-bitrate", 100, 1000000, &t->max_bitrate, error))
    return false;
  std::string size = readString(kf, g, "max-size");
  if (!size.empty()) {
    char *end = nullptr;
    guint64 w = g_ascii_strtoull(size.c_str(), &end, 10);
    guint64 h = *end == 'x' ? g_ascii_strtoull(end + 1, &end, 10) : 0;
    if (*end || w < 64 || h < 64 || w > 8192 || h > 8192 || (w % 2) || (h % 2))
      return failAt(error, path, g, "max-size",
                    " must be WIDTHxHEIGHT, even numbers from 64 to 8192, not \"" + size + "\"");
    t->max_width = static_cast<unsigned>(w);
    t->max_height = static_cast<unsigned>(h);
  }
  std::string why;
  if (g_key_file_has_key(kf, g, "cpu", nullptr) &&
      !parseCpuLimit(readString(kf, g, "cpu"), &t->cpu, &why))
    return failAt(error, path, g, "cpu", " " + why);
  if (needs_cpu && t->cpu <= 0)
    return fail(error, path,
                "[" + group +
                  "] needs cpu (the cores a session of it reserves): " + "[budget] cpu is set");
  return true;
}

/* [budget]: the host's CPU and memory budget for all sessions
 * (host-budget.h), completed from the per-session limits, and the tier
 * ladder (tier-ladder.h). */
bool readBudget(GKeyFile *kf, const Source &path, const Config &c, HostBudget *budget,
                std::vector<Tier> *tiers, GError **error)
{
  for (auto [key, cores] : {std::pair<const char *, double *>{"cpu", &budget->cpu},
                            {"session-cpu", &budget->session.cpu}}) {
    std::string raw = readString(kf, "budget", key);
    std::string why;
    if (g_key_file_has_key(kf, "budget", key, nullptr) && !parseCpuLimit(raw, cores, &why))
      return failAt(error, path, "budget", key, " " + why);
  }
  for (auto [key, size] : {std::pair<const char *, guint64 *>{"memory", &budget->memory},
                           {"session-memory", &budget->session.memory}}) {
    std::string raw = readString(kf, "budget", key);
    std::string why;
    if (g_key_file_has_key(kf, "budget", key, nullptr) && !parseByteSize(raw, size, &why))
      return failAt(error, path, "budget", key, " " + why);
  }
  if (g_key_file_has_key(kf, "budget", "downgrade", nullptr)) {
    g_autoptr(GError) e = nullptr;
    budget->downgrade = g_key_file_get_boolean(kf, "budget", "downgrade", &e);
    if (e)
      return failAt(error, path, "budget", "downgrade", " must be true or false");
  }
  if (!readUint(kf, path, "budget", "tier-window", 1, 600, &budget->tier_window_s, error))
    return false;
  g_auto(GStrv) names = g_strsplit_set(readString(kf, "budget", "tiers").c_str(), "; \t", -1);
  tiers->clear();
  for (char **n = names; *n; n++) {
    if (!**n)
      continue;
    Tier t;
    if (!readTier(kf, path, *n, budget->cpu > 0, &t, error))
      return false;
    tiers->push_back(t);
  }
  gsize ngroups = 0;
  g_auto(GStrv) groups = g_key_file_get_groups(kf, &ngroups);
  for (gsize i = 0; i < ngroups; i++)
    if (g_str_has_prefix(groups[i], "tier ") &&
        std::none_of(tiers->begin(), tiers->end(),
                     [&](const Tier &t) { return "tier " + t.name == groups[i]; }))
      return fail(error, path, std::string("[") + groups[i] + "] is not listed in [budget] tiers");
  /* Named tiers: the top one's reservation is what a session reserves. */
  if (!tiers->empty() && budget->session.cpu <= 0)
    budget->session.cpu = (*tiers)[0].cpu;
  std::string why;
  if (!settleBudget(budget, c.cpu_limit, c.memory_limit, &why))
    return fail(error, path, why);
  if (tiers->empty())
    *tiers = defaultLadder(budget->session.cpu);
  return true;
}

/* A secret given inline or in a file (a mounted Secret), not both. */
bool readSecret(GKeyFile *kf, const Source &path, const char *group, std::string *out,
                GError **error)
{
  *out = readString(kf, group, "secret");
  std::string file = readString(kf, group, "secret-file");
  if (file.empty())
    return true;
  if (!out->empty())
    return failAt(error, path, group, "secret-file", " and secret exclude each other");
  g_autofree char *text = nullptr;
  g_autoptr(GError) e = nullptr;
  if (!g_file_get_contents(file.c_str(), &text, nullptr, &e))
    return failAt(error, path, group, "secret-file", std::string(": ") + e->message);
  *out = g_strstrip(text);
  if (out->empty())
    return failAt(error, path, group, "secret-file", ": " + file + " is empty");
  return true;
}

/* [fleet], [node] and [door] (docs/fleet.md). */
bool readFleet(GKeyFile *kf, const Source &path, Config *c, GError **error)
{
  if (!readSecret(kf, path, "fleet", &c->fleet_secret, error))
    return false;
  if (!c->fleet_secret.empty() && c->fleet_secret.size() < 16)
    return failAt(error, path, "fleet", c->fleet_secret.empty() ? "secret-file" : "secret",
                  " must be at least 16 characters (e.g. `openssl rand -hex 32`)");
  c->node_id = readString(kf, "node", "id");
  if (!c->node_id.empty() &&
      (c->node_id.size() > 16 ||
       c->node_id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos))
    return failAt(error, path, "node", "id",
                  " must be 1 to 16 lower-case letters and digits, not "
                  " + c->node_id + "
                  "");
  c->node_url = readString(kf, "node", "url");
  auto isHttpUrl = [](const std::string &u) {
    return (g_str_has_prefix(u.c_str(), "http://") || g_str_has_prefix(u.c_str(), "https://")) &&
           g_uri_is_valid(u.c_str(), G_URI_FLAGS_NONE, nullptr);
  };
  if (!c->node_url.empty() && !isHttpUrl(c->node_url))
    return failAt(error, path, "node", "url", " must be an http:// or https:// URL");
  if (!g_key_file_has_group(kf, "door"))
    return true;
  g_auto(GStrv) nodes = g_strsplit_set(readString(kf, "door", "nodes").c_str(), "; \t,", -1);
  for (char **n = nodes; *n; n++) {
    std::string url = *n;
    if (url.empty())
      continue;
    while (url.size() > 1 && url.back() == '/')
      url.pop_back();
    if (!isHttpUrl(url))
      return failAt(error, path, "door", "nodes", ": \"" + url + "\" is not an http:// URL");
    c->door.nodes.push_back(url);
  }
  if (c->door.nodes.empty())
    return fail(error, path, "[door] needs nodes (the base URLs of the nodes' vdid)");
  std::string listen = readString(kf, "door", "listen");
  if (listen.empty() || !Config::parseListen(listen, &c->door.listen_address, &c->door.listen_port))
    return failAt(error, path, "door", "listen",
                  " must be ADDRESS:PORT (where users reach the door), not \"" + listen + "\"");
  if (c->fleet_secret.empty())
    return fail(error, path,
                "[door] needs [fleet] secret (the nodes must trust the door's sign-in)");
  if (std::string h = readString(kf, "door", "haproxy"); !h.empty())
    c->door.haproxy = h;
  unsigned poll = c->door.poll_ms, lost = c->door.lost_ms;
  if (!readUint(kf, path, "door", "poll-interval", 100, 60000, &poll, error) ||
      !readUint(kf, path, "door", "lost-after", 500, 600000, &lost, error))
    return false;
  if (lost < 2 * poll)
    return failAt(error, path, "door", "lost-after",
                  " must be at least twice poll-interval (" + std::to_string(poll) + " ms)");
  c->door.poll_ms = poll;
  c->door.lost_ms = lost;
  return true;
}

/* The web client served at /: $VDID_WEB_ROOT (set by `meson devenv` and the
 * tests to the built client), else the installed one. */
std::string defaultWebRoot()
{
  const char *env = g_getenv("VDID_WEB_ROOT");
  return env && env[0] ? env : VDID_WEB_DIR;
}

} // namespace

bool Config::parseListen(const std::string &value, std::string *address, unsigned *port)
{
  size_t colon = value.rfind(':');
  if (colon == std::string::npos)
    return false;
  std::string host = value.substr(0, colon);
  std::string p = value.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  char *end = nullptr;
  unsigned long n = strtoul(p.c_str(), &end, 10);
  if (p.empty() || *end || n > 65535)
    return false;
  *address = host.empty() ? "0.0.0.0" : host;
  *port = static_cast<unsigned>(n);
  return true;
}

bool Config::load(const std::string &path, Config *config, GError **error)
{
  g_autofree char *text = nullptr;
  gsize length = 0;
  GError *err = nullptr;
  if (!g_file_get_contents(path.c_str(), &text, &length, &err)) {
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_NOT_FOUND, "%s", err->message);
    g_error_free(err);
    return false;
  }
  return parse(std::string(text, length), path, config, error);
}

bool Config::parse(const std::string &text, const std::string &name, Config *config, GError **error)
{
  Source path{name, text};
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *err = nullptr;
  if (!g_key_file_load_from_data(kf, text.data(), text.size(), G_KEY_FILE_NONE, &err)) {
    g_set_error(error, err->domain, err->code, "%s: %s", name.c_str(), err->message);
    g_error_free(err);
    return false;
  }
  /* GKeyFile gives no value that is not UTF-8 (NULL instead): refuse such
   * a file at once rather than reading NULLs below. */
  if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr) ||
      text.find('\0') != std::string::npos)
    return fail(error, path, "the file is not UTF-8 text");

  gsize ngroups = 0;
  g_auto(GStrv) groups = g_key_file_get_groups(kf, &ngroups);
  for (gsize i = 0; i < ngroups; i++) {
    auto known = kKnownKeys.find(g_str_has_prefix(groups[i], "tier ") ? "tier NAME" : groups[i]);
    if (known == kKnownKeys.end())
      return fail(error, path, std::string("unknown group [") + groups[i] + "]");
    if (known->first == "users")
      continue;
    g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], nullptr, nullptr);
    for (char **k = keys; k && *k; k++)
      if (!known->second.count(*k))
        return fail(error, path, std::string("unknown key \"") + *k + "\" in [" + groups[i] + "]");
  }

  Config c;
  if (g_key_file_has_key(kf, "server", "listen", nullptr)) {
    g_autofree char *v = g_key_file_get_string(kf, "server", "listen", nullptr);
    if (!parseListen(v, &c.listen_address, &c.listen_port))
      return fail(error, path,
                  std::string("[server] listen must be ADDRESS:PORT, not \"") + v + "\"");
  }
  if (g_key_file_has_key(kf, "server", "tls-certificate", nullptr)) {
    g_autofree char *v = g_key_file_get_string(kf, "server", "tls-certificate", nullptr);
    c.tls_certificate = v;
  }
  if (g_key_file_has_key(kf, "server", "tls-key", nullptr)) {
    g_autofree char *v = g_key_file_get_string(kf, "server", "tls-key", nullptr);
    c.tls_key = v;
  }
  if (g_key_file_has_key(kf, "server", "web-root", nullptr)) {
    g_autofree char *v = g_key_file_get_string(kf, "server", "web-root", nullptr);
    c.web_root = v;
  } else {
    c.web_root = defaultWebRoot();
  }
  if (g_key_file_has_key(kf, "server", "srt-listen", nullptr)) {
    g_autofree char *v = g_key_file_get_string(kf, "server", "srt-listen", nullptr);
    if (!*g_strstrip(v))
      c.srt_address.clear();
    else if (!parseListen(v, &c.srt_address, &c.srt_port))
      return fail(error, path,
                  std::string("[server] srt-listen must be ADDRESS:PORT or empty, not \"") + v +
                    "\"");
  }
  if (g_key_file_has_key(kf, "server", "allowed-origins", nullptr)) {
    g_autofree char *v = g_key_file_get_string(kf, "server", "allowed-origins", nullptr);
    g_auto(GStrv) parts = g_strsplit_set(v, ", \t", -1);
    for (char **o = parts; *o; o++) {
      if (!**o)
        continue;
      bool ok = !strcmp(*o, "*") ||
                ((g_str_has_prefix(*o, "http://") || g_str_has_prefix(*o, "https://")) &&
                 !strchr(strchr(*o, ':') + 3, '/'));
      if (!ok)
        return fail(error, path,
                    std::string("[server] allowed-origins: \"") + *o +
                      "\" is not an origin (scheme://host[:port], or *)");
      c.allowed_origins.emplace_back(*o);
    }
  }
  {
    g_auto(GStrv) parts =
      g_strsplit_set(readString(kf, "server", "trusted-proxies").c_str(), ",; \t", -1);
    for (char **a = parts; *a; a++) {
      if (!**a)
        continue;
      if (!g_hostname_is_ip_address(*a))
        return failAt(error, path, "server", "trusted-proxies",
                      std::string(": \"") + *a + "\" is not an IP address");
      c.trusted_proxies.emplace_back(*a);
    }
  }
  if (!readUint(kf, path, "server", "request-timeout", 1, 3600, &c.request_timeout_s, error) ||
      !readUint(kf, path, "server", "max-connections-per-address", 1, 100000,
                &c.max_connections_per_address, error))
    return false;
  if (c.tls_certificate.empty() != c.tls_key.empty())
    return fail(error, path, "[server] tls-certificate and tls-key go together");

  if (g_key_file_has_key(kf, "auth", "admins", nullptr)) {
    gsize n = 0;
    g_auto(GStrv) admins = g_key_file_get_string_list(kf, "auth", "admins", &n, nullptr);
    for (gsize i = 0; i < n; i++)
      c.admins.emplace_back(g_strstrip(admins[i]));
  }
  unsigned v = 0;
  v = static_cast<unsigned>(c.cookie_lifetime.count());
  if (!readUint(kf, path, "auth", "cookie-lifetime", 60, 30 * 24 * 3600, &v, error))
    return false;
  c.cookie_lifetime = std::chrono::seconds(v);
  if (!readUint(kf, path, "auth", "max-failed-logins", 1, 1000, &c.max_failed_logins, error))
    return false;
  v = static_cast<unsigned>(c.failed_login_window.count());
  if (!readUint(kf, path, "auth", "failed-login-window", 1, 24 * 3600, &v, error))
    return false;
  c.failed_login_window = std::chrono::seconds(v);

  if (!readUsers(kf, path, &c.users, error) || !readUsersFile(kf, path, &c.users, error))
    return false;
  for (const auto &a : c.admins)
    if (!c.users.count(a))
      return fail(error, path, "[auth] admins names \"" + a + "\", who is not in [users]");

  if (!readUint(kf, path, "sessions", "max-sessions", 1, 10000, &c.max_sessions, error) ||
      !readUint(kf, path, "sessions", "max-sessions-per-user", 1, 10000, &c.max_sessions_per_user,
                error) ||
      !readUint(kf, path, "sessions", "pool-size", 0, 100, &c.pool_size, error) ||
      !readUint(kf, path, "sessions", "width", 64, 8192, &c.width, error) ||
      !readUint(kf, path, "sessions", "height", 64, 8192, &c.height, error) ||
      !readUint(kf, path, "sessions", "fps", 1, 240, &c.fps, error) ||
      !readUint(kf, path, "encoders", "max-hardware-sessions", 0, 1000, &c.max_hardware_sessions,
                error))
    return false;
  v = static_cast<unsigned>(c.idle_timeout.count());
  if (!readUint(kf, path, "sessions", "idle-timeout", 0, 7 * 24 * 3600, &v, error))
    return false;
  c.idle_timeout = std::chrono::seconds(v);
  if (g_key_file_has_key(kf, "sessions", "runtime-dir", nullptr)) {
    g_autofree char *dir = g_key_file_get_string(kf, "sessions", "runtime-dir", nullptr);
    if (!g_path_is_absolute(dir))
      return fail(error, path, "[sessions] runtime-dir must be an absolute path");
    c.runtime_dir = dir;
  }
  for (auto [key, value] : {std::pair<const char *, bool *>{"stream", &c.stream},
                            {"hls", &c.hls},
                            {"audio", &c.audio}}) {
    if (!g_key_file_has_key(kf, "sessions", key, nullptr))
      continue;
    g_autoptr(GError) e = nullptr;
    *value = g_key_file_get_boolean(kf, "sessions", key, &e);
    if (e)
      return fail(error, path, std::string("[sessions] ") + key + " must be true or false");
  }
  if (g_key_file_has_key(kf, "sessions", "pool-users", nullptr)) {
    gsize n = 0;
    g_auto(GStrv) names = g_key_file_get_string_list(kf, "sessions", "pool-users", &n, nullptr);
    for (gsize i = 0; i < n; i++) {
      std::string name = g_strstrip(names[i]);
      if (name.empty())
        continue;
      if (!c.users.count(name))
        return fail(error, path,
                    "[sessions] pool-users names \"" + name + "\", who is not in [users]");
      c.pool_users.push_back(name);
    }
  }
  if (g_key_file_has_key(kf, "sessions", "cpu-limit", nullptr)) {
    g_autofree char *raw = g_key_file_get_string(kf, "sessions", "cpu-limit", nullptr);
    std::string message;
    if (!parseCpuLimit(raw ? raw : "", &c.cpu_limit, &message))
      return failAt(error, path, "sessions", "cpu-limit", " " + message);
  }
  if (g_key_file_has_key(kf, "sessions", "memory-limit", nullptr)) {
    g_autofree char *raw = g_key_file_get_string(kf, "sessions", "memory-limit", nullptr);
    std::string message;
    if (!parseByteSize(raw ? raw : "", &c.memory_limit, &message))
      return failAt(error, path, "sessions", "memory-limit", " " + message);
  }
  if (g_key_file_has_key(kf, "sessions", "pids-limit", nullptr)) {
    g_autofree char *raw = g_key_file_get_string(kf, "sessions", "pids-limit", nullptr);
    std::string message;
    if (!parsePidsLimit(raw ? raw : "", &c.pids_limit, &message))
      return failAt(error, path, "sessions", "pids-limit", " " + message);
  }
  if (!readBudget(kf, path, c, &c.budget, &c.tiers, error))
    return false;
  if (g_key_file_has_key(kf, "sessions", "compositor", nullptr)) {
    g_autofree char *comp = g_key_file_get_string(kf, "sessions", "compositor", nullptr);
    std::string message;
    if (!validCompositorSetting(comp ? comp : "", &message))
      return fail(error, path, message);
    c.compositor = comp;
  }
  if (!readWebrtc(kf, path, &c.ice, error) || !readFleet(kf, path, &c, error))
    return false;
  if (g_key_file_has_key(kf, "dbus", "bus", nullptr)) {
    g_autofree char *raw = g_key_file_get_string(kf, "dbus", "bus", nullptr);
    std::string bus = raw ? g_strstrip(raw) : "";
    if (bus != "system" && bus != "none" && !g_dbus_is_address(bus.c_str()))
      return fail(error, path,
                  "[dbus] bus must be \"system\", \"none\" or a D-Bus address (unix:path=...)");
    c.dbus_bus = bus;
  }
  if (g_key_file_has_key(kf, "dbus", "required", nullptr)) {
    g_autoptr(GError) e = nullptr;
    c.dbus_required = g_key_file_get_boolean(kf, "dbus", "required", &e);
    if (e)
      return fail(error, path, "[dbus] required must be true or false");
    if (c.dbus_required && c.dbus_bus == "none")
      return fail(error, path, "[dbus] required=true needs a bus (bus is \"none\")");
  }

  *config = std::move(c);
  return true;
}

Config Config::embeddedDefault(const std::string &user)
{
  Config c;
  c.embedded_default = true;
  c.web_root = defaultWebRoot();
  c.demo_user = user;
  c.demo_password = randomToken().substr(0, 16);
  c.users[user] = hashPassword(c.demo_password);
  c.admins = {user};
  c.max_sessions = 4;
  c.max_sessions_per_user = 4;
  return c;
}

} // namespace vdid
