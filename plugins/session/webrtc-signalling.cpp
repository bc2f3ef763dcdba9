/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-signalling.h"

#include "json.h"

#include <cstring>

namespace vdi::webrtc {

namespace {

/* Reads the members of one message type; "" or the reason it is invalid. */
std::string readPeerStatus(JsonObject *o, IncomingMessage &m)
{
  JsonArray *roles = json::arrayOf(o, "roles");
  if (!roles)
    return "setPeerStatus needs \"roles\" (an array)";
  for (guint i = 0; i < json_array_get_length(roles); i++) {
    JsonNode *e = json_array_get_element(roles, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
      return "setPeerStatus: \"roles\" must hold strings";
    m.roles.emplace_back(json_node_get_string(e));
  }
  JsonNode *meta = json_object_get_member(o, "meta");
  if (meta && !JSON_NODE_HOLDS_NULL(meta))
    m.metaJson = json::toString(meta);
  std::string err;
  if (!json::getString(o, "peerId", &m.peerId, &err, false))
    return "setPeerStatus: " + err;
  return {};
}

std::string readPeer(JsonObject *o, IncomingMessage &m)
{
  std::string err;
  if (!json::getString(o, "sessionId", &m.sessionId, &err))
    return "peer needs a \"sessionId\"";
  if (JsonObject *sdp = json::objectOf(o, "sdp")) {
    m.sdpType = json::stringOr(sdp, "type");
    m.sdp = json::stringOr(sdp, "sdp");
    if ((m.sdpType != "offer" && m.sdpType != "answer") || m.sdp.empty())
      return "peer.sdp needs \"type\" (offer|answer) and \"sdp\"";
    m.hasSdp = true;
    return {};
  }
  if (JsonObject *ice = json::objectOf(o, "ice")) {
    m.candidate = json::stringOr(ice, "candidate");
    int64_t index = 0;
    if (!json::getInt(ice, "sdpMLineIndex", 0, 1024, &index, &err))
      return "peer.ice needs \"candidate\" and a valid \"sdpMLineIndex\"";
    m.sdpMLineIndex = unsigned(index);
    m.hasIce = true;
    return {};
  }
  return "peer needs an \"sdp\" or an \"ice\" object";
}

std::string read(JsonObject *o, const std::string &type, IncomingMessage &m)
{
  using T = IncomingMessage::Type;
  std::string err;
  if (type == "setPeerStatus") {
    m.type = T::SetPeerStatus;
    return readPeerStatus(o, m);
  }
  if (type == "list") {
    m.type = T::List;
    return {};
  }
  if (type == "listConsumers") {
    m.type = T::ListConsumers;
    return {};
  }
  if (type == "startSession") {
    m.type = T::StartSession;
    if (!json::getString(o, "peerId", &m.peerId, &err) || m.peerId.empty())
      return "startSession needs a \"peerId\"";
    if (!json::getString(o, "offer", &m.offer, &err, false))
      return "startSession: " + err;
    return {};
  }
  if (type == "endSession") {
    m.type = T::EndSession;
    if (!json::getString(o, "sessionId", &m.sessionId, &err) || m.sessionId.empty())
      return "endSession needs a \"sessionId\"";
    return {};
  }
  if (type == "peer") {
    m.type = T::Peer;
    return readPeer(o, m);
  }
  return "unknown message type \"" + type + "\"";
}

} // namespace

IncomingMessage parseIncoming(const char *text, size_t length)
{
  IncomingMessage m;
  json::Document doc;
  std::string err;
  JsonObject *o = doc.parseObject(text, length, &err);
  std::string type;
  if (!o)
    m.error = "the message " + err;
  else if (!json::getString(o, "type", &type, &err) || type.empty())
    m.error = "the message has no \"type\"";
  else
    m.error = read(o, type, m);
  if (!m.error.empty())
    m.type = IncomingMessage::Type::Invalid;
  return m;
}

std::string welcomeMessage(const std::string &peerId)
{
  return json::Writer().begin().set("type", "welcome").set("peerId", peerId).end().text();
}

std::string errorMessage(const std::string &details)
{
  return json::Writer().begin().set("type", "error").set("details", details).end().text();
}

std::string listMessage(const char *type, const std::vector<PeerEntry> &peers)
{
  json::Writer w;
  w.begin().set("type", type).beginArray(!strcmp(type, "list") ? "producers" : "consumers");
  for (const auto &p : peers)
    w.begin().set("id", p.id).setRaw("meta", p.metaJson).end();
  return w.endArray().end().text();
}

std::string peerStatusChangedMessage(const std::string &peerId,
                                     const std::vector<std::string> &roles,
                                     const std::string &metaJson)
{
  json::Writer w;
  w.begin().set("type", "peerStatusChanged").set("peerId", peerId).beginArray("roles");
  for (const auto &r : roles)
    w.value(r);
  return w.endArray().setRaw("meta", metaJson).end().text();
}

std::string sessionStartedMessage(const std::string &peerId, const std::string &sessionId)
{
  return json::Writer()
    .begin()
    .set("type", "sessionStarted")
    .set("peerId", peerId)
    .set("sessionId", sessionId)
    .end()
    .text();
}

std::string endSessionMessage(const std::string &sessionId)
{
  return json::Writer().begin().set("type", "endSession").set("sessionId", sessionId).end().text();
}

std::string sdpMessage(const std::string &sessionId, const std::string &type,
                       const std::string &sdp)
{
  return json::Writer()
    .begin()
    .set("type", "peer")
    .set("sessionId", sessionId)
    .begin("sdp")
    .set("type", type)
    .set("sdp", sdp)
    .end()
    .end()
    .text();
}

std::string iceMessage(const std::string &sessionId, const std::string &candidate,
                       unsigned sdpMLineIndex)
{
  return json::Writer()
    .begin()
    .set("type", "peer")
    .set("sessionId", sessionId)
    .begin("ice")
    .set("candidate", candidate)
    .set("sdpMLineIndex", sdpMLineIndex)
    .end()
    .end()
    .text();
}

std::string structureToJson(const GstStructure *s)
{
  json::Writer w;
  w.begin();
  for (int i = 0; s && i < gst_structure_n_fields(s); i++) {
    const char *name = gst_structure_nth_field_name(s, i);
    const GValue *v = gst_structure_get_value(s, name);
    w.name(name);
    if (G_VALUE_HOLDS_STRING(v))
      w.value(g_value_get_string(v));
    else if (G_VALUE_HOLDS_BOOLEAN(v))
      w.value(bool(g_value_get_boolean(v)));
    else if (G_VALUE_HOLDS_INT(v))
      w.value(int64_t(g_value_get_int(v)));
    else if (G_VALUE_HOLDS_UINT(v))
      w.value(int64_t(g_value_get_uint(v)));
    else if (G_VALUE_HOLDS_INT64(v))
      w.value(int64_t(g_value_get_int64(v)));
    else if (G_VALUE_HOLDS_UINT64(v))
      w.value(int64_t(g_value_get_uint64(v)));
    else if (G_VALUE_HOLDS_DOUBLE(v))
      w.value(g_value_get_double(v));
    else {
      g_autofree char *text = gst_value_serialize(v);
      w.value(text ? text : "");
    }
  }
  return w.end().text();
}

std::string clipboardMessage(const std::string &mime, const std::string &base64)
{
  return json::Writer()
    .begin()
    .set("type", "vdi-clipboard")
    .set("mime", mime)
    .set("data", base64)
    .end()
    .text();
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
