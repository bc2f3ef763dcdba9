/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "streams.h"

#include "worker-protocol.h"

#include <regex>

namespace vdid {

namespace {

constexpr gint64 kPlaylistWaitUs = 10 * G_USEC_PER_SEC;
/* How long a failed HLS branch is reported before it is tried again. */
constexpr gint64 kHlsRetryUs = 10 * G_USEC_PER_SEC;
/* Largest WHEP offer or trickle fragment (a real offer is ~10 KiB): its JSON
 * string for the worker, escaped, stays well under the worker's 4 MiB line
 * limit (a dropped line would leave the request unanswered). */
constexpr size_t kMaxSdp = 64 * 1024;

/* "/whep/ID/RESOURCE" -> {"ID", "RESOURCE"}; the resource may be empty.
 * A path outside @prefix (the route "/whep" also gets "/whep" itself)
 * gives {"", ""}. */
std::pair<std::string, std::string> splitPath(const std::string &path, const std::string &prefix)
{
  if (path.compare(0, prefix.size(), prefix) != 0)
    return {"", ""};
  std::string rest = path.substr(prefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string::npos)
    return {rest, ""};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

std::string mediaType(Request &req)
{
  std::string type = req.header("Content-Type");
  size_t semi = type.find(';');
  if (semi != std::string::npos)
    type.resize(semi);
  return g_strstrip(type.data());
}

} // namespace

Streams::Streams(const Config &config, Api &api, HttpServer &http, SessionManager &sessions)
  : config_(config), api_(api), http_(http), sessions_(sessions)
{
  http.route("/whep", [this](Request &req) { whep(req); });
  http.route("/hls", [this](Request &req) { hls(req); });
  hls_timer_ = g_timeout_add_seconds(5, onHlsTick, this);
}

Streams::~Streams()
{
  if (hls_timer_)
    g_source_remove(hls_timer_);
}

std::vector<std::string> Streams::workerArguments(const Session &s) const
{
  if (!config_.hls)
    return {};
  return {"--hls-dir", hlsDir(s)};
}

void Streams::describeUrls(JsonBuilder *b, const Session &s) const
{
  if (!config_.stream)
    return;
  json_builder_set_member_name(b, "whep");
  json_builder_add_string_value(b, ("/whep/" + s.id).c_str());
  if (config_.hls) {
    json_builder_set_member_name(b, "hls");
    json_builder_add_string_value(b, ("/hls/" + s.id + "/index.m3u8").c_str());
  }
}

/* ---- WHEP ---------------------------------------------------------------- */

void Streams::whep(Request &req)
{
  auto [sid, resource] = splitPath(req.path, "/whep/");
  if (sid.empty())
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "use /whep/SESSION");
  Identity who;
  auto s = api_.requestedSession(req, sid, &who);
  if (!s)
    return;
  if (s->state != SessionState::Running || !s->workerReady())
    return respondError(req.msg, SOUP_STATUS_CONFLICT,
                        std::string("the session is ") + sessionStateName(s->state));

  std::string op;
  /* The viewer's STUN/TURN servers: its webrtcbin gathers with them, and the
   * answer lists them as Link headers (RFC 9725) for the player. */
  TurnCredential turn = api_.turnCredential(who);
  std::vector<std::string> links;
  std::function<void(JsonBuilder *)> fill;
  std::string body;
  if (resource.empty()) {
    if (req.method != "POST")
      return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                          "POST an SDP offer to /whep/SESSION");
    if (mediaType(req) != "application/sdp")
      return respondError(req.msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                          "a WHEP offer is application/sdp");
    body = req.body();
    if (body.size() > kMaxSdp)
      return respondError(req.msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                          "an SDP offer may hold at most 64 KiB");
    if (body.rfind("v=0", 0) != 0)
      return respondError(req.msg, SOUP_STATUS_BAD_REQUEST, "the body is not an SDP offer");
    op = "whep-offer";
    links = api_.iceServers().linkHeaders(turn);
    fill = [this, body, turn](JsonBuilder *b) {
      json_builder_set_member_name(b, "sdp");
      json_builder_add_string_value(b, body.c_str());
      api_.iceServers().addWorkerMembers(b, turn);
    };
  } else if (req.method == "PATCH") {
    if (mediaType(req) != "application/trickle-ice-sdpfrag")
      return respondError(req.msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                          "trickle ICE is application/trickle-ice-sdpfrag");
    body = req.body();
    if (body.size() > kMaxSdp)
      return respondError(req.msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                          "a trickle ICE fragment may hold at most 64 KiB");
    op = "whep-patch";
    fill = [resource = resource, body](JsonBuilder *b) {
      json_builder_set_member_name(b, "resource");
      json_builder_add_string_value(b, resource.c_str());
      json_builder_set_member_name(b, "fragment");
      json_builder_add_string_value(b, body.c_str());
    };
  } else if (req.method == "DELETE") {
    op = "whep-delete";
    fill = [resource = resource](JsonBuilder *b) {
      json_builder_set_member_name(b, "resource");
      json_builder_add_string_value(b, resource.c_str());
    };
  } else {
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                        "use PATCH or DELETE on a WHEP resource");
  }

  auto answer = http_.defer(req);
  std::string location = "/whep/" + sid + "/";
  bool sent = sessions_.workerRequest(
    sid, op.c_str(), fill, [answer, op, location, links](JsonObject *reply) {
      answer([&](SoupServerMessage *msg) {
        if (!reply)
          return respondError(msg, SOUP_STATUS_BAD_GATEWAY, "the session's pipeline went away");
        WorkerEvent e = readWorkerEvent(reply);
        unsigned status = e.status;
        const std::string &text = e.body, &res = e.resource;
        if (op == "whep-offer" && status == SOUP_STATUS_CREATED) {
          SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
          soup_message_headers_replace(h, "Location", (location + res).c_str());
          for (const auto &link : links)
            soup_message_headers_append(h, "Link", link.c_str());
          return respondText(msg, status, "application/sdp", text);
        }
        if (status >= 400)
          return respondError(msg, status, text.empty() ? "refused by the session" : text);
        soup_server_message_set_status(msg, status, nullptr);
      });
    });
  if (!sent)
    answer([](SoupServerMessage *msg) {
      respondError(msg, SOUP_STATUS_CONFLICT, "the session's pipeline is not ready");
    });
}

/* ---- HLS ----------------------------------------------------------------- */

void Streams::hls(Request &req)
{
  auto [sid, name] = splitPath(req.path, "/hls/");
  if (sid.empty() || name.empty())
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "use /hls/SESSION/index.m3u8");
  if (req.method != "GET" && req.method != "HEAD")
    return respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
  /* Players cannot add headers to every request: a share token may also
   * come as ?token= (authenticate() accepts it), which the playlist then
   * passes on to its segments. */
  auto s = api_.requestedSession(req, sid);
  if (!s)
    return;
  if (!config_.hls)
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "HLS is off ([sessions] hls=false)");
  if (s->state != SessionState::Running)
    return respondError(req.msg, SOUP_STATUS_CONFLICT,
                        std::string("the session is ") + sessionStateName(s->state));

  static const std::regex kNames("index\\.m3u8|segment[0-9]{1,9}\\.ts");
  if (!std::regex_match(name, kNames))
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such resource: " + req.path);

  /* Start the worker's HLS branch, or keep it running. */
  auto failed = hls_failed_.find(sid);
  if (failed != hls_failed_.end()) {
    if (g_get_monotonic_time() - failed->second.second < kHlsRetryUs)
      return respondError(req.msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                          "the session's HLS stopped: " + failed->second.first);
    hls_failed_.erase(failed);
  }
  auto active = hls_active_.find(sid);
  if (active == hls_active_.end()) {
    if (!sessions_.workerCommand(sid, "hls", [](JsonBuilder *b) {
          json_builder_set_member_name(b, "active");
          json_builder_add_boolean_value(b, TRUE);
        }))
      return respondError(req.msg, SOUP_STATUS_CONFLICT, "the session's pipeline is not ready");
    active = hls_active_.emplace(sid, 0).first;
  }
  active->second = g_get_monotonic_time();

  std::string dir = hlsDir(*s);
  if (name == "index.m3u8")
    return servePlaylist(req, dir, req.query("token"));
  Request file = req;
  file.path = "/" + name;
  respondFile(file, dir);
  if (soup_server_message_get_status(req.msg) == SOUP_STATUS_OK) {
    soup_message_headers_replace(soup_server_message_get_response_headers(req.msg), "Content-Type",
                                 "video/mp2t");
  }
}

/* The playlist once it lists a segment (the branch may just have started),
 * with the share token carried to the segment URLs. */
void Streams::servePlaylist(Request &req, const std::string &dir, const std::string &token)
{
  struct Wait {
    std::string path, token;
    gint64 deadline;
    std::function<void(const HttpServer::Answer &)> answer;
  };
  auto *wait = new Wait{dir + "/index.m3u8", token, g_get_monotonic_time() + kPlaylistWaitUs,
                        http_.defer(req)};
  auto tick = [](gpointer data) -> gboolean {
    auto *w = static_cast<Wait *>(data);
    g_autofree char *text = nullptr;
    if (g_file_get_contents(w->path.c_str(), &text, nullptr, nullptr) && strstr(text, "#EXTINF")) {
      std::string out;
      g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
      for (char **l = lines; *l; l++) {
        out += *l;
        if (!w->token.empty() && **l && **l != '#') {
          g_autofree char *escaped = g_uri_escape_string(w->token.c_str(), nullptr, FALSE);
          out += std::string("?token=") + escaped;
        }
        if (l[1])
          out += "\n";
      }
      w->answer([&](SoupServerMessage *msg) {
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                                     "no-cache");
        respondText(msg, SOUP_STATUS_OK, "application/vnd.apple.mpegurl", out);
      });
      return G_SOURCE_REMOVE;
    }
    if (g_get_monotonic_time() > w->deadline) {
      w->answer([](SoupServerMessage *msg) {
        respondError(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                     "the session's HLS stream did not start in time");
      });
      return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
  };
  if (tick(wait) == G_SOURCE_REMOVE) {
    delete wait;
    return;
  }
  g_timeout_add_full(G_PRIORITY_DEFAULT, 100, tick, wait,
                     [](gpointer data) { delete static_cast<Wait *>(data); });
}

void Streams::hlsFailed(const std::string &id, const std::string &message)
{
  g_warning("session %s: HLS stopped: %s", id.c_str(), message.c_str());
  hls_active_.erase(id); /* the worker removed the branch */
  hls_failed_[id] = {message, g_get_monotonic_time()};
}

/* Stops the HLS branches nobody read for kHlsIdleSeconds. */
gboolean Streams::onHlsTick(gpointer data)
{
  auto *self = static_cast<Streams *>(data);
  gint64 now = g_get_monotonic_time();
  for (auto it = self->hls_active_.begin(); it != self->hls_active_.end();) {
    auto s = self->sessions_.get(it->first);
    if (!s || s->state != SessionState::Running) {
      it = self->hls_active_.erase(it);
    } else if (now - it->second > kHlsIdleSeconds * G_USEC_PER_SEC) {
      self->sessions_.workerCommand(it->first, "hls", [](JsonBuilder *b) {
        json_builder_set_member_name(b, "active");
        json_builder_add_boolean_value(b, FALSE);
      });
      it = self->hls_active_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = self->hls_failed_.begin(); it != self->hls_failed_.end();)
    it = self->sessions_.get(it->first) ? std::next(it) : self->hls_failed_.erase(it);
  return G_SOURCE_CONTINUE;
}

} // namespace vdid
