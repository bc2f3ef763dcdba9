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
  };

  explicit Auth(Options options);

  /* Basic credentials. Counts failures per @address. */
  enum class Result { Ok, BadCredentials, RateLimited };
  Result checkPassword(const std::string &address, const std::string &user,
                       const std::string &password, Identity *identity);

  /* Parses an `Authorization: Basic ...` header value into user/password. */
  static bool parseBasic(const std::string &header, std::string *user, std::string *password);

  /* Login cookies. */
  std::string createCookie(const std::string &user);
  std::optional<Identity> checkCookie(const std::string &cookie);
  void revokeCookie(const std::string &cookie);

  /* Share tokens, for one session and one role, until @expiry. */
  std::string createShare(const std::string &session, Role role, std::chrono::seconds lifetime);
  std::optional<Identity> checkShare(const std::string &token);
  void revokeSharesOf(const std::string &session);
  /* Revokes share @token of @session; false if it is not one (or expired). */
  bool revokeShare(const std::string &session, const std::string &token);

  bool isAdmin(const std::string &user) const;
  bool hasUser(const std::string &user) const;

  /* For tests: pretend time passed. */
  void advanceClockForTesting(std::chrono::seconds by) { offset_ += by; }

private:
  Clock::time_point now() const { return Clock::now() + offset_; }
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
  std::map<std::string, std::vector<Clock::time_point>> failures_;
  std::chrono::seconds offset_{0};
};

} // namespace vdid
