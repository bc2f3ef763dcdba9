/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What vdiwebrtcsink sends its viewers for vdiwaylandsrc's vdi-cursor
 * events (plugins/session/webrtc-cursor.h): the shape only when it
 * changed, nothing when nothing changed, and everything to a viewer that
 * connects.
 */

#include "webrtc-cursor.h"

#include <catch2/catch.hpp>
#include <json-glib/json-glib.h>

#include <memory>
#include <string>

using vdi::webrtc::CursorTracker;

namespace {

struct Parsed {
  explicit Parsed(const std::string &text) : parser(json_parser_new())
  {
    if (!text.empty() && json_parser_load_from_data(parser, text.c_str(), -1, nullptr))
      root = json_node_get_object(json_parser_get_root(parser));
  }
  ~Parsed() { g_object_unref(parser); }
  bool has(const char *name) const { return root && json_object_has_member(root, name); }
  gint64 num(const char *name) const { return json_object_get_int_member(root, name); }
  std::string str(const char *name) const { return json_object_get_string_member(root, name); }
  JsonParser *parser;
  JsonObject *root = nullptr;
};

std::string update(CursorTracker &t, const char *structure)
{
  GstStructure *s = gst_structure_from_string(structure, nullptr);
  REQUIRE(s);
  std::string out = t.update(s);
  gst_structure_free(s);
  return out;
}

} // namespace

TEST_CASE("cursor messages carry the shape only when it changed", "[webrtc][cursor]")
{
  CursorTracker t;
  CHECK(t.current().empty()); /* nothing to send before the first cursor */

  /* 2x1 RGBA: "AAAA/wAAAP8=" */
  Parsed first(update(t, "vdi-cursor, visible=(boolean)true, x=(int)10, y=(int)20, "
                         "hotspot-x=(int)1, hotspot-y=(int)2, width=(int)2, height=(int)1, "
                         "image=(string)\"AAAA/wAAAP8=\""));
  REQUIRE(first.root);
  CHECK(first.str("type") == "vdi-cursor");
  CHECK(json_object_get_boolean_member(first.root, "visible"));
  CHECK(first.num("x") == 10);
  CHECK(first.num("y") == 20);
  CHECK(first.num("hotspotX") == 1);
  CHECK(first.num("hotspotY") == 2);
  CHECK(first.num("width") == 2);
  CHECK(first.str("image") == "AAAA/wAAAP8=");

  /* A move: position only. */
  Parsed moved(update(t, "vdi-cursor, visible=(boolean)true, x=(int)11, y=(int)20, "
                         "hotspot-x=(int)1, hotspot-y=(int)2"));
  REQUIRE(moved.root);
  CHECK(moved.num("x") == 11);
  CHECK_FALSE(moved.has("image"));
  CHECK_FALSE(moved.has("width"));

  /* The same again, or the same image again: nothing to send. */
  CHECK(update(t, "vdi-cursor, visible=(boolean)true, x=(int)11, y=(int)20, "
                  "hotspot-x=(int)1, hotspot-y=(int)2")
          .empty());
  Parsed same_image(update(t, "vdi-cursor, visible=(boolean)true, x=(int)12, y=(int)20, "
                              "hotspot-x=(int)1, hotspot-y=(int)2, width=(int)2, height=(int)1, "
                              "image=(string)\"AAAA/wAAAP8=\""));
  REQUIRE(same_image.root);
  CHECK_FALSE(same_image.has("image"));

  /* Hidden, then shown: visibility counts as a change. */
  Parsed hidden(update(t, "vdi-cursor, visible=(boolean)false, x=(int)12, y=(int)20, "
                          "hotspot-x=(int)1, hotspot-y=(int)2"));
  REQUIRE(hidden.root);
  CHECK_FALSE(json_object_get_boolean_member(hidden.root, "visible"));

  /* A viewer connecting now gets everything, the last shape included. */
  Parsed now(t.current());
  REQUIRE(now.root);
  CHECK(now.num("x") == 12);
  CHECK_FALSE(json_object_get_boolean_member(now.root, "visible"));
  CHECK(now.str("image") == "AAAA/wAAAP8=");
  CHECK(now.num("width") == 2);
  CHECK(now.num("height") == 1);
}

TEST_CASE("a cursor without an image tells viewers to draw their own", "[webrtc][cursor]")
{
  CursorTracker t;
  update(t, "vdi-cursor, visible=(boolean)true, x=(int)1, y=(int)1, hotspot-x=(int)0, "
            "hotspot-y=(int)0, width=(int)2, height=(int)1, image=(string)\"AAAA/wAAAP8=\"");
  /* Mutter's empty bitmap (GNOME Shell 43 headless, or a hidden pointer). */
  Parsed none(update(t, "vdi-cursor, visible=(boolean)true, x=(int)1, y=(int)1, "
                        "hotspot-x=(int)0, hotspot-y=(int)0, width=(int)0, height=(int)0, "
                        "image=(string)\"\""));
  REQUIRE(none.root);
  CHECK(none.num("width") == 0);
  CHECK(none.str("image").empty());
  Parsed now(t.current());
  REQUIRE(now.root);
  CHECK(now.has("image"));
  CHECK(now.num("width") == 0);
  /* Other events are not cursors. */
  CHECK(update(t, "vdi-clipboard, mime=(string)text/plain, data=(string)\"eA==\"").empty());
}
