/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid as a real process on a free loopback port, driven by a real HTTP
 * client (libsoup).
 */

#include "vdid-fixture.h"
#include "ws-client.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <fstream>
#include <memory>
#include <pwd.h>
#include <regex>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>

using namespace std::chrono_literals;
using namespace vdi::test;

TEST_CASE("vdid serves /health openly and the rest only with credentials", "[vdid]")
{
  Vdid vdid({});
  Client c;
  Response r = c.request("GET", vdid.base + "/health");
  CHECK(r.status == 200);
  CHECK(r.body.find("\"status\":\"ok\"") != std::string::npos);

  r = c.request("GET", vdid.base + "/metrics");
  CHECK(r.status == 401);
  CHECK(jsonError(r.body) == "authentication required");
  CHECK(r.www_authenticate.find("Basic") == 0);

  r = c.request("GET", vdid.base + "/metrics", "", basic("demo", vdid.demo_password));
  CHECK(r.status == 200);
  CHECK(r.body.find("vdi_up 1") != std::string::npos);
  CHECK(r.body.find("vdi_http_requests_total{code=\"401\"} 1") != std::string::npos);

  r = c.request("GET", vdid.base + "/api/v1/whoami", "", basic("demo", "wrong"));
  CHECK(r.status == 401);

  r = c.request("GET", vdid.base + "/no/such/thing", "", basic("demo", vdid.demo_password));
  CHECK(r.status == 404);
  CHECK_FALSE(jsonError(r.body).empty());
}

TEST_CASE("vdid login gives a cookie; bad bodies get 400 with a message", "[vdid]")
{
  Vdid vdid({});
  Client c;
  Response r = c.request("POST", vdid.base + "/api/v1/login", "{not json");
  CHECK(r.status == 400);
  CHECK(jsonError(r.body).find("not valid JSON") != std::string::npos);

  r = c.request("POST", vdid.base + "/api/v1/login", "[1,2]");
  CHECK(r.status == 400);
  r = c.request("POST", vdid.base + "/api/v1/login", "{\"user\":\"demo\"}");
  CHECK(r.status == 400);
  CHECK(jsonError(r.body).find("password") != std::string::npos);

  r = c.request("POST", vdid.base + "/api/v1/login",
                "{\"user\":\"demo\",\"password\":\"" + vdid.demo_password + "\"}");
  REQUIRE(r.status == 200);
  std::smatch m;
  REQUIRE(std::regex_search(r.set_cookie, m, std::regex("vdid_session=([^;]+)")));
  CHECK(r.set_cookie.find("HttpOnly") != std::string::npos);
  std::string cookie = "vdid_session=" + m[1].str();

  r = c.request("GET", vdid.base + "/api/v1/whoami", "", "", cookie);
  CHECK(r.status == 200);
  CHECK(r.body.find("\"user\":\"demo\"") != std::string::npos);

  r = c.request("POST", vdid.base + "/api/v1/logout", "", "", cookie);
  CHECK(r.status == 204);
  r = c.request("GET", vdid.base + "/api/v1/whoami", "", "", cookie);
  CHECK(r.status == 401);
}

TEST_CASE("vdid rate-limits failed logins per address", "[vdid]")
{
  Vdid vdid({});
  Client c;
  for (int i = 0; i < 5; i++)
    CHECK(c.request("GET", vdid.base + "/api/v1/whoami", "", basic("demo", "nope")).status == 401);
  Response r =
    c.request("GET", vdid.base + "/api/v1/whoami", "", basic("demo", vdid.demo_password));
  CHECK(r.status == 429);
  CHECK(jsonError(r.body).find("too many failed logins") != std::string::npos);
}

TEST_CASE("vdid refuses a broken config file and says why", "[vdid]")
{
  g_autofree char *path = nullptr;
  int fd = g_file_open_tmp("vdid-XXXXXX.conf", &path, nullptr);
  close(fd);
  std::ofstream(path) << "[users]\nalice=not-a-hash\n";
  Process p({std::string(g_getenv("VDI_BUILD_ROOT")) + "/orchestrator/vdid", "--config", path}, {},
            std::string(path) + ".err");
  auto status = p.wait(10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 2);
  std::ifstream err(std::string(path) + ".err");
  std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  CHECK(text.find("[users] alice") != std::string::npos);
  CHECK(text.find("hash-password") != std::string::npos);
  unlink(path);
  unlink((std::string(path) + ".err").c_str());
}

TEST_CASE("vdid hash-password prints a hash vdid accepts", "[vdid]")
{
  Process p(
    {std::string(g_getenv("VDI_BUILD_ROOT")) + "/orchestrator/vdid", "hash-password", "s3cret"});
  auto line = p.readLine(10s);
  REQUIRE(line);
  CHECK(line->rfind("$y$", 0) == 0);
}

TEST_CASE("vdid stops cleanly on SIGTERM", "[vdid]")
{
  Vdid vdid({});
  int status = vdid.proc->stop(5000ms);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("vdid runs a session as its Unix user and cleans up after it", "[vdid][sessions]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v;
  Client c;
  std::string client = helperPath("vdi-test-client");
  /* Apps get /dev/null as stdin; the test client would take that as "quit",
   * so feed it an endless pipe. */
  std::string app = "[\"sh\",\"-c\",\"tail -f /dev/null | exec " + client + "\"]";
  Response r = c.request("POST", v.vdid->base + "/api/v1/sessions",
                         "{\"width\":800,\"height\":600,\"apps\":[" + app + "]}", v.owner);
  REQUIRE(r.status == 201);
  std::string id = member(r.body, "id");
  REQUIRE(id.size() == 12);
  CHECK(member(r.body, "user") == v.user);
  CHECK(member(r.body, "width") == "800");
  std::string url = v.vdid->base + "/api/v1/sessions/" + id;
  REQUIRE(waitState(c, url, v.owner) == "running");

  /* Private runtime dir, compositor and app run as the user, never root. */
  std::string dir = v.base + "/" + id;
  struct stat st;
  REQUIRE(stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  passwd *pw = getpwnam(v.user.c_str());
  REQUIRE(pw);
  CHECK(st.st_uid == pw->pw_uid);
  std::vector<pid_t> procs;
  eventually(5s, [&] { return (procs = processesOf(dir)).size() >= 3; });
  REQUIRE(procs.size() >= 3); /* sway, the shell pipeline and the test client */
  for (pid_t p : procs)
    CHECK(ownerOf(p) == pw->pw_uid);

  /* Someone else cannot see it: 404, the same as a session that does not exist. */
  r = c.request("GET", url, "", v.other);
  CHECK(r.status == 404);
  r = c.request("DELETE", url, "", v.other);
  CHECK(r.status == 404);
  r = c.request("GET", v.vdid->base + "/api/v1/sessions", "", v.other);
  CHECK(r.body == "[]");
  r = c.request("GET", v.vdid->base + "/api/v1/sessions", "", v.owner);
  CHECK(r.body.find(id) != std::string::npos);

  /* Resize changes the compositor's output. */
  r = c.request("POST", url + "/resize", "{\"width\":1024,\"height\":768}", v.owner);
  CHECK(r.status == 200);
  CHECK(member(r.body, "width") == "1024");
  r = c.request("POST", url + "/resize", "{\"width\":1025,\"height\":768}", v.owner);
  CHECK(r.status == 409);

  r = c.request("DELETE", url, "", v.owner);
  CHECK(r.status == 204);
  CHECK(processesOf(dir).empty());
  CHECK_FALSE(g_file_test(dir.c_str(), G_FILE_TEST_EXISTS));
  CHECK(c.request("GET", url, "", v.owner).status == 404);
}

TEST_CASE("vdid share tokens grant exactly their role on one session", "[vdid][sessions]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v;
  Client c;
  Response r = c.request("POST", v.vdid->base + "/api/v1/sessions", "{}", v.owner);
  REQUIRE(r.status == 201);
  std::string url = v.vdid->base + "/api/v1/sessions/" + member(r.body, "id");
  REQUIRE(waitState(c, url, v.owner) == "running");

  r = c.request("POST", url + "/shares", "{\"role\":\"boss\"}", v.owner);
  CHECK(r.status == 400);
  r = c.request("POST", url + "/shares", "{\"role\":\"view\",\"expiresIn\":600}", v.owner);
  REQUIRE(r.status == 201);
  std::string view = "Bearer " + member(r.body, "token");
  r = c.request("POST", url + "/shares", "{\"role\":\"control\"}", v.owner);
  REQUIRE(r.status == 201);
  std::string control = "Bearer " + member(r.body, "token");
  /* bob cannot share alice's session. */
  CHECK(c.request("POST", url + "/shares", "{}", v.other).status == 404);

  CHECK(c.request("GET", url, "", view).status == 200);
  CHECK(c.request("POST", url + "/resize", "{\"width\":800,\"height\":600}", view).status == 403);
  CHECK(c.request("DELETE", url, "", view).status == 403);
  CHECK(c.request("POST", v.vdid->base + "/api/v1/sessions", "{}", view).status == 403);
  CHECK(c.request("POST", url + "/resize", "{\"width\":800,\"height\":600}", control).status ==
        200);
  CHECK(c.request("GET", url, "", "Bearer not-a-token").status == 401);

  /* A share link can be revoked on its own, by the owner only. */
  r = c.request("POST", url + "/shares", "{}", v.owner);
  REQUIRE(r.status == 201);
  std::string revoked = member(r.body, "token");
  CHECK(c.request("DELETE", url + "/shares/" + revoked, "", v.other).status == 404);
  CHECK(c.request("DELETE", url + "/shares/" + revoked, "", view).status == 403);
  CHECK(c.request("GET", url, "", "Bearer " + revoked).status == 200);
  CHECK(c.request("DELETE", url + "/shares/" + revoked, "", v.owner).status == 204);
  CHECK(c.request("GET", url, "", "Bearer " + revoked).status == 401);
  r = c.request("DELETE", url + "/shares/" + revoked, "", v.owner);
  CHECK(r.status == 404);
  CHECK(jsonError(r.body) == "no such share link of session " + url.substr(url.rfind('/') + 1));
  CHECK(c.request("GET", url, "", view).status == 200);

  /* The host's budgets, for users (not for share tokens). */
  r = c.request("GET", v.vdid->base + "/api/v1/budgets", "", v.owner);
  CHECK(r.status == 200);
  CHECK(r.body.find("\"maxPerUser\":4") != std::string::npos);
  CHECK(c.request("GET", v.vdid->base + "/api/v1/budgets", "", view).status == 403);

  /* Tokens die with the session. */
  CHECK(c.request("DELETE", url, "", v.owner).status == 204);
  CHECK(c.request("GET", url, "", view).status == 401);
}

TEST_CASE("vdid validates session requests and enforces limits", "[vdid][sessions]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v("max-sessions-per-user=1\n");
  Client c;
  std::string base = v.vdid->base + "/api/v1/sessions";
  for (const char *bad :
       {"{\"width\":-5}", "{\"width\":\"wide\"}", "{\"fps\":1000}", "{\"width\":63,\"height\":64}",
        "{\"apps\":\"foot\"}", "{\"apps\":[[]]}", "{\"apps\":[[1,2]]}", "[]", "{oops"}) {
    Response r = c.request("POST", base, bad, v.owner);
    INFO(bad << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK_FALSE(jsonError(r.body).empty());
  }
  /* bob has no Unix account: refused with a reason. */
  Response r = c.request("POST", base, "{}", v.other);
  CHECK(r.status == 403);
  CHECK(jsonError(r.body).find("Unix account") != std::string::npos);

  r = c.request("POST", base, "{}", v.owner);
  REQUIRE(r.status == 201);
  r = c.request("POST", base, "{}", v.owner);
  CHECK(r.status == 429);
  CHECK(jsonError(r.body).find("most allowed per user") != std::string::npos);
}

TEST_CASE("vdid marks a session failed when its compositor dies, and SIGTERM leaves nothing",
          "[vdid][sessions]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v;
  Client c;
  std::string base = v.vdid->base + "/api/v1/sessions";
  std::vector<std::string> dirs;
  std::vector<std::string> urls;
  for (int i = 0; i < 2; i++) {
    Response r = c.request("POST", base, "{}", v.owner);
    REQUIRE(r.status == 201);
    urls.push_back(base + "/" + member(r.body, "id"));
    dirs.push_back(v.base + "/" + member(r.body, "id"));
    REQUIRE(waitState(c, urls.back(), v.owner) == "running");
  }
  /* kill -9 the first session's compositor: it fails, the second runs on. */
  for (pid_t p : processesOf(dirs[0]))
    kill(p, SIGKILL);
  CHECK(eventually(
    5s, [&] { return member(c.request("GET", urls[0], "", v.owner).body, "state") == "failed"; }));
  CHECK(c.request("GET", urls[0], "", v.owner).body.find("killed by signal 9") !=
        std::string::npos);
  CHECK(member(c.request("GET", urls[1], "", v.owner).body, "state") == "running");

  int status = v.vdid->proc->stop(10000ms);
  CHECK(WIFEXITED(status));
  for (const auto &d : dirs) {
    CHECK(processesOf(d).empty());
    CHECK_FALSE(g_file_test(d.c_str(), G_FILE_TEST_EXISTS));
  }
}

/* ---- signalling relay ------------------------------------------------------ */

TEST_CASE("vdid relays WebRTC signalling between a viewer and the session's pipeline",
          "[vdid][sessions][signalling]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!g_file_test((std::string(g_getenv("VDI_BUILD_ROOT")) + "/orchestrator/vdid-worker").c_str(),
                   G_FILE_TEST_IS_EXECUTABLE))
    VDI_SKIP("vdid-worker was not built");
  SessionVdid v("stream=true\n");
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  CHECK_FALSE(member(c.request("GET", url, "", v.owner).body, "encoder").empty());

  std::string ws = "ws" + url.substr(4) + "/signalling";
  {
    /* Strangers are refused with an error message, not silently. */
    WsClient stranger(ws, v.other);
    REQUIRE(stranger.open());
    std::string err = stranger.waitFor("error", 5s);
    CHECK(err.find("no such session") != std::string::npos);
  }
  WsClient viewer(ws, v.owner);
  REQUIRE(viewer.open());
  std::string welcome = viewer.waitFor("welcome", 20s);
  REQUIRE_FALSE(welcome.empty());
  CHECK_FALSE(member(welcome, "peerId").empty());

  viewer.send(R"({"type":"list"})");
  std::string list = viewer.waitFor("list", 10s);
  REQUIRE_FALSE(list.empty());
  g_autoptr(JsonParser) p = json_parser_new();
  REQUIRE(json_parser_load_from_data(p, list.c_str(), -1, nullptr));
  JsonArray *producers =
    json_object_get_array_member(json_node_get_object(json_parser_get_root(p)), "producers");
  REQUIRE(json_array_get_length(producers) >= 1);
  std::string producer =
    json_object_get_string_member(json_array_get_object_element(producers, 0), "id");

  viewer.send(R"({"type":"startSession","peerId":")" + producer + R"("})");
  CHECK_FALSE(viewer.waitFor("sessionStarted", 10s).empty());
  /* The pipeline's offer comes back through vdid. */
  std::string offer = viewer.waitFor("peer", 15s);
  INFO(offer.substr(0, 300));
  CHECK(offer.find("\"sdp\"") != std::string::npos);
  CHECK(offer.find("H264") != std::string::npos);
  CHECK(member(c.request("GET", url, "", v.owner).body, "viewers") == "1");

  /* Malformed signalling gets an error and the connection stays usable. */
  viewer.send("{not json");
  CHECK_FALSE(viewer.waitFor("error", 5s).empty());
  viewer.send(R"({"type":"list"})");
  CHECK_FALSE(viewer.waitFor("list", 5s).empty());
}

TEST_CASE("vdid stops sessions nobody watched for idle-timeout", "[vdid][sessions]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v("idle-timeout=2\nstream=false\n");
  Client c;
  Response r = c.request("POST", v.vdid->base + "/api/v1/sessions", "{}", v.owner);
  REQUIRE(r.status == 201);
  std::string url = v.vdid->base + "/api/v1/sessions/" + member(r.body, "id");
  std::string dir = v.base + "/" + member(r.body, "id");
  REQUIRE(waitState(c, url, v.owner) == "running");
  CHECK(eventually(
    10s, [&] { return c.request("GET", url, "", v.owner).status == 404; }, 50ms));
  CHECK(processesOf(dir).empty());
}

TEST_CASE("a vdid restarted after kill -9 stops the sessions left behind", "[vdid][sessions]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  std::string base, dir, id;
  {
    /* Streaming: its worker is left behind too. */
    SessionVdid first("stream=true\n");
    first.keep_base = true;
    base = first.base;
    Client c;
    Response r = c.request("POST", first.vdid->base + "/api/v1/sessions", "{}", first.owner);
    REQUIRE(r.status == 201);
    std::string url = first.vdid->base + "/api/v1/sessions/" + member(r.body, "id");
    id = member(r.body, "id");
    dir = base + "/" + id;
    REQUIRE(waitState(c, url, first.owner) == "running");
    /* kill -9 vdid alone: its session's compositor lives on, orphaned. */
    kill(first.vdid->proc->pid(), SIGKILL);
    first.vdid->proc->wait(5000ms);
    std::this_thread::sleep_for(200ms);
    REQUIRE_FALSE(processesOf(dir).empty());
  }
  g_autofree char *log = nullptr;
  close(g_file_open_tmp("vdid-reap-XXXXXX.log", &log, nullptr));
  SessionVdid second("stream=true\n", base, log);
  std::string left = allProcesses(dir);
  INFO("still running: " << left);
  CHECK(left.empty());
  CHECK_FALSE(g_file_test(dir.c_str(), G_FILE_TEST_EXISTS));
  /* The restarted vdid says which session ended, and does not list it. */
  g_autofree char *text = nullptr;
  g_file_get_contents(log, &text, nullptr, nullptr);
  CHECK(std::string(text ? text : "").find("reaped session " + id + " left by a previous vdid") !=
        std::string::npos);
  Client c;
  CHECK(c.request("GET", second.vdid->base + "/api/v1/sessions/" + id, "", second.owner).status ==
        404);
  unlink(log);
}

TEST_CASE("a browser plays a vdid session through the relayed signalling", "[vdid][browser]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_BROWSER();
  SessionVdid v("stream=true\n");
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);

  /* vdid serves the web client at /. */
  Response page = c.request("GET", v.vdid->base + "/");
  CHECK(page.status == 200);
  CHECK(page.body.find("<video") != std::string::npos);
  CHECK(c.request("GET", v.vdid->base + "/app.js").status == 200);

  /* A share link (no sign-in): the token authenticates the WebSocket. */
  Response r = c.request("POST", url + "/shares", "{\"role\":\"control\"}", v.owner);
  REQUIRE(r.status == 201);
  std::string json = playShareLink(v.vdid->base, id, member(r.body, "token"));
  INFO(json);
  CHECK(json.find("\"error\"") == std::string::npos);
  CHECK(member(json, "width") == "640");
  CHECK(member(json, "height") == "480");
  CHECK(std::stoi(member(json, "frames")) >= 5);

  /* /metrics tells an operator what that session costs and does. */
  std::string text;
  std::smatch m;
  std::string labels = "\\{session=\"" + id + "\",user=\"" + v.user + "\"\\}";
  /* The worker reports every 2 s. */
  eventually(
    6s,
    [&] {
      text = c.request("GET", v.vdid->base + "/metrics", "", v.owner).body;
      return std::regex_search(text, m, std::regex("vdi_session_fps" + labels + " ([0-9.e+]+)")) &&
             std::stod(m[1]) > 0;
    },
    100ms);
  INFO(text);
  REQUIRE(
    std::regex_search(text, m, std::regex("vdi_session_rss_bytes" + labels + " ([0-9.e+]+)")));
  CHECK(std::stod(m[1]) > 10e6);
  REQUIRE(std::regex_search(text, m,
                            std::regex("vdi_session_cpu_seconds_total" + labels + " ([0-9.e+]+)")));
  CHECK(std::stod(m[1]) > 0);
  /* The viewer made the encoder produce frames and bits in the last 2 s. */
  REQUIRE(std::regex_search(text, m, std::regex("vdi_session_fps" + labels + " ([0-9.e+]+)")));
  CHECK(std::stod(m[1]) > 0);
  REQUIRE(
    std::regex_search(text, m, std::regex("vdi_session_bitrate_bps" + labels + " ([0-9.e+]+)")));
  CHECK(std::stod(m[1]) > 0);
  CHECK(
    std::regex_search(text, std::regex("vdi_session_info\\{encoder=\"x264enc\",session=\"" + id)));
}

namespace {
unsigned openFds(pid_t pid)
{
  unsigned n = 0;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  g_autoptr(GDir) d = g_dir_open(dir.c_str(), 0, nullptr);
  while (d && g_dir_read_name(d))
    n++;
  return n;
}
} // namespace

TEST_CASE("kill -9 of one session's worker leaves another session streaming", "[vdid][sessions]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v("stream=true\n");
  Client c;
  std::string a, b;
  std::string url_a = startStreamingSession(v, c, &a);
  std::string url_b = startStreamingSession(v, c, &b);

  pid_t worker = workerOf(v.base + "/" + a);
  REQUIRE(worker > 0);
  kill(worker, SIGKILL);
  CHECK(eventually(
    5s, [&] { return member(c.request("GET", url_a, "", v.owner).body, "state") == "failed"; }));
  CHECK(c.request("GET", url_a, "", v.owner).body.find("worker was killed by signal 9") !=
        std::string::npos);
  /* The rest of A (compositor, apps, sound services) is being stopped as
   * the state turns "failed": SIGTERM at once, SIGKILL after its grace
   * time (2 s for a compositor), without blocking vdid. So it is gone
   * within that, not necessarily at the instant the state changed. */
  checkSessionGone(v.base + "/" + a, 5s);

  /* B still streams: a viewer still gets an offer through vdid. */
  CHECK(member(c.request("GET", url_b, "", v.owner).body, "state") == "running");
  viewerWithOffer(url_b, v.owner);
}

TEST_CASE("20 create/delete cycles leave no process and no file descriptor behind",
          "[vdid][sessions]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v("stream=true\n");
  Client c;
  std::string id;
  c.request("DELETE", startStreamingSession(v, c, &id), "", v.owner); /* warm up */
  unsigned fds_before = openFds(v.vdid->proc->pid());
  for (int i = 0; i < 20; i++) {
    std::string url = startStreamingSession(v, c, &id);
    REQUIRE(c.request("DELETE", url, "", v.owner).status == 204);
    CHECK(processesOf(v.base + "/" + id).empty());
  }
  unsigned fds_after = openFds(v.vdid->proc->pid());
  INFO("vdid fds before " << fds_before << ", after " << fds_after);
  CHECK(fds_after <= fds_before + 2);
  g_autoptr(GDir) d = g_dir_open(v.base.c_str(), 0, nullptr);
  CHECK(g_dir_read_name(d) == nullptr); /* no runtime dir left */
}

/* -- pool, limits, encoder cap, TLS ------------------------------------------ */

namespace {

/* Processes whose XDG_RUNTIME_DIR is inside @base (any session of a vdid). */
std::vector<pid_t> processesUnder(const std::string &base)
{
  std::vector<pid_t> out;
  g_autoptr(GDir) d = g_dir_open(base.c_str(), 0, nullptr);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    for (pid_t p : processesOf(base + "/" + name))
      out.push_back(p);
  return out;
}

std::vector<std::string> runtimeDirs(const std::string &base)
{
  std::vector<std::string> out;
  g_autoptr(GDir) d = g_dir_open(base.c_str(), 0, nullptr);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    out.emplace_back(name);
  return out;
}

/* A sample of /metrics, e.g. metricValue(text, "vdi_pool_ready{user=\"x\"}"); -1 if absent. */
double metricValue(const std::string &text, const std::string &sample)
{
  size_t pos = 0;
  while ((pos = text.find(sample + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n')
      return g_ascii_strtod(text.c_str() + pos + sample.size() + 1, nullptr);
    pos++;
  }
  return -1;
}

/* Waits until the pool of @v has @n ready sessions of its user. */
bool waitPoolReady(SessionVdid &v, Client &c, double n, std::chrono::seconds timeout = 40s)
{
  std::string sample = "vdi_pool_ready{user=\"" + v.user + "\"}";
  return eventually(timeout, [&] {
    return metricValue(c.request("GET", v.vdid->base + "/metrics", "", v.owner).body, sample) == n;
  });
}

/* A viewer gets the pipeline's H.264 offer through vdid's signalling relay. */
std::string offerThroughRelay(const std::string &session_url, const std::string &auth)
{
  WsClient viewer("ws" + session_url.substr(4) + "/signalling", auth);
  if (!viewer.open() || viewer.waitFor("welcome", 20s).empty())
    return "";
  viewer.send(R"({"type":"list"})");
  std::string list = viewer.waitFor("list", 10s);
  std::smatch m;
  if (!std::regex_search(list, m, std::regex("\"id\":\"([^\"]+)\"")))
    return "";
  viewer.send(R"({"type":"startSession","peerId":")" + m[1].str() + R"("})");
  return viewer.waitFor("peer", 15s);
}

/* The current mode of the session's sway output, "WxH". */
std::string swayMode(const std::string &dir)
{
  g_autoptr(GDir) d = g_dir_open(dir.c_str(), 0, nullptr);
  const char *name;
  std::string ipc;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_prefix(name, "sway-ipc."))
      ipc = dir + "/" + name;
  if (ipc.empty())
    return "";
  std::string cmd = "swaymsg -r -s '" + ipc + "' -t get_outputs";
  g_autofree char *out = nullptr;
  if (!g_spawn_command_line_sync(cmd.c_str(), &out, nullptr, nullptr, nullptr) || !out)
    return "";
  std::smatch m;
  std::string text = out;
  if (!std::regex_search(text, m,
                         std::regex("\"current_mode\":\\s*\\{\\s*\"width\":\\s*(\\d+),\\s*"
                                    "\"height\":\\s*(\\d+)")))
    return "";
  return m[1].str() + "x" + m[2].str();
}

/* The nice values of every thread of every process of a session dir. */
std::set<int> niceOf(const std::string &dir)
{
  std::set<int> out;
  for (pid_t p : processesOf(dir)) {
    g_autofree char *task_dir = g_strdup_printf("/proc/%d/task", p);
    g_autoptr(GDir) tasks = g_dir_open(task_dir, 0, nullptr);
    const char *tid;
    while (tasks && (tid = g_dir_read_name(tasks))) {
      g_autofree char *path = g_strdup_printf("%s/%s/stat", task_dir, tid);
      g_autofree char *stat = nullptr;
      if (!g_file_get_contents(path, &stat, nullptr, nullptr))
        continue;
      /* After "(comm)": state ppid pgrp session tty tpgid flags minflt
       * cminflt majflt cmajflt utime stime cutime cstime priority nice */
      const char *close = strrchr(stat, ')');
      int nice = 0;
      if (close &&
          sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d",
                 &nice) == 1)
        out.insert(nice);
    }
  }
  return out;
}

} // namespace

TEST_CASE("vdid serves sessions from a pre-warmed pool and refills it", "[vdid][sessions][pool]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  SessionVdid v("stream=true\npool-size=1\nmax-sessions-per-user=3\n");
  Client c;
  std::string api = v.vdid->base + "/api/v1/sessions";
  REQUIRE(waitPoolReady(v, c, 1));

  /* The pooled session is not listed and not anyone's yet, but it runs: a
   * compositor and a worker whose pipeline plays. */
  CHECK(c.request("GET", api, "", v.owner).body == "[]");
  auto dirs = runtimeDirs(v.base);
  REQUIRE(dirs.size() == 1);
  std::string pooled_id = dirs[0];
  CHECK(workerOf(v.base + "/" + pooled_id) > 0);
  /* Filling the pool never competes with sessions in use. */
  CHECK(niceOf(v.base + "/" + pooled_id) == std::set<int>{10});

  /* A POST with the default size and fps takes it: running at once. */
  Response r = c.request("POST", api, R"({"apps":[["sh","-c","sleep 600"]]})", v.owner);
  REQUIRE(r.status == 201);
  CHECK(member(r.body, "id") == pooled_id);
  CHECK(member(r.body, "state") == "running");
  CHECK(r.body.find("\"pooled\":true") != std::string::npos);
  std::string url = api + "/" + pooled_id;
  /* Its app was launched, and it streams. */
  CHECK(eventually(5s, [&] {
    for (pid_t p : processesOf(v.base + "/" + pooled_id))
      if (cmdline(p).find("sleep 600") != std::string::npos)
        return true;
    return false;
  }));
  /* A claimed session runs at normal priority, every thread of it. */
  CHECK(niceOf(v.base + "/" + pooled_id) == std::set<int>{0});
  std::string offer = offerThroughRelay(url, v.owner);
  INFO(offer.substr(0, 200));
  CHECK(offer.find("H264") != std::string::npos);
  CHECK(c.request("GET", api, "", v.owner).body.find(pooled_id) != std::string::npos);

  /* The pool refills; a request for another size takes the new one and
   * resizes its output. */
  REQUIRE(waitPoolReady(v, c, 1));
  r = c.request("POST", api, R"({"width":800,"height":600})", v.owner);
  REQUIRE(r.status == 201);
  CHECK(member(r.body, "state") == "running");
  CHECK(r.body.find("\"pooled\":true") != std::string::npos);
  CHECK(member(r.body, "width") == "800");
  CHECK(member(r.body, "height") == "600");
  std::string resized = member(r.body, "id");
  CHECK(swayMode(v.base + "/" + resized) == "800x600");
  CHECK_FALSE(offerThroughRelay(api + "/" + resized, v.owner).empty());

  /* Another fps cannot use the pool: a cold start. */
  REQUIRE(waitPoolReady(v, c, 1));
  r = c.request("POST", api, R"({"fps":15})", v.owner);
  REQUIRE(r.status == 201);
  CHECK(r.body.find("\"pooled\":false") != std::string::npos);
  std::string cold = member(r.body, "id");
  CHECK(waitState(c, api + "/" + cold, v.owner) == "running");

  std::string metrics = c.request("GET", v.vdid->base + "/metrics", "", v.owner).body;
  CHECK(metricValue(metrics, "vdi_pool_claims_total") == 2);
  CHECK(metricValue(metrics, "vdi_pool_misses_total") == 1);

  /* Pooled sessions do not count to max-sessions-per-user (3 here): the
   * fourth request is refused although one is ready in the pool. */
  REQUIRE(waitPoolReady(v, c, 1));
  r = c.request("POST", api, "{}", v.owner);
  CHECK(r.status == 429);
  CHECK(jsonError(r.body).find("most allowed per user") != std::string::npos);

  /* DELETE leaves nothing of the claimed session; SIGTERM nothing at all,
   * the unclaimed pooled session included. */
  REQUIRE(c.request("DELETE", url, "", v.owner).status == 204);
  CHECK(processesOf(v.base + "/" + pooled_id).empty());
  CHECK_FALSE(g_file_test((v.base + "/" + pooled_id).c_str(), G_FILE_TEST_EXISTS));
  dirs = runtimeDirs(v.base);
  CHECK(dirs.size() == 3); /* resized, cold, and the pool's */
  std::vector<pid_t> before = processesUnder(v.base);
  CHECK_FALSE(before.empty());
  int status = v.vdid->proc->stop(15000ms);
  CHECK(WIFEXITED(status));
  for (pid_t p : before)
    CHECK((kill(p, 0) < 0 && errno == ESRCH));
  CHECK(runtimeDirs(v.base).empty());
}

TEST_CASE("pooled sessions left by a killed vdid are reaped", "[vdid][sessions][pool]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  std::string base;
  std::vector<pid_t> left;
  {
    SessionVdid first("stream=false\npool-size=1\n");
    first.keep_base = true;
    base = first.base;
    Client c;
    REQUIRE(waitPoolReady(first, c, 1));
    kill(first.vdid->proc->pid(), SIGKILL);
    first.vdid->proc->wait(5000ms);
    left = processesUnder(base);
    REQUIRE_FALSE(left.empty());
  }
  SessionVdid second("stream=false\n", base);
  for (pid_t p : left)
    CHECK((kill(p, 0) < 0 && errno == ESRCH));
}

TEST_CASE("max-hardware-sessions=0 starts workers software-only", "[vdid][sessions][encoders]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  SessionVdid v("stream=true\n[encoders]\nmax-hardware-sessions=0\n");
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  std::string encoder = member(c.request("GET", url, "", v.owner).body, "encoder");
  CHECK((encoder == "x264enc" || encoder == "openh264enc"));
  pid_t worker = workerOf(v.base + "/" + id);
  REQUIRE(worker > 0);
  CHECK(cmdline(worker).find(" --software-only") != std::string::npos);

  /* With the default cap (4) no hardware session runs here, so the worker
   * may choose any encoder. */
  SessionVdid d("stream=true\n");
  std::string id2;
  startStreamingSession(d, c, &id2);
  pid_t worker2 = workerOf(d.base + "/" + id2);
  REQUIRE(worker2 > 0);
  CHECK(cmdline(worker2).find("--software-only") == std::string::npos);
}

TEST_CASE("vdid serves HTTPS with tls-certificate and tls-key", "[vdid][tls]")
{
  SelfSigned tls;
  const std::string &dir = tls.dir, &cert = tls.cert, &key = tls.key;
  std::string conf = dir + "/vdid.conf";
  std::ofstream(conf) << "[server]\ntls-certificate=" << cert << "\ntls-key=" << key
                      << "\n[users]\nalice=" << hashOf("pw") << "\n";
  Vdid vdid({"--config", conf});
  REQUIRE(vdid.base.rfind("https://127.0.0.1:", 0) == 0);

  g_autoptr(GTlsCertificate) ours = g_tls_certificate_new_from_file(cert.c_str(), nullptr);
  REQUIRE(ours);
  g_autoptr(SoupSession) session = soup_session_new();
  /* Accept exactly our self-signed certificate. */
  auto send = [&](const char *method, const std::string &url, const std::string &body,
                  std::string *set_cookie, GError **error) -> unsigned {
    g_autoptr(SoupMessage) msg = soup_message_new(method, url.c_str());
    g_signal_connect(msg, "accept-certificate",
                     G_CALLBACK(+[](SoupMessage *, GTlsCertificate *peer, GTlsCertificateFlags,
                                    gpointer expected) -> gboolean {
                       return g_tls_certificate_is_same(peer,
                                                        static_cast<GTlsCertificate *>(expected));
                     }),
                     ours);
    if (!body.empty()) {
      g_autoptr(GBytes) b = g_bytes_new(body.data(), body.size());
      soup_message_set_request_body_from_bytes(msg, "application/json", b);
    }
    g_autoptr(GBytes) out = soup_session_send_and_read(session, msg, nullptr, error);
    if (!out)
      return 0;
    if (set_cookie) {
      const char *c =
        soup_message_headers_get_one(soup_message_get_response_headers(msg), "Set-Cookie");
      *set_cookie = c ? c : "";
    }
    return soup_message_get_status(msg);
  };
  GError *error = nullptr;
  CHECK(send("GET", vdid.base + "/health", "", nullptr, &error) == 200);
  if (error)
    FAIL(error->message);
  std::string cookie;
  CHECK(send("POST", vdid.base + "/api/v1/login", R"({"user":"alice","password":"pw"})", &cookie,
             &error) == 200);
  g_clear_error(&error);
  INFO(cookie);
  CHECK(cookie.find("vdid_session=") == 0);
  CHECK(cookie.find("; Secure") != std::string::npos);

  /* Plain HTTP to the TLS port gets no answer. */
  std::string plain = "http://" + vdid.base.substr(strlen("https://"));
  unsigned plain_status = send("GET", plain + "/health", "", nullptr, &error);
  CHECK(plain_status != 200);
  CHECK((error != nullptr || plain_status >= 400));
  g_clear_error(&error);
  CHECK(vdid.proc->stop(5000ms) == 0);
}
