/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "door.h"

#include "json.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace vdid {

namespace json = vdi::json;

namespace {

constexpr std::chrono::seconds kTokenLifetime{60};
constexpr std::chrono::milliseconds kListDeadline{3000};
constexpr std::chrono::milliseconds kCreateDeadline{10000};

std::string joinArray(const std::vector<std::string> &items)
{
  std::string out = "[";
  for (size_t i = 0; i < items.size(); i++)
    out += (i ? "," : "") + items[i];
  return out + "]";
}

/* The user of a session object's JSON text. */
std::string userOf(const std::string &session)
{
  json::Document doc;
  std::string error;
  JsonObject *o = doc.parseObject(session.data(), session.size(), &error);
  return o ? json::stringOr(o, "user") : "";
}

std::string idOf(const std::string &session)
{
  json::Document doc;
  std::string error;
  JsonObject *o = doc.parseObject(session.data(), session.size(), &error);
  return o ? json::stringOr(o, "id") : "";
}

bool maySee(const Identity &id, const std::string &session)
{
  return !id.isShare() && (id.admin || userOf(session) == id.user);
}

/* The elements of a JSON array text, each as text. */
bool arrayItems(const std::string &text, std::vector<std::string> *out)
{
  json::Document doc;
  std::string error;
  JsonNode *root = doc.parse(text.data(), text.size(), &error);
  if (!root || !JSON_NODE_HOLDS_ARRAY(root))
    return false;
  JsonArray *a = json_node_get_array(root);
  for (guint i = 0; i < json_array_get_length(a); i++)
    out->push_back(json::toString(json_array_get_element(a, i)));
  return true;
}

std::string secondsText(double s)
{
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

} // namespace

std::vector<std::string> lostSessions(const std::vector<std::string> &sessions,
                                      const std::string &node, gint64 lost_at)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(lost_at / G_USEC_PER_SEC);
  g_autofree char *at = g_date_time_format(when, "%H:%M:%S UTC");
  std::string reason = "its node " + node + " stopped answering at " + at +
                       "; the desktop and what ran in it are gone";
  std::vector<std::string> out;
  for (const auto &text : sessions) {
    json::Document doc;
    std::string error;
    JsonObject *o = doc.parseObject(text.data(), text.size(), &error);
    if (!o)
      continue;
    json_object_set_string_member(o, "state", "lost");
    json_object_set_string_member(o, "reason", reason.c_str());
    json_object_set_int_member(o, "viewers", 0);
    out.push_back(json::toString(o));
  }
  return out;
}

Door::Door(const Config &config, Auth &auth, Metrics &metrics, HttpServer &http,
           CommonRoutes &common)
  : config_(config), auth_(auth), metrics_(metrics), http_(http), common_(common)
{
  for (const auto &base : config.door.nodes) {
    Node n;
    n.base = base;
    nodes_.push_back(n);
  }
  http_.route("/api/v1/sessions", [this](Request &r) {
    if (r.path == "/api/v1/sessions" || r.path == "/api/v1/sessions/")
      sessionsRoot(r);
    else
      notThrough(r);
  });
  http_.route("/whep", [this](Request &r) { notThrough(r); });
  http_.route("/hls", [this](Request &r) { notThrough(r); });
  http_.route("/api/v1/nodes", [this](Request &r) { nodesPage(r); });
  http_.route("/api/v1/budgets", [](Request &r) {
    respondError(r.msg, SOUP_STATUS_NOT_FOUND,
                 "the front door has no budget of its own: see /api/v1/nodes");
  });
  metrics_.declare("vdi_door_nodes", Metrics::Type::Gauge,
                   "Nodes behind the front door, by state (up, unreachable, lost, unknown)");
  metrics_.declare("vdi_door_node_up", Metrics::Type::Gauge,
                   "1 while a node answers the door, by node base URL");
  metrics_.declare("vdi_door_placements_total", Metrics::Type::Counter,
                   "Sessions the door placed, by node");
  metrics_.addCollector([this](Metrics &m) {
    std::map<std::string, unsigned> by = {
      {"up", 0}, {"unreachable", 0}, {"lost", 0}, {"unknown", 0}};
    gint64 now = g_get_monotonic_time();
    for (const auto &n : nodes_) {
      bool up = n.reported && !n.lost && now - n.last_ok <= config_.door.poll_ms * 2000;
      by[!n.reported ? "unknown" : n.lost ? "lost" : up ? "up" : "unreachable"]++;
      m.set("vdi_door_node_up", {{"node", n.base}}, up ? 1 : 0);
    }
    for (const auto &[state, count] : by)
      m.set("vdi_door_nodes", {{"state", state}}, count);
  });
}

Door::~Door()
{
  if (timer_)
    g_source_remove(timer_);
}

void Door::start()
{
  tick();
  timer_ = g_timeout_add(
    100,
    +[](gpointer data) -> gboolean {
      static_cast<Door *>(data)->tick();
      return G_SOURCE_CONTINUE;
    },
    this);
}

void Door::tick()
{
  gint64 now = g_get_monotonic_time();
  for (size_t i = 0; i < nodes_.size(); i++) {
    Node &n = nodes_[i];
    if (!n.polling && now - n.last_try >= gint64(config_.door.poll_ms) * 1000)
      poll(i);
    if (n.reported && !n.lost && now - n.last_ok > gint64(config_.door.lost_ms) * 1000) {
      n.lost = true;
      n.lost_at = g_get_real_time();
      n.lost_sessions = lostSessions(n.report.sessions, n.report.id, n.lost_at);
      fprintf(stderr, "vdid: door: node %s (%s) lost: no answer for %s (%s); %zu session(s) lost\n",
              n.report.id.c_str(), n.base.c_str(), secondsText((now - n.last_ok) / 1e6).c_str(),
              n.error.c_str(), n.lost_sessions.size());
    }
  }
}

void Door::poll(size_t i)
{
  Node &n = nodes_[i];
  n.polling = true;
  n.last_try = g_get_monotonic_time();
  client_.send(
    "GET", nodeUrl(n, "/api/v1/node"), auth_.doorToken(kTokenLifetime), "",
    std::chrono::milliseconds(config_.door.lost_ms / 2), [this, i](const NodeAnswer &a) {
      Node &n = nodes_[i];
      n.polling = false;
      NodeReport report;
      std::string error = a.error;
      if (a.status == SOUP_STATUS_OK)
        parseNodeReport(a.body, &report, &error);
      else if (a.status)
        error = "HTTP " + std::to_string(a.status) + " " + a.body;
      for (const auto &other : nodes_)
        if (error.empty() && &other != &n && other.reported && other.report.id == report.id)
          error = "reports the id \"" + report.id + "\" of " + other.base;
      if (!error.empty()) {
        if (n.error != error && !n.lost)
          fprintf(stderr, "vdid: door: warning: node %s: %s\n", n.base.c_str(), error.c_str());
        n.error = error;
        return;
      }
      bool routes = !n.reported || n.report.id != report.id || n.report.url != report.url;
      if (n.lost)
        fprintf(stderr, "vdid: door: node %s (%s) answers again\n", report.id.c_str(),
                n.base.c_str());
      n.error.clear();
      n.report = std::move(report);
      n.reported = true;
      n.lost = false;
      n.lost_sessions.clear();
      n.last_ok = g_get_monotonic_time();
      if (routes && on_routes_changed)
        on_routes_changed();
    });
}

Door::Node *Door::nodeOf(const std::string &sid)
{
  size_t dash = sid.find('-');
  if (dash == std::string::npos)
    return nullptr;
  for (auto &n : nodes_)
    if (n.reported && n.report.id == sid.substr(0, dash))
      return &n;
  return nullptr;
}

void Door::sessionsRoot(Request &req)
{
  auto id = common_.authenticate(req);
  if (!id)
    return;
  if (id->isShare())
    return respondError(req.msg, SOUP_STATUS_UNAUTHORIZED, "the share token is unknown or expired");
  if (req.method == "GET")
    return list(req, *id);
  if (req.method == "POST")
    return create(req, *id);
  respondError(req.msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET or POST");
}

/* Every node's sessions of the caller: asked of each node that answers,
 * its last report for one that does not answer now, "lost" for a lost one. */
void Door::list(Request &req, const Identity &id)
{
  struct Gather {
    std::function<void(const HttpServer::Answer &)> answer;
    std::vector<std::vector<std::string>> parts;
    size_t pending = 0;
    ~Gather()
    {
      std::vector<std::string> all;
      for (auto &p : parts)
        all.insert(all.end(), p.begin(), p.end());
      std::string text = joinArray(all);
      answer([text](SoupServerMessage *msg) {
        respondText(msg, SOUP_STATUS_OK, "application/json", text);
      });
    }
  };
  auto gather = std::make_shared<Gather>();
  gather->answer = http_.defer(req);
  gather->parts.resize(nodes_.size());
  std::string token = auth_.userToken(id.user, kTokenLifetime);
  for (size_t i = 0; i < nodes_.size(); i++) {
    const Node &n = nodes_[i];
    if (n.lost) {
      for (const auto &s : n.lost_sessions)
        if (maySee(id, s))
          gather->parts[i].push_back(s);
      continue;
    }
    if (!n.reported)
      continue;
    client_.send("GET", nodeUrl(n, "/api/v1/sessions"), token, "", kListDeadline,
                 [this, gather, i, id](const NodeAnswer &a) {
                   auto &part = gather->parts[i];
                   if (a.status == SOUP_STATUS_OK && arrayItems(a.body, &part))
                     return;
                   part.clear();
                   /* Not answering now: what it said last. */
                   for (const auto &s : nodes_[i].report.sessions)
                     if (maySee(id, s))
                       part.push_back(s);
                 });
  }
}

struct Placing {
  std::function<void(const HttpServer::Answer &)> answer;
  std::string user, body, token;
  std::vector<std::string> order; /* node ids, best first */
  size_t next = 0;
  std::string refusals; /* why each tried node said no */
  unsigned last_status = 0;
};

void Door::create(Request &req, const Identity &id)
{
  std::vector<NodeReport> reports;
  std::vector<std::string> why;
  for (const auto &n : nodes_)
    if (n.reported && !n.lost && n.error.empty())
      reports.push_back(n.report);
  auto placing = std::make_shared<Placing>();
  for (size_t i : rankNodes(reports, id.user))
    placing->order.push_back(reports[i].id);
  if (placing->order.empty())
    return respondError(req.msg, kStatusTooManyRequests,
                        reports.empty() ? "no node answers the front door"
                                        : "no node has room for another session");
  placing->answer = http_.defer(req);
  placing->user = id.user;
  placing->body = req.body();
  placing->token = auth_.userToken(id.user, kTokenLifetime);
  tryCreate(placing);
}

/* Asks the next node in the placement order; a node that refuses for
 * room (429) or does not answer passes the session to the next one. */
void Door::tryCreate(std::shared_ptr<Placing> placing)
{
  Node *node = nullptr;
  while (!node && placing->next < placing->order.size())
    node = nodeOf(placing->order[placing->next++] + "-");
  if (!node) {
    std::string text = "no node could start the session:" + placing->refusals;
    unsigned status =
      placing->last_status ? placing->last_status : unsigned(SOUP_STATUS_SERVICE_UNAVAILABLE);
    placing->answer([text, status](SoupServerMessage *msg) { respondError(msg, status, text); });
    return;
  }
  std::string node_id = node->report.id;
  client_.send("POST", nodeUrl(*node, "/api/v1/sessions"), placing->token, placing->body,
               kCreateDeadline, [this, placing, node_id](const NodeAnswer &a) {
                 if (a.status == kStatusTooManyRequests || a.status == 0 || a.status >= 500) {
                   std::string why = a.error;
                   json::Document doc;
                   std::string error;
                   if (JsonObject *o =
                         a.status ? doc.parseObject(a.body.data(), a.body.size(), &error) : nullptr)
                     why = json::stringOr(o, "error", a.body);
                   placing->refusals += " " + node_id + ": " + why + ";";
                   if (a.status)
                     placing->last_status = a.status;
                   return tryCreate(placing);
                 }
                 if (a.status == SOUP_STATUS_CREATED) {
                   metrics_.add("vdi_door_placements_total", {{"node", node_id}});
                   if (Node *n = nodeOf(node_id + "-")) {
                     json::Document doc;
                     std::string error;
                     JsonObject *o = doc.parseObject(a.body.data(), a.body.size(), &error);
                     JsonObject *r = o ? json::objectOf(o, "reservation") : nullptr;
                     n->report.take(r ? json::numberOr(r, "cpu") : n->report.cpu_session,
                                    r ? static_cast<guint64>(json::intOr(r, "memory"))
                                      : n->report.memory_session);
                     if (o)
                       n->report.sessions.push_back(a.body);
                   }
                 }
                 NodeAnswer copy = a;
                 placing->answer([copy](SoupServerMessage *msg) {
                   if (!copy.location.empty())
                     soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                                  "Location", copy.location.c_str());
                   respondText(msg, copy.status,
                               copy.content_type.empty() ? "application/json"
                                                         : copy.content_type.c_str(),
                               copy.body);
                 });
               });
}

/* A request for a session of a node that HAProxy found down (or of no
 * node): the session is lost, or its node does not answer for now. */
void Door::notThrough(Request &req)
{
  /* /api/v1/sessions/SID[/...], /whep/SID[/...], /hls/SID/... */
  std::string rest = req.path;
  for (const char *prefix : {"/api/v1/sessions/", "/whep/", "/hls/"})
    if (rest.rfind(prefix, 0) == 0)
      rest = rest.substr(strlen(prefix));
  std::string sid = rest.substr(0, rest.find('/'));
  bool item = req.path == "/api/v1/sessions/" + sid;
  Node *node = nodeOf(sid);
  if (!node)
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such session: " + sid);
  /* A node that answers the door but that HAProxy does not route to yet
   * (its route is written once its first report is in, and HAProxy's
   * health check passes after that): the door asks it itself, for the
   * JSON API; signalling, WHEP and HLS wait for HAProxy. */
  if (!node->lost && node->reported && node->error.empty() && req.path.rfind("/api/", 0) == 0)
    return throughDoor(req, *node);
  if (!node->lost) {
    double since = (g_get_monotonic_time() - node->last_ok) / 1e6;
    return respondError(req.msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                        "node " + node->report.id +
                          " of this session is not answering (last "
                          "answer " +
                          secondsText(since) + " ago); if it does not answer within " +
                          secondsText(config_.door.lost_ms / 1000.0) +
                          " its sessions are reported lost");
  }
  std::string lost;
  for (const auto &s : node->lost_sessions)
    if (idOf(s) == sid)
      lost = s;
  std::string gone = "session " + sid + " is lost: its node " + node->report.id +
                     " stopped answering; start a new desktop";
  /* A share link (its token belongs to the lost node) or a stream:
   * nothing to show but that it is gone. */
  unsigned status = 0;
  std::string error;
  auto id = item ? common_.identify(req, &status, &error) : std::nullopt;
  if (!id)
    return respondError(req.msg, SOUP_STATUS_GONE, gone);
  /* A user who may not see it hears what they would of any other id. */
  if (lost.empty() || !maySee(*id, lost))
    return respondError(req.msg, SOUP_STATUS_NOT_FOUND, "no such session: " + sid);
  if (req.method == "GET")
    return respondText(req.msg, SOUP_STATUS_OK, "application/json", lost);
  if (req.method == "DELETE") {
    auto &v = node->lost_sessions;
    v.erase(std::remove(v.begin(), v.end(), lost), v.end());
    return soup_server_message_set_status(req.msg, SOUP_STATUS_NO_CONTENT, nullptr);
  }
  respondError(req.msg, SOUP_STATUS_GONE, gone);
}

void Door::throughDoor(Request &req, Node &node)
{
  unsigned status = 0;
  std::string error;
  auto id = common_.identify(req, &status, &error);
  if (!id)
    return respondError(req.msg, status ? status : unsigned(SOUP_STATUS_UNAUTHORIZED), error);
  if (id->isShare())
    return respondError(req.msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                        "node " + node.report.id + " of this session is not routed yet; try again");
  auto answer = http_.defer(req);
  client_.send(req.method, nodeUrl(node, req.path), auth_.userToken(id->user, kTokenLifetime),
               req.body(), kCreateDeadline, [answer](const NodeAnswer &a) {
                 NodeAnswer copy = a;
                 answer([copy](SoupServerMessage *msg) {
                   if (!copy.status)
                     return respondError(msg, SOUP_STATUS_BAD_GATEWAY, copy.error);
                   respondText(msg, copy.status,
                               copy.content_type.empty() ? "application/json"
                                                         : copy.content_type.c_str(),
                               copy.body);
                 });
               });
}

/* GET /api/v1/nodes: the nodes behind the door and what they report. */
void Door::nodesPage(Request &req)
{
  auto id = common_.authenticate(req);
  if (!id)
    return;
  if (id->isShare())
    return respondError(req.msg, SOUP_STATUS_FORBIDDEN, "a share token cannot read the nodes");
  gint64 now = g_get_monotonic_time();
  json::Writer w;
  w.beginArray();
  for (const auto &n : nodes_) {
    bool up = n.reported && !n.lost && n.error.empty();
    w.begin()
      .set("base", n.base)
      .set("id", n.report.id)
      .set("state", !n.reported ? "unknown"
                    : n.lost    ? "lost"
                    : up        ? "up"
                                : "unreachable");
    if (!n.error.empty())
      w.set("error", n.error);
    if (n.reported) {
      w.set("url", n.routeUrl()).set("lastAnswer", (now - n.last_ok) / 1e6);
      w.begin("sessions").set("max", n.report.max_sessions).set("live", n.report.live).end();
      w.begin("free").set("sessions", n.report.freeSessions());
      if (n.report.cpu_total > 0)
        w.set("cpu", n.report.cpu_free);
      else
        w.setNull("cpu");
      if (n.report.memory_total > 0)
        w.set("memory", static_cast<int64_t>(n.report.memory_free));
      else
        w.setNull("memory");
      w.end();
    }
    if (n.lost)
      w.set("lostSessions", static_cast<unsigned>(n.lost_sessions.size()));
    w.end();
  }
  w.endArray();
  respondText(req.msg, SOUP_STATUS_OK, "application/json", w.text());
}

} // namespace vdid
