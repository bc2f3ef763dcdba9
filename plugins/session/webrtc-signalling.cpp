/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-signalling.h"

#include <json-glib/json-glib.h>

#include <cstring>

namespace vdi::webrtc {

namespace {

std::string str(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return {};
  return json_node_get_string(n);
}

struct Builder {
  JsonBuilder *b = json_builder_new();
  explicit Builder(const char *type)
  {
    json_builder_begin_object(b);
    add("type", type);
  }
  ~Builder() { g_object_unref(b); }
  Builder(const Builder &) = delete;
  Builder &operator=(const Builder &) = delete;
  Builder &add(const char *name, const std::string &value)
  {
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value.c_str());
    return *this;
  }
  Builder &addRaw(const char *name, const std::string &json)
  {
    json_builder_set_member_name(b, name);
    g_autoptr(GError) err = nullptr;
    JsonNode *n = json.empty() ? nullptr : json_from_string(json.c_str(), &err);
    if (n)
      json_builder_add_value(b, n); /* takes ownership */
    else
      json_builder_add_null_value(b);
    return *this;
  }
  std::string done()
  {
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *s = json_to_string(root, FALSE);
    return s;
  }
};

} // namespace

IncomingMessage parseIncoming(const char *text, size_t length)
{
  using T = IncomingMessage::Type;
  IncomingMessage m;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) err = nullptr;
  if (!json_parser_load_from_data(parser, text, gssize(length), &err)) {
    m.error = std::string("malformed JSON: ") + err->message;
    return m;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    m.error = "message is not a JSON object";
    return m;
  }
  JsonObject *o = json_node_get_object(root);
  std::string type = str(o, "type");
  if (type.empty()) {
    m.error = "message has no 'type'";
    return m;
  }
  if (type == "setPeerStatus") {
    JsonNode *r = json_object_get_member(o, "roles");
    if (r && JSON_NODE_HOLDS_ARRAY(r)) {
      JsonArray *a = json_node_get_array(r);
      for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING)
          m.roles.emplace_back(json_node_get_string(e));
      }
    }
    m.type = T::SetPeerStatus;
  } else if (type == "list") {
    m.type = T::List;
  } else if (type == "startSession") {
    m.peerId = str(o, "peerId");
    if (m.peerId.empty()) {
      m.error = "startSession needs a 'peerId'";
      return m;
    }
    m.offer = str(o, "offer");
    m.type = T::StartSession;
  } else if (type == "endSession") {
    m.sessionId = str(o, "sessionId");
    if (m.sessionId.empty()) {
      m.error = "endSession needs a 'sessionId'";
      return m;
    }
    m.type = T::EndSession;
  } else if (type == "peer") {
    m.sessionId = str(o, "sessionId");
    if (m.sessionId.empty()) {
      m.error = "peer needs a 'sessionId'";
      return m;
    }
    JsonNode *sdp = json_object_get_member(o, "sdp");
    JsonNode *ice = json_object_get_member(o, "ice");
    if (sdp && JSON_NODE_HOLDS_OBJECT(sdp)) {
      JsonObject *so = json_node_get_object(sdp);
      m.sdpType = str(so, "type");
      m.sdp = str(so, "sdp");
      if ((m.sdpType != "offer" && m.sdpType != "answer") || m.sdp.empty()) {
        m.error = "peer.sdp needs 'type' (offer|answer) and 'sdp'";
        return m;
      }
      m.hasSdp = true;
    } else if (ice && JSON_NODE_HOLDS_OBJECT(ice)) {
      JsonObject *io = json_node_get_object(ice);
      m.candidate = str(io, "candidate");
      JsonNode *idx = json_object_get_member(io, "sdpMLineIndex");
      if (!idx || !JSON_NODE_HOLDS_VALUE(idx) || json_node_get_value_type(idx) != G_TYPE_INT64 ||
          json_node_get_int(idx) < 0 || json_node_get_int(idx) > 1024) {
        m.error = "peer.ice needs 'candidate' and a valid 'sdpMLineIndex'";
        return m;
      }
      m.sdpMLineIndex = unsigned(json_node_get_int(idx));
      m.hasIce = true;
    } else {
      m.error = "peer needs an 'sdp' or an 'ice' object";
      return m;
    }
    m.type = T::Peer;
  } else {
    m.error = "unknown message type '" + type + "'";
  }
  return m;
}

std::string welcomeMessage(const std::string &peerId)
{
  return Builder("welcome").add("peerId", peerId).done();
}

std::string errorMessage(const std::string &details)
{
  return Builder("error").add("details", details).done();
}

std::string listMessage(const std::string &producerId, const std::string &metaJson)
{
  Builder b("list");
  json_builder_set_member_name(b.b, "producers");
  json_builder_begin_array(b.b);
  json_builder_begin_object(b.b);
  json_builder_set_member_name(b.b, "id");
  json_builder_add_string_value(b.b, producerId.c_str());
  json_builder_end_object(b.b);
  json_builder_end_array(b.b);
  std::string out = b.done();
  /* Add meta to the one producer. */
  g_autoptr(GError) err = nullptr;
  g_autoptr(JsonNode) root = json_from_string(out.c_str(), &err);
  JsonObject *p = json_array_get_object_element(
    json_object_get_array_member(json_node_get_object(root), "producers"), 0);
  JsonNode *meta = metaJson.empty() ? nullptr : json_from_string(metaJson.c_str(), nullptr);
  if (meta)
    json_object_set_member(p, "meta", meta);
  else
    json_object_set_null_member(p, "meta");
  g_autofree char *s = json_to_string(root, FALSE);
  return s;
}

std::string peerStatusChangedMessage(const std::string &peerId,
                                     const std::vector<std::string> &roles,
                                     const std::string &metaJson)
{
  Builder b("peerStatusChanged");
  b.add("peerId", peerId);
  json_builder_set_member_name(b.b, "roles");
  json_builder_begin_array(b.b);
  for (const auto &r : roles)
    json_builder_add_string_value(b.b, r.c_str());
  json_builder_end_array(b.b);
  b.addRaw("meta", metaJson);
  return b.done();
}

std::string sessionStartedMessage(const std::string &peerId, const std::string &sessionId)
{
  return Builder("sessionStarted").add("peerId", peerId).add("sessionId", sessionId).done();
}

std::string endSessionMessage(const std::string &sessionId)
{
  return Builder("endSession").add("sessionId", sessionId).done();
}

std::string sdpMessage(const std::string &sessionId, const std::string &type,
                       const std::string &sdp)
{
  Builder b("peer");
  b.add("sessionId", sessionId);
  json_builder_set_member_name(b.b, "sdp");
  json_builder_begin_object(b.b);
  json_builder_set_member_name(b.b, "type");
  json_builder_add_string_value(b.b, type.c_str());
  json_builder_set_member_name(b.b, "sdp");
  json_builder_add_string_value(b.b, sdp.c_str());
  json_builder_end_object(b.b);
  return b.done();
}

std::string iceMessage(const std::string &sessionId, const std::string &candidate,
                       unsigned sdpMLineIndex)
{
  Builder b("peer");
  b.add("sessionId", sessionId);
  json_builder_set_member_name(b.b, "ice");
  json_builder_begin_object(b.b);
  json_builder_set_member_name(b.b, "candidate");
  json_builder_add_string_value(b.b, candidate.c_str());
  json_builder_set_member_name(b.b, "sdpMLineIndex");
  json_builder_add_int_value(b.b, sdpMLineIndex);
  json_builder_end_object(b.b);
  return b.done();
}

std::string clipboardMessage(const std::string &mime, const std::string &base64)
{
  return Builder("vdi-clipboard").add("mime", mime).add("data", base64).done();
}

bool isTextMime(const std::string &mime)
{
  return g_str_has_prefix(mime.c_str(), "text/") || mime == "UTF8_STRING" || mime == "STRING" ||
         mime == "TEXT";
}

bool parseTrickleFragment(const std::string &fragment, std::vector<std::string> *candidates,
                          std::string *error)
{
  g_auto(GStrv) lines = g_strsplit(fragment.c_str(), "\n", -1);
  size_t sdpLines = 0;
  std::vector<std::string> found;
  for (char **l = lines; *l; l++) {
    g_strstrip(*l);
    if (!**l)
      continue;
    const char *line = *l;
    if (!g_ascii_islower(line[0]) || line[1] != '=') {
      *error = std::string("not an SDP line: \"") + std::string(line).substr(0, 80) + "\"";
      return false;
    }
    sdpLines++;
    if (!g_str_has_prefix(line, "a=candidate:"))
      continue;
    /* foundation component transport priority address port typ TYPE */
    g_auto(GStrv) tok = g_strsplit_set(line + strlen("a=candidate:"), " ", -1);
    std::vector<std::string> t;
    for (char **p = tok; *p; p++)
      if (**p)
        t.emplace_back(*p);
    auto number = [](const std::string &v) {
      return !v.empty() && v.size() <= 10 && v.find_first_not_of("0123456789") == std::string::npos;
    };
    if (t.size() < 8 || !number(t[1]) || !number(t[3]) || !number(t[5]) || t[6] != "typ" ||
        (g_ascii_strcasecmp(t[2].c_str(), "udp") != 0 &&
         g_ascii_strcasecmp(t[2].c_str(), "tcp") != 0) ||
        std::stoul(t[5]) > 65535) {
      *error = std::string("malformed candidate: \"") + std::string(line).substr(0, 120) + "\"";
      return false;
    }
    found.emplace_back(line + 2);
  }
  if (!sdpLines) {
    *error = "empty SDP fragment";
    return false;
  }
  if (candidates)
    *candidates = std::move(found);
  return true;
}

std::string newId()
{
  g_autofree char *u = g_uuid_string_random();
  return u;
}

} // namespace vdi::webrtc
