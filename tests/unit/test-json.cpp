/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The JSON helpers (common/json.h) and the shared events (common/events.h). */

#include "events.h"
#include "json.h"
#include "test-util.h"

#include <gst/video/video.h>

#include <cstring>
#include <malloc.h>

using namespace vdi::json;

namespace {

struct Doc {
  Document doc;
  std::string error;
  JsonObject *parse(const char *text) { return doc.parseObject(text, strlen(text), &error); }
};

} // namespace

TEST_CASE_METHOD(Doc, "a document that is not a JSON object is refused with the reason", "[json]")
{
  CHECK_FALSE(parse("{nope"));
  CHECK_THAT(error, Catch::StartsWith("not valid JSON: "));
  CHECK_FALSE(parse("[1,2]"));
  CHECK(error == "must be a JSON object");
  CHECK_FALSE(parse(""));
  CHECK_THAT(error, Catch::StartsWith("not valid JSON"));
}

TEST_CASE_METHOD(Doc, "a text with more than one value is refused, not read as its last one",
                 "[json]")
{
  CHECK_FALSE(parse(R"({"type":"list"} {"type":"peer"})"));
  CHECK_THAT(error, Catch::StartsWith("not valid JSON: more than one value"));
  CHECK_FALSE(parse(R"("ice"{"e":{}})"));
  CHECK_FALSE(parse("1 {}"));
  CHECK_FALSE(parse("{} ]"));
  /* json-glib's extensions are not JSON either. */
  CHECK_FALSE(parse(R"({"a":1 /* } */})"));
  CHECK_FALSE(parse(R"({'a':1})"));
  const char nul[] = "{\"a\":1}\0{}";
  CHECK_FALSE(doc.parseObject(nul, sizeof nul - 1, &error));
  /* Blanks around one value are fine, and so is any text in strings. */
  REQUIRE(parse(" \r\n{\"a\":\"} {'/*\\\" #\", \"b\":[1, -2.5e3, true, null]}\n "));
  CHECK(stringOr(parse(R"({"a":"} {"})"), "a") == "} {");
}

TEST_CASE_METHOD(Doc, "refused multi-value texts leave the heap as it was", "[json]")
{
  /* json-glib 1.6 reads each value of such a text and frees only the
   * last: ~750 bytes a message that a peer could send for ever. */
  for (int i = 0; i < 100; i++)
    parse(R"({"type":"list"} {"a":{}})");
  struct mallinfo2 before = mallinfo2();
  for (int i = 0; i < 10000; i++)
    CHECK_FALSE(parse(R"({"type":"list"} {"a":{"b":[1,2,3]}})"));
  struct mallinfo2 after = mallinfo2();
  CHECK(long(after.uordblks + after.hblkhd) - long(before.uordblks + before.hblkhd) < 64 * 1024);
}

TEST_CASE_METHOD(Doc, "nesting deeper than the limit is refused before json-glib recurses",
                 "[json]")
{
  std::string deep(kMaxDepth, '[');
  deep += std::string(kMaxDepth, ']');
  CHECK(doc.parse(deep.data(), deep.size(), &error));
  std::string deeper = "{\"a\":" + std::string(100000, '[');
  CHECK_FALSE(parse(deeper.c_str()));
  CHECK_THAT(error, Catch::Contains("nested deeper than"));
}

TEST_CASE_METHOD(Doc, "fallback readers never return a member of another type", "[json]")
{
  JsonObject *o = parse(R"({"peer":1,"ref":"7","fps":"x","ok":1,"n":2.5,"o":{}})");
  REQUIRE(o);
  CHECK(stringOr(o, "peer", "none") == "none");
  CHECK(intOr(o, "ref", -1) == -1);
  CHECK(numberOr(o, "fps", 3) == 3);
  CHECK(numberOr(o, "n") == 2.5);
  CHECK(boolOr(o, "ok", true));
  CHECK(stringOr(o, "o") == "");
}

TEST_CASE_METHOD(Doc, "member readers check types and name the member", "[json]")
{
  JsonObject *o = parse(R"({"s":"x","n":1.5,"i":7,"b":true,"nul":null,"big":1e400})");
  REQUIRE(o);
  std::string s;
  CHECK(getString(o, "s", &s, &error));
  CHECK(s == "x");
  CHECK_FALSE(getString(o, "n", &s, &error));
  CHECK(error == "\"n\" must be a string");
  CHECK_FALSE(getString(o, "missing", &s, &error));
  CHECK(error == "missing string \"missing\"");
  s = "kept";
  CHECK(getString(o, "nul", &s, &error, false));
  CHECK(s == "kept");

  double d = 0;
  CHECK(getNumber(o, "n", &d, &error));
  CHECK(d == 1.5);
  CHECK(getNumber(o, "i", &d, &error));
  CHECK(d == 7);
  CHECK_FALSE(getNumber(o, "s", &d, &error));
  CHECK(error == "\"s\" must be a number");

  int64_t i = 0;
  CHECK(getInt(o, "i", 1, 10, &i, &error));
  CHECK(i == 7);
  CHECK_FALSE(getInt(o, "i", 8, 10, &i, &error));
  CHECK(error == "\"i\" must be a whole number from 8 to 10");
  CHECK_FALSE(getInt(o, "n", 0, 10, &i, &error));

  bool b = false, present = false;
  CHECK(getBool(o, "b", &b, &present, &error));
  CHECK((b && present));
  CHECK(getBool(o, "missing", &b, &present, &error));
  CHECK_FALSE(present);
  CHECK_FALSE(getBool(o, "s", &b, &present, &error));
  CHECK(error == "\"s\" must be true or false");

  CHECK(stringOr(o, "s") == "x");
  CHECK(stringOr(o, "n", "fallback") == "fallback");
  CHECK(objectOf(o, "s") == nullptr);
  CHECK(arrayOf(o, "missing") == nullptr);
}

TEST_CASE_METHOD(Doc, "strings that are not valid UTF-8 are refused", "[json]")
{
  /* json-glib refuses raw bytes that are not UTF-8 but turns a lone low
   * surrogate escape into them. */
  JsonObject *o = parse("{\"esc\":\"\\udc00x\",\"ok\":\"\xc3\xa9\"}");
  REQUIRE(o);
  std::string s;
  CHECK_FALSE(getString(o, "esc", &s, &error));
  CHECK(error == "\"esc\" is not valid UTF-8");
  CHECK(stringOr(o, "esc", "x") == "x");
  CHECK(getString(o, "ok", &s, &error));
  CHECK(s == "\xc3\xa9");
}

TEST_CASE_METHOD(Doc, "onlyKnown names the first unknown field", "[json]")
{
  JsonObject *o = parse(R"({"width":1,"app":"foot"})");
  REQUIRE(o);
  CHECK(onlyKnown(o, {"width", "app"}, &error));
  CHECK_FALSE(onlyKnown(o, {"width", "height"}, &error));
  CHECK(error == "unknown field \"app\"");
}

TEST_CASE("the writer builds compact JSON that parses back", "[json]")
{
  Writer w;
  w.begin()
    .set("type", "welcome")
    .set("n", 3)
    .set("f", 0.5)
    .set("ok", true)
    .setNull("none")
    .setRaw("meta", R"({"a":[1,2]})")
    .setRaw("bad", "{not json")
    .beginArray("list")
    .value("a")
    .value(int64_t(1))
    .endArray()
    .begin("obj")
    .set("k", std::string("v\"q"))
    .end()
    .end();
  std::string text = w.text();
  CHECK(text == R"({"type":"welcome","n":3,"f":0.5,"ok":true,"none":null,"meta":{"a":[1,2]},)"
                R"("bad":null,"list":["a",1],"obj":{"k":"v\"q"}})");
  Document doc;
  std::string error;
  REQUIRE(doc.parseObject(text.data(), text.size(), &error));
}

TEST_CASE("repaint requests are force-key-units or vdi-repaint events", "[events]")
{
  GstEvent *repaint = vdi::newRepaintEvent();
  CHECK(vdi::isRepaintRequest(repaint));
  CHECK(gst_event_has_name(repaint, "vdi-repaint"));
  gst_event_unref(repaint);
  GstEvent *fku = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0);
  CHECK(vdi::isRepaintRequest(fku));
  gst_event_unref(fku);
  GstEvent *other = gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty("x"));
  CHECK_FALSE(vdi::isRepaintRequest(other));
  gst_event_unref(other);
}

TEST_CASE("requestKeyframe sends a force-key-unit and a repaint upstream", "[events]")
{
  /* A real src -> sink link: the events arrive at the source's pad. */
  GstPad *src = gst_pad_new("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new("sink", GST_PAD_SINK);
  REQUIRE(gst_pad_link(src, sink) == GST_PAD_LINK_OK);
  static std::vector<std::string> seen;
  seen.clear();
  gst_pad_set_event_function(src, [](GstPad *, GstObject *, GstEvent *event) -> gboolean {
    seen.push_back(gst_video_event_is_force_key_unit(event)
                     ? "fku"
                     : gst_structure_get_name(gst_event_get_structure(event)));
    gst_event_unref(event);
    return TRUE;
  });
  gst_pad_set_active(src, TRUE);
  gst_pad_set_active(sink, TRUE);
  vdi::requestKeyframe(sink); /* pushed out of a sink pad */
  CHECK(seen == std::vector<std::string>{"fku", "vdi-repaint"});
  seen.clear();
  vdi::requestKeyframe(src); /* sent into a source pad */
  CHECK(seen == std::vector<std::string>{"fku", "vdi-repaint"});
  gst_object_unref(src);
  gst_object_unref(sink);
}
