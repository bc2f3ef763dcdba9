/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "auth.h"

#include "fleet-token.h"

#include <glib.h>

#include <algorithm>
#include <cerrno>
#include <crypt.h>
#include <cstring>
#include <memory>
#include <sys/random.h>

namespace vdid {

namespace {

/* Tokens are looked up by their SHA-256, so that a map lookup's timing says
 * nothing about the secret itself. */
std::string tokenKey(const std::string &token)
{
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token.c_str(),
                                                       static_cast<gssize>(token.size()));
  return sum;
}

} // namespace

bool secureEquals(const std::string &a, const std::string &b)
{
  /* Length is not secret for hashes and tokens of fixed format. */
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); i++)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool isSupportedHash(const std::string &hash)
{
  if (!(g_str_has_prefix(hash.c_str(), "$y$") || g_str_has_prefix(hash.c_str(), "$6$")))
    return false;
  return crypt_checksalt(hash.c_str()) == CRYPT_SALT_OK;
}

std::string hashPassword(const std::string &password)
{
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$y$", 0, nullptr, 0, salt, sizeof(salt)))
    return "";
  auto data = std::make_unique<crypt_data>();
  const char *out = crypt_r(password.c_str(), salt, data.get());
  if (!out || out[0] == '*')
    return "";
  return out;
}

bool verifyPassword(const std::string &hash, const std::string &password)
{
  if (!isSupportedHash(hash))
    return false;
  auto data = std::make_unique<crypt_data>();
  const char *out = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (!out || out[0] == '*')
    return false;
  bool ok = secureEquals(out, hash);
  explicit_bzero(data.get(), sizeof(crypt_data));
  return ok;
}

std::string randomToken()
{
  guint8 bytes[32];
  /* g_random is not a CSPRNG: ask the kernel. */
  if (getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes)))
    g_error("getrandom failed: %s", g_strerror(errno));
  g_autofree char *b64 = g_base64_encode(bytes, sizeof(bytes));
  std::string s = b64;
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  s.erase(std::remove(s.begin(), s.end(), '='), s.end());
  return s;
}

const char *roleName(Role role)
{
  return role == Role::Control ? "control" : "view";
}

std::optional<Role> roleFromName(const std::string &name)
{
  if (name == "view")
    return Role::View;
  if (name == "control")
    return Role::Control;
  return std::nullopt;
}

Auth::Auth(Options options) : options_(std::move(options)) {}

bool Auth::isAdmin(const std::string &user) const
{
  return std::find(options_.admins.begin(), options_.admins.end(), user) != options_.admins.end();
}

bool Auth::hasUser(const std::string &user) const
{
  return options_.users.count(user) > 0;
}

bool Auth::rateLimited(const std::string &address)
{
  auto &list = failures_[address];
  auto cutoff = now() - options_.failure_window;
  list.erase(std::remove_if(list.begin(), list.end(), [cutoff](auto t) { return t < cutoff; }),
             list.end());
  return list.size() >= options_.max_failures;
}

void Auth::recordFailure(const std::string &address)
{
  failures_[address].push_back(now());
}

Auth::Result Auth::checkPassword(const std::string &address, const std::string &user,
                                 const std::string &password, Identity *identity)
{
  std::string hash;
  {
    std::lock_guard<std::mutex> locker(lock_);
    if (rateLimited(address))
      return Result::RateLimited;
    auto it = options_.users.find(user);
    if (it != options_.users.end())
      hash = it->second;
  }
  /* Unknown users cost a hash too, so that timing does not tell them apart. */
  static const std::string dummy = hashPassword("gst-vdi-dummy-password");
  bool ok = verifyPassword(hash.empty() ? dummy : hash, password) && !hash.empty();
  std::lock_guard<std::mutex> locker(lock_);
  if (!ok) {
    recordFailure(address);
    return Result::BadCredentials;
  }
  if (identity) {
    identity->user = user;
    identity->admin = isAdmin(user);
  }
  return Result::Ok;
}

bool Auth::parseBasic(const std::string &header, std::string *user, std::string *password)
{
  static const char prefix[] = "Basic ";
  if (g_ascii_strncasecmp(header.c_str(), prefix, strlen(prefix)) != 0)
    return false;
  gsize len = 0;
  g_autofree guchar *raw = g_base64_decode(header.c_str() + strlen(prefix), &len);
  if (!raw || len == 0)
    return false;
  std::string decoded(reinterpret_cast<char *>(raw), len);
  explicit_bzero(raw, len);
  size_t colon = decoded.find(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

std::string Auth::createCookie(const std::string &user)
{
  if (fleet())
    return userToken(user, options_.cookie_lifetime);
  std::string token = randomToken();
  std::lock_guard<std::mutex> locker(lock_);
  cookies_[tokenKey(token)] = {user, now() + options_.cookie_lifetime};
  return token;
}

std::optional<Identity> Auth::checkCookie(const std::string &cookie)
{
  std::lock_guard<std::mutex> locker(lock_);
  if (isFleetToken(cookie)) {
    int64_t now = unixNow();
    auto claim = verifyFleetToken(options_.fleet_secret, cookie, now);
    for (auto it = revoked_.begin(); it != revoked_.end();)
      it = it->second < now ? revoked_.erase(it) : std::next(it);
    if (!claim || revoked_.count(tokenKey(cookie)))
      return std::nullopt;
    Identity id;
    if (claim->kind == FleetTokenKind::Door) {
      id.door = true;
      return id;
    }
    if (!hasUser(claim->user))
      return std::nullopt;
    id.user = claim->user;
    id.admin = isAdmin(id.user);
    return id;
  }
  auto it = cookies_.find(tokenKey(cookie));
  if (it == cookies_.end())
    return std::nullopt;
  if (it->second.expiry < now() || !hasUser(it->second.user)) {
    cookies_.erase(it);
    return std::nullopt;
  }
  Identity id;
  id.user = it->second.user;
  id.admin = isAdmin(id.user);
  return id;
}

void Auth::revokeCookie(const std::string &cookie)
{
  std::lock_guard<std::mutex> locker(lock_);
  if (isFleetToken(cookie)) {
    if (auto claim = verifyFleetToken(options_.fleet_secret, cookie, unixNow()))
      revoked_[tokenKey(cookie)] = claim->expiry;
    return;
  }
  cookies_.erase(tokenKey(cookie));
}

std::string Auth::doorToken(std::chrono::seconds lifetime) const
{
  if (!fleet())
    return "";
  return signFleetToken(options_.fleet_secret,
                        {FleetTokenKind::Door, "", unixNow() + lifetime.count()});
}

std::string Auth::userToken(const std::string &user, std::chrono::seconds lifetime) const
{
  if (!fleet())
    return "";
  return signFleetToken(options_.fleet_secret,
                        {FleetTokenKind::User, user, unixNow() + lifetime.count()});
}

std::string Auth::createShare(const std::string &session, Role role, std::chrono::seconds lifetime)
{
  std::string token = options_.share_prefix + randomToken();
  std::lock_guard<std::mutex> locker(lock_);
  shares_[tokenKey(token)] = {session, role, now() + lifetime};
  return token;
}

std::optional<Identity> Auth::checkShare(const std::string &token)
{
  std::lock_guard<std::mutex> locker(lock_);
  auto it = shares_.find(tokenKey(token));
  if (it == shares_.end())
    return std::nullopt;
  if (it->second.expiry < now()) {
    shares_.erase(it);
    return std::nullopt;
  }
  Identity id;
  id.share_session = it->second.session;
  id.share_role = it->second.role;
  return id;
}

bool Auth::revokeShare(const std::string &session, const std::string &token)
{
  std::lock_guard<std::mutex> locker(lock_);
  auto it = shares_.find(tokenKey(token));
  if (it == shares_.end() || it->second.session != session)
    return false;
  bool live = it->second.expiry > now();
  shares_.erase(it);
  return live;
}

void Auth::revokeSharesOf(const std::string &session)
{
  std::lock_guard<std::mutex> locker(lock_);
  for (auto it = shares_.begin(); it != shares_.end();) {
    if (it->second.session == session)
      it = shares_.erase(it);
    else
      ++it;
  }
}

} // namespace vdid
