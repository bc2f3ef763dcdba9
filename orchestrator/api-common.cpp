/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "api-common.h"

#include "requests.h"

namespace vdid {

namespace {
constexpr const char *kCookieName = "vdid_session";
}

CommonRoutes::CommonRoutes(const Config &config, Auth &auth, Metrics &metrics, HttpServer &http)
  : config_(config), auth_(auth), metrics_(metrics), http_(http), ice_(config.ice),
    started_(std::chrono::steady_clock::now())
{
  metrics_.declare("vdi_up", Metrics::Type::Gauge, "1 while vdid serves requests");
  metrics_.declare("vdi_uptime_seconds", Metrics::Type::Gauge, "Seconds since vdid started");
  metrics_.declare("vdi_http_requests_total", Metrics::Type::Counter,
                   "HTTP requests answered, by status code");
  metrics_.declare("vdi_login_failures_total", Metrics::Type::Counter,
                   "Rejected credentials (HTTP Basic and /api/v1/login)");
  metrics_.declare("vdi_login_rate_limited_total", Metrics::Type::Counter,
                   "Requests refused because their address failed too often");
  metrics_.addCollector([this](Metrics &m) {
    m.set("vdi_up", {}, 1);
    m.set("vdi_uptime_seconds", {},
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  });
  http_.on_response = [this](const std::string &, const std::string &, unsigned status) {
    metrics_.add("vdi_http_requests_total", {{"code", std::to_string(status)}});
  };

  /* The page: static files, no secrets in them; everything they use needs
   * authentication. */
  std::string web_root = config_.web_root;
  if (web_root.empty() && g_getenv("GST_VDI_WEB_ROOT"))
    web_root = g_getenv("GST_VDI_WEB_ROOT");
  if (web_root.empty())
    web_root = VDID_PLAYER_DIR;
  http_.route("/", [web_root](Request &r) { respondFile(r, web_root); });
  http_.route("/health", [this](Request &r) { health(r); });
  http_.route("/metrics", [this](Request &r) { metricsPage(r); });
  http_.route("/api/v1/login", [this](Request &r) { login(r); });
  http_.route("/api/v1/logout", [this](Request &r) { logout(r); });
  http_.route("/api/v1/whoami", [this](Request &r) { whoami(r); });
  http_.route("/api/v1/ice-servers", [this](Request &r) { iceServersPage(r); });
}

std::optional<Identity> CommonRoutes::identify(Request &req, unsigned *status, std::string *error)
{
  std::string authz = req.header("Authorization");
  std::string token;
  if (g_ascii_strncasecmp(authz.c_str(), "Bearer ", 7) == 0)
    token = authz.substr(7);
  else if (authz.empty())
    token = req.query("token");
  if (!token.empty()) {
    if (auto id = auth_.checkShare(token))
      return id;
    *status = SOUP_STATUS_UNAUTHORIZED;
    *error = "the share token is unknown or expired";
    return std::nullopt;
  }
  if (!authz.empty()) {
    std::string user, password;
    if (!Auth::parseBasic(authz, &user, &password)) {
      *status = SOUP_STATUS_BAD_REQUEST;
      *error = "the Authorization header is neither Basic nor Bearer";
      return std::nullopt;
    }
    Identity id;
    switch (auth_.checkPassword(req.remote, user, password, &id)) {
    case Auth::Result::Ok:
      return id;
    case Auth::Result::RateLimited:
      metrics_.add("vdi_login_rate_limited_total");
      *status = kStatusTooManyRequests;
      *error = "too many failed logins from this address; wait a minute";
      return std::nullopt;
    case Auth::Result::BadCredentials:
      metrics_.add("vdi_login_failures_total");
      break;
    }
  } else if (std::string cookie = req.cookie(kCookieName); !cookie.empty()) {
    if (auto id = auth_.checkCookie(cookie)) {
      if (!id->door || req.path == "/api/v1/node")
        return id;
      *status = SOUP_STATUS_FORBIDDEN;
      *error = "the front door's token reads /api/v1/node only";
      return std::nullopt;
    }
  }
  *status = SOUP_STATUS_UNAUTHORIZED;
  *error = "authentication required";
  return std::nullopt;
}

std::optional<Identity> CommonRoutes::authenticate(Request &req)
{
  unsigned status = 0;
  std::string error;
  auto id = identify(req, &status, &error);
  if (id)
    return id;
  /* No Basic challenge for the web client (it says X-Requested-With): a
   * browser would pop up its own login dialog over the page's sign-in. */
  if (status == SOUP_STATUS_UNAUTHORIZED &&
      !soup_message_headers_get_one(soup_server_message_get_request_headers(req.msg),
                                    "X-Requested-With"))
    soup_message_headers_replace(soup_server_message_get_response_headers(req.msg),
                                 "WWW-Authenticate", "Basic realm=\"vdid\", charset=\"UTF-8\"");
  respondError(req.msg, status, error);
  return std::nullopt;
}

void CommonRoutes::health(Request &req)
{
  if (req.method != "GET" && req.method != "HEAD")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
  double uptime =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  respondJson(req.msg, SOUP_STATUS_OK, buildJson([&](JsonBuilder *b) {
                json_builder_set_member_name(b, "status");
                json_builder_add_string_value(b, "ok");
                json_builder_set_member_name(b, "version");
                json_builder_add_string_value(b, VERSION);
                json_builder_set_member_name(b, "uptime");
                json_builder_add_double_value(b, uptime);
              }));
}

void CommonRoutes::metricsPage(Request &req)
{
  if (!authenticate(req))
    return;
  respondText(req.msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
              metrics_.render());
}

void CommonRoutes::login(Request &req)
{
  if (req.method != "POST")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
  LoginRequest login;
  std::string error;
  std::string body = req.body();
  if (!parseLoginRequest(body.data(), body.size(), &login, &error))
    return respondError(req.msg, SOUP_STATUS_BAD_REQUEST, error);
  Identity id;
  switch (auth_.checkPassword(req.remote, login.user, login.password, &id)) {
  case Auth::Result::RateLimited:
    metrics_.add("vdi_login_rate_limited_total");
    return respondError(req.msg, kStatusTooManyRequests,
                        "too many failed logins from this address; wait a minute");
  case Auth::Result::BadCredentials:
    metrics_.add("vdi_login_failures_total");
    return respondError(req.msg, SOUP_STATUS_UNAUTHORIZED, "wrong user name or password");
  case Auth::Result::Ok:
    break;
  }
  std::string cookie = auth_.createCookie(id.user);
  std::string header =
    std::string(kCookieName) + "=" + cookie + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
    std::to_string(config_.cookie_lifetime.count()) + (http_.tls() ? "; Secure" : "");
  soup_message_headers_append(soup_server_message_get_response_headers(req.msg), "Set-Cookie",
                              header.c_str());
  respondJson(req.msg, SOUP_STATUS_OK, buildJson([&](JsonBuilder *b) {
                json_builder_set_member_name(b, "user");
                json_builder_add_string_value(b, id.user.c_str());
                json_builder_set_member_name(b, "admin");
                json_builder_add_boolean_value(b, id.admin);
              }));
}

void CommonRoutes::logout(Request &req)
{
  if (req.method != "POST")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
  if (std::string cookie = req.cookie(kCookieName); !cookie.empty())
    auth_.revokeCookie(cookie);
  soup_message_headers_append(soup_server_message_get_response_headers(req.msg), "Set-Cookie",
                              "vdid_session=; Path=/; Max-Age=0");
  soup_server_message_set_status(req.msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

void CommonRoutes::whoami(Request &req)
{
  auto id = authenticate(req);
  if (!id)
    return;
  respondJson(req.msg, SOUP_STATUS_OK, buildJson([&](JsonBuilder *b) {
                json_builder_set_member_name(b, "user");
                json_builder_add_string_value(b, id->user.c_str());
                json_builder_set_member_name(b, "admin");
                json_builder_add_boolean_value(b, id->admin);
                if (id->isShare()) {
                  json_builder_set_member_name(b, "session");
                  json_builder_add_string_value(b, id->share_session.c_str());
                  json_builder_set_member_name(b, "role");
                  json_builder_add_string_value(b, roleName(id->share_role));
                }
              }));
}

TurnCredential CommonRoutes::turnCredential(const Identity &id) const
{
  /* coturn reads "EXPIRY:USER"; a share link's viewer has no user name. */
  std::string user = id.isShare() ? "share-" + id.share_session : id.user;
  return ice_.credentialFor(user, g_get_real_time() / G_USEC_PER_SEC);
}

/* GET /api/v1/ice-servers: an RTCConfiguration's iceServers, with a TURN
 * credential minted for the caller (fetched before each connection). */
void CommonRoutes::iceServersPage(Request &req)
{
  if (req.path != "/api/v1/ice-servers")
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such resource");
  auto id = authenticate(req);
  if (!id)
    return;
  if (req.method != "GET")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
  SoupMessageHeaders *h = soup_server_message_get_response_headers(req.msg);
  soup_message_headers_replace(h, "Cache-Control", "no-store");
  respondText(req.msg, SOUP_STATUS_OK, "application/json",
              ice_.rtcConfiguration(turnCredential(*id)));
}

} // namespace vdid
