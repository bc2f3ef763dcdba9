/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid as a real process on a free loopback port, driven by a real HTTP
 * client (libsoup).
 */

#include "sway-session.h"
#include "test-util.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <fstream>
#include <memory>
#include <regex>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

struct Response {
  unsigned status = 0;
  std::string body;
  std::string set_cookie;
  std::string www_authenticate;
};

class Client
{
public:
  Client() : session_(soup_session_new()) {}
  ~Client() { g_object_unref(session_); }

  Response request(const std::string &method, const std::string &url, const std::string &body = "",
                   const std::string &authorization = "", const std::string &cookie = "")
  {
    g_autoptr(SoupMessage) msg = soup_message_new(method.c_str(), url.c_str());
    SoupMessageHeaders *h = soup_message_get_request_headers(msg);
    if (!authorization.empty())
      soup_message_headers_replace(h, "Authorization", authorization.c_str());
    if (!cookie.empty())
      soup_message_headers_replace(h, "Cookie", cookie.c_str());
    if (!body.empty()) {
      g_autoptr(GBytes) bytes = g_bytes_new(body.data(), body.size());
      soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
    }
    g_autoptr(GError) error = nullptr;
    g_autoptr(GBytes) out = soup_session_send_and_read(session_, msg, nullptr, &error);
    Response r;
    if (!out) {
      FAIL("request failed: " << error->message);
      return r;
    }
    r.status = soup_message_get_status(msg);
    gsize len = 0;
    auto *data = static_cast<const char *>(g_bytes_get_data(out, &len));
    r.body.assign(data ? data : "", len);
    SoupMessageHeaders *rh = soup_message_get_response_headers(msg);
    if (const char *c = soup_message_headers_get_one(rh, "Set-Cookie"))
      r.set_cookie = c;
    if (const char *w = soup_message_headers_get_one(rh, "WWW-Authenticate"))
      r.www_authenticate = w;
    return r;
  }

private:
  SoupSession *session_;
};

std::string basic(const std::string &user, const std::string &password)
{
  std::string raw = user + ":" + password;
  g_autofree char *b64 = g_base64_encode(reinterpret_cast<const guchar *>(raw.data()), raw.size());
  return std::string("Basic ") + b64;
}

/* The "error" member of a JSON error body, or "" if the body is not one. */
std::string jsonError(const std::string &body)
{
  g_autoptr(JsonParser) p = json_parser_new();
  if (!json_parser_load_from_data(p, body.c_str(), -1, nullptr))
    return "";
  JsonNode *root = json_parser_get_root(p);
  if (!JSON_NODE_HOLDS_OBJECT(root))
    return "";
  return json_object_get_string_member_with_default(json_node_get_object(root), "error", "");
}

struct Vdid {
  std::unique_ptr<Process> proc;
  std::string base;
  std::string demo_password;

  explicit Vdid(const std::vector<std::string> &args)
  {
    std::vector<std::string> argv = {std::string(g_getenv("VDI_BUILD_ROOT")) + "/orchestrator/vdid",
                                     "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    proc = std::make_unique<Process>(argv);
    auto line = proc->waitFor("vdid: listening on ", 10s);
    REQUIRE(line);
    std::smatch m;
    REQUIRE(std::regex_search(*line, m, std::regex("(https?://[^ ]+)/$")));
    base = m[1];
    if (args.empty()) {
      auto demo = proc->waitFor("vdid: no --config", 2s);
      REQUIRE(demo);
      std::smatch pm;
      REQUIRE(std::regex_search(*demo, pm, std::regex("password \"([^\"]+)\"")));
      demo_password = pm[1];
    }
  }
};

} // namespace

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
