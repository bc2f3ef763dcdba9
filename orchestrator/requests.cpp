/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "requests.h"

#include <json-glib/json-glib.h>

namespace vdid {

namespace {

constexpr size_t kMaxBody = 1024 * 1024;
constexpr unsigned kMaxApps = 16;
constexpr unsigned kMaxArgs = 64;

/* Parses @data as a JSON object into @parser; the object or nullptr. */
JsonObject *parseObject(JsonParser *parser, const char *data, size_t len, std::string *error)
{
  if (len > kMaxBody) {
    *error = "the request body is larger than 1 MiB";
    return nullptr;
  }
  GError *err = nullptr;
  bool ok = len == 0 ? json_parser_load_from_data(parser, "{}", -1, &err)
                     : json_parser_load_from_data(parser, data, static_cast<gssize>(len), &err);
  if (!ok) {
    *error = std::string("the request body is not valid JSON: ") + err->message;
    g_error_free(err);
    return nullptr;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    *error = "the request body must be a JSON object";
    return nullptr;
  }
  return json_node_get_object(root);
}

/* An optional positive integer member. */
bool optionalUint(JsonObject *o, const char *name, unsigned max, unsigned *out, std::string *error)
{
  if (!json_object_has_member(o, name))
    return true;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
      json_node_get_int(n) <= 0 || json_node_get_int(n) > static_cast<gint64>(max)) {
    *error =
      std::string("\"") + name + "\" must be a whole number from 1 to " + std::to_string(max);
    return false;
  }
  *out = static_cast<unsigned>(json_node_get_int(n));
  return true;
}

bool optionalString(JsonObject *o, const char *name, std::string *out, std::string *error)
{
  if (!json_object_has_member(o, name))
    return true;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
    *error = std::string("\"") + name + "\" must be a string";
    return false;
  }
  *out = json_node_get_string(n);
  return true;
}

} // namespace

bool parseSessionRequest(const char *data, size_t len, SessionSpec *out, std::string *error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o = parseObject(parser, data, len, error);
  if (!o)
    return false;
  SessionSpec spec;
  if (!optionalUint(o, "width", 8192, &spec.width, error) ||
      !optionalUint(o, "height", 8192, &spec.height, error) ||
      !optionalUint(o, "fps", 240, &spec.fps, error))
    return false;
  if (json_object_has_member(o, "apps")) {
    static const char *shape =
      "\"apps\" must be an array of command arrays of strings, e.g. [[\"foot\"]]";
    JsonNode *apps = json_object_get_member(o, "apps");
    if (!JSON_NODE_HOLDS_ARRAY(apps) ||
        json_array_get_length(json_node_get_array(apps)) > kMaxApps) {
      *error = shape;
      return false;
    }
    JsonArray *arr = json_node_get_array(apps);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
      JsonNode *cmd = json_array_get_element(arr, i);
      if (!JSON_NODE_HOLDS_ARRAY(cmd)) {
        *error = shape;
        return false;
      }
      JsonArray *args = json_node_get_array(cmd);
      guint n = json_array_get_length(args);
      if (n == 0 || n > kMaxArgs) {
        *error = shape;
        return false;
      }
      std::vector<std::string> argv;
      for (guint j = 0; j < n; j++) {
        JsonNode *arg = json_array_get_element(args, j);
        if (!JSON_NODE_HOLDS_VALUE(arg) || json_node_get_value_type(arg) != G_TYPE_STRING ||
            (j == 0 && !*json_node_get_string(arg))) {
          *error = shape;
          return false;
        }
        argv.emplace_back(json_node_get_string(arg));
      }
      spec.apps.push_back(std::move(argv));
    }
  }
  *out = std::move(spec);
  return true;
}

bool parseLoginRequest(const char *data, size_t len, LoginRequest *out, std::string *error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o = parseObject(parser, data, len, error);
  if (!o)
    return false;
  LoginRequest r;
  if (!optionalString(o, "user", &r.user, error) ||
      !optionalString(o, "password", &r.password, error))
    return false;
  if (r.user.empty() || !json_object_has_member(o, "password")) {
    *error = "the body needs \"user\" and \"password\" strings";
    return false;
  }
  *out = std::move(r);
  return true;
}

bool parseResizeRequest(const char *data, size_t len, ResizeRequest *out, std::string *error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o = parseObject(parser, data, len, error);
  if (!o)
    return false;
  ResizeRequest r;
  if (!optionalUint(o, "width", 8192, &r.width, error) ||
      !optionalUint(o, "height", 8192, &r.height, error))
    return false;
  if (!r.width || !r.height) {
    *error = "the body needs \"width\" and \"height\"";
    return false;
  }
  *out = r;
  return true;
}

bool parseShareRequest(const char *data, size_t len, ShareRequest *out, std::string *error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o = parseObject(parser, data, len, error);
  if (!o)
    return false;
  ShareRequest r;
  std::string role = "view";
  if (!optionalString(o, "role", &role, error) ||
      !optionalUint(o, "expiresIn", 30 * 24 * 3600, &r.expires_in, error))
    return false;
  auto parsed = roleFromName(role);
  if (!parsed) {
    *error = "\"role\" must be \"view\" or \"control\"";
    return false;
  }
  r.role = *parsed;
  *out = r;
  return true;
}

} // namespace vdid
