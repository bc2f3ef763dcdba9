/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "worker-protocol.h"

#include "json.h"

#include <algorithm>

namespace vdid {

namespace json = vdi::json;

WorkerCommand parseWorkerCommand(std::string_view line)
{
  WorkerCommand c;
  if (line.size() > kMaxWorkerLine) {
    c.error = "the command is longer than " + std::to_string(kMaxWorkerLine) + " bytes";
    return c;
  }
  json::Document doc;
  JsonObject *o = doc.parseObject(line.data(), line.size(), &c.error);
  if (!o)
    return c;
  if (!json::getString(o, "op", &c.op, &c.error) || c.op.empty()) {
    c.op.clear();
    if (c.error.empty())
      c.error = "the command has no \"op\"";
    return c;
  }
  c.ref = json::intOr(o, "ref");
  c.role = json::stringOr(o, "role", "control");
  c.peer = json::stringOr(o, "peer");
  c.message = json::stringOr(o, "message");
  c.sdp = json::stringOr(o, "sdp");
  c.resource = json::stringOr(o, "resource");
  c.fragment = json::stringOr(o, "fragment");
  c.active = json::boolOr(o, "active");
  c.fps = static_cast<unsigned>(std::clamp<int64_t>(json::intOr(o, "fps"), 0, 240));
  c.max_bitrate =
    static_cast<unsigned>(std::clamp<int64_t>(json::intOr(o, "max-bitrate"), 0, 1000000));
  /* A size is both or neither, even, within what sessions may be. */
  int64_t width = json::intOr(o, "width"), height = json::intOr(o, "height");
  auto sizeOk = [](int64_t v) { return v >= 64 && v <= 8192 && v % 2 == 0; };
  if (sizeOk(width) && sizeOk(height)) {
    c.width = static_cast<unsigned>(width);
    c.height = static_cast<unsigned>(height);
  }
  if (json_object_has_member(o, "stun-server")) {
    c.has_stun = true;
    c.stun_server = json::stringOr(o, "stun-server");
  }
  if (JsonArray *turn = json::arrayOf(o, "turn-servers")) {
    c.has_turn = true;
    for (guint i = 0; i < json_array_get_length(turn); i++) {
      JsonNode *n = json_array_get_element(turn, i);
      if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
          g_utf8_validate(json_node_get_string(n), -1, nullptr))
        c.turn_servers.emplace_back(json_node_get_string(n));
    }
  }
  return c;
}

WorkerEvent readWorkerEvent(JsonObject *o)
{
  WorkerEvent e;
  e.event = json::stringOr(o, "event");
  if (json_object_has_member(o, "ref")) {
    int64_t ref = json::intOr(o, "ref", -1);
    e.has_ref = ref >= 0 && ref <= G_MAXUINT;
    e.ref = e.has_ref ? static_cast<unsigned>(ref) : 0;
  }
  e.encoder = json::stringOr(o, "encoder");
  e.peer = json::stringOr(o, "peer");
  e.message = json::stringOr(o, "message");
  int64_t status = json::intOr(o, "status", 500);
  e.status = status >= 100 && status <= 599 ? static_cast<unsigned>(status) : 500;
  e.body = json::stringOr(o, "body");
  /* It goes into a Location header: an id, nothing that could end it. */
  e.resource = json::stringOr(o, "resource");
  if (e.resource.size() > 128 ||
      e.resource.find_first_not_of(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos)
    e.resource.clear();
  e.fps = std::max(0.0, json::numberOr(o, "fps"));
  e.bitrate = std::max(0.0, json::numberOr(o, "bitrate"));
  e.frame_ms = std::max(0.0, json::numberOr(o, "frameMs"));
  e.coded_fps = std::max(0.0, json::numberOr(o, "codedFps"));
  e.keyframe_requests =
    static_cast<uint64_t>(std::max<int64_t>(0, json::intOr(o, "keyframeRequests")));
  int64_t viewers = json::intOr(o, "viewers");
  e.viewers = viewers >= 0 && viewers <= G_MAXUINT ? static_cast<unsigned>(viewers) : 0;
  return e;
}

} // namespace vdid
