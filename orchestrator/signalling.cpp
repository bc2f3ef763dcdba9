/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "signalling.h"

#include <memory>
#include <vector>

namespace vdid {

namespace {

/* One viewer's WebSocket, alive while the connection is. */
struct Viewer {
  SoupWebsocketConnection *conn;
  SessionManager *sessions;
  std::string session;
  std::string peer;                 /* empty until the worker answers */
  std::vector<std::string> pending; /* messages that came before that */
  bool closed = false;
};

void sendError(SoupWebsocketConnection *conn, const std::string &details)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "error");
  json_builder_set_member_name(b, "details");
  json_builder_add_string_value(b, details.c_str());
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = json_to_string(root, FALSE);
  soup_websocket_connection_send_text(conn, text);
}

} // namespace

Signalling::Signalling(HttpServer &http, Api &api, SessionManager &sessions, Metrics &metrics)
  : api_(api), sessions_(sessions), metrics_(metrics)
{
  metrics_.declare("vdi_signalling_connections_total", Metrics::Type::Counter,
                   "Signalling WebSockets accepted, by outcome");
  http.websocket("/api/v1/sessions",
                 [this](Request &req, SoupWebsocketConnection *conn) { accept(req, conn); });
}

void Signalling::accept(Request &req, SoupWebsocketConnection *conn)
{
  /* /api/v1/sessions/{id}/signalling */
  static const std::string prefix = "/api/v1/sessions/";
  static const std::string suffix = "/signalling";
  std::string path = req.path;
  std::string sid;
  if (path.size() > prefix.size() + suffix.size() &&
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
    sid = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());

  unsigned status = 0;
  std::string error;
  auto id = api_.identify(req, &status, &error);
  auto session = sid.empty() ? nullptr : sessions_.get(sid);
  auto refuse = [&](const std::string &why, const char *outcome) {
    metrics_.add("vdi_signalling_connections_total", {{"outcome", outcome}});
    sendError(conn, why);
    soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, why.c_str());
  };
  if (!id)
    return refuse(error, "unauthorized");
  if (!session || !Api::maySee(*id, *session))
    return refuse("no such session: " + sid, "not-found");
  if (session->state != SessionState::Running)
    return refuse(std::string("the session is ") + sessionStateName(session->state), "not-running");

  metrics_.add("vdi_signalling_connections_total", {{"outcome", "accepted"}});
  auto viewer = std::make_shared<Viewer>();
  viewer->conn = static_cast<SoupWebsocketConnection *>(g_object_ref(conn));
  viewer->sessions = &sessions_;
  viewer->session = sid;
  /* No pings from clients are needed; keep idle connections alive through
   * proxies. */
  soup_websocket_connection_set_keepalive_interval(conn, 20);

  /* The shared_ptr lives in the signal closures; the last closure gone (the
   * connection finalized) frees it. */
  auto *holder = new std::shared_ptr<Viewer>(viewer);
  g_signal_connect_data(
    conn, "message",
    G_CALLBACK(+[](SoupWebsocketConnection *, gint type, GBytes *message, gpointer data) {
      auto &v = *static_cast<std::shared_ptr<Viewer> *>(data);
      if (type != SOUP_WEBSOCKET_DATA_TEXT)
        return;
      gsize len = 0;
      const char *text = static_cast<const char *>(g_bytes_get_data(message, &len));
      std::string msg(text ? text : "", len);
      if (v->peer.empty())
        v->pending.push_back(std::move(msg));
      else
        v->sessions->sendToPeer(v->session, v->peer, msg);
    }),
    holder, [](gpointer data, GClosure *) { delete static_cast<std::shared_ptr<Viewer> *>(data); },
    GConnectFlags(0));
  auto *holder2 = new std::shared_ptr<Viewer>(viewer);
  g_signal_connect_data(
    conn, "closed", G_CALLBACK(+[](SoupWebsocketConnection *, gpointer data) {
      auto &v = *static_cast<std::shared_ptr<Viewer> *>(data);
      v->closed = true;
      if (!v->peer.empty())
        v->sessions->removePeer(v->session, v->peer);
      g_clear_object(&v->conn);
    }),
    holder2, [](gpointer data, GClosure *) { delete static_cast<std::shared_ptr<Viewer> *>(data); },
    GConnectFlags(0));

  std::weak_ptr<Viewer> weak = viewer;
  bool view_only = id->isShare() && id->share_role == Role::View;
  TurnCredential turn = api_.turnCredential(*id);
  sessions_.addPeer(
    sid, view_only ? "view" : "control",
    [&](JsonBuilder *b) { api_.iceServers().addWorkerMembers(b, turn); },
    [weak](const std::string &message) {
      auto v = weak.lock();
      if (v && !v->closed && v->conn &&
          soup_websocket_connection_get_state(v->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text(v->conn, message.c_str());
    },
    [weak](const std::string &peer) {
      auto v = weak.lock();
      if (!v)
        return;
      if (peer.empty()) {
        if (!v->closed && v->conn) {
          sendError(v->conn, "the session's pipeline is not available");
          soup_websocket_connection_close(v->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
        }
        return;
      }
      if (v->closed) {
        v->sessions->removePeer(v->session, peer);
        return;
      }
      v->peer = peer;
      for (const auto &m : v->pending)
        v->sessions->sendToPeer(v->session, v->peer, m);
      v->pending.clear();
    });
}

} // namespace vdid
