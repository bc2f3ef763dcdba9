/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The input message parser (input-message.h). */

#include "input-message.h"
#include "test-util.h"

#include <gst/video/navigation.h>

using vdi::parseInputMessage;

namespace {

std::string navLine(const std::string &event)
{
  return "{\"id\":7,\"request\":{\"type\":\"navigationEvent\",\"event\":" + event + "}}";
}

std::string customLine(const std::string &name, const std::string &structure)
{
  return "{\"id\":8,\"request\":{\"type\":\"customUpstreamEvent\",\"structureName\":\"" + name +
         "\",\"structure\":" + structure + "}}";
}

} // namespace

TEST_CASE("navigation messages become GstNavigation events", "[input-message]")
{
  auto m = parseInputMessage(navLine("{\"event\":\"MouseMove\",\"x\":10.5,\"y\":20}"));
  REQUIRE(m.ok());
  CHECK(m.id == 7);
  CHECK(GST_EVENT_TYPE(m.event.get()) == GST_EVENT_NAVIGATION);
  CHECK(gst_navigation_event_get_type(m.event.get()) == GST_NAVIGATION_EVENT_MOUSE_MOVE);
  double x = 0, y = 0;
  REQUIRE(gst_navigation_event_parse_mouse_move_event(m.event.get(), &x, &y));
  CHECK(x == 10.5);
  CHECK(y == 20);

  m = parseInputMessage(navLine("{\"event\":\"KeyPress\",\"key\":\"EuroSign\",\"code\":\"KeyE\"}"));
  REQUIRE(m.ok());
  const char *key = nullptr;
  REQUIRE(gst_navigation_event_parse_key_event(m.event.get(), &key));
  CHECK(std::string(key) == "EuroSign");
  CHECK(std::string(gst_structure_get_string(gst_event_get_structure(m.event.get()), "code")) ==
        "KeyE");

  m = parseInputMessage(navLine(
    "{\"event\":\"MouseButtonRelease\",\"button\":3,\"x\":1,\"y\":2,\"modifier_state\":1}"));
  REQUIRE(m.ok());
  int button = 0;
  REQUIRE(gst_navigation_event_parse_mouse_button_event(m.event.get(), &button, &x, &y));
  CHECK(button == 3);

  m = parseInputMessage(navLine(
    "{\"event\":\"MouseScroll\",\"x\":1,\"y\":2,\"delta_x\":0,\"delta_y\":-1.5,\"smooth\":true}"));
  REQUIRE(m.ok());
  double dx, dy;
  REQUIRE(gst_navigation_event_parse_mouse_scroll_event(m.event.get(), &x, &y, &dx, &dy));
  CHECK(dy == -1.5);
  gboolean smooth = FALSE;
  CHECK(gst_structure_get_boolean(gst_event_get_structure(m.event.get()), "smooth", &smooth));
  CHECK(smooth);

  for (const char *ok :
       {"{\"event\":\"TouchDown\",\"identifier\":0,\"x\":1,\"y\":2}",
        "{\"event\":\"TouchMotion\",\"identifier\":0,\"x\":1,\"y\":2,"
        "\"pressure\":0.5}",
        "{\"event\":\"TouchUp\",\"identifier\":0,\"x\":1,\"y\":2}", "{\"event\":\"TouchFrame\"}",
        "{\"event\":\"TouchCancel\"}", "{\"event\":\"KeyRelease\",\"key\":\"Enter\"}",
        "{\"event\":\"KeyPress\",\"key\":\"é\"}"}) {
    INFO(ok);
    CHECK(parseInputMessage(navLine(ok)).ok());
  }
  /* No id is fine; surrounding blanks and \r\n too. */
  m = parseInputMessage("  {\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":"
                        "\"TouchFrame\"}}}\r\n");
  REQUIRE(m.ok());
  CHECK(m.id == -1);
}

TEST_CASE("custom messages become vdi-* custom upstream events", "[input-message]")
{
  auto m = parseInputMessage(customLine("vdi-pointer-relative", "{\"dx\":3,\"dy\":-2.5}"));
  REQUIRE(m.ok());
  CHECK(GST_EVENT_TYPE(m.event.get()) == GST_EVENT_CUSTOM_UPSTREAM);
  const GstStructure *s = gst_event_get_structure(m.event.get());
  CHECK(gst_structure_has_name(s, "vdi-pointer-relative"));
  double dx = 0;
  CHECK(gst_structure_get_double(s, "dx", &dx));
  CHECK(dx == 3);

  m = parseInputMessage(customLine("vdi-text", "{\"text\":\"Grüße €\\n\"}"));
  REQUIRE(m.ok());
  CHECK(std::string(gst_structure_get_string(gst_event_get_structure(m.event.get()), "text")) ==
        "Grüße €\n");

  m = parseInputMessage(
    customLine("vdi-keyboard-layout", "{\"layout\":\"de\",\"variant\":\"nodeadkeys\"}"));
  REQUIRE(m.ok());
  m = parseInputMessage(
    customLine("vdi-clipboard-set", "{\"mime\":\"text/plain\",\"data\":\"aGk=\"}"));
  REQUIRE(m.ok());
  m = parseInputMessage(customLine("vdi-release-all", "{}"));
  REQUIRE(m.ok());
  CHECK(vdi::isInputEvent(m.event.get()));
  m = parseInputMessage("{\"request\":{\"type\":\"customUpstreamEvent\",\"structureName\":"
                        "\"vdi-release-all\"}}");
  CHECK(m.ok());
}

TEST_CASE("bad messages give a reason and no event", "[input-message]")
{
  struct Case {
    std::string line;
    std::string why;
  };
  const std::vector<Case> cases = {
    {"", "empty"},
    {"{", "malformed JSON"},
    {"null", "not a JSON object"},
    {"{\"id\":\"x\",\"request\":{}}", "id"},
    {"{\"id\":1,\"request\":5}", "request"},
    {"{\"request\":{\"type\":3}}", "type"},
    {"{\"request\":{\"type\":\"nope\"}}", "unknown request type"},
    {"{\"request\":{\"type\":\"navigationEvent\"}}", "event"},
    {navLine("{\"event\":\"Teleport\"}"), "unknown navigation event"},
    {navLine("{\"event\":\"MouseMove\",\"x\":1}"), "\"y\""},
    {navLine("{\"event\":\"MouseMove\",\"x\":\"1\",\"y\":1}"), "must be a number"},
    {navLine("{\"event\":\"MouseMove\",\"x\":true,\"y\":1}"), "must be a number"},
    {navLine("{\"event\":\"MouseMove\",\"x\":-0.5,\"y\":1}"), "out of range"},
    {navLine("{\"event\":\"MouseMove\",\"x\":1e300,\"y\":1}"), "out of range"},
    {navLine("{\"event\":\"MouseButtonPress\",\"button\":1.5,\"x\":1,\"y\":1}"), "button"},
    {navLine("{\"event\":\"MouseButtonPress\",\"button\":7,\"x\":1,\"y\":1}"), "button"},
    {navLine("{\"event\":\"MouseScroll\",\"x\":1,\"y\":1,\"delta_y\":1e9}"), "scroll"},
    {navLine("{\"event\":\"KeyPress\",\"key\":\"NoSuchKeysym\"}"), "unknown keysym"},
    {navLine("{\"event\":\"KeyPress\",\"key\":\"\"}"), "unknown keysym"},
    {navLine("{\"event\":\"KeyPress\",\"key\":\"a\",\"code\":\"KeyÄ\"}"), "unknown key code"},
    {navLine("{\"event\":\"KeyPress\"}"), "key"},
    {navLine("{\"event\":\"TouchDown\",\"identifier\":-1,\"x\":1,\"y\":1}"), "identifier"},
    {customLine("vdi-nope", "{}"), "unknown custom event"},
    {customLine("vdi-text", "{}"), "text"},
    {customLine("vdi-text", "{\"text\":5}"), "string"},
    {customLine("vdi-text", "{\"text\":\"a\\u0007\"}"), "cannot be typed"},
    {customLine("vdi-pointer-relative", "{\"dx\":1}"), "dy"},
    {customLine("vdi-pointer-relative", "{\"dx\":1e7,\"dy\":0}"), "out of range"},
    {customLine("vdi-keyboard-layout", "{}"), "layout"},
    {customLine("vdi-keyboard-layout", "{\"layout\":\"us{\"}"), "invalid"},
    {customLine("vdi-clipboard-set", "{\"mime\":\"text/plain\"}"), "data"},
    {customLine("vdi-clipboard-set", "{\"mime\":\"x\",\"data\":\"\"}"), "mime"},
    {customLine("vdi-clipboard-set", "{\"mime\":\"text/plain\",\"data\":\"a=b=\"}"), "base64"},
    {customLine("vdi-text", "[1]"), "object"},
    {std::string(1000, '[') + std::string(1000, ']'), "nested"},
    {std::string("{\"a\":\0}", 7), "NUL"},
  };
  for (const auto &c : cases) {
    INFO("line: " << c.line.substr(0, 100));
    auto m = parseInputMessage(c.line);
    CHECK_FALSE(m.ok());
    CHECK(m.error.find(c.why) != std::string::npos);
    INFO("error: " << m.error);
  }
}

TEST_CASE("validateInputEvent checks events from elsewhere too", "[input-message]")
{
  std::string error;
  vdi::EventPtr good(gst_navigation_event_new_mouse_move(1, 2, GST_NAVIGATION_MODIFIER_NONE));
  CHECK(vdi::validateInputEvent(good.get(), &error));
  vdi::EventPtr bad(gst_navigation_event_new_key_press("Nope!", GST_NAVIGATION_MODIFIER_NONE));
  CHECK_FALSE(vdi::validateInputEvent(bad.get(), &error));
  vdi::EventPtr other(
    gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty("vdi-repaint")));
  CHECK_FALSE(vdi::isInputEvent(other.get()));
  vdi::EventPtr eos(gst_event_new_eos());
  CHECK_FALSE(vdi::isInputEvent(eos.get()));
}

TEST_CASE("control responses follow the webrtcsink shape", "[input-message]")
{
  CHECK(vdi::controlResponse(3, "") ==
        "{\"type\":\"ControlResponseMessage\",\"id\":3,\"error\":null}");
  CHECK(vdi::controlResponse(4, "bad \"key\"") ==
        "{\"type\":\"ControlResponseMessage\",\"id\":4,\"error\":\"bad \\\"key\\\"\"}");
}

TEST_CASE("modifier_state reads GStreamer's flag names and numbers", "[input-message]")
{
  auto state = [](const std::string &v) {
    auto m = parseInputMessage(
      navLine("{\"event\":\"KeyPress\",\"key\":\"a\",\"modifier_state\":" + v + "}"));
    GstNavigationModifierType s = GST_NAVIGATION_MODIFIER_NONE;
    if (m.ok())
      gst_navigation_event_parse_modifier_state(m.event.get(), &s);
    return std::make_pair(m.ok(), s);
  };
  /* What gstwebrtc-api sends (getModifiers(): names joined by "+"). */
  auto r = state("\"shift-mask+control-mask\"");
  CHECK(r.first);
  CHECK(r.second == (GST_NAVIGATION_MODIFIER_SHIFT_MASK | GST_NAVIGATION_MODIFIER_CONTROL_MASK));
  r = state("\"mod1-mask+button1-mask\"");
  CHECK(r.second == (GST_NAVIGATION_MODIFIER_MOD1_MASK | GST_NAVIGATION_MODIFIER_BUTTON1_MASK));
  CHECK(state("\"\"").second == GST_NAVIGATION_MODIFIER_NONE);
  CHECK(state("5").second ==
        (GST_NAVIGATION_MODIFIER_SHIFT_MASK | GST_NAVIGATION_MODIFIER_CONTROL_MASK));
  CHECK_FALSE(state("\"shift-mask+hyper-key\"").first);
  CHECK_FALSE(state("[1]").first);
}

TEST_CASE("scroll deltas in browser units: a notch is a click, smooth stays smooth",
          "[input-message]")
{
  auto scroll = [](const std::string &fields) {
    auto m =
      parseInputMessage(navLine("{\"event\":\"MouseScroll\",\"x\":1,\"y\":1," + fields + "}"));
    REQUIRE(m.ok());
    double x, y, dx = 0, dy = 0;
    gst_navigation_event_parse_mouse_scroll_event(m.event.get(), &x, &y, &dx, &dy);
    gboolean smooth = FALSE;
    gst_structure_get_boolean(gst_event_get_structure(m.event.get()), "smooth", &smooth);
    return std::make_tuple(dx, dy, bool(smooth));
  };
  /* gstwebrtc-api in Chromium: one notch down is delta_y = -100. */
  CHECK(scroll("\"delta_x\":0,\"delta_y\":-100") == std::make_tuple(0.0, -1.0, false));
  CHECK(scroll("\"delta_x\":0,\"delta_y\":300") == std::make_tuple(0.0, 3.0, false));
  CHECK(scroll("\"delta_x\":-120,\"delta_y\":0") == std::make_tuple(-1.0, 0.0, false));
  /* Click counts (this project's player, vdiinputsink) and Firefox lines. */
  CHECK(scroll("\"delta_x\":0,\"delta_y\":-2") == std::make_tuple(0.0, -2.0, false));
  /* A touchpad's fractional pixels: smooth, as they are. */
  CHECK(scroll("\"delta_x\":0,\"delta_y\":-37.5") == std::make_tuple(0.0, -37.5, true));
  /* A wheel on a scaled display (150 px a notch): smooth, a notch's worth
   * moving as far as a notch. */
  CHECK(scroll("\"delta_x\":0,\"delta_y\":150") == std::make_tuple(0.0, 22.5, true));
  /* An explicit "smooth" keeps the numbers. */
  CHECK(scroll("\"delta_x\":0,\"delta_y\":12.5,\"smooth\":true") ==
        std::make_tuple(0.0, 12.5, true));
}

TEST_CASE("string requests and bare navigation events (webrtcsink's other shapes)",
          "[input-message]")
{
  auto m = parseInputMessage(
    R"({"id":3,"request":"{\"type\":\"navigationEvent\",\"event\":{\"event\":\"MouseMove\",\"x\":4,\"y\":5}}"})");
  REQUIRE(m.ok());
  CHECK(m.id == 3);
  CHECK(gst_navigation_event_get_type(m.event.get()) == GST_NAVIGATION_EVENT_MOUSE_MOVE);
  CHECK_FALSE(parseInputMessage(R"({"id":3,"request":"not json"})").ok());
  auto b = vdi::parseNavigationMessage(R"({"event":"KeyPress","key":"Return"})");
  REQUIRE(b.ok());
  CHECK(gst_navigation_event_get_type(b.event.get()) == GST_NAVIGATION_EVENT_KEY_PRESS);
  CHECK_FALSE(vdi::parseNavigationMessage(R"({"event":"Explode"})").ok());
  CHECK_FALSE(vdi::parseNavigationMessage("[]").ok());
}
