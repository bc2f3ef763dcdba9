/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "node-report.h"

#include "json.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace vdid {

namespace json = vdi::json;

bool NodeReport::fits() const
{
  constexpr double kSlack = 1e-9;
  return freeSessions() > 0 && (cpu_total <= 0 || cpu_free + kSlack >= cpu_session) &&
         (memory_total == 0 || memory_free >= memory_session);
}

void NodeReport::take(double cpu, guint64 memory)
{
  live++;
  cpu_free = std::max(0.0, cpu_free - cpu);
  memory_free = memory_free > memory ? memory_free - memory : 0;
}

bool parseNodeReport(const std::string &text, NodeReport *out, std::string *error)
{
  json::Document doc;
  JsonObject *o = doc.parseObject(text.data(), text.size(), error);
  if (!o)
    return false;
  NodeReport r;
  if (!json::getString(o, "id", &r.id, error))
    return false;
  if (r.id.empty()) {
    *error = "the node has no [node] id";
    return false;
  }
  r.url = json::stringOr(o, "url");
  JsonObject *sessions = json::objectOf(o, "sessions");
  if (!sessions) {
    *error = "\"sessions\" must be an object";
    return false;
  }
  r.max_sessions = static_cast<unsigned>(std::max<int64_t>(0, json::intOr(sessions, "max")));
  r.live = static_cast<unsigned>(std::max<int64_t>(0, json::intOr(sessions, "live")));
  if (JsonObject *budget = json::objectOf(o, "budget")) {
    if (JsonObject *cpu = json::objectOf(budget, "cpu")) {
      r.cpu_total = json::numberOr(cpu, "total");
      r.cpu_free = json::numberOr(cpu, "free");
      r.cpu_session = json::numberOr(cpu, "session");
    }
    if (JsonObject *mem = json::objectOf(budget, "memory")) {
      r.memory_total = static_cast<guint64>(std::max<int64_t>(0, json::intOr(mem, "total")));
      r.memory_free = static_cast<guint64>(std::max<int64_t>(0, json::intOr(mem, "free")));
      r.memory_session = static_cast<guint64>(std::max<int64_t>(0, json::intOr(mem, "session")));
    }
  }
  if (JsonObject *pool = json::objectOf(o, "pool"))
    if (JsonObject *ready = json::objectOf(pool, "ready")) {
      g_autoptr(GList) users = json_object_get_members(ready);
      for (GList *u = users; u; u = u->next) {
        const char *name = static_cast<const char *>(u->data);
        r.pool_ready[name] = static_cast<unsigned>(std::max<int64_t>(0, json::intOr(ready, name)));
      }
    }
  if (JsonArray *list = json::arrayOf(o, "list"))
    for (guint i = 0; i < json_array_get_length(list); i++) {
      JsonNode *n = json_array_get_element(list, i);
      if (JSON_NODE_HOLDS_OBJECT(n))
        r.sessions.push_back(json::toString(n));
    }
  *out = std::move(r);
  return true;
}

std::vector<size_t> rankNodes(const std::vector<NodeReport> &nodes, const std::string &user)
{
  constexpr double kUnlimited = std::numeric_limits<double>::infinity();
  auto key = [&](const NodeReport &n) {
    auto pooled = n.pool_ready.find(user);
    bool ready = pooled != n.pool_ready.end() && pooled->second > 0;
    return std::make_tuple(ready, n.cpu_total > 0 ? n.cpu_free : kUnlimited,
                           n.memory_total > 0 ? static_cast<double>(n.memory_free) : kUnlimited,
                           n.freeSessions());
  };
  std::vector<size_t> out;
  for (size_t i = 0; i < nodes.size(); i++)
    if (nodes[i].fits())
      out.push_back(i);
  std::stable_sort(out.begin(), out.end(), [&](size_t a, size_t b) {
    auto ka = key(nodes[a]), kb = key(nodes[b]);
    if (ka != kb)
      return ka > kb;
    return nodes[a].id < nodes[b].id;
  });
  return out;
}

} // namespace vdid
