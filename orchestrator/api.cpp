/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "api.h"

#include "pool.h"
#include "process-stats.h"
#include "requests.h"

#include <cstring>
#include <unistd.h>

namespace vdid {

Api::Api(const Config &config, Auth &auth, Metrics &metrics, HttpServer &http,
         SessionManager &sessions, Operations &operations)
  : config_(config), metrics_(metrics), http_(http), sessions_(sessions), ops_(operations),
    common_(config, auth, metrics, http)
{
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
    for (const char *f : {"vdi_session_info", "vdi_session_viewers", "vdi_session_fps",
                          "vdi_session_bitrate_bps", "vdi_session_frame_seconds",
                          "vdi_session_coded_fps", "vdi_session_keyframe_requests_total",
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
    std::map<std::string, unsigned> by_state = {{"starting", 0}, {"running", 0}, {"failed", 0}};
    for (const auto &s : sessions_.list())
      by_state[sessionStateName(s->state)]++;
    for (const auto &[state, n] : by_state)
      m.set("vdi_sessions", {{"state", state}}, n);
  });
  http_.route("/api/v1/node", [this](Request &r) { node(r); });
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

/* GET /api/v1/node: the node report (node-report.h, docs/fleet.md); its
 * sessions for the front door (and admins) only. */
void Api::node(Request &req)
{
  auto id = authenticate(req);
  if (!id)
    return;
  if (req.method != "GET")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
  if (id->isShare())
    return respondError(req.msg, SOUP_STATUS_FORBIDDEN, "a share token cannot read the node");
  /* Unclaimed pooled sessions make room for a new one: their reservation
   * counts as free. */
  Reservation used;
  unsigned live = 0;
  for (const auto &s : sessions_.list(true))
    if (!s->in_pool && (s->state == SessionState::Starting || s->state == SessionState::Running)) {
      used += s->reservation;
      live++;
    }
  const HostBudget &budget = config_.budget;
  respondJson(req.msg, SOUP_STATUS_OK, buildJson([&](JsonBuilder *b) {
                auto member = [b](const char *name) { json_builder_set_member_name(b, name); };
                member("id");
                json_builder_add_string_value(b, config_.node_id.c_str());
                member("url");
                if (config_.node_url.empty())
                  json_builder_add_null_value(b);
                else
                  json_builder_add_string_value(b, config_.node_url.c_str());
                member("sessions");
                json_builder_begin_object(b);
                member("max");
                json_builder_add_int_value(b, config_.max_sessions);
                member("live");
                json_builder_add_int_value(b, live);
                json_builder_end_object(b);
                member("budget");
                json_builder_begin_object(b);
                member("cpu");
                if (budget.cpu > 0) {
                  json_builder_begin_object(b);
                  member("total");
                  json_builder_add_double_value(b, budget.cpu);
                  member("free");
                  json_builder_add_double_value(b, std::max(0.0, budget.cpu - used.cpu));
                  member("session");
                  json_builder_add_double_value(b, budget.session.cpu);
                  json_builder_end_object(b);
                } else {
                  json_builder_add_null_value(b);
                }
                member("memory");
                if (budget.memory > 0) {
                  json_builder_begin_object(b);
                  member("total");
                  json_builder_add_int_value(b, static_cast<gint64>(budget.memory));
                  member("free");
                  json_builder_add_int_value(b, static_cast<gint64>(budget.memory > used.memory
                                                                      ? budget.memory - used.memory
                                                                      : 0));
                  member("session");
                  json_builder_add_int_value(b, static_cast<gint64>(budget.session.memory));
                  json_builder_end_object(b);
                } else {
                  json_builder_add_null_value(b);
                }
                json_builder_end_object(b);
                member("pool");
                json_builder_begin_object(b);
                member("size");
                json_builder_add_int_value(b, config_.pool_size);
                member("ready");
                json_builder_begin_object(b);
                if (const Pool *pool = sessions_.pool())
                  for (const auto &user : pool->users()) {
                    member(user.c_str());
                    json_builder_add_int_value(b, pool->ready(user));
                  }
                json_builder_end_object(b);
                json_builder_end_object(b);
                if (id->door || id->admin) {
                  member("list");
                  json_builder_begin_array(b);
                  for (const auto &s : sessions_.list())
                    json_builder_add_value(b, ops_.sessionJson(*s));
                  json_builder_end_array(b);
                }
              }));
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
