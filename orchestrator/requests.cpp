/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "requests.h"

#include "compositor.h"

#include "json.h"

#include <json-glib/json-glib.h>

namespace vdid {

namespace {

constexpr size_t kMaxBody = 1024 * 1024;
constexpr unsigned kMaxApps = 16;
constexpr unsigned kMaxArgs = 64;

/* The body as a JSON object (an empty body is {}), or nullptr with
 * @error set. */
JsonObject *parseBody(vdi::json::Document &doc, const char *data, size_t len, std::string *error)
{
  if (len > kMaxBody) {
    *error = "the request body is larger than 1 MiB";
    return nullptr;
  }
  std::string why;
  JsonObject *o = len == 0 ? doc.parseObject("{}", 2, &why) : doc.parseObject(data, len, &why);
  if (!o)
    *error = "the request body " + std::string(why == "must be a JSON object" ? "" : "is ") + why;
  return o;
}

/* An optional whole number from 1 to @max. */
bool optionalUint(JsonObject *o, const char *name, unsigned max, unsigned *out, std::string *error)
{
  int64_t v = *out;
  if (!vdi::json::getInt(o, name, 1, max, &v, error, false))
    return false;
  *out = static_cast<unsigned>(v);
  return true;
}

} // namespace

bool parseSessionRequest(const char *data, size_t len, SessionSpec *out, std::string *error)
{
  vdi::json::Document doc;
  JsonObject *o = parseBody(doc, data, len, error);
  if (!o)
    return false;
  if (!vdi::json::onlyKnown(o, {"width", "height", "fps", "apps", "compositor"}, error))
    return false;
  SessionSpec spec;
  if (json_object_has_member(o, "compositor")) {
    /* One of the built-in kinds only: a user never chooses a command. */
    JsonNode *n = json_object_get_member(o, "compositor");
    const char *name = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
                         ? json_node_get_string(n)
                         : nullptr;
    if (!name || !isCompositorKindName(name)) {
      *error = "\"compositor\" must be \"sway\", \"gnome\" or \"mutter\"";
      return false;
    }
    spec.compositor = name;
  }
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
  vdi::json::Document doc;
  JsonObject *o = parseBody(doc, data, len, error);
  if (!o)
    return false;
  if (!vdi::json::onlyKnown(o, {"user", "password"}, error))
    return false;
  LoginRequest r;
  if (!vdi::json::getString(o, "user", &r.user, error, false) ||
      !vdi::json::getString(o, "password", &r.password, error, false))
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
  vdi::json::Document doc;
  JsonObject *o = parseBody(doc, data, len, error);
  if (!o)
    return false;
  if (!vdi::json::onlyKnown(o, {"width", "height"}, error))
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
  vdi::json::Document doc;
  JsonObject *o = parseBody(doc, data, len, error);
  if (!o)
    return false;
  if (!vdi::json::onlyKnown(o, {"role", "expiresIn"}, error))
    return false;
  ShareRequest r;
  std::string role = "view";
  if (!vdi::json::getString(o, "role", &role, error, false) ||
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
