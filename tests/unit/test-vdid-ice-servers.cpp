/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* vdid's [webrtc] STUN/TURN settings and the credentials minted for viewers
 * (orchestrator/ice-servers.h). The live test against coturn is
 * tests/integration/test-turn.cpp. */

#include "ice-servers.h"
#include "vdid-config-util.h"

#include <catch2/catch.hpp>
#include <json-glib/json-glib.h>

using namespace vdid;
using namespace vdi::test;

TEST_CASE("ICE URIs parse in RFC 7064/7065 form and print for browsers and webrtcbin", "[ice]")
{
  IceUri u;
  std::string why;
  REQUIRE(IceUri::parse("turn:turn.example.net?transport=tcp", &u, &why));
  CHECK(u.scheme == "turn");
  CHECK(u.host == "turn.example.net");
  CHECK(u.port == 3478);
  CHECK(u.transport == "tcp");
  CHECK(u.text() == "turn:turn.example.net:3478?transport=tcp");
  /* Credentials are percent-encoded: a TURN REST user name has a colon,
   * the base64 password may have / + =. */
  CHECK(u.webrtcbin("1700000000:alice", "a/b+c=") ==
        "turn://1700000000%3Aalice:a%2Fb%2Bc%3D@turn.example.net:3478?transport=tcp");

  REQUIRE(IceUri::parse("turns:[2001:db8::1]", &u, &why));
  CHECK(u.port == 5349);
  CHECK(u.text() == "turns:[2001:db8::1]:5349");

  REQUIRE(IceUri::parse("stun://127.0.0.1:19302", &u, &why));
  CHECK(u.text() == "stun:127.0.0.1:19302");
  CHECK(u.webrtcbin() == "stun://127.0.0.1:19302");
}

TEST_CASE("malformed ICE URIs are refused with the reason", "[ice]")
{
  const std::vector<std::pair<std::string, std::string>> bad = {
    {"turn.example.net", "is not a stun:, turn: or turns: URI"},
    {"http://turn.example.net", "has scheme \"http\""},
    {"turn:user:pw@turn.example.net", "has credentials in it"},
    {"turn:", "names no host"},
    {"turn:host:0", "a port is 1 to 65535"},
    {"turn:host:70000", "a port is 1 to 65535"},
    {"turn:host:", "a port is 1 to 65535"},
    {"turn:host:34x", "a port is 1 to 65535"},
    {"turn:ho st", "malformed host name"},
    {"turn:host?transport=sctp", "only ?transport=udp or ?transport=tcp"},
    {"stun:host?transport=udp", "takes no ?transport"},
    {"turns:host?transport=udp", "turns: runs over TLS"},
    {"turn:[2001:db8::1", "without its closing ]"},
  };
  for (const auto &[text, expect] : bad) {
    INFO(text);
    IceUri u;
    std::string why;
    CHECK_FALSE(IceUri::parse(text, &u, &why));
    CHECK(why.find(expect) != std::string::npos);
  }
}

TEST_CASE("TURN REST credentials are coturn's use-auth-secret scheme", "[ice]")
{
  /* openssl dgst -sha1 -hmac north -binary <<< "1700086400:alice" | base64 */
  TurnCredential c = mintTurnCredential("north", "alice", 1700000000, std::chrono::hours(24));
  CHECK(c.username == "1700086400:alice");
  CHECK(c.expires == 1700086400);
  CHECK(c.password == "SXua5ne/+mDhiHTp0pQJzRO4ESg=");
  c = mintTurnCredential("north", "alice", 1700000000, std::chrono::seconds(0));
  CHECK(c.password == "Cd/49soE35ICqcJF/bCTn8Z4OyE=");
}

TEST_CASE("one set of servers is written for browsers, WHEP Link headers and webrtcbin", "[ice]")
{
  IceSettings s;
  IceUri stun, udp, tcp;
  REQUIRE(IceUri::parse("stun:127.0.0.1:3478", &stun, nullptr));
  REQUIRE(IceUri::parse("turn:127.0.0.1:3478?transport=udp", &udp, nullptr));
  REQUIRE(IceUri::parse("turn:127.0.0.1:3478?transport=tcp", &tcp, nullptr));
  s.stun = {stun};
  s.turn = {udp, tcp};
  s.secret = "north";
  s.lifetime = std::chrono::seconds(600);
  REQUIRE(s.validate(nullptr));
  IceServers ice(s);
  TurnCredential c = ice.credentialFor("alice", 1000);
  CHECK(c.username == "1600:alice");

  g_autoptr(JsonParser) p = json_parser_new();
  REQUIRE(json_parser_load_from_data(p, ice.rtcConfiguration(c).c_str(), -1, nullptr));
  JsonObject *root = json_node_get_object(json_parser_get_root(p));
  CHECK(json_object_get_int_member(root, "expires") == 1600);
  JsonArray *servers = json_object_get_array_member(root, "iceServers");
  REQUIRE(json_array_get_length(servers) == 2);
  JsonObject *t = json_array_get_object_element(servers, 1);
  CHECK(std::string(json_object_get_string_member(t, "username")) == "1600:alice");
  CHECK(std::string(json_object_get_string_member(t, "credential")) == c.password);
  JsonArray *urls = json_object_get_array_member(t, "urls");
  REQUIRE(json_array_get_length(urls) == 2);
  CHECK(std::string(json_array_get_string_element(urls, 1)) == "turn:127.0.0.1:3478?transport=tcp");

  auto links = ice.linkHeaders(c);
  REQUIRE(links.size() == 3);
  CHECK(links[0] == "<stun:127.0.0.1:3478>; rel=\"ice-server\"");
  CHECK(links[1] == "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; username=\"1600:"
                    "alice\"; credential=\"" +
                      c.password + "\"; credential-type=\"password\"");

  CHECK(ice.webrtcbinStun() == "stun://127.0.0.1:3478");
  auto turn = ice.webrtcbinTurn(c);
  REQUIRE(turn.size() == 2);
  CHECK(turn[0].rfind("turn://1600%3Aalice:", 0) == 0);
  CHECK(turn[0].find("@127.0.0.1:3478?transport=udp") != std::string::npos);
}

TEST_CASE("static TURN credentials are handed out as they are, without expiry", "[ice]")
{
  IceSettings s;
  IceUri udp;
  REQUIRE(IceUri::parse("turn:turn.example.net", &udp, nullptr));
  s.turn = {udp};
  s.username = "vdi";
  s.password = "secret";
  REQUIRE(s.validate(nullptr));
  TurnCredential c = IceServers(s).credentialFor("alice", 1000);
  CHECK(c.username == "vdi");
  CHECK(c.password == "secret");
  CHECK(c.expires == 0);
  CHECK(IceServers(s).rtcConfiguration(c).find("expires") == std::string::npos);
}

TEST_CASE("[webrtc] settings are read, and bad ones stop vdid naming the line", "[ice]")
{
  std::string secret_file = writeTempFile("turn-secret-XXXXXX", "north\n");
  std::string path = writeConfig("[users]\n[webrtc]\nstun-servers = stun:127.0.0.1\n"
                                 "turn-servers = turn:127.0.0.1?transport=udp; "
                                 "turns:turn.example.net:443?transport=tcp\n"
                                 "turn-secret-file = " +
                                 secret_file + "\nturn-credential-lifetime = 3600\n");
  Config cfg;
  GError *error = nullptr;
  REQUIRE(Config::load(path, &cfg, &error));
  CHECK(cfg.ice.stun.size() == 1);
  REQUIRE(cfg.ice.turn.size() == 2);
  CHECK(cfg.ice.turn[1].text() == "turns:turn.example.net:443?transport=tcp");
  CHECK(cfg.ice.secret == "north");
  CHECK(cfg.ice.lifetime == std::chrono::seconds(3600));
  unlink(path.c_str());
  unlink(secret_file.c_str());

  checkConfigsRefused({
    {"[users]\n[webrtc]\n\nturn-servers = turn:host:99999\nturn-secret=x\n",
     ":4: [webrtc] turn-servers: \"turn:host:99999\" has port"},
    {"[users]\n[webrtc]\nturn-servers = turn:host\n", "needs turn-secret"},
    {"[users]\n[webrtc]\nturn-secret = x\n", "turn-servers is empty"},
    {"[users]\n[webrtc]\nturn-servers = turn:host\nturn-secret = x\nturn-username = u\n"
     "turn-password = p\n",
     "exclude each other"},
    {"[users]\n[webrtc]\nturn-servers = turn:host\nturn-username = u\n", "go together"},
    {"[users]\n[webrtc]\nstun-servers = turn:host\n", "which is not a stun: URI"},
    {"[users]\n[webrtc]\nturn-servers = turn:host\nturn-secret-file = /nonexistent/secret\n",
     ":4: [webrtc] turn-secret-file: "},
    {"[users]\n[webrtc]\nturn-servers = turn:host\nturn-secret = x\n"
     "turn-credential-lifetime = 5\n",
     ":5: [webrtc] turn-credential-lifetime must be a whole number from 60"},
    {"[users]\n[webrtc]\nturn-server = turn:host\n", "unknown key \"turn-server\" in [webrtc]"},
  });
}
