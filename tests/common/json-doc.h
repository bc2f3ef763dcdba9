/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A JSON object the tests read what a browser script or the element said
 * from, with tolerant accessors: a missing or mistyped member gives a
 * neutral value (and so a failed check), never a json-glib critical.
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <cstdint>
#include <string>

namespace vdi::test {

/* @text parsed; root is null unless it is a JSON object. */
struct JsonDoc {
  JsonParser *parser = json_parser_new();
  JsonObject *root = nullptr;
  explicit JsonDoc(const std::string &text)
  {
    if (!text.empty() && json_parser_load_from_data(parser, text.c_str(), -1, nullptr) &&
        json_parser_get_root(parser) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
      root = json_node_get_object(json_parser_get_root(parser));
  }
  ~JsonDoc() { g_object_unref(parser); }
  JsonDoc(const JsonDoc &) = delete;
  JsonDoc &operator=(const JsonDoc &) = delete;
};

inline JsonNode *member(JsonObject *o, const char *name)
{
  return o && json_object_has_member(o, name) ? json_object_get_member(o, name) : nullptr;
}
inline int64_t jint(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) ? int64_t(json_node_get_double(n)) : -1;
}
inline double jdbl(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : -1;
}
inline std::string jstr(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
           ? json_node_get_string(n)
           : "";
}
inline bool jbool(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_boolean(n);
}
inline bool jnull(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_NULL(n);
}
inline JsonObject *jobj(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}
inline JsonArray *jarr(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : nullptr;
}
inline guint jlen(JsonArray *a)
{
  return a ? json_array_get_length(a) : 0;
}
inline JsonObject *jat(JsonArray *a, guint i)
{
  if (!a || i >= json_array_get_length(a))
    return nullptr;
  JsonNode *n = json_array_get_element(a, i);
  return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

} // namespace vdi::test
