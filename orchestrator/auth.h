/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid authentication: crypt(3) password hashes (libxcrypt, yescrypt `$y$`
 * and sha512crypt `$6$` accepted), login cookies, share tokens and a
 * per-address limit on failed logins. Secrets are compared in constant time
 * and never logged.
 */

#pragma once

#include <glib.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace vdid {

/* A new crypt(3) hash of @password: yescrypt, random salt. Empty on failure. */
std::string hashPassword(const std::string &password);

/* Whether @password matches @hash. Only `$y$` and `$6$` hashes are accepted
 * (older schemes are refused, not silently trusted). Constant time in the
 * comparison of the computed hash. */
bool verifyPassword(const std::string &hash, const std::string &password);

/* Whether @hash is a hash vdid accepts (for config validation). */
bool isSupportedHash(const std::string &hash);

/* Constant-time string equality. */
bool secureEquals(const std::string &a, const std::string &b);

/* 32 random bytes, base64url without padding. */
std::string randomToken();

enum class Role { View, Control };
const char *roleName(Role role);
std::optional<Role> roleFromName(const std::string &name);

struct Identity {
  std::string user; /* the vdid user, empty for a share token */
  bool admin = false;
  /* Set when authenticated by a share token: only this session, this role. */
  std::string share_session;
  Role share_role = Role::View;
  /* The fleet's front door, by a fleet token (fleet-token.h): it may read
   * the node report (GET /api/v1/node) and nothing else. */
  bool door = false;
  bool isShare() const { return !share_session.empty(); }
};

class Auth
{
public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::map<std::string, std::string> users; /* name -> crypt hash */
    std::vector<std::string> admins;
    std::chrono::seconds cookie_lifetime{12 * 3600};
    /* Failed logins allowed per address within the window, then 429. */
    unsigned max_failures = 5;
    std::chrono::seconds failure_window{60};
    /* [fleet] secret: login cookies become fleet tokens every vdid with the
     * same secret trusts (fleet-token.h); empty: cookies of this vdid only. */
    std::string fleet_secret;
    /* "NODE-" behind a front door: share tokens start with it, so that the
     * door's proxy routes requests bearing one to this node. */
    std::string share_prefix;
  };

  explicit Auth(Options options);

  /* Basic credentials. Counts failures per @address. */
  enum class Result { Ok, BadCredentials, RateLimited };
  Result checkPassword(const std::string &address, const std::string &user,
                       const std::string &password, Identity *identity);

  /* Parses an `Authorization: Basic ...` header value into user/password. */
  static bool parseBasic(const std::string &header, std::string *user, std::string *password);

  /* Login cookies (fleet tokens when the fleet secret is set: then a
   * revoked one is refused here only, other vdids take it until it
   * expires). */
  std::string createCookie(const std::string &user);
  std::optional<Identity> checkCookie(const std::string &cookie);
  void revokeCookie(const std::string &cookie);

  /* Share tokens, for one session and one role, until @expiry. */
  std::string createShare(const std::string &session, Role role, std::chrono::seconds lifetime);
  std::optional<Identity> checkShare(const std::string &token);
  void revokeSharesOf(const std::string &session);
  /* Revokes share @token of @session; false if it is not one (or expired). */
  bool revokeShare(const std::string &session, const std::string &token);

  /* Fleet tokens for the front door's own requests to its nodes: as the
   * door, or on behalf of @user; empty without a fleet secret. */
  std::string doorToken(std::chrono::seconds lifetime) const;
  std::string userToken(const std::string &user, std::chrono::seconds lifetime) const;
  bool fleet() const { return !options_.fleet_secret.empty(); }

  bool isAdmin(const std::string &user) const;
  bool hasUser(const std::string &user) const;

  /* For tests: pretend time passed. */
  void advanceClockForTesting(std::chrono::seconds by) { offset_ += by; }

private:
  Clock::time_point now() const { return Clock::now() + offset_; }
  /* Unix seconds, for fleet tokens (other vdids read their expiry). */
  int64_t unixNow() const { return g_get_real_time() / G_USEC_PER_SEC + offset_.count(); }
  bool rateLimited(const std::string &address);
  void recordFailure(const std::string &address);

  Options options_;
  std::mutex lock_;
  struct Cookie {
    std::string user;
    Clock::time_point expiry;
  };
  struct Share {
    std::string session;
    Role role;
    Clock::time_point expiry;
  };
  std::map<std::string, Cookie> cookies_;
  std::map<std::string, Share> shares_;
  /* Fleet-token cookies logged out here, by key, until they expire. */
  std::map<std::string, int64_t> revoked_;
  std::map<std::string, std::vector<Clock::time_point>> failures_;
  std::chrono::seconds offset_{0};
};

} // namespace vdid
