/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "ice-servers.h"

#include "json.h"

#include <glib.h>

namespace vdid {

namespace {

bool refuse(std::string *why, const std::string &text)
{
  if (why)
    *why = text;
  return false;
}

bool isHostChar(char c)
{
  return g_ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
}

/* A quoted-string of an HTTP header parameter. */
std::string quoted(const std::string &v)
{
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string escaped(const std::string &v)
{
  g_autofree char *e = g_uri_escape_string(v.c_str(), nullptr, FALSE);
  return e;
}

} // namespace

bool IceUri::parse(const std::string &text, IceUri *out, std::string *why)
{
  IceUri u;
  size_t colon = text.find(':');
  if (colon == std::string::npos)
    return refuse(why, "\"" + text + "\" is not a stun:, turn: or turns: URI");
  u.scheme = text.substr(0, colon);
  if (u.scheme != "stun" && u.scheme != "turn" && u.scheme != "turns")
    return refuse(why, "\"" + text + "\" has scheme \"" + u.scheme +
                         "\"; use stun:, turn: or turns: (RFC 7064, RFC 7065)");
  std::string rest = text.substr(colon + 1);
  /* webrtcbin writes "stun://host": take it too. */
  if (rest.rfind("//", 0) == 0)
    rest = rest.substr(2);
  if (rest.find('@') != std::string::npos)
    return refuse(why, "\"" + text +
                         "\" has credentials in it; put them in turn-secret, or turn-username "
                         "and turn-password");
  std::string query;
  size_t q = rest.find('?');
  if (q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  std::string port;
  bool has_port = false;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos)
      return refuse(why, "\"" + text + "\" has an IPv6 address without its closing ]");
    u.host = rest.substr(1, close - 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty() && after[0] != ':')
      return refuse(why, "\"" + text + "\" has something after the IPv6 address");
    has_port = !after.empty();
    if (has_port)
      port = after.substr(1);
    if (u.host.empty() || u.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
      return refuse(why, "\"" + text + "\" has a malformed IPv6 address");
  } else {
    size_t pc = rest.find(':');
    u.host = rest.substr(0, pc);
    has_port = pc != std::string::npos;
    if (has_port)
      port = rest.substr(pc + 1);
    if (u.host.empty())
      return refuse(why, "\"" + text + "\" names no host");
    for (char c : u.host)
      if (!isHostChar(c))
        return refuse(why, "\"" + text + "\" has a malformed host name");
  }
  u.port = u.scheme == "turns" ? 5349 : 3478;
  if (has_port) {
    char *end = nullptr;
    guint64 p = g_ascii_strtoull(port.c_str(), &end, 10);
    if (port.empty() || *end || p < 1 || p > 65535)
      return refuse(why, "\"" + text + "\" has port \"" + port + "\"; a port is 1 to 65535");
    u.port = static_cast<unsigned>(p);
  }
  if (!query.empty()) {
    if (u.scheme == "stun")
      return refuse(why, "\"" + text + "\": a stun: URI takes no ?transport");
    if (query == "transport=udp")
      u.transport = "udp";
    else if (query == "transport=tcp")
      u.transport = "tcp";
    else
      return refuse(why, "\"" + text + "\" has \"?" + query +
                           "\"; only ?transport=udp or ?transport=tcp is known");
    if (u.scheme == "turns" && u.transport == "udp")
      return refuse(why, "\"" + text + "\": turns: runs over TLS, use ?transport=tcp");
  }
  *out = std::move(u);
  return true;
}

std::string IceUri::text() const
{
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string out = scheme + ":" + h + ":" + std::to_string(port);
  if (!transport.empty())
    out += "?transport=" + transport;
  return out;
}

std::string IceUri::webrtcbin(const std::string &user, const std::string &password) const
{
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string auth;
  if (scheme != "stun")
    auth = escaped(user) + ":" + escaped(password) + "@";
  std::string out = scheme + "://" + auth + h + ":" + std::to_string(port);
  if (!transport.empty())
    out += "?transport=" + transport;
  return out;
}

bool IceSettings::validate(std::string *why) const
{
  bool has_static = !username.empty() || !password.empty();
  if (!turn.empty() && secret.empty() && !has_static)
    return refuse(why, "turn-servers needs turn-secret (coturn use-auth-secret), or "
                       "turn-username and turn-password");
  if (!secret.empty() && has_static)
    return refuse(why, "turn-secret and turn-username/turn-password exclude each other");
  if (has_static && (username.empty() || password.empty()))
    return refuse(why, "turn-username and turn-password go together");
  if ((!secret.empty() || has_static) && turn.empty())
    return refuse(why, "TURN credentials are set but turn-servers is empty");
  for (const auto &u : stun)
    if (u.scheme != "stun")
      return refuse(why, "stun-servers lists \"" + u.text() + "\", which is not a stun: URI");
  for (const auto &u : turn)
    if (u.scheme == "stun")
      return refuse(why, "turn-servers lists \"" + u.text() + "\", a stun: URI; use stun-servers");
  return true;
}

TurnCredential mintTurnCredential(const std::string &secret, const std::string &user, int64_t now,
                                  std::chrono::seconds lifetime)
{
  TurnCredential c;
  c.expires = now + lifetime.count();
  c.username = std::to_string(c.expires) + ":" + user;
  g_autoptr(GHmac) hmac =
    g_hmac_new(G_CHECKSUM_SHA1, reinterpret_cast<const guchar *>(secret.data()), secret.size());
  g_hmac_update(hmac, reinterpret_cast<const guchar *>(c.username.data()), c.username.size());
  guint8 digest[20];
  gsize len = sizeof(digest);
  g_hmac_get_digest(hmac, digest, &len);
  g_autofree char *b64 = g_base64_encode(digest, len);
  c.password = b64;
  return c;
}

TurnCredential IceServers::credentialFor(const std::string &user, int64_t now) const
{
  if (settings_.turn.empty())
    return {};
  if (!settings_.secret.empty())
    return mintTurnCredential(settings_.secret, user.empty() ? "viewer" : user, now,
                              settings_.lifetime);
  return {settings_.username, settings_.password, 0};
}

std::string IceServers::rtcConfiguration(const TurnCredential &c) const
{
  vdi::json::Writer w;
  w.begin().beginArray("iceServers");
  if (!settings_.stun.empty()) {
    w.begin().beginArray("urls");
    for (const auto &u : settings_.stun)
      w.value(u.text());
    w.endArray().end();
  }
  if (!settings_.turn.empty()) {
    w.begin().beginArray("urls");
    for (const auto &u : settings_.turn)
      w.value(u.text());
    w.endArray().set("username", c.username).set("credential", c.password).end();
  }
  w.endArray();
  if (c.expires)
    w.set("expires", static_cast<int64_t>(c.expires));
  w.end();
  return w.text();
}

std::vector<std::string> IceServers::linkHeaders(const TurnCredential &c) const
{
  std::vector<std::string> out;
  for (const auto &u : settings_.stun)
    out.push_back("<" + u.text() + ">; rel=\"ice-server\"");
  for (const auto &u : settings_.turn)
    out.push_back("<" + u.text() + ">; rel=\"ice-server\"; username=" + quoted(c.username) +
                  "; credential=" + quoted(c.password) + "; credential-type=\"password\"");
  return out;
}

std::string IceServers::webrtcbinStun() const
{
  /* webrtcbin takes one STUN server: the first. */
  return settings_.stun.empty() ? "" : settings_.stun.front().webrtcbin();
}

std::vector<std::string> IceServers::webrtcbinTurn(const TurnCredential &c) const
{
  std::vector<std::string> out;
  for (const auto &u : settings_.turn)
    out.push_back(u.webrtcbin(c.username, c.password));
  return out;
}

void IceServers::addWorkerMembers(JsonBuilder *b, const TurnCredential &c) const
{
  if (empty())
    return;
  json_builder_set_member_name(b, "stun-server");
  json_builder_add_string_value(b, webrtcbinStun().c_str());
  json_builder_set_member_name(b, "turn-servers");
  json_builder_begin_array(b);
  for (const auto &t : webrtcbinTurn(c))
    json_builder_add_string_value(b, t.c_str());
  json_builder_end_array(b);
}

} // namespace vdid
