/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-input.h"

#include <gst/video/navigation.h>
#include <json-glib/json-glib.h>

#include <cmath>
#include <cstring>

namespace vdi::webrtc {

namespace {

/* GstStructure names: a letter, then letters, digits and "/-_.:+". */
bool validName(const char *s)
{
  if (!s || !g_ascii_isalpha(*s))
    return false;
  for (const char *p = s + 1; *p; p++)
    if (!g_ascii_isalnum(*p) && !strchr("/-_.:+", *p))
      return false;
  return strlen(s) < 128;
}

bool getNumber(JsonObject *o, const char *name, double &out, std::string &error)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
      (json_node_get_value_type(n) != G_TYPE_INT64 &&
       json_node_get_value_type(n) != G_TYPE_DOUBLE)) {
    error = std::string("missing or non-numeric field '") + name + "'";
    return false;
  }
  out = json_node_get_double(n);
  if (!std::isfinite(out)) {
    error = std::string("field '") + name + "' is not finite";
    return false;
  }
  return true;
}

double optNumber(JsonObject *o, const char *name, double fallback)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return fallback;
  GType t = json_node_get_value_type(n);
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return fallback;
  double v = json_node_get_double(n);
  return std::isfinite(v) ? v : fallback;
}

GstNavigationModifierType modifiers(JsonObject *o)
{
  double m = optNumber(o, "modifier_state", optNumber(o, "modifierState", 0));
  return static_cast<GstNavigationModifierType>(static_cast<guint>(m) &
                                                GST_NAVIGATION_MODIFIER_MASK);
}

GstEvent *navigationEvent(JsonObject *ev, std::string &error)
{
  const char *name = json_object_get_string_member_with_default(ev, "event", nullptr);
  if (!name) {
    error = "navigationEvent without an 'event' name";
    return nullptr;
  }
  auto state = modifiers(ev);
  double x = 0, y = 0;
  if (!strcmp(name, "KeyPress") || !strcmp(name, "KeyRelease")) {
    const char *key = json_object_get_string_member_with_default(ev, "key", nullptr);
    if (!key || !*key) {
      error = std::string(name) + " without a 'key'";
      return nullptr;
    }
    return !strcmp(name, "KeyPress") ? gst_navigation_event_new_key_press(key, state)
                                     : gst_navigation_event_new_key_release(key, state);
  }
  if (!strcmp(name, "MouseMove")) {
    if (!getNumber(ev, "x", x, error) || !getNumber(ev, "y", y, error))
      return nullptr;
    return gst_navigation_event_new_mouse_move(x, y, state);
  }
  if (!strcmp(name, "MouseButtonPress") || !strcmp(name, "MouseButtonRelease")) {
    double button = 0;
    if (!getNumber(ev, "button", button, error) || !getNumber(ev, "x", x, error) ||
        !getNumber(ev, "y", y, error))
      return nullptr;
    if (button < 1 || button > 32) {
      error = "button out of range";
      return nullptr;
    }
    return !strcmp(name, "MouseButtonPress")
             ? gst_navigation_event_new_mouse_button_press(int(button), x, y, state)
             : gst_navigation_event_new_mouse_button_release(int(button), x, y, state);
  }
  if (!strcmp(name, "MouseScroll")) {
    double dx = 0, dy = 0;
    if (!getNumber(ev, "x", x, error) || !getNumber(ev, "y", y, error) ||
        !getNumber(ev, "delta_x", dx, error) || !getNumber(ev, "delta_y", dy, error))
      return nullptr;
    return gst_navigation_event_new_mouse_scroll(x, y, dx, dy, state);
  }
  if (!strcmp(name, "TouchDown") || !strcmp(name, "TouchMotion") || !strcmp(name, "TouchUp")) {
    double ident = 0;
    if (!getNumber(ev, "identifier", ident, error) || !getNumber(ev, "x", x, error) ||
        !getNumber(ev, "y", y, error))
      return nullptr;
    if (ident < 0) {
      error = "negative touch identifier";
      return nullptr;
    }
    double pressure = optNumber(ev, "pressure", 1.0);
    if (!strcmp(name, "TouchDown"))
      return gst_navigation_event_new_touch_down(guint(ident), x, y, pressure, state);
    if (!strcmp(name, "TouchMotion"))
      return gst_navigation_event_new_touch_motion(guint(ident), x, y, pressure, state);
    return gst_navigation_event_new_touch_up(guint(ident), x, y, state);
  }
  if (!strcmp(name, "TouchFrame"))
    return gst_navigation_event_new_touch_frame(state);
  if (!strcmp(name, "TouchCancel"))
    return gst_navigation_event_new_touch_cancel(state);
  error = std::string("unknown navigation event '") + name + "'";
  return nullptr;
}

GstEvent *customEvent(JsonObject *req, std::string &error)
{
  const char *sname = json_object_get_string_member_with_default(req, "structureName", nullptr);
  if (!sname || !validName(sname)) {
    error = "customUpstreamEvent needs a valid 'structureName'";
    return nullptr;
  }
  GstStructure *s = gst_structure_new_empty(sname);
  JsonNode *fields = json_object_get_member(req, "structure");
  if (fields && JSON_NODE_HOLDS_OBJECT(fields)) {
    JsonObject *fo = json_node_get_object(fields);
    g_autoptr(GList) members = json_object_get_members(fo);
    for (GList *l = members; l; l = l->next) {
      const char *key = static_cast<const char *>(l->data);
      JsonNode *v = json_object_get_member(fo, key);
      if (!JSON_NODE_HOLDS_VALUE(v) || !validName(key))
        continue;
      GType t = json_node_get_value_type(v);
      if (t == G_TYPE_STRING)
        gst_structure_set(s, key, G_TYPE_STRING, json_node_get_string(v), nullptr);
      else if (t == G_TYPE_BOOLEAN)
        gst_structure_set(s, key, G_TYPE_BOOLEAN, json_node_get_boolean(v), nullptr);
      else if (t == G_TYPE_INT64) {
        gint64 i = json_node_get_int(v);
        if (i >= G_MININT && i <= G_MAXINT)
          gst_structure_set(s, key, G_TYPE_INT, gint(i), nullptr);
        else
          gst_structure_set(s, key, G_TYPE_INT64, i, nullptr);
      } else if (t == G_TYPE_DOUBLE)
        gst_structure_set(s, key, G_TYPE_DOUBLE, json_node_get_double(v), nullptr);
    }
  } else if (fields && !JSON_NODE_HOLDS_NULL(fields)) {
    gst_structure_free(s);
    error = "customUpstreamEvent 'structure' must be an object";
    return nullptr;
  }
  return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s);
}

} // namespace

ControlRequest parseControlRequest(const char *text, size_t length)
{
  ControlRequest out;
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) err = nullptr;
  if (!json_parser_load_from_data(parser, text, gssize(length), &err)) {
    out.error = std::string("malformed JSON: ") + err->message;
    return out;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    out.error = "message is not a JSON object";
    return out;
  }
  JsonObject *o = json_node_get_object(root);
  JsonNode *idn = json_object_get_member(o, "id");
  if (idn && JSON_NODE_HOLDS_VALUE(idn) && json_node_get_value_type(idn) == G_TYPE_INT64)
    out.id = json_node_get_int(idn);
  JsonNode *reqn = json_object_get_member(o, "request");
  if (!reqn || !JSON_NODE_HOLDS_OBJECT(reqn)) {
    out.error = "message has no 'request' object";
    return out;
  }
  JsonObject *req = json_node_get_object(reqn);
  const char *type = json_object_get_string_member_with_default(req, "type", nullptr);
  if (!type) {
    out.error = "request has no 'type'";
    return out;
  }
  GstEvent *ev = nullptr;
  if (!strcmp(type, "navigationEvent")) {
    JsonNode *evn = json_object_get_member(req, "event");
    if (!evn || !JSON_NODE_HOLDS_OBJECT(evn)) {
      out.error = "navigationEvent has no 'event' object";
      return out;
    }
    ev = navigationEvent(json_node_get_object(evn), out.error);
  } else if (!strcmp(type, "customUpstreamEvent")) {
    ev = customEvent(req, out.error);
  } else {
    out.error = std::string("unknown request type '") + type + "'";
  }
  if (ev)
    out.event.reset(ev);
  return out;
}

std::string controlResponse(int64_t id, const std::string &error)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "ControlResponseMessage");
  json_builder_set_member_name(b, "id");
  if (id >= 0)
    json_builder_add_int_value(b, id);
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "error");
  if (error.empty())
    json_builder_add_null_value(b);
  else
    json_builder_add_string_value(b, error.c_str());
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *s = json_to_string(root, FALSE);
  return s;
}

} // namespace vdi::webrtc
