/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "input-message.h"

#include "json.h"

#include "keymap.h"

#include <gst/video/navigation.h>
#include <gst/video/video-enumtypes.h>
#include <json-glib/json-glib.h>

#include <cmath>
#include <cstring>

namespace vdi {

namespace {

/* Input messages are small and flat: refuse deeper nesting early. */
constexpr int kMaxInputDepth = 16;

/* "modifier_state": the GstNavigationModifierType bits as a number, or as
 * GStreamer serialises the flags ("shift-mask+control-mask", what
 * gstwebrtc-api sends). The modifiers we type come from the keys, so this
 * is informative; an unknown name is an error all the same. */
bool modifierState(JsonObject *obj, GstNavigationModifierType *state, std::string *error)
{
  *state = GST_NAVIGATION_MODIFIER_NONE;
  JsonNode *node = json_object_get_member(obj, "modifier_state");
  if (!node || JSON_NODE_HOLDS_NULL(node))
    return true;
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64) {
    gint64 v = json_node_get_int(node);
    if (v < 0 || v > G_MAXUINT32) {
      *error = "\"modifier_state\" is out of range";
      return false;
    }
    *state = static_cast<GstNavigationModifierType>(v);
    return true;
  }
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
    *error = "\"modifier_state\" must be a number or modifier names (\"shift-mask+control-mask\")";
    return false;
  }
  g_autoptr(GFlagsClass) flags =
    static_cast<GFlagsClass *>(g_type_class_ref(GST_TYPE_NAVIGATION_MODIFIER_TYPE));
  g_auto(GStrv) names = g_strsplit_set(json_node_get_string(node), "+|", -1);
  guint bits = 0;
  for (char **n = names; *n; n++) {
    g_strstrip(*n);
    if (!**n)
      continue;
    const GFlagsValue *v = g_flags_get_value_by_nick(flags, *n);
    if (!v)
      v = g_flags_get_value_by_name(flags, *n);
    if (!v) {
      *error = std::string("unknown modifier \"") + std::string(*n).substr(0, 32) + "\"";
      return false;
    }
    bits |= v->value;
  }
  *state = static_cast<GstNavigationModifierType>(bits);
  return true;
}

/* Scroll deltas as browsers and gstwebrtc-api send them (the DOM deltas,
 * negated): Chromium gives 100 pixels per wheel notch, Firefox 3 lines. A
 * small whole number is a count of wheel clicks (what vdiinputsink's users
 * and this project's player send), a whole multiple of a notch (100 or 120
 * pixels) that many clicks; a fraction is smooth scrolling in pixels, as
 * before (docs/input-protocol.md); a larger whole number that is no notch
 * multiple (a wheel on a scaled display) is smooth too, scaled so that a
 * notch's worth moves as far as a notch (15 Wayland units). An explicit
 * "smooth" keeps the numbers as they are. */
constexpr double kNotchPixels = 100.0;
constexpr double kWaylandPerNotch = 15.0;

void scrollUnits(double *dx, double *dy, bool *smooth)
{
  auto clicks = [](double d, double *out) {
    if (d != std::floor(d))
      return false;
    if (std::fabs(d) <= 10) {
      *out = d;
      return true;
    }
    for (double notch : {kNotchPixels, 120.0})
      if (std::fmod(d, notch) == 0) {
        *out = d / notch;
        return true;
      }
    return false;
  };
  double cx = 0, cy = 0;
  if (clicks(*dx, &cx) && clicks(*dy, &cy)) {
    *dx = cx;
    *dy = cy;
    *smooth = false;
    return;
  }
  *smooth = true;
  for (double *d : {dx, dy})
    if (*d == std::floor(*d))
      *d *= kWaylandPerNotch / kNotchPixels;
}

bool coordinate(double v, const char *name, std::string *error)
{
  if (!std::isfinite(v) || v < 0 || v > kMaxCoordinate) {
    char buf[128];
    g_snprintf(buf, sizeof(buf), "%s = %g is out of range (0 to %g)", name, v, kMaxCoordinate);
    *error = buf;
    return false;
  }
  return true;
}

GstEvent *parseNavigation(JsonObject *ev, std::string *error)
{
  std::string type;
  if (!json::getString(ev, "event", &type, error))
    return nullptr;
  GstNavigationModifierType state;
  if (!modifierState(ev, &state, error))
    return nullptr;
  double x = 0, y = 0;
  auto xy = [&]() {
    return json::getNumber(ev, "x", &x, error) && json::getNumber(ev, "y", &y, error);
  };

  GstEvent *event = nullptr;
  if (type == "KeyPress" || type == "KeyRelease") {
    std::string key, code;
    if (!json::getString(ev, "key", &key, error) ||
        !json::getString(ev, "code", &code, error, false))
      return nullptr;
    event = type == "KeyPress" ? gst_navigation_event_new_key_press(key.c_str(), state)
                               : gst_navigation_event_new_key_release(key.c_str(), state);
    if (!code.empty())
      gst_structure_set(gst_event_writable_structure(event), "code", G_TYPE_STRING, code.c_str(),
                        nullptr);
  } else if (type == "MouseMove") {
    if (!xy())
      return nullptr;
    event = gst_navigation_event_new_mouse_move(x, y, state);
  } else if (type == "MouseButtonPress" || type == "MouseButtonRelease") {
    double button = 0;
    if (!json::getNumber(ev, "button", &button, error) || !xy())
      return nullptr;
    if (button != std::floor(button) || button < 0 || button > 32) {
      *error = "\"button\" must be a small whole number";
      return nullptr;
    }
    int b = static_cast<int>(button);
    event = type == "MouseButtonPress"
              ? gst_navigation_event_new_mouse_button_press(b, x, y, state)
              : gst_navigation_event_new_mouse_button_release(b, x, y, state);
  } else if (type == "MouseScroll") {
    double dx = 0, dy = 0;
    bool smooth = false, has_smooth = false;
    if (!xy() || !json::getNumber(ev, "delta_x", &dx, error, false) ||
        !json::getNumber(ev, "delta_y", &dy, error, false) ||
        !json::getBool(ev, "smooth", &smooth, &has_smooth, error))
      return nullptr;
    if (!has_smooth)
      scrollUnits(&dx, &dy, &smooth);
    event = gst_navigation_event_new_mouse_scroll(x, y, dx, dy, state);
    gst_structure_set(gst_event_writable_structure(event), "smooth", G_TYPE_BOOLEAN, smooth,
                      nullptr);
  } else if (type == "TouchDown" || type == "TouchMotion") {
    double id = 0, pressure = 1.0;
    if (!json::getNumber(ev, "identifier", &id, error) || !xy() ||
        !json::getNumber(ev, "pressure", &pressure, error, false))
      return nullptr;
    if (id < 0 || id > G_MAXUINT32 || id != std::floor(id)) {
      *error = "\"identifier\" must be a whole number";
      return nullptr;
    }
    event =
      type == "TouchDown"
        ? gst_navigation_event_new_touch_down(static_cast<guint>(id), x, y, pressure, state)
        : gst_navigation_event_new_touch_motion(static_cast<guint>(id), x, y, pressure, state);
  } else if (type == "TouchUp") {
    double id = 0;
    if (!json::getNumber(ev, "identifier", &id, error) || !xy())
      return nullptr;
    if (id < 0 || id > G_MAXUINT32 || id != std::floor(id)) {
      *error = "\"identifier\" must be a whole number";
      return nullptr;
    }
    event = gst_navigation_event_new_touch_up(static_cast<guint>(id), x, y, state);
  } else if (type == "TouchFrame") {
    event = gst_navigation_event_new_touch_frame(state);
  } else if (type == "TouchCancel") {
    event = gst_navigation_event_new_touch_cancel(state);
  } else {
    *error = "unknown navigation event \"" + type.substr(0, 64) + "\"";
    return nullptr;
  }
  return event;
}

GstEvent *parseCustom(JsonObject *req, std::string *error)
{
  std::string name;
  if (!json::getString(req, "structureName", &name, error))
    return nullptr;
  JsonNode *snode = json_object_get_member(req, "structure");
  JsonObject *fields = nullptr;
  if (snode && JSON_NODE_HOLDS_OBJECT(snode))
    fields = json_node_get_object(snode);
  else if (snode && !JSON_NODE_HOLDS_NULL(snode)) {
    *error = "\"structure\" must be an object";
    return nullptr;
  }

  GstStructure *s = nullptr;
  std::string str;
  if (name == kPointerRelative) {
    double dx = 0, dy = 0;
    if (!fields) {
      *error = std::string(kPointerRelative) + " needs dx and dy";
      return nullptr;
    }
    if (!json::getNumber(fields, "dx", &dx, error) || !json::getNumber(fields, "dy", &dy, error))
      return nullptr;
    s = gst_structure_new(kPointerRelative, "dx", G_TYPE_DOUBLE, dx, "dy", G_TYPE_DOUBLE, dy,
                          nullptr);
  } else if (name == kText) {
    if (!fields || !json::getString(fields, "text", &str, error)) {
      if (error->empty())
        *error = std::string(kText) + " needs text";
      return nullptr;
    }
    s = gst_structure_new(kText, "text", G_TYPE_STRING, str.c_str(), nullptr);
  } else if (name == kKeyboardLayout) {
    std::string layout, rules, model, variant, options;
    if (!fields) {
      *error = std::string(kKeyboardLayout) + " needs layout";
      return nullptr;
    }
    if (!json::getString(fields, "layout", &layout, error) ||
        !json::getString(fields, "rules", &rules, error, false) ||
        !json::getString(fields, "model", &model, error, false) ||
        !json::getString(fields, "variant", &variant, error, false) ||
        !json::getString(fields, "options", &options, error, false))
      return nullptr;
    s = gst_structure_new(kKeyboardLayout, "layout", G_TYPE_STRING, layout.c_str(), "rules",
                          G_TYPE_STRING, rules.c_str(), "model", G_TYPE_STRING, model.c_str(),
                          "variant", G_TYPE_STRING, variant.c_str(), "options", G_TYPE_STRING,
                          options.c_str(), nullptr);
  } else if (name == kClipboardSet) {
    std::string mime, data;
    if (!fields) {
      *error = std::string(kClipboardSet) + " needs mime and data";
      return nullptr;
    }
    if (!json::getString(fields, "mime", &mime, error) ||
        !json::getString(fields, "data", &data, error))
      return nullptr;
    s = gst_structure_new(kClipboardSet, "mime", G_TYPE_STRING, mime.c_str(), "data", G_TYPE_STRING,
                          data.c_str(), nullptr);
  } else if (name == kReleaseAll) {
    s = gst_structure_new_empty(kReleaseAll);
  } else {
    *error = "unknown custom event \"" + name.substr(0, 64) + "\"";
    return nullptr;
  }
  return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s);
}

/* A structure field as a double, whatever numeric type it has. */
bool fieldNumber(const GstStructure *s, const char *name, double *out)
{
  const GValue *v = gst_structure_get_value(s, name);
  if (!v)
    return false;
  GValue d = G_VALUE_INIT;
  g_value_init(&d, G_TYPE_DOUBLE);
  bool ok = g_value_type_transformable(G_VALUE_TYPE(v), G_TYPE_DOUBLE) &&
            G_VALUE_TYPE(v) != G_TYPE_STRING && G_VALUE_TYPE(v) != G_TYPE_BOOLEAN &&
            g_value_transform(v, &d);
  if (ok)
    *out = g_value_get_double(&d);
  g_value_unset(&d);
  return ok && std::isfinite(*out);
}

bool validBase64(const char *s)
{
  size_t n = 0, pad = 0;
  for (const char *p = s; *p; p++) {
    char c = *p;
    if (c == '=') {
      pad++;
      continue;
    }
    if (c == '\n' || c == '\r' || c == ' ')
      continue;
    if (pad || !(g_ascii_isalnum(c) || c == '+' || c == '/'))
      return false;
    n++;
  }
  return pad <= 2 && (n + pad) % 4 == 0;
}

bool validateCustom(const GstStructure *s, std::string *error)
{
  const char *name = gst_structure_get_name(s);
  if (g_str_equal(name, kPointerRelative)) {
    double dx, dy;
    if (!fieldNumber(s, "dx", &dx) || !fieldNumber(s, "dy", &dy)) {
      *error = "vdi-pointer-relative needs numbers dx and dy";
      return false;
    }
    if (std::fabs(dx) > kMaxCoordinate || std::fabs(dy) > kMaxCoordinate) {
      *error = "vdi-pointer-relative motion is out of range";
      return false;
    }
    return true;
  }
  if (g_str_equal(name, kText)) {
    const char *text = gst_structure_get_string(s, "text");
    if (!text) {
      *error = "vdi-text needs a string text";
      return false;
    }
    size_t len = strlen(text);
    if (len > kMaxTextBytes) {
      *error = "vdi-text is longer than " + std::to_string(kMaxTextBytes) + " bytes";
      return false;
    }
    if (!g_utf8_validate(text, static_cast<gssize>(len), nullptr)) {
      *error = "vdi-text is not valid UTF-8";
      return false;
    }
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
      gunichar c = g_utf8_get_char(p);
      if (keysymFromCodepoint(c) == XKB_KEY_NoSymbol) {
        char buf[64];
        g_snprintf(buf, sizeof(buf), "vdi-text: U+%04X cannot be typed", c);
        *error = buf;
        return false;
      }
    }
    return true;
  }
  if (g_str_equal(name, kKeyboardLayout)) {
    const char *layout = gst_structure_get_string(s, "layout");
    if (!layout || !*layout) {
      *error = "vdi-keyboard-layout needs a layout";
      return false;
    }
    for (const char *f : {"layout", "rules", "model", "variant", "options"}) {
      const char *v = gst_structure_get_string(s, f);
      if (gst_structure_has_field(s, f) && !v) {
        *error = std::string("vdi-keyboard-layout: ") + f + " must be a string";
        return false;
      }
      if (v && !isSafeXkbName(v)) {
        *error = std::string("vdi-keyboard-layout: invalid ") + f;
        return false;
      }
    }
    return true;
  }
  if (g_str_equal(name, kClipboardSet)) {
    const char *mime = gst_structure_get_string(s, "mime");
    const char *data = gst_structure_get_string(s, "data");
    if (!mime || !data) {
      *error = "vdi-clipboard-set needs strings mime and data";
      return false;
    }
    size_t mlen = strlen(mime);
    bool mime_ok = mlen > 2 && mlen < 256 && strchr(mime, '/') != nullptr;
    for (const char *p = mime; *p && mime_ok; p++)
      mime_ok = g_ascii_isprint(*p);
    if (!mime_ok) {
      *error = "vdi-clipboard-set: invalid mime type";
      return false;
    }
    if (!validBase64(data)) {
      *error = "vdi-clipboard-set: data is not base64";
      return false;
    }
    return true;
  }
  if (g_str_equal(name, kReleaseAll))
    return true;
  *error = std::string("unknown custom event \"") + name + "\"";
  return false;
}

bool validateNavigation(GstEvent *event, std::string *error)
{
  GstNavigationEventType type = gst_navigation_event_get_type(event);
  double x = 0, y = 0, dx = 0, dy = 0, pressure = 0;
  int button = 0;
  guint id = 0;
  const char *key = nullptr;
  switch (type) {
  case GST_NAVIGATION_EVENT_KEY_PRESS:
  case GST_NAVIGATION_EVENT_KEY_RELEASE: {
    if (!gst_navigation_event_parse_key_event(event, &key) || !key) {
      *error = "key event without a key";
      return false;
    }
    const char *code = gst_structure_get_string(gst_event_get_structure(event), "code");
    bool code_ok = code && evdevCodeFromDomCode(code) >= 0;
    if (code && !code_ok && *code) {
      *error = std::string("unknown key code \"") + std::string(code).substr(0, 64) + "\"";
      return false;
    }
    if (!code_ok && keysymFromKeyName(key) == XKB_KEY_NoSymbol) {
      *error = std::string("unknown keysym \"") + std::string(key).substr(0, 64) + "\"";
      return false;
    }
    return true;
  }
  case GST_NAVIGATION_EVENT_MOUSE_MOVE:
    if (!gst_navigation_event_parse_mouse_move_event(event, &x, &y))
      break;
    return coordinate(x, "x", error) && coordinate(y, "y", error);
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
  case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
    if (!gst_navigation_event_parse_mouse_button_event(event, &button, &x, &y))
      break;
    if (!(button >= 1 && button <= 5) && button != 8 && button != 9) {
      *error = "unknown mouse button " + std::to_string(button) +
               " (1 left, 2 middle, 3 right, 4/8 back, 5/9 forward)";
      return false;
    }
    return coordinate(x, "x", error) && coordinate(y, "y", error);
  case GST_NAVIGATION_EVENT_MOUSE_SCROLL:
    if (!gst_navigation_event_parse_mouse_scroll_event(event, &x, &y, &dx, &dy))
      break;
    if (!std::isfinite(dx) || !std::isfinite(dy) || std::fabs(dx) > kMaxScroll ||
        std::fabs(dy) > kMaxScroll) {
      *error = "scroll delta out of range";
      return false;
    }
    return coordinate(x, "x", error) && coordinate(y, "y", error);
  case GST_NAVIGATION_EVENT_TOUCH_DOWN:
  case GST_NAVIGATION_EVENT_TOUCH_MOTION:
    if (!gst_navigation_event_parse_touch_event(event, &id, &x, &y, &pressure))
      break;
    return coordinate(x, "x", error) && coordinate(y, "y", error);
  case GST_NAVIGATION_EVENT_TOUCH_UP:
    if (!gst_navigation_event_parse_touch_up_event(event, &id, &x, &y))
      break;
    return coordinate(x, "x", error) && coordinate(y, "y", error);
  case GST_NAVIGATION_EVENT_TOUCH_FRAME:
  case GST_NAVIGATION_EVENT_TOUCH_CANCEL:
    return true;
  default:
    *error = "unsupported navigation event";
    return false;
  }
  *error = "malformed navigation event";
  return false;
}

} // namespace

bool isInputEvent(GstEvent *event)
{
  if (GST_EVENT_TYPE(event) == GST_EVENT_NAVIGATION)
    return true;
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM)
    return false;
  const GstStructure *s = gst_event_get_structure(event);
  if (!s)
    return false;
  const char *name = gst_structure_get_name(s);
  for (const char *n : {kPointerRelative, kText, kKeyboardLayout, kClipboardSet, kReleaseAll})
    if (g_str_equal(name, n))
      return true;
  return false;
}

bool validateInputEvent(GstEvent *event, std::string *error)
{
  if (GST_EVENT_TYPE(event) == GST_EVENT_NAVIGATION)
    return validateNavigation(event, error);
  if (isInputEvent(event))
    return validateCustom(gst_event_get_structure(event), error);
  *error = "not an input event";
  return false;
}

namespace {

/* @msg with @event (taken) when it passes validateInputEvent(). */
InputMessage checked(InputMessage msg, GstEvent *event)
{
  if (!event)
    return msg;
  EventPtr owned(event);
  if (validateInputEvent(event, &msg.error))
    msg.event = std::move(owned);
  return msg;
}

} // namespace

InputMessage parseInputMessage(std::string_view line)
{
  InputMessage msg;
  /* Tolerate \r\n line ends and surrounding blanks. */
  while (!line.empty() && g_ascii_isspace(line.back()))
    line.remove_suffix(1);
  while (!line.empty() && g_ascii_isspace(line.front()))
    line.remove_prefix(1);
  if (line.empty()) {
    msg.error = "empty message";
    return msg;
  }
  if (line.find('\0') != std::string_view::npos) {
    msg.error = "message contains a NUL byte";
    return msg;
  }
  json::Document doc(kMaxInputDepth);
  std::string err;
  JsonNode *root = doc.parse(line.data(), line.size(), &err);
  if (!root) {
    msg.error = "malformed JSON: " + err;
    return msg;
  }
  if (!JSON_NODE_HOLDS_OBJECT(root)) {
    msg.error = "the message is not a JSON object";
    return msg;
  }
  JsonObject *obj = json_node_get_object(root);
  JsonNode *id = json_object_get_member(obj, "id");
  if (id && JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_INT64)
    msg.id = json_node_get_int(id);
  else if (id && !JSON_NODE_HOLDS_NULL(id)) {
    msg.error = "\"id\" must be a whole number";
    return msg;
  }
  JsonNode *req = json_object_get_member(obj, "request");
  /* webrtcsink also takes the request as a string of JSON (StringOrRequest). */
  json::Document inner(kMaxInputDepth);
  if (req && JSON_NODE_HOLDS_VALUE(req) && json_node_get_value_type(req) == G_TYPE_STRING) {
    const char *text = json_node_get_string(req);
    req = inner.parse(text, strlen(text), &err);
    if (!req) {
      msg.error = "the \"request\" string is not a JSON request";
      return msg;
    }
  }
  if (!req || !JSON_NODE_HOLDS_OBJECT(req)) {
    msg.error = "missing object \"request\"";
    return msg;
  }
  JsonObject *request = json_node_get_object(req);
  std::string type;
  if (!json::getString(request, "type", &type, &msg.error))
    return msg;

  GstEvent *event = nullptr;
  if (type == "navigationEvent") {
    JsonNode *ev = json_object_get_member(request, "event");
    if (!ev || !JSON_NODE_HOLDS_OBJECT(ev)) {
      msg.error = "missing object \"event\"";
      return msg;
    }
    event = parseNavigation(json_node_get_object(ev), &msg.error);
  } else if (type == "customUpstreamEvent") {
    event = parseCustom(request, &msg.error);
  } else {
    msg.error = "unknown request type \"" + type.substr(0, 64) + "\"";
    return msg;
  }
  return checked(std::move(msg), event);
}

InputMessage parseNavigationMessage(std::string_view line)
{
  InputMessage msg;
  json::Document doc(kMaxInputDepth);
  std::string err;
  JsonNode *root = doc.parse(line.data(), line.size(), &err);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    msg.error = "the message is not a JSON object";
    return msg;
  }
  GstEvent *event = parseNavigation(json_node_get_object(root), &msg.error);
  return checked(std::move(msg), event);
}

std::string controlResponse(int64_t id, const std::string &error)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, "ControlResponseMessage");
  json_builder_set_member_name(b, "id");
  json_builder_add_int_value(b, id);
  json_builder_set_member_name(b, "error");
  if (error.empty())
    json_builder_add_null_value(b);
  else
    json_builder_add_string_value(b, error.c_str());
  json_builder_end_object(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  g_autofree char *out = json_generator_to_data(gen, nullptr);
  return out;
}

} // namespace vdi
