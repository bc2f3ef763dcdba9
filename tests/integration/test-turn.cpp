/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * TURN and STUN through vdid (docs/webrtc.md "TURN and STUN through vdid")
 * with a real coturn, a real vdid and sway session, and the web client in
 * real Chromium (tests/browser/turn.mjs): a relay-only viewer plays through
 * TURN with credentials vdid minted; expired and wrong credentials are
 * refused, and said so in the page and in vdid's log; direct ICE keeps
 * working when TURN does not.
 */

#include "browser-checks.h"
#include "coturn.h"
#include "ice-servers.h"
#include "vdid-fixture.h"

#include <fstream>
#include <sstream>

using namespace vdi::test;

namespace {

constexpr const char *kSecret = "gst-vdi-test-secret";

std::string webrtcConfig(const Coturn &turn, const std::string &secret,
                         const std::string &more_servers = "")
{
  return "stream=true\n[webrtc]\nstun-servers=stun:127.0.0.1:" + std::to_string(turn.port()) +
         "\nturn-servers=" + turn.servers() + more_servers + "\nturn-secret=" + secret +
         "\nturn-credential-lifetime=600\n";
}

/* A running session with a terminal in it (something to look at). */
std::string startSession(SessionVdid &v, Client &c)
{
  std::string id;
  startStreamingSession(v, c, &id, R"({"apps":[["foot"]]})");
  return id;
}

std::string readFile(const std::string &path)
{
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("a relay-only Chromium viewer plays a session through coturn with minted credentials",
          "[turn][browser]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_BROWSER();
  REQUIRE_COTURN();
  Coturn turn(kSecret);
  SessionVdid v(webrtcConfig(turn, kSecret));
  /* vdid checked the server with a real Allocate at start. */
  auto works = v.vdid->proc->waitFor("vdid: TURN turn:127.0.0.1", 15s);
  REQUIRE(works);
  CHECK(works->find("works: relay 127.0.0.1:") != std::string::npos);
  Client c;
  std::string id = startSession(v, c);

  /* The API hands out the servers with a credential of this user. */
  Response ice = c.request("GET", v.vdid->base + "/api/v1/ice-servers", "", v.owner);
  REQUIRE(ice.status == 200);
  Json j(ice.body);
  CHECK(j.str("iceServers.0.urls.0") == "stun:127.0.0.1:" + std::to_string(turn.port()));
  CHECK(j.str("iceServers.1.urls.1") ==
        "turn:127.0.0.1:" + std::to_string(turn.port()) + "?transport=tcp");
  std::string username = j.str("iceServers.1.username");
  CHECK(username.size() > v.user.size());
  CHECK(username.substr(username.size() - v.user.size() - 1) == ":" + v.user);
  int64_t now = g_get_real_time() / G_USEC_PER_SEC;
  CHECK(j.num("expires") > now + 500);
  CHECK(j.num("expires") <= now + 601);
  CHECK(c.request("GET", v.vdid->base + "/api/v1/ice-servers").status == 401);

  /* A credential that expired two hours ago, minted the same way. */
  vdid::TurnCredential old =
    vdid::mintTurnCredential(kSecret, v.user, now - 7200, std::chrono::seconds(60));
  std::string expired = "[{\"urls\":[\"turn:127.0.0.1:" + std::to_string(turn.port()) +
                        "?transport=udp\"],\"username\":\"" + old.username +
                        "\",\"credential\":\"" + old.password + "\"}]";

  std::string result;
  auto checks =
    runBrowserScript("turn.mjs", {"relay", v.vdid->base, v.user, "pw1", id, expired}, &result);
  INFO(result);
  if (result.rfind("skip ", 0) == 0)
    VDI_SKIP(result.substr(5));
  CHECK(result.find("\"error\"") == std::string::npos);
  CHECKED_IF(checks.count("relay"))
  {
    Json r(checks["relay"]);
    INFO(checks["relay"]);
    /* The pair in use is the browser's TURN relay candidate. */
    CHECK(r.str("localType") == "relay");
    CHECK(r.str("state") == "succeeded");
    CHECK(r.str("conn") == "playing");
    CHECK(r.num("frames") >= 3);
    CHECK(r.num("bytesReceived") > 1000);
  }
  CHECKED_IF(checks.count("whep"))
  {
    Json w(checks["whep"]);
    INFO(checks["whep"]);
    CHECK(w.num("status") == 201);
    /* RFC 9725: one Link per server, TURN ones with the credential. */
    std::string links = w.str("links");
    CHECK(links.find("<stun:127.0.0.1:" + std::to_string(turn.port()) + ">; rel=\"ice-server\"") !=
          std::string::npos);
    CHECK(links.find("?transport=tcp>; rel=\"ice-server\"; username=\"") != std::string::npos);
    CHECK(links.find("credential-type=\"password\"") != std::string::npos);
  }
  CHECKED_IF((checks.count("fresh") && checks.count("expired")))
  {
    Json fresh(checks["fresh"]), gone(checks["expired"]);
    INFO(checks["fresh"] << "\n" << checks["expired"]);
    CHECK(fresh.has("relays.0"));
    /* coturn refuses a credential past its expiry: no relay, a 401. */
    CHECK_FALSE(gone.has("relays.0"));
    CHECK(checks["expired"].find("\"code\":401") != std::string::npos);
  }
}

TEST_CASE("TURN credentials coturn refuses are reported in the page and in vdid's log",
          "[turn][browser]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_BROWSER();
  REQUIRE_COTURN();
  Coturn turn(kSecret);
  std::string log = writeTempFile("vdid-stderr-XXXXXX", "");
  /* A wrong secret, and a TURN server that is down. */
  SessionVdid v(webrtcConfig(turn, "not-the-secret", ";turn:127.0.0.1:9?transport=tcp"), "", log);
  Client c;
  std::string id = startSession(v, c);
  bool logged = eventually(
    15s,
    [&] {
      std::string text = readFile(log);
      return text.find("refused vdid's credentials (401") != std::string::npos &&
             text.find("turn:127.0.0.1:9?transport=tcp: cannot connect") != std::string::npos;
    },
    100ms);
  INFO(readFile(log));
  CHECK(logged);
  Response metrics = c.request("GET", v.vdid->base + "/metrics", "", v.owner);
  CHECK(
    metrics.body.find("vdi_turn_server_up{server=\"turn:127.0.0.1:" + std::to_string(turn.port()) +
                      "?transport=udp\"} 0") != std::string::npos);

  std::string result;
  auto checks = runBrowserScript("turn.mjs", {"refused", v.vdid->base, v.user, "pw1", id}, &result);
  INFO(result);
  if (result.rfind("skip ", 0) == 0)
    VDI_SKIP(result.substr(5));
  CHECK(result.find("\"error\"") == std::string::npos);
  CHECKED_IF(checks.count("refused"))
  {
    Json r(checks["refused"]);
    INFO(checks["refused"]);
    CHECK(r.str("log").find("refused the TURN credentials (401") != std::string::npos);
    CHECK(r.str("status").find("refused the TURN credentials") != std::string::npos);
    CHECK(r.str("state") != "playing");
  }
  /* Direct ICE does not need TURN: the same session plays without relay-only. */
  CHECKED_IF(checks.count("direct"))
  {
    Json d(checks["direct"]);
    INFO(checks["direct"]);
    CHECK(d.str("conn") == "playing");
    CHECK(d.num("frames") >= 3);
    CHECK(d.str("localType") != "relay");
  }
  unlink(log.c_str());
}
