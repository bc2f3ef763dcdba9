/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "auth.h"
#include "config.h"
#include "metrics.h"
#include "test-util.h"
#include "vdid-config-util.h"

#include <crypt.h>
#include <fstream>
#include <memory>

using namespace vdid;

namespace {

std::string sha512crypt(const std::string &password)
{
  auto data = std::make_unique<crypt_data>();
  return crypt_r(password.c_str(), "$6$saltsaltsalt$", data.get());
}

} // namespace

TEST_CASE("yescrypt and sha512crypt hashes verify, others are refused", "[vdid][auth]")
{
  std::string y = hashPassword("correct horse");
  REQUIRE(g_str_has_prefix(y.c_str(), "$y$"));
  CHECK(verifyPassword(y, "correct horse"));
  CHECK_FALSE(verifyPassword(y, "correct horsE"));
  CHECK_FALSE(verifyPassword(y, ""));

  std::string six = sha512crypt("battery staple");
  REQUIRE(g_str_has_prefix(six.c_str(), "$6$"));
  CHECK(verifyPassword(six, "battery staple"));
  CHECK_FALSE(verifyPassword(six, "battery"));

  /* MD5-crypt and DES are not trusted even when they match. */
  auto data = std::make_unique<crypt_data>();
  std::string md5 = crypt_r("pw", "$1$abcdefgh$", data.get());
  CHECK_FALSE(isSupportedHash(md5));
  CHECK_FALSE(verifyPassword(md5, "pw"));
  CHECK_FALSE(verifyPassword("", ""));
  CHECK_FALSE(verifyPassword("plaintext", "plaintext"));
}

TEST_CASE("failed logins are limited per address", "[vdid][auth]")
{
  Auth::Options opts;
  opts.users["alice"] = hashPassword("a-pass");
  opts.max_failures = 3;
  Auth auth(opts);
  Identity id;
  for (int i = 0; i < 3; i++)
    CHECK(auth.checkPassword("10.0.0.1", "alice", "wrong", &id) == Auth::Result::BadCredentials);
  /* Even the right password is refused while limited... */
  CHECK(auth.checkPassword("10.0.0.1", "alice", "a-pass", &id) == Auth::Result::RateLimited);
  /* ...but only for that address. */
  CHECK(auth.checkPassword("10.0.0.2", "alice", "a-pass", &id) == Auth::Result::Ok);
  CHECK(id.user == "alice");
  auth.advanceClockForTesting(std::chrono::seconds(61));
  CHECK(auth.checkPassword("10.0.0.1", "alice", "a-pass", &id) == Auth::Result::Ok);
  /* Unknown users fail like wrong passwords. */
  CHECK(auth.checkPassword("10.0.0.3", "mallory", "x", &id) == Auth::Result::BadCredentials);
}

TEST_CASE("cookies and share tokens expire and are scoped", "[vdid][auth]")
{
  Auth::Options opts;
  opts.users["alice"] = hashPassword("a");
  opts.admins = {"alice"};
  opts.cookie_lifetime = std::chrono::seconds(100);
  Auth auth(opts);

  std::string cookie = auth.createCookie("alice");
  auto id = auth.checkCookie(cookie);
  REQUIRE(id);
  CHECK(id->user == "alice");
  CHECK(id->admin);
  CHECK_FALSE(auth.checkCookie(cookie + "x"));
  CHECK_FALSE(auth.checkCookie(""));

  std::string share = auth.createShare("s1", Role::View, std::chrono::seconds(30));
  auto sid = auth.checkShare(share);
  REQUIRE(sid);
  CHECK(sid->isShare());
  CHECK(sid->share_session == "s1");
  CHECK(sid->share_role == Role::View);
  CHECK(sid->user.empty());

  auth.advanceClockForTesting(std::chrono::seconds(31));
  CHECK_FALSE(auth.checkShare(share));
  CHECK(auth.checkCookie(cookie));
  auth.advanceClockForTesting(std::chrono::seconds(70));
  CHECK_FALSE(auth.checkCookie(cookie));

  std::string c2 = auth.createCookie("alice");
  auth.revokeCookie(c2);
  CHECK_FALSE(auth.checkCookie(c2));
}

TEST_CASE("a share token is revoked only through its own session", "[vdid][auth]")
{
  Auth auth(Auth::Options{});
  std::string a = auth.createShare("s1", Role::Control, std::chrono::seconds(30));
  std::string b = auth.createShare("s1", Role::View, std::chrono::seconds(30));
  CHECK_FALSE(auth.revokeShare("s2", a));
  CHECK(auth.checkShare(a));
  CHECK(auth.revokeShare("s1", a));
  CHECK_FALSE(auth.checkShare(a));
  CHECK_FALSE(auth.revokeShare("s1", a));
  CHECK(auth.checkShare(b));
  /* An expired token is gone: nothing to revoke. */
  auth.advanceClockForTesting(std::chrono::seconds(31));
  CHECK_FALSE(auth.revokeShare("s1", b));
}

TEST_CASE("Basic credentials parse", "[vdid][auth]")
{
  std::string user, password;
  CHECK(Auth::parseBasic("Basic YWxpY2U6c2VjcmV0OndpdGg6Y29sb25z", &user, &password));
  CHECK(user == "alice");
  CHECK(password == "secret:with:colons");
  CHECK_FALSE(Auth::parseBasic("Bearer abc", &user, &password));
  CHECK_FALSE(Auth::parseBasic("Basic !!!", &user, &password));
  CHECK_FALSE(Auth::parseBasic("Basic OnBhc3N3b3Jk", &user, &password)); /* ":password" */
}

TEST_CASE("secure comparison and tokens", "[vdid][auth]")
{
  CHECK(secureEquals("abc", "abc"));
  CHECK_FALSE(secureEquals("abc", "abd"));
  CHECK_FALSE(secureEquals("abc", "ab"));
  std::string a = randomToken(), b = randomToken();
  CHECK(a.size() == 43);
  CHECK(a != b);
  CHECK(a.find_first_of("+/=") == std::string::npos);
}

using vdi::test::writeConfig;

TEST_CASE("the config file is validated with messages naming the key", "[vdid][config]")
{
  std::string hash = hashPassword("pw");
  std::string good =
    writeConfig("[server]\nlisten=127.0.0.1:9000\n[auth]\nadmins=root\n"
                "[users]\nroot=" +
                hash + "\nbob=" + hash + "\n[sessions]\nmax-sessions=7\nidle-timeout=0\n");
  Config c;
  GError *error = nullptr;
  REQUIRE(Config::load(good, &c, &error));
  CHECK(c.listen_address == "127.0.0.1");
  CHECK(c.listen_port == 9000);
  CHECK(c.users.size() == 2);
  CHECK(c.admins == std::vector<std::string>{"root"});
  CHECK(c.max_sessions == 7);
  CHECK(c.idle_timeout.count() == 0);
  CHECK(c.max_sessions_per_user == 4); /* default */
  unlink(good.c_str());

  vdi::test::checkConfigsRefused({
    {"[server]\nlisten=nonsense\n", "[server] listen"},
    {"[server]\nlsten=1.2.3.4:5\n", "unknown key \"lsten\""},
    {"[nonsense]\na=b\n", "unknown group [nonsense]"},
    {"[users]\nbob=plaintext\n", "[users] bob"},
    {"[sessions]\nmax-sessions=-3\n", "max-sessions"},
    {"[sessions]\nfps=1000\n", "fps"},
    {"[auth]\nadmins=ghost\n", "ghost"},
    {"[server]\ntls-key=/k.pem\n", "tls-certificate and tls-key"},
    {"[dbus]\nbus=session\n", "[dbus] bus must be"},
    {"[dbus]\nbus=none\nrequired=true\n", "[dbus] required=true needs a bus"},
    {"[dbus]\nrequired=maybe\n", "[dbus] required must be true or false"},
  });
  std::string dbus = writeConfig("[dbus]\nbus=unix:path=/run/x/bus\nrequired=true\n");
  REQUIRE(Config::load(dbus, &c, &error));
  CHECK(c.dbus_bus == "unix:path=/run/x/bus");
  CHECK(c.dbus_required);
  unlink(dbus.c_str());
  g_clear_error(&error);
}

TEST_CASE("a users-file adds its users to the config's", "[vdid][config]")
{
  std::string hash = hashPassword("pw");
  std::string users = vdi::test::writeTempFile("vdid-users-XXXXXX",
                                               "[users]\nalice=" + hash + "\ncarol=" + hash + "\n");
  std::string conf = writeConfig("[auth]\nadmins=alice\nusers-file=" + users +
                                 "\n[users]\nbob=" + hash + "\n[sessions]\npool-users=carol\n");
  Config c;
  GError *error = nullptr;
  REQUIRE(Config::load(conf, &c, &error));
  CHECK(c.users.size() == 3);
  CHECK(c.users.at("alice") == hash);
  CHECK(c.admins == std::vector<std::string>{"alice"});
  CHECK(c.pool_users == std::vector<std::string>{"carol"});
  unlink(conf.c_str());

  /* Each refusal names the file that is wrong: the config or the users file. */
  auto refused = [&](const std::string &users_text, const std::string &config_extra,
                     const std::string &expect, bool names_users_file) {
    if (!users_text.empty())
      std::ofstream(users) << users_text;
    std::string path = writeConfig("[auth]\nusers-file=" + users + "\n" + config_extra);
    Config cfg;
    GError *e = nullptr;
    INFO(users_text << " / " << config_extra);
    CHECK_FALSE(Config::load(path, &cfg, &e));
    REQUIRE(e);
    CHECK(std::string(e->message).find(expect) != std::string::npos);
    CHECK(std::string(e->message).find(names_users_file ? users : path) != std::string::npos);
    g_clear_error(&e);
    unlink(path.c_str());
  };
  refused("[users]\nalice=plaintext\n", "", "[users] alice: not a $y$", true);
  refused("[users]\nalice=" + hash + "\n", "[users]\nalice=" + hash + "\n", "named twice", true);
  refused("[server]\nlisten=:1\n", "", "holds only [users], not [server]", true);
  refused("alice\n", "", users, true);
  unlink(users.c_str());
  refused("", "", "[auth] users-file: ", false); /* "" keeps the file gone */
}

TEST_CASE("metrics render in the Prometheus text format", "[vdid][metrics]")
{
  Metrics m;
  m.declare("vdi_sessions", Metrics::Type::Gauge, "Sessions");
  m.declare("vdi_requests_total", Metrics::Type::Counter, "Requests");
  m.add("vdi_requests_total", {{"code", "200"}});
  m.add("vdi_requests_total", {{"code", "200"}});
  m.set("vdi_sessions", {{"user", "a\"b"}}, 3);
  std::string text = m.render();
  CHECK(text.find("# TYPE vdi_requests_total counter\n") != std::string::npos);
  CHECK(text.find("vdi_requests_total{code=\"200\"} 2\n") != std::string::npos);
  CHECK(text.find("vdi_sessions{user=\"a\\\"b\"} 3\n") != std::string::npos);
}
