/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "json.h"

#include <cmath>

namespace vdi::json {

namespace {

std::string quoted(const char *name)
{
  return std::string("\"") + name + "\"";
}

/* The member, or nullptr when absent or null; sets @error when @required. */
JsonNode *member(JsonObject *o, const char *name, const char *kind, std::string *error,
                 bool required)
{
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  if (!n || JSON_NODE_HOLDS_NULL(n)) {
    if (required)
      *error = std::string("missing ") + kind + " " + quoted(name);
    return nullptr;
  }
  return n;
}

bool holds(JsonNode *n, GType type)
{
  return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type;
}

} // namespace

bool singleValue(const char *text, size_t length, int maxDepth, std::string *error)
{
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  auto scalar = [](char c) { return g_ascii_isalnum(c) || c == '+' || c == '-' || c == '.'; };
  size_t i = 0;
  while (i < length && blank(text[i]))
    i++;
  int depth = 0;
  bool in_string = false, ended = false;
  for (; i < length && !ended; i++) {
    char c = text[i];
    if (c == '\0') {
      *error = "not valid JSON: a NUL byte";
      return false;
    }
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = false;
      ended = !in_string && depth == 0;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > maxDepth) {
        *error = "not valid JSON: nested deeper than " + std::to_string(maxDepth);
        return false;
      }
    } else if (c == '}' || c == ']') {
      ended = --depth <= 0;
    } else if (scalar(c)) {
      ended = depth == 0 && (i + 1 == length || !scalar(text[i + 1]));
    } else if (!blank(c) && c != ',' && c != ':') {
      *error = std::string("not valid JSON: unexpected character at offset ") + std::to_string(i);
      return false;
    }
  }
  while (i < length && blank(text[i]))
    i++;
  if (i < length) {
    *error = "not valid JSON: more than one value (text after offset " + std::to_string(i) + ")";
    return false;
  }
  return true;
}

Document::Document(int maxDepth) : parser_(json_parser_new_immutable()), maxDepth_(maxDepth) {}

Document::~Document()
{
  g_object_unref(parser_);
}

JsonNode *Document::parse(const char *text, size_t length, std::string *error)
{
  if (!text)
    text = "";
  if (!singleValue(text, length, maxDepth_, error))
    return nullptr;
  GError *err = nullptr;
  if (!json_parser_load_from_data(parser_, text, static_cast<gssize>(length), &err)) {
    *error = std::string("not valid JSON: ") + err->message;
    g_error_free(err);
    return nullptr;
  }
  JsonNode *root = json_parser_get_root(parser_);
  if (!root) {
    *error = "not valid JSON: empty";
    return nullptr;
  }
  return root;
}

JsonObject *Document::parseObject(const char *text, size_t length, std::string *error)
{
  JsonNode *root = parse(text, length, error);
  if (!root)
    return nullptr;
  if (!JSON_NODE_HOLDS_OBJECT(root)) {
    *error = "must be a JSON object";
    return nullptr;
  }
  return json_node_get_object(root);
}

bool getString(JsonObject *o, const char *name, std::string *out, std::string *error, bool required)
{
  JsonNode *n = member(o, name, "string", error, required);
  if (!n)
    return !required;
  if (!holds(n, G_TYPE_STRING)) {
    *error = quoted(name) + " must be a string";
    return false;
  }
  /* json-glib passes bytes through as they came (and \u escapes of lone
   * surrogates): GStreamer and GLib want valid UTF-8. */
  const char *v = json_node_get_string(n);
  if (!g_utf8_validate(v, -1, nullptr)) {
    *error = quoted(name) + " is not valid UTF-8";
    return false;
  }
  *out = v;
  return true;
}

bool getNumber(JsonObject *o, const char *name, double *out, std::string *error, bool required)
{
  JsonNode *n = member(o, name, "number", error, required);
  if (!n)
    return !required;
  double v;
  if (holds(n, G_TYPE_INT64)) {
    v = static_cast<double>(json_node_get_int(n));
  } else if (holds(n, G_TYPE_DOUBLE)) {
    v = json_node_get_double(n);
  } else {
    *error = quoted(name) + " must be a number";
    return false;
  }
  if (!std::isfinite(v)) {
    *error = quoted(name) + " is not a finite number";
    return false;
  }
  *out = v;
  return true;
}

bool getInt(JsonObject *o, const char *name, int64_t min, int64_t max, int64_t *out,
            std::string *error, bool required)
{
  JsonNode *n = member(o, name, "number", error, required);
  if (!n)
    return !required;
  if (!holds(n, G_TYPE_INT64) || json_node_get_int(n) < min || json_node_get_int(n) > max) {
    *error = quoted(name) + " must be a whole number from " + std::to_string(min) + " to " +
             std::to_string(max);
    return false;
  }
  *out = json_node_get_int(n);
  return true;
}

bool getBool(JsonObject *o, const char *name, bool *out, bool *present, std::string *error)
{
  *present = false;
  JsonNode *n = member(o, name, "boolean", error, false);
  if (!n)
    return true;
  if (!holds(n, G_TYPE_BOOLEAN)) {
    *error = quoted(name) + " must be true or false";
    return false;
  }
  *out = json_node_get_boolean(n);
  *present = true;
  return true;
}

std::string stringOr(JsonObject *o, const char *name, const std::string &fallback)
{
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  return n && holds(n, G_TYPE_STRING) && g_utf8_validate(json_node_get_string(n), -1, nullptr)
           ? json_node_get_string(n)
           : fallback;
}

int64_t intOr(JsonObject *o, const char *name, int64_t fallback)
{
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  return n && holds(n, G_TYPE_INT64) ? json_node_get_int(n) : fallback;
}

double numberOr(JsonObject *o, const char *name, double fallback)
{
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  if (n && holds(n, G_TYPE_INT64))
    return static_cast<double>(json_node_get_int(n));
  if (n && holds(n, G_TYPE_DOUBLE) && std::isfinite(json_node_get_double(n)))
    return json_node_get_double(n);
  return fallback;
}

bool boolOr(JsonObject *o, const char *name, bool fallback)
{
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  return n && holds(n, G_TYPE_BOOLEAN) ? json_node_get_boolean(n) : fallback;
}

JsonObject *objectOf(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

JsonArray *arrayOf(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : nullptr;
  return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : nullptr;
}

bool onlyKnown(JsonObject *o, std::initializer_list<const char *> known, std::string *error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *n;
  json_object_iter_init(&iter, o);
  while (json_object_iter_next(&iter, &name, &n)) {
    bool ok = false;
    for (const char *k : known)
      ok = ok || g_str_equal(k, name);
    if (!ok) {
      *error = "unknown field " + quoted(name);
      return false;
    }
  }
  return true;
}

std::string toString(JsonNode *node)
{
  g_autofree char *s = json_to_string(node, FALSE);
  return s ? s : "";
}

std::string toString(JsonObject *object)
{
  g_autoptr(JsonNode) n = json_node_init_object(json_node_alloc(), object);
  return toString(n);
}

Writer::Writer() : b_(json_builder_new_immutable()) {}

Writer::~Writer()
{
  g_object_unref(b_);
}

Writer &Writer::begin(const char *name)
{
  if (name)
    json_builder_set_member_name(b_, name);
  json_builder_begin_object(b_);
  return *this;
}

Writer &Writer::end()
{
  json_builder_end_object(b_);
  return *this;
}

Writer &Writer::beginArray(const char *name)
{
  if (name)
    json_builder_set_member_name(b_, name);
  json_builder_begin_array(b_);
  return *this;
}

Writer &Writer::endArray()
{
  json_builder_end_array(b_);
  return *this;
}

Writer &Writer::name(const char *name)
{
  json_builder_set_member_name(b_, name);
  return *this;
}

Writer &Writer::value(const std::string &v)
{
  json_builder_add_string_value(b_, v.c_str());
  return *this;
}

Writer &Writer::value(const char *v)
{
  if (v)
    json_builder_add_string_value(b_, v);
  else
    json_builder_add_null_value(b_);
  return *this;
}

Writer &Writer::value(int64_t v)
{
  json_builder_add_int_value(b_, v);
  return *this;
}

Writer &Writer::value(double v)
{
  json_builder_add_double_value(b_, v);
  return *this;
}

Writer &Writer::value(bool v)
{
  json_builder_add_boolean_value(b_, v);
  return *this;
}

Writer &Writer::null()
{
  json_builder_add_null_value(b_);
  return *this;
}

Writer &Writer::raw(const std::string &json)
{
  JsonNode *n = json.empty() ? nullptr : json_from_string(json.c_str(), nullptr);
  return n ? node(n) : null();
}

Writer &Writer::node(JsonNode *node)
{
  json_builder_add_value(b_, node);
  return *this;
}

std::string Writer::text()
{
  g_autoptr(JsonNode) root = json_builder_get_root(b_);
  return root ? toString(root) : std::string();
}

JsonNode *Writer::root()
{
  return json_builder_get_root(b_);
}

} // namespace vdi::json
