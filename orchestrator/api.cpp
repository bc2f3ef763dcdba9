/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "api.h"

#include "process-stats.h"
#include "requests.h"

#include <cstring>
#include <unistd.h>

namespace vdid {

namespace {
constexpr const char *kCookieName = "vdid_session";
}

Api::Api(const Config &config, Auth &auth, Metrics &metrics, HttpServer &http,
         SessionManager &sessions)
  : config_(config), auth_(auth), metrics_(metrics), http_(http), sessions_(sessions),
    ice_(config.ice), started_(std::chrono::steady_clock::now())
{
  metrics_.declare("vdi_up", Metrics::Type::Gauge, "1 while vdid serves requests");
  metrics_.declare("vdi_uptime_seconds", Metrics::Type::Gauge, "Seconds since vdid started");
  metrics_.declare("vdi_http_requests_total", Metrics::Type::Counter,
                   "HTTP requests answered, by status code");
  metrics_.declare("vdi_login_failures_total", Metrics::Type::Counter,
                   "Rejected credentials (HTTP Basic and /api/v1/login)");
  metrics_.declare("vdi_login_rate_limited_total", Metrics::Type::Counter,
                   "Requests refused because their address failed too often");
  metrics_.declare("vdi_sessions", Metrics::Type::Gauge, "Sessions, by state");
  metrics_.declare("vdi_viewers", Metrics::Type::Gauge, "WebRTC viewers, all sessions");
  metrics_.declare("vdi_session_info", Metrics::Type::Gauge,
                   "1 per session, with its user, state and encoder as labels");
  metrics_.declare(
    "vdi_session_viewers", Metrics::Type::Gauge,
    "Viewers of a session: WebRTC (signalling and WHEP), plus one per running HLS or SRT delivery");
  metrics_.declare("vdi_session_fps", Metrics::Type::Gauge,
                   "Encoded frames per second of a session (last 2 s)");
  metrics_.declare("vdi_session_bitrate_bps", Metrics::Type::Gauge,
                   "Encoded bits per second of a session (last 2 s)");
  metrics_.declare("vdi_session_keyframe_requests_total", Metrics::Type::Counter,
                   "Keyframe requests of a session's viewers");
  metrics_.declare("vdi_session_cpu_seconds_total", Metrics::Type::Counter,
                   "CPU time of a session's processes (compositor, worker, apps)");
  metrics_.declare("vdi_session_rss_bytes", Metrics::Type::Gauge,
                   "Resident memory of a session's processes");
  metrics_.addCollector([this](Metrics &m) {
    for (const char *f : {"vdi_session_info", "vdi_session_viewers", "vdi_session_fps",
                          "vdi_session_bitrate_bps", "vdi_session_keyframe_requests_total",
                          "vdi_session_cpu_seconds_total", "vdi_session_rss_bytes"})
      m.clear(f);
    unsigned all_viewers = 0;
    for (const auto &s : sessions_.list()) {
      Labels l = {{"session", s->id}, {"user", s->user}};
      Labels info = l;
      info["state"] = sessionStateName(s->state);
      info["encoder"] = s->encoder;
      info["tier"] = config_.tiers[s->tier].name;
      m.set("vdi_session_info", info, 1);
      unsigned viewers = sessions_.viewers(s->id);
      all_viewers += viewers;
      m.set("vdi_session_viewers", l, viewers);
      if (s->worker) {
        m.set("vdi_session_fps", l, s->worker_status.fps);
        m.set("vdi_session_bitrate_bps", l, s->worker_status.bitrate);
        m.set("vdi_session_keyframe_requests_total", l,
              static_cast<double>(s->worker_status.keyframe_requests));
      }
      ProcessUsage usage = processUsage(sessions_.pids(*s));
      m.set("vdi_session_cpu_seconds_total", l, usage.cpu_seconds);
      m.set("vdi_session_rss_bytes", l, usage.rss_bytes);
    }
    m.set("vdi_viewers", {}, all_viewers);
  });
  metrics_.addCollector([this](Metrics &m) {
    m.set("vdi_up", {}, 1);
    std::map<std::string, unsigned> by_state = {{"starting", 0}, {"running", 0}, {"failed", 0}};
    for (const auto &s : sessions_.list())
      by_state[sessionStateName(s->state)]++;
    for (const auto &[state, n] : by_state)
      m.set("vdi_sessions", {{"state", state}}, n);
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
  http_.route("/api/v1/budget", [this](Request &r) { budgetPage(r); });
  http_.route("/api/v1/sessions", [this](Request &r) {
    if (r.path == "/api/v1/sessions" || r.path == "/api/v1/sessions/")
      sessionsRoot(r);
    else
      sessionItem(r);
  });
}

bool Api::maySee(const Identity &id, const Session &s)
{
  return id.admin || (!id.isShare() && s.user == id.user) ||
         (id.isShare() && id.share_session == s.id);
}

std::optional<Identity> Api::identify(Request &req, unsigned *status, std::string *error)
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
    if (auto id = auth_.checkCookie(cookie))
      return id;
  }
  *status = SOUP_STATUS_UNAUTHORIZED;
  *error = "authentication required";
  return std::nullopt;
}

std::optional<Identity> Api::authenticate(Request &req)
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

TurnCredential Api::turnCredential(const Identity &id) const
{
  /* coturn reads "EXPIRY:USER"; a share link's viewer has no user name. */
  std::string user = id.isShare() ? "share-" + id.share_session : id.user;
  return ice_.credentialFor(user, g_get_real_time() / G_USEC_PER_SEC);
}

/* GET /api/v1/ice-servers: an RTCConfiguration's iceServers, with a TURN
 * credential minted for the caller (fetched before each connection). */
void Api::iceServersPage(Request &req)
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

/* GET /api/v1/budget: the host budget and what sessions reserve of it, so
 * that a client can tell before a create whether one more fits. */
void Api::budgetPage(Request &req)
{
  if (req.path != "/api/v1/budget")
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such resource");
  auto id = authenticate(req);
  if (!id)
    return;
  if (id->isShare())
    return respondError(req.msg, SOUP_STATUS_FORBIDDEN, "a share link cannot read the budget");
  if (req.method != "GET")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
  respondJson(req.msg, SOUP_STATUS_OK, buildJson([&](JsonBuilder *b) {
                describeBudget(b, config_.budget, sessions_.reserved(), sessions_.live(),
                               config_.max_sessions);
              }));
}

JsonNode *Api::sessionJson(const Session &s)
{
  return buildJson([&](JsonBuilder *b) {
    auto str = [b](const char *k, const std::string &v) {
      json_builder_set_member_name(b, k);
      json_builder_add_string_value(b, v.c_str());
    };
    auto num = [b](const char *k, gint64 v) {
      json_builder_set_member_name(b, k);
      json_builder_add_int_value(b, v);
    };
    str("id", s.id);
    str("user", s.user);
    str("state", sessionStateName(s.state));
    if (s.state == SessionState::Failed)
      str("reason", s.reason);
    num("width", s.width);
    num("height", s.height);
    num("fps", s.fps);
    str("encoder", s.encoder);
    num("viewers", sessions_.viewers(s.id));
    json_builder_set_member_name(b, "urls");
    json_builder_begin_object(b);
    str("signalling", "/api/v1/sessions/" + s.id + "/signalling");
    if (describe_urls)
      describe_urls(b, s);
    json_builder_end_object(b);
    g_autoptr(GDateTime) created = g_date_time_new_from_unix_utc(s.created);
    g_autofree char *iso = g_date_time_format_iso8601(created);
    str("created", iso);
    sessions_.describe(b, s); /* pooled, limits */
  });
}

std::shared_ptr<Session> Api::visibleSession(Request &req, const Identity &id,
                                             const std::string &sid)
{
  auto s = sessions_.get(sid);
  if (!s || !maySee(id, *s)) {
    /* The same answer whether it does not exist or is someone else's. */
    respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such session: " + sid);
    return nullptr;
  }
  return s;
}

std::shared_ptr<Session> Api::requestedSession(Request &req, const std::string &sid, Identity *who)
{
  auto id = authenticate(req);
  if (!id)
    return nullptr;
  if (who)
    *who = *id;
  return visibleSession(req, *id, sid);
}

void Api::sessionsRoot(Request &req)
{
  auto id = authenticate(req);
  if (!id)
    return;
  if (req.method == "POST") {
    if (id->isShare())
      return respondError(req.msg, SOUP_STATUS_FORBIDDEN, "a share token cannot create sessions");
    return createSession(req, *id);
  }
  if (req.method != "GET")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET or POST");
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto &s : sessions_.list()) {
    if (maySee(*id, *s))
      json_builder_add_value(b, sessionJson(*s));
  }
  json_builder_end_array(b);
  respondJson(req.msg, SOUP_STATUS_OK, json_builder_get_root(b));
}

void Api::createSession(Request &req, const Identity &id)
{
  SessionSpec spec;
  std::string error;
  std::string body = req.body();
  if (!parseSessionRequest(body.data(), body.size(), &spec, &error))
    return respondError(req.msg, SOUP_STATUS_BAD_REQUEST, error);
  SessionManager::Error code;
  std::string message;
  auto s = sessions_.create(id.user, spec, &code, &message);
  if (!s) {
    unsigned status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
    if (code == SessionManager::Error::BadRequest)
      status = SOUP_STATUS_BAD_REQUEST;
    else if (code == SessionManager::Error::LimitReached)
      status = kStatusTooManyRequests;
    else if (code == SessionManager::Error::NoSuchUser)
      status = SOUP_STATUS_FORBIDDEN;
    return respondError(req.msg, status, message);
  }
  std::string location = "/api/v1/sessions/" + s->id;
  soup_message_headers_replace(soup_server_message_get_response_headers(req.msg), "Location",
                               location.c_str());
  respondJson(req.msg, SOUP_STATUS_CREATED, sessionJson(*s));
}

void Api::sessionItem(Request &req)
{
  /* /api/v1/sessions/{id}[/action] */
  std::string rest = req.path.substr(strlen("/api/v1/sessions/"));
  std::string sid = rest.substr(0, rest.find('/'));
  std::string action = rest.size() > sid.size() ? rest.substr(sid.size() + 1) : "";
  Identity who;
  auto s = requestedSession(req, sid, &who);
  if (!s)
    return;
  bool may_control = !who.isShare() || who.share_role == Role::Control;

  if (action.empty()) {
    if (req.method == "GET")
      return respondJson(req.msg, SOUP_STATUS_OK, sessionJson(*s));
    if (req.method == "DELETE") {
      if (who.isShare())
        return respondError(req.msg, SOUP_STATUS_FORBIDDEN,
                            "a share token cannot stop the session");
      auth_.revokeSharesOf(sid);
      /* Answered once nothing of the session runs any more. */
      auto answer = http_.defer(req);
      sessions_.destroy(sid, [answer] {
        answer([](SoupServerMessage *msg) {
          soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
        });
      });
      return;
    }
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET or DELETE");
  }
  if (action == "resize") {
    if (req.method != "POST")
      return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
    if (!may_control)
      return respondError(req.msg, SOUP_STATUS_FORBIDDEN, "a view-only share cannot resize");
    ResizeRequest resize;
    std::string error, body = req.body();
    if (!parseResizeRequest(body.data(), body.size(), &resize, &error))
      return respondError(req.msg, SOUP_STATUS_BAD_REQUEST, error);
    unsigned w = resize.width, h = resize.height;
    std::string message;
    if (!sessions_.resize(sid, w, h, &message))
      return respondError(req.msg, SOUP_STATUS_CONFLICT, message);
    return respondJson(req.msg, SOUP_STATUS_OK, sessionJson(*s));
  }
  if (action == "shares") {
    if (req.method != "POST")
      return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
    if (who.isShare())
      return respondError(req.msg, SOUP_STATUS_FORBIDDEN, "a share token cannot make shares");
    ShareRequest share;
    std::string error, body = req.body();
    if (!parseShareRequest(body.data(), body.size(), &share, &error))
      return respondError(req.msg, SOUP_STATUS_BAD_REQUEST, error);
    Role role = share.role;
    unsigned lifetime = share.expires_in;
    std::string token = auth_.createShare(sid, role, std::chrono::seconds(lifetime));
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autoptr(GDateTime) expiry = g_date_time_add_seconds(now, lifetime);
    g_autofree char *iso = g_date_time_format_iso8601(expiry);
    return respondJson(req.msg, SOUP_STATUS_CREATED, buildJson([&](JsonBuilder *b) {
                         json_builder_set_member_name(b, "token");
                         json_builder_add_string_value(b, token.c_str());
                         json_builder_set_member_name(b, "role");
                         json_builder_add_string_value(b, roleName(role));
                         json_builder_set_member_name(b, "session");
                         json_builder_add_string_value(b, sid.c_str());
                         json_builder_set_member_name(b, "expires");
                         json_builder_add_string_value(b, iso);
                       }));
  }
  respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such resource: " + req.path);
}

} // namespace vdid
