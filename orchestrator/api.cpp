/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "api.h"

namespace vdid {

namespace {
constexpr const char *kCookieName = "vdid_session";
}

Api::Api(const Config &config, Auth &auth, Metrics &metrics, HttpServer &http)
  : config_(config), auth_(auth), metrics_(metrics), http_(http),
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

  http_.route("/health", [this](Request &r) { health(r); });
  http_.route("/metrics", [this](Request &r) { metricsPage(r); });
  http_.route("/api/v1/login", [this](Request &r) { login(r); });
  http_.route("/api/v1/logout", [this](Request &r) { logout(r); });
  http_.route("/api/v1/whoami", [this](Request &r) { whoami(r); });
}

std::optional<Identity> Api::authenticate(Request &req)
{
  std::string authz = req.header("Authorization");
  if (g_ascii_strncasecmp(authz.c_str(), "Bearer ", 7) == 0) {
    if (auto id = auth_.checkShare(authz.substr(7)))
      return id;
    respondError(req.msg, SOUP_STATUS_UNAUTHORIZED, "the share token is unknown or expired");
    return std::nullopt;
  }
  if (!authz.empty()) {
    std::string user, password;
    if (!Auth::parseBasic(authz, &user, &password)) {
      respondError(req.msg, SOUP_STATUS_BAD_REQUEST,
                   "the Authorization header is neither Basic nor Bearer");
      return std::nullopt;
    }
    Identity id;
    switch (auth_.checkPassword(req.remote, user, password, &id)) {
    case Auth::Result::Ok:
      return id;
    case Auth::Result::RateLimited:
      metrics_.add("vdi_login_rate_limited_total");
      respondError(req.msg, kStatusTooManyRequests,
                   "too many failed logins from this address; wait a minute");
      return std::nullopt;
    case Auth::Result::BadCredentials:
      metrics_.add("vdi_login_failures_total");
      break;
    }
  } else if (std::string cookie = req.cookie(kCookieName); !cookie.empty()) {
    if (auto id = auth_.checkCookie(cookie))
      return id;
  }
  soup_message_headers_replace(soup_server_message_get_response_headers(req.msg),
                               "WWW-Authenticate", "Basic realm=\"vdid\", charset=\"UTF-8\"");
  respondError(req.msg, SOUP_STATUS_UNAUTHORIZED, "authentication required");
  return std::nullopt;
}

void Api::health(Request &req)
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

void Api::metricsPage(Request &req)
{
  if (!authenticate(req))
    return;
  respondText(req.msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
              metrics_.render());
}

void Api::login(Request &req)
{
  if (req.method != "POST")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *body = req.jsonObject(parser);
  if (!body)
    return;
  const char *user = json_object_get_string_member_with_default(body, "user", nullptr);
  const char *password = json_object_get_string_member_with_default(body, "password", nullptr);
  if (!user || !password)
    return respondError(req.msg, SOUP_STATUS_BAD_REQUEST,
                        "the body needs \"user\" and \"password\" strings");
  Identity id;
  switch (auth_.checkPassword(req.remote, user, password, &id)) {
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

void Api::logout(Request &req)
{
  if (req.method != "POST")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
  if (std::string cookie = req.cookie(kCookieName); !cookie.empty())
    auth_.revokeCookie(cookie);
  soup_message_headers_append(soup_server_message_get_response_headers(req.msg), "Set-Cookie",
                              "vdid_session=; Path=/; Max-Age=0");
  soup_server_message_set_status(req.msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

void Api::whoami(Request &req)
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

} // namespace vdid
