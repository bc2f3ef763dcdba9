/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The front door (`[door]`, docs/fleet.md): vdid in front of nodes instead
 * of running sessions. It reads each node's report (GET /api/v1/node, as
 * the door, with a fleet token) every poll-interval; lists a user's
 * sessions of every node (asking each node as that user), places a new
 * session on the node with the most free budget (rankNodes()), and says
 * what became of the sessions of a node that stopped answering: after
 * lost-after without an answer the node is lost and its sessions are
 * reported "lost". Requests for a session of a node reach the node through
 * HAProxy (door-proxy.h), not through this class; only those for a node
 * HAProxy finds down come here.
 */

#pragma once

#include "api-common.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "metrics.h"
#include "node-client.h"
#include "node-report.h"

#include <functional>
#include <string>
#include <vector>

namespace vdid {

class Door
{
public:
  Door(const Config &config, Auth &auth, Metrics &metrics, HttpServer &http, CommonRoutes &common);
  ~Door();
  Door(const Door &) = delete;
  Door &operator=(const Door &) = delete;

  struct Node {
    std::string base; /* as configured in [door] nodes */
    NodeReport report;
    bool reported = false; /* a report has come (report is its last one) */
    bool lost = false;
    gint64 last_ok = 0; /* monotonic µs of the last report */
    gint64 lost_at = 0; /* real time µs when it was found lost */
    bool polling = false;
    gint64 last_try = 0; /* monotonic µs the last poll started */
    std::string error;   /* why the last poll failed */
    /* The sessions it had when lost, state "lost" (JSON text). */
    std::vector<std::string> lost_sessions;
    /* Where HAProxy reaches it: the report's url, else base. */
    std::string routeUrl() const { return report.url.empty() ? base : report.url; }
  };
  const std::vector<Node> &nodes() const { return nodes_; }

  /* Called when the routes change (a node's first report, a new url). */
  std::function<void()> on_routes_changed;
  /* Starts reading the nodes' reports. */
  void start();

private:
  void tick();
  void poll(size_t i);
  void sessionsRoot(Request &req);
  void list(Request &req, const Identity &id);
  void create(Request &req, const Identity &id);
  void tryCreate(std::shared_ptr<struct Placing> placing);
  void notThrough(Request &req);
  /* The JSON API of a session on @node, asked by the door itself (HAProxy
   * does not route to @node yet). */
  void throughDoor(Request &req, Node &node);
  void nodesPage(Request &req);
  /* The node whose id @sid starts with ("n1-..."), or nullptr. */
  Node *nodeOf(const std::string &sid);
  std::string nodeUrl(const Node &n, const std::string &path) const { return n.base + path; }

  const Config &config_;
  Auth &auth_;
  Metrics &metrics_;
  HttpServer &http_;
  CommonRoutes &common_;
  NodeClient client_;
  std::vector<Node> nodes_;
  guint timer_ = 0;
};

/* The sessions JSON text @sessions of a node, as @id may see them, each
 * with "state":"lost" and the reason (for a node found lost at @lost_at,
 * real time µs). */
std::vector<std::string> lostSessions(const std::vector<std::string> &sessions,
                                      const std::string &node, gint64 lost_at);

} // namespace vdid
