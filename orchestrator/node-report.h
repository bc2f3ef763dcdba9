/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The node report (GET /api/v1/node, docs/fleet.md): what a node tells its
 * front door: its id, where to reach it, what is left of its budget and,
 * for the door alone, its sessions. Built by the node, read (as untrusted
 * text) and ranked by the door: placement is rankNodes(), a pure function.
 */

#pragma once

#include <glib.h>

#include <map>
#include <string>
#include <vector>

namespace vdid {

struct NodeReport {
  std::string id;  /* [node] id */
  std::string url; /* [node] url: where the door's proxy reaches it; "" unset */
  /* Sessions: the most (max-sessions), live ones its users claimed. */
  unsigned max_sessions = 0, live = 0;
  /* [budget] cpu / memory: total (0: no such budget), free, one session's. */
  double cpu_total = 0, cpu_free = 0, cpu_session = 0;
  guint64 memory_total = 0, memory_free = 0, memory_session = 0;
  /* Ready pooled sessions by user. */
  std::map<std::string, unsigned> pool_ready;
  /* Its sessions, each the session object's JSON text (for the door). */
  std::vector<std::string> sessions;

  unsigned freeSessions() const { return max_sessions > live ? max_sessions - live : 0; }
  /* Whether one more session fits (sessions, CPU and memory). */
  bool fits() const;
  /* What the door counts once it placed a session reserving @cpu cores and
   * @memory bytes here, until the next report. */
  void take(double cpu, guint64 memory);
};

/* Reads a node report; false with @error when it is not one. */
bool parseNodeReport(const std::string &text, NodeReport *out, std::string *error);

/* The nodes a new session of @user may go to, best first (indices into
 * @nodes): only nodes where it fits; first those with a pooled session of
 * @user ready (it starts at once), then by most free CPU, most free memory
 * (a node without such a budget counts as having no limit), most free
 * session slots, and id. */
std::vector<size_t> rankNodes(const std::vector<NodeReport> &nodes, const std::string &user);

} // namespace vdid
