/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Three vdid nodes behind a front door (docs/fleet.md), all real: the
 * nodes on their own loopback ports, runtime dirs and SRT ports, the door
 * (vdid with [door]) and its HAProxy, Chromium playing the web client the
 * door serves, ffprobe reading HLS through the door and SRT from each
 * node's port.
 */

#include "vdid-fixture.h"

#include <map>
#include <set>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

constexpr const char *kSecret = "fleet-test-secret-0123456789";

/* A node: [budget] cpu of @cores, 0.25 cores a session, id @id. */
std::unique_ptr<SessionVdid> startNode(const std::string &id, const char *cores)
{
  return std::make_unique<SessionVdid>(
    std::string("audio=false\n") + "[budget]\ncpu=" + cores + "\nsession-cpu=0.25\n" +
    "[dbus]\nbus=none\n[fleet]\nsecret=" + kSecret + "\n[node]\nid=" + id + "\n");
}

/* The door of @nodes: the same users, the same secret. */
struct Door {
  std::string config_path;
  std::unique_ptr<Vdid> vdid;
  explicit Door(const std::vector<SessionVdid *> &nodes)
  {
    std::string list;
    for (auto *n : nodes)
      list += n->vdid->base + ";";
    config_path = writeTempFile("vdid-door-XXXXXX.conf",
                                "[users]\n" + testUser() + "=" + hashOf("pw1") +
                                  "\nbob=" + hashOf("pw2") + "\n[fleet]\nsecret=" + kSecret +
                                  "\n[door]\nlisten=127.0.0.1:0\npoll-interval=500\n"
                                  "lost-after=3000\nnodes=" +
                                  list + "\n");
    vdid = std::make_unique<Vdid>(std::vector<std::string>{"--config", config_path});
  }
  ~Door()
  {
    vdid->proc->stop(5000ms);
    unlink(config_path.c_str());
  }
};

/* The sessions (id -> JSON object text) of a JSON array. */
std::map<std::string, std::string> sessionsOf(const std::string &body)
{
  std::map<std::string, std::string> out;
  g_autoptr(JsonParser) p = json_parser_new();
  if (!json_parser_load_from_data(p, body.c_str(), -1, nullptr) ||
      !JSON_NODE_HOLDS_ARRAY(json_parser_get_root(p)))
    return out;
  JsonArray *a = json_node_get_array(json_parser_get_root(p));
  for (guint i = 0; i < json_array_get_length(a); i++) {
    g_autofree char *text = json_to_string(json_array_get_element(a, i), FALSE);
    out[member(text, "id")] = text;
  }
  return out;
}

/* ffprobe of the first video stream at @url, started now: its first line
 * is "WIDTHxHEIGHT". */
std::unique_ptr<Process> probe(const std::string &url, const std::string &headers = "")
{
  std::vector<std::string> argv = {"ffprobe", "-v", "error", "-rw_timeout", "20000000"};
  if (!headers.empty())
    argv.insert(argv.end(), {"-headers", headers});
  argv.insert(argv.end(), {"-select_streams", "v:0", "-show_entries", "stream=width,height", "-of",
                           "csv=p=0:s=x", url});
  return std::make_unique<Process>(argv);
}

std::string sizeOf(Process &p)
{
  auto line = p.readLine(60s);
  return line ? *line : "no answer";
}

/* The port of a session's srt:// URL. */
std::string srtUrl(const std::string &session)
{
  std::smatch m;
  std::regex_search(session, m, std::regex("\"srt\":\"(srt://[^\"]+)\""));
  return m[1];
}

} // namespace

TEST_CASE("six sessions spread over three nodes by free budget and outlive the loss of one",
          "[vdid][fleet][browser]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_BROWSER();
  if (!g_find_program_in_path("haproxy") || !g_find_program_in_path("ffprobe"))
    VDI_SKIP("haproxy or ffprobe not installed (./scripts/setup)");
  /* Room for 5, 3 and 2 sessions of 0.25 cores. */
  auto n1 = startNode("n1", "1.25");
  auto n2 = startNode("n2", "0.75");
  auto n3 = startNode("n3", "0.5");
  Door door({n1.get(), n2.get(), n3.get()});
  const std::string &base = door.vdid->base;
  const std::string owner = n1->owner, other = n1->other;
  Client c;
  /* Every node has reported to the door. */
  REQUIRE(eventually(10s, [&] {
    std::string body = c.request("GET", base + "/api/v1/nodes", "", owner).body;
    size_t up = 0;
    for (size_t at = 0; (at = body.find("\"state\":\"up\"", at)) != std::string::npos; at++)
      up++;
    return up == 3;
  }));

  /* Most free CPU first: n1 (1.25), n1 (1.0), then n1 and n2 tie at 0.75
   * and the one with more free slots wins (n2), n1, n3 (0.5, most slots),
   * n2. */
  std::vector<std::string> ids;
  std::map<std::string, int> per_node;
  for (int i = 0; i < 6; i++) {
    Response r =
      c.request("POST", base + "/api/v1/sessions", R"({"width":320,"height":240,"fps":15})", owner);
    INFO(r.body);
    REQUIRE(r.status == 201);
    ids.push_back(member(r.body, "id"));
    per_node[member(r.body, "node")]++;
    CHECK(ids.back().rfind(member(r.body, "node") + "-", 0) == 0);
  }
  CHECK(per_node == std::map<std::string, int>{{"n1", 3}, {"n2", 2}, {"n3", 1}});
  for (const auto &id : ids)
    REQUIRE(waitState(c, base + "/api/v1/sessions/" + id, owner) == "running");

  /* The list at the door has all six, from three nodes; the second user
   * sees none of them, not even by id. */
  auto listed = sessionsOf(c.request("GET", base + "/api/v1/sessions", "", owner).body);
  CHECK(listed.size() == 6);
  CHECK(c.request("GET", base + "/api/v1/sessions", "", other).body == "[]");
  for (const auto &id : ids)
    CHECK(c.request("GET", base + "/api/v1/sessions/" + id, "", other).status == 404);

  /* HLS through the door, SRT from each session's node, all at once. */
  std::vector<std::pair<std::string, std::unique_ptr<Process>>> probes;
  for (const auto &id : ids) {
    probes.emplace_back(
      "HLS " + id, probe(base + "/hls/" + id + "/index.m3u8", "Authorization: " + owner + "\r\n"));
    probes.emplace_back("SRT " + id,
                        probe(srtUrl(listed[id]) + ":" + n1->user + ":pw1&timeout=20000000"));
  }
  for (auto &[what, p] : probes) {
    INFO(what);
    CHECK(sizeOf(*p) == "320x240");
  }

  /* Chromium signs in at the door once and plays each session over
   * WebRTC, then watches one of n2's. */
  std::string watched;
  for (const auto &id : ids)
    if (id.rfind("n2-", 0) == 0)
      watched = id;
  std::vector<std::string> argv = {
    "node", std::string(g_getenv("VDI_SOURCE_ROOT")) + "/tests/browser/fleet.mjs",
    base,   n1->user,
    "pw1",  watched};
  argv.insert(argv.end(), ids.begin(), ids.end());
  Process browser(argv);
  std::set<std::string> played;
  std::optional<std::string> line;
  while ((line = browser.readLine(120s)) && *line != "ready") {
    INFO(*line);
    REQUIRE(line->rfind("result ", 0) != 0);
    if (line->rfind("check play ", 0) == 0) {
      CHECK(member(line->substr(11), "width") == "320");
      if (std::stoi(member(line->substr(11), "frames")) >= 5)
        played.insert(member(line->substr(11), "id"));
    }
  }
  REQUIRE(line);
  CHECK(played.size() == 6);

  /* n2 dies: its two sessions are lost within 10 s at the door. */
  auto t0 = std::chrono::steady_clock::now();
  kill(n2->vdid->proc->pid(), SIGKILL);
  n2->vdid->proc->wait(5000ms);
  browser.send("go");
  std::map<std::string, std::string> after;
  bool lost = eventually(
    10s,
    [&] {
      after = sessionsOf(c.request("GET", base + "/api/v1/sessions", "", owner).body);
      int n = 0;
      for (const auto &[id, s] : after)
        n += id.rfind("n2-", 0) == 0 && member(s, "state") == "lost";
      return n == 2;
    },
    100ms);
  double detect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(lost);
  WARN("lost reported after " << detect_s << " s");
  CHECK(after.size() == 6);
  CHECK(member(c.request("GET", base + "/api/v1/sessions/" + watched, "", owner).body, "state") ==
        "lost");
  CHECK(c.request("GET", base + "/api/v1/sessions/" + watched, "", other).status == 404);
  line = browser.waitFor("check lost ", 40s);
  REQUIRE(line);
  CHECK(member(line->substr(11), "text")
          .find("This desktop is lost: its node n2 stopped "
                "answering") != std::string::npos);

  /* A new session goes to a surviving node; the others stream on. */
  Response r =
    c.request("POST", base + "/api/v1/sessions", R"({"width":320,"height":240,"fps":15})", owner);
  REQUIRE(r.status == 201);
  std::string fresh = member(r.body, "id");
  CHECK(member(r.body, "node") != "n2");
  REQUIRE(waitState(c, base + "/api/v1/sessions/" + fresh, owner) == "running");
  std::string survivors = fresh;
  for (const auto &id : ids)
    if (id.rfind("n2-", 0) != 0)
      survivors += " " + id;
  browser.send(survivors);
  played.clear();
  while ((line = browser.readLine(120s)) && line->rfind("result ", 0) != 0)
    if (line->rfind("check play ", 0) == 0 && std::stoi(member(line->substr(11), "frames")) >= 5)
      played.insert(member(line->substr(11), "id"));
  REQUIRE(line);
  CHECK(member(line->substr(7), "error").empty());
  CHECK(played.size() == 5);
  CHECK(sizeOf(*probe(base + "/hls/" + fresh + "/index.m3u8",
                      "Authorization: " + owner + "\r\n")) == "320x240");

  /* What n2 left behind is reaped by the next vdid on its runtime dir. */
  n2->keep_base = true;
  std::string n2_base = n2->base;
  n2.reset();
  SessionVdid reaper("[dbus]\nbus=none\n", n2_base);
}
