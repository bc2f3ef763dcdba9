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
         SessionManager &sessions, Operations &operations)
  : config_(config), auth_(auth), metrics_(metrics), http_(http), sessions_(sessions),
    ops_(operations), ice_(config.ice), started_(std::chrono::steady_clock::now())
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
                   "Pictures per second a session sends (last 2 s), its still-screen repeats "
                   "included");
  metrics_.declare("vdi_session_bitrate_bps", Metrics::Type::Gauge,
                   "Encoded bits per second of a session (last 2 s)");
  metrics_.declare("vdi_session_frame_seconds", Metrics::Type::Gauge,
                   "Mean time a frame of a session took to convert and encode (last 2 s)");
  metrics_.declare("vdi_session_coded_fps", Metrics::Type::Gauge,
                   "Frames per second a session's encoder coded (last 2 s), without repeats");
  metrics_.declare("vdi_session_keyframe_requests_total", Metrics::Type::Counter,
                   "Keyframe requests of a session's viewers");
  metrics_.declare("vdi_session_cpu_seconds_total", Metrics::Type::Counter,
                   "CPU time of a session's processes (compositor, worker, apps)");
  metrics_.declare("vdi_session_rss_bytes", Metrics::Type::Gauge,
                   "Resident memory of a session's processes");
  metrics_.addCollector([this](Metrics &m) {
    for (const char *f :
         {"vdi_session_info", "vdi_session_viewers", "vdi_session_fps", "vdi_session_bitrate_bps",
          "vdi_session_frame_seconds", "vdi_session_coded_fps",
          "vdi_session_keyframe_requests_total",
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
        m.set("vdi_session_frame_seconds", l, s->worker_status.frame_ms / 1000);
        m.set("vdi_session_coded_fps", l, s->worker_status.coded_fps);
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
  http_.route("/api/v1/budgets", [this](Request &r) { budgets(r); });
  http_.route("/api/v1/sessions", [this](Request &r) {
    if (r.path == "/api/v1/sessions" || r.path == "/api/v1/sessions/")
      sessionsRoot(r);
    else
      sessionItem(r);
  });
}

void Api::respondFailure(SoupServerMessage *msg, const Outcome &outcome)
{
  unsigned status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  switch (outcome.failure) {
  case Failure::BadRequest:
    status = SOUP_STATUS_BAD_REQUEST;
    break;
  case Failure::Unauthorized:
    status = SOUP_STATUS_UNAUTHORIZED;
    break;
  case Failure::Forbidden:
    status = SOUP_STATUS_FORBIDDEN;
    break;
  case Failure::NotFound:
    status = SOUP_STATUS_NOT_FOUND;
    break;
  case Failure::Conflict:
    status = SOUP_STATUS_CONFLICT;
    break;
  case Failure::LimitReached:
    status = kStatusTooManyRequests;
    break;
  case Failure::None:
  case Failure::Failed:
    break;
  }
  respondError(msg, status, outcome.message);
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

std::shared_ptr<Session> Api::visibleSession(Request &req, const Identity &id,
                                             const std::string &sid)
{
  Outcome outcome;
  auto s = ops_.find(id, sid, &outcome);
  if (!s)
    respondFailure(req.msg, outcome);
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
  if (req.method == "POST")
    return createSession(req, *id);
  if (req.method != "GET")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET or POST");
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto &s : ops_.visible(*id))
    json_builder_add_value(b, ops_.sessionJson(*s));
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
  Outcome outcome;
  auto s = ops_.create(id, spec, &outcome);
  if (!s)
    return respondFailure(req.msg, outcome);
  std::string location = "/api/v1/sessions/" + s->id;
  soup_message_headers_replace(soup_server_message_get_response_headers(req.msg), "Location",
                               location.c_str());
  respondJson(req.msg, SOUP_STATUS_CREATED, ops_.sessionJson(*s));
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
  Outcome outcome;

  if (action.empty()) {
    if (req.method == "GET")
      return respondJson(req.msg, SOUP_STATUS_OK, ops_.sessionJson(*s));
    if (req.method == "DELETE") {
      /* Answered once nothing of the session runs any more. */
      auto answer = http_.defer(req);
      bool stopping = ops_.stop(
        who, sid,
        [answer] {
          answer([](SoupServerMessage *msg) {
            soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
          });
        },
        &outcome);
      if (!stopping)
        answer([outcome](SoupServerMessage *msg) { respondFailure(msg, outcome); });
      return;
    }
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET or DELETE");
  }
  if (action == "resize") {
    if (req.method != "POST")
      return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
    ResizeRequest resize;
    std::string error, body = req.body();
    if (!parseResizeRequest(body.data(), body.size(), &resize, &error))
      return respondError(req.msg, SOUP_STATUS_BAD_REQUEST, error);
    if (!ops_.resize(who, sid, resize, &outcome))
      return respondFailure(req.msg, outcome);
    return respondJson(req.msg, SOUP_STATUS_OK, ops_.sessionJson(*s));
  }
  if (action == "shares" || action.rfind("shares/", 0) == 0)
    return sharesItem(req, who, sid, action);
  respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such resource: " + req.path);
}

/* POST /api/v1/sessions/ID/shares, DELETE /api/v1/sessions/ID/shares/TOKEN */
void Api::sharesItem(Request &req, const Identity &who, const std::string &sid,
                     const std::string &action)
{
  Outcome outcome;
  if (action != "shares") {
    if (req.method != "DELETE")
      return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use DELETE");
    if (!ops_.revokeShare(who, sid, action.substr(strlen("shares/")), &outcome))
      return respondFailure(req.msg, outcome);
    return soup_server_message_set_status(req.msg, SOUP_STATUS_NO_CONTENT, nullptr);
  }
  if (req.method != "POST")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST");
  ShareRequest request;
  std::string error, body = req.body();
  if (!parseShareRequest(body.data(), body.size(), &request, &error))
    return respondError(req.msg, SOUP_STATUS_BAD_REQUEST, error);
  ShareLink link;
  if (!ops_.share(who, sid, request, &link, &outcome))
    return respondFailure(req.msg, outcome);
  respondJson(req.msg, SOUP_STATUS_CREATED, Operations::shareJson(link));
}

/* GET /api/v1/budgets: what the host lets sessions use. */
void Api::budgets(Request &req)
{
  auto id = authenticate(req);
  if (!id)
    return;
  if (req.method != "GET")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
  Outcome outcome;
  JsonNode *node = ops_.budgets(*id, &outcome);
  if (!node)
    return respondFailure(req.msg, outcome);
  respondJson(req.msg, SOUP_STATUS_OK, node);
}

} // namespace vdid
