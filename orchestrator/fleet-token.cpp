/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fleet-token.h"

#include "auth.h"

#include <glib.h>

#include <algorithm>
#include <vector>

namespace vdid {

namespace {

constexpr const char *kPrefix = "vdf1.";

std::string base64url(const guint8 *data, size_t len)
{
  g_autofree char *b64 = g_base64_encode(data, len);
  std::string s = b64;
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  s.erase(std::remove(s.begin(), s.end(), '='), s.end());
  return s;
}

std::optional<std::string> unbase64url(std::string s)
{
  if (s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
      std::string::npos)
    return std::nullopt;
  std::replace(s.begin(), s.end(), '-', '+');
  std::replace(s.begin(), s.end(), '_', '/');
  while (s.size() % 4)
    s += '=';
  gsize len = 0;
  g_autofree guchar *raw = g_base64_decode(s.c_str(), &len);
  return std::string(reinterpret_cast<const char *>(raw), len);
}

std::string mac(const std::string &secret, const std::string &text)
{
  g_autoptr(GHmac) h =
    g_hmac_new(G_CHECKSUM_SHA256, reinterpret_cast<const guchar *>(secret.data()), secret.size());
  g_hmac_update(h, reinterpret_cast<const guchar *>(text.data()), static_cast<gssize>(text.size()));
  guint8 digest[32];
  gsize len = sizeof digest;
  g_hmac_get_digest(h, digest, &len);
  return base64url(digest, len);
}

std::vector<std::string> split(const std::string &s, char sep)
{
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos)
      return out;
    start = end + 1;
  }
}

} // namespace

bool isFleetToken(const std::string &token)
{
  return token.rfind(kPrefix, 0) == 0;
}

std::string signFleetToken(const std::string &secret, const FleetClaim &claim)
{
  std::string body =
    std::string(kPrefix) + (claim.kind == FleetTokenKind::Door ? "door" : "user") + "." +
    base64url(reinterpret_cast<const guint8 *>(claim.user.data()), claim.user.size()) + "." +
    std::to_string(claim.expiry);
  return body + "." + mac(secret, body);
}

std::optional<FleetClaim> verifyFleetToken(const std::string &secret, const std::string &token,
                                           int64_t now)
{
  if (secret.empty() || !isFleetToken(token) || token.size() > 1024)
    return std::nullopt;
  size_t last = token.rfind('.');
  std::string body = token.substr(0, last);
  if (!secureEquals(mac(secret, body), token.substr(last + 1)))
    return std::nullopt;
  /* vdf1 . KIND . USER . EXPIRY */
  auto parts = split(body, '.');
  if (parts.size() != 4 || (parts[1] != "user" && parts[1] != "door"))
    return std::nullopt;
  FleetClaim claim;
  claim.kind = parts[1] == "door" ? FleetTokenKind::Door : FleetTokenKind::User;
  auto user = unbase64url(parts[2]);
  char *end = nullptr;
  claim.expiry = g_ascii_strtoll(parts[3].c_str(), &end, 10);
  if (!user || parts[3].empty() || *end || claim.expiry < now)
    return std::nullopt;
  claim.user = *user;
  if ((claim.kind == FleetTokenKind::User) == claim.user.empty())
    return std::nullopt;
  return claim;
}

} // namespace vdid
