/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The front door's pure parts (docs/fleet.md): fleet tokens, the node
 * report and placement, the HAProxy configuration, and the [fleet],
 * [node] and [door] keys. */

#include "auth.h"
#include "door-proxy.h"
#include "door.h"
#include "fleet-token.h"
#include "node-report.h"
#include "vdid-config-util.h"

#include <catch2/catch.hpp>

using namespace vdid;

namespace {

const std::string kSecret = "0123456789abcdef-fleet";

NodeReport node(const std::string &id, double cpu_total, double cpu_free, unsigned live = 0)
{
  NodeReport n;
  n.id = id;
  n.max_sessions = 32;
  n.live = live;
  n.cpu_total = cpu_total;
  n.cpu_free = cpu_free;
  n.cpu_session = 0.25;
  return n;
}

std::vector<std::string> order(const std::vector<NodeReport> &nodes, const std::string &user = "a")
{
  std::vector<std::string> out;
  for (size_t i : rankNodes(nodes, user))
    out.push_back(nodes[i].id);
  return out;
}

} // namespace

TEST_CASE("a fleet token is good with its secret until it expires", "[vdid][fleet]")
{
  std::string t = signFleetToken(kSecret, {FleetTokenKind::User, "alice.b:c", 1000});
  CHECK(isFleetToken(t));
  auto claim = verifyFleetToken(kSecret, t, 999);
  REQUIRE(claim);
  CHECK(claim->user == "alice.b:c");
  CHECK(claim->kind == FleetTokenKind::User);
  CHECK_FALSE(verifyFleetToken(kSecret, t, 1001));
  CHECK_FALSE(verifyFleetToken("another-secret-0123", t, 999));
  /* Any byte changed breaks the MAC: the user, the expiry, the kind. */
  std::string forged = signFleetToken("attacker-secret-00", {FleetTokenKind::User, "root", 1000});
  CHECK_FALSE(verifyFleetToken(kSecret, forged, 999));
  std::string longer = t;
  longer.replace(longer.find(".1000."), 6, ".9000.");
  CHECK_FALSE(verifyFleetToken(kSecret, longer, 999));
  std::string door = signFleetToken(kSecret, {FleetTokenKind::Door, "", 1000});
  REQUIRE(verifyFleetToken(kSecret, door, 999));
  CHECK(verifyFleetToken(kSecret, door, 999)->kind == FleetTokenKind::Door);
  for (const char *bad : {"", "vdf1.", "vdf1.user..1000.x", "vdf1.door.YQ.1000.x", "random"})
    CHECK_FALSE(verifyFleetToken(kSecret, bad, 0));
  CHECK_FALSE(verifyFleetToken("", t, 0));
}

TEST_CASE("with a fleet secret a login cookie is a fleet token another vdid takes", "[vdid][fleet]")
{
  Auth::Options o;
  o.users = {{"alice", hashPassword("pw")}};
  o.fleet_secret = kSecret;
  Auth door(o), node(o);
  std::string cookie = door.createCookie("alice");
  CHECK(isFleetToken(cookie));
  auto id = node.checkCookie(cookie);
  REQUIRE(id);
  CHECK(id->user == "alice");
  CHECK_FALSE(id->door);
  /* A user the node does not know is nobody there. */
  Auth::Options other = o;
  other.users = {{"bob", o.users["alice"]}};
  CHECK_FALSE(Auth(other).checkCookie(cookie));
  /* Logged out at the door: refused there. */
  door.revokeCookie(cookie);
  CHECK_FALSE(door.checkCookie(cookie));
  /* The door's own token is the door, not a user. */
  auto d = node.checkCookie(door.doorToken(std::chrono::seconds(60)));
  REQUIRE(d);
  CHECK(d->door);
  CHECK(d->user.empty());
  CHECK_FALSE(d->admin);
  /* Without a secret nothing is minted and no fleet token is taken. */
  Auth::Options plain = o;
  plain.fleet_secret.clear();
  CHECK(Auth(plain).doorToken(std::chrono::seconds(60)).empty());
  CHECK_FALSE(Auth(plain).checkCookie(cookie));
}

TEST_CASE("share tokens of a node start with its id", "[vdid][fleet]")
{
  Auth::Options o;
  o.share_prefix = "n2-";
  Auth auth(o);
  std::string t = auth.createShare("n2-abc", Role::View, std::chrono::seconds(60));
  CHECK(t.rfind("n2-", 0) == 0);
  CHECK(auth.checkShare(t));
}

TEST_CASE("placement takes the node with the most free budget", "[vdid][fleet]")
{
  /* Most free CPU first. */
  CHECK(order({node("n1", 1, 0.5), node("n2", 1, 0.75), node("n3", 1, 0.25)}) ==
        std::vector<std::string>{"n2", "n1", "n3"});
  /* A node that has no room is not a candidate. */
  CHECK(order({node("n1", 1, 0.2), node("n2", 1, 0.25)}) == std::vector<std::string>{"n2"});
  NodeReport full = node("n3", 1, 1, 32);
  CHECK(order({full}).empty());
  /* A tie goes to more free session slots, then the id. */
  CHECK(order({node("n1", 1, 0.5, 3), node("n2", 1, 0.5, 1)}) ==
        std::vector<std::string>{"n2", "n1"});
  CHECK(order({node("n2", 1, 0.5), node("n1", 1, 0.5)}) == std::vector<std::string>{"n1", "n2"});
  /* A ready pooled session of the user wins: it starts at once. */
  NodeReport pooled = node("n9", 1, 0.25);
  pooled.pool_ready["a"] = 1;
  CHECK(order({node("n1", 1, 1), pooled}, "a").front() == "n9");
  CHECK(order({node("n1", 1, 1), pooled}, "b").front() == "n1");
  /* Six creates on budgets of 1.25, 0.75 and 0.5 cores (the fleet test). */
  std::vector<NodeReport> fleet = {node("n1", 1.25, 1.25), node("n2", 0.75, 0.75),
                                   node("n3", 0.5, 0.5)};
  std::map<std::string, int> placed;
  for (int i = 0; i < 6; i++) {
    auto ranked = rankNodes(fleet, "a");
    REQUIRE_FALSE(ranked.empty());
    placed[fleet[ranked[0]].id]++;
    fleet[ranked[0]].take(0.25, 0);
  }
  CHECK(placed == std::map<std::string, int>{{"n1", 3}, {"n2", 2}, {"n3", 1}});
}

TEST_CASE("a node report is read as untrusted text", "[vdid][fleet]")
{
  NodeReport r;
  std::string error;
  REQUIRE(parseNodeReport(
    R"({"id":"n1","url":"http://10.0.0.1:8080","sessions":{"max":8,"live":3},)"
    R"("budget":{"cpu":{"total":2,"free":1.5,"session":0.5},"memory":null},)"
    R"("pool":{"size":1,"ready":{"alice":1}},"list":[{"id":"n1-a","user":"alice"},7]})",
    &r, &error));
  CHECK(r.id == "n1");
  CHECK(r.url == "http://10.0.0.1:8080");
  CHECK(r.freeSessions() == 5);
  CHECK(r.cpu_free == 1.5);
  CHECK(r.memory_total == 0);
  CHECK(r.pool_ready["alice"] == 1);
  CHECK(r.sessions.size() == 1);
  CHECK(r.fits());
  for (const char *bad : {"[]", "{}", R"({"id":""})", R"({"id":"n1"})", "not json"}) {
    INFO(bad);
    CHECK_FALSE(parseNodeReport(bad, &r, &error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("a lost node's sessions say lost and why", "[vdid][fleet]")
{
  auto lost = lostSessions({R"({"id":"n2-a","user":"alice","state":"running","viewers":2})"}, "n2",
                           gint64(1700000000) * G_USEC_PER_SEC);
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].find(R"("state":"lost")") != std::string::npos);
  CHECK(lost[0].find("its node n2 stopped answering at 22:13:20 UTC") != std::string::npos);
  CHECK(lost[0].find(R"("viewers":0)") != std::string::npos);
}

TEST_CASE("HAProxy routes each node's sessions, streams and share tokens to it", "[vdid][fleet]")
{
  std::string cfg = haproxyConfig("0.0.0.0", 8080, "127.0.0.1", 9000,
                                  {{"n1", "10.0.0.1", 8081}, {"n2", "::1", 8082}}, 500);
  for (const char *line :
       {"  bind 0.0.0.0:8080\n", "  acl on_n1 path_beg /api/v1/sessions/n1- /whep/n1- /hls/n1-\n",
        "  acl on_n1 req.hdr(Authorization) -m beg \"Bearer n1-\"\n",
        "  acl on_n1 urlp(token) -m beg n1-\n",
        "  use_backend node_n1 if on_n1 { nbsrv(node_n1) gt 0 }\n", "  default_backend door\n",
        "  server door 127.0.0.1:9000\n", "  option httpchk GET /health\n",
        "  server n1 10.0.0.1:8081 check inter 500ms fall 2 rise 1\n",
        "  server n2 [::1]:8082 check inter 500ms fall 2 rise 1\n", "  timeout tunnel 1h\n"}) {
    INFO(line);
    CHECK(cfg.find(line) != std::string::npos);
  }
  std::string host;
  unsigned port = 0;
  REQUIRE(splitHttpUrl("http://node-1.example:8081/x", &host, &port));
  CHECK(host == "node-1.example");
  CHECK(port == 8081);
  REQUIRE(splitHttpUrl("https://n", &host, &port));
  CHECK(port == 443);
  CHECK_FALSE(splitHttpUrl("ftp://n", &host, &port));
}

TEST_CASE("[fleet], [node] and [door] are checked", "[vdid][fleet]")
{
  std::string path = vdi::test::writeConfig(
    "[fleet]\nsecret=0123456789abcdef\n[node]\nid=n7\nurl=http://10.1.2.3:8080\n"
    "[door]\nnodes=http://a:1/; http://b:2\nlisten=:8443\npoll-interval=250\nlost-after=2000\n");
  Config c;
  GError *error = nullptr;
  REQUIRE(Config::load(path, &c, &error));
  CHECK(c.node_id == "n7");
  CHECK(c.node_url == "http://10.1.2.3:8080");
  CHECK(c.isDoor());
  CHECK(c.door.nodes == std::vector<std::string>{"http://a:1", "http://b:2"});
  CHECK(c.door.listen_port == 8443);
  CHECK(c.door.poll_ms == 250);
  CHECK(c.door.lost_ms == 2000);
  vdi::test::checkConfigsRefused({
    {"[node]\nid=N-1\n", "[node] id must be 1 to 16 lower-case letters and digits"},
    {"[fleet]\nsecret=short\n", "at least 16 characters"},
    {"[door]\nlisten=:1\n", "[door] needs nodes"},
    {"[door]\nnodes=ftp://x\nlisten=:1\n", "is not an http:// URL"},
    {"[door]\nnodes=http://x:1\n", "[door] listen must be ADDRESS:PORT"},
    {"[door]\nnodes=http://x:1\nlisten=:1\n", "[door] needs [fleet] secret"},
    {"[fleet]\nsecret=0123456789abcdef\n[door]\nnodes=http://x:1\nlisten=:1\n"
     "poll-interval=1000\nlost-after=1500\n",
     "at least twice poll-interval"},
    {"[server]\ntrusted-proxies=door.example\n", "is not an IP address"},
  });
}
