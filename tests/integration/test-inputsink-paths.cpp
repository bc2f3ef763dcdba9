/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdiinputsink behind other sources: bad input counted and dropped,
 * filesrc and tcpserversrc, and navigation events sent upstream into
 * vdiwaylandsrc (with a scaled stream), against sway and headless Mutter.
 */

#include "inputsink-fixture.h"

using namespace inputsink;

TEST_CASE_METHOD(InputFixture<SwayDesktop>,
                 "bad input is counted and dropped, the pipeline goes on", "[inputsink][bad-input]")
{
  REQUIRE_DESKTOP(SwayDesktop);
  start("clipboard-limit=1000");
  auto &p = *this->p;

  const guint64 base = this->acceptedAfterProbes();
  std::vector<std::pair<std::string, std::string>> bad = {
    {"{not json", "malformed JSON"},
    {"[1,2,3]", "not a JSON object"},
    {"{\"id\":1}", "request"},
    {"{\"id\":1,\"request\":{\"type\":\"launchMissiles\"}}", "unknown request type"},
    {nav("{\"event\":\"Teleport\",\"x\":1,\"y\":1}"), "unknown navigation event"},
    {custom("vdi-no-such-thing", "{}"), "unknown custom event"},
    {key("KeyPress", "NoSuchKeysym"), "unknown keysym"},
    {key("KeyPress", "a", "NoSuchCode"), "unknown key code"},
    {move(5000, 10), "outside the 640x480 output"},
    {move(-1, 10), "out of range"},
    {nav("{\"event\":\"MouseMove\",\"x\":\"left\",\"y\":1}"), "must be a number"},
    {nav("{\"event\":\"MouseButtonPress\",\"button\":42,\"x\":1,\"y\":1}"), "button"},
    {std::string(200, '[') + "\n", "nested"},
    {text(std::string("a\x01", 2)), "cannot be typed"},
    {custom("vdi-keyboard-layout", "{\"layout\":\"us\\\"; include \\\"evil\"}"), "invalid"},
    {custom("vdi-clipboard-set", "{\"mime\":\"text/plain\",\"data\":\"!!!\"}"), "base64"},
    {std::string(100 * 1024, 'x') + "\n", "line longer"},
  };
  guint64 rejected = 0;
  for (const auto &[line, why] : bad) {
    p.push(line.back() == '\n' ? line : line + "\n", 4096);
    rejected++;
    INFO("input: " << line.substr(0, 120));
    REQUIRE(p.waitStat("rejected", rejected));
    CHECK(p.lastError().find(why) != std::string::npos);
    CHECK(p.stat("rejected") == rejected);
  }
  /* An oversized line split over many buffers is one rejection, and the
   * line after it is fine. */
  p.push(std::string(300 * 1024, 'y') + "\n" + key("KeyPress", "b") + key("KeyRelease", "b"), 1000);
  INFO(rec.history());
  CHECK(rec.pressedSyms(1) == std::vector<std::string>{"b"});
  CHECK(p.stat("rejected") == rejected + 1);
  CHECK(p.stat("oversized") == 2);
  CHECK(p.waitStat("accepted", base + 2));
  CHECK(p.stat("accepted") == base + 2);
  CHECK(p.error().empty());
  GstState state;
  gst_element_get_state(p.pipeline, &state, nullptr, 0);
  CHECK(state == GST_STATE_PLAYING);
}

/* ---- other byte sources ----------------------------------------------------- */

TEST_CASE_METHOD(InputFixture<SwayDesktop>, "works behind filesrc and tcpserversrc",
                 "[inputsink][sources]")
{
  REQUIRE_DESKTOP(SwayDesktop);
  /* A session normally has input devices already: keep one injector
   * running so the client has bound its keyboard and pointer before the
   * pipeline under test starts (see waitInputReady). */
  start();
  auto &sway = desk->session;

  SECTION("filesrc, last line without a newline")
  {
    std::string script = key("KeyPress", "f") + key("KeyRelease", "f") + text("il") + move(33, 44);
    script.pop_back();
    g_autofree char *path = g_build_filename(sway.runtimeDir().c_str(), "in.jsonl", nullptr);
    std::ofstream(path) << script;
    std::string desc = std::string("filesrc location=\"") + path +
                       "\" blocksize=5 ! vdiinputsink display=\"" + sway.display() + "\"";
    GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
    REQUIRE(pipeline);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 10 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    REQUIRE(msg);
    CHECK(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
    gst_message_unref(msg);
    INFO(rec.history());
    CHECK(rec.pressedSyms(3) == std::vector<std::string>{"f", "i", "l"});
    auto m = rec.waitMotion();
    REQUIRE(m);
    CHECK(near(*m, 33, 44));
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
  }
  SECTION("tcpserversrc")
  {
    std::string desc = "tcpserversrc name=tcp host=127.0.0.1 port=0 ! vdiinputsink display=\"" +
                       sway.display() + "\"";
    GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
    REQUIRE(pipeline);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstElement *tcp = gst_bin_get_by_name(GST_BIN(pipeline), "tcp");
    int port = 0;
    for (int i = 0; i < 500 && port == 0; i++) {
      g_object_get(tcp, "current-port", &port, nullptr);
      if (port == 0)
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE(port > 0);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(
      client, "127.0.0.1", static_cast<guint16>(port), nullptr, nullptr);
    REQUIRE(conn);
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    std::string script = key("KeyPress", "t") + key("KeyRelease", "t") + text("cp");
    /* Dribble it out so lines cross TCP segments. */
    for (size_t off = 0; off < script.size(); off += 11) {
      std::string piece = script.substr(off, 11);
      REQUIRE(
        g_output_stream_write_all(out, piece.data(), piece.size(), nullptr, nullptr, nullptr));
      g_output_stream_flush(out, nullptr, nullptr);
      std::this_thread::sleep_for(1ms);
    }
    INFO(rec.history());
    CHECK(rec.pressedSyms(3) == std::vector<std::string>{"t", "c", "p"});
    g_io_stream_close(G_IO_STREAM(conn), nullptr, nullptr);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(tcp);
    gst_object_unref(pipeline);
  }
}

/* ---- navigation events upstream into vdiwaylandsrc ------------------------ */

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "navigation events sent upstream to vdiwaylandsrc are injected",
                          "[inputsink][waylandsrc]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  HarnessPtr h = this->startNavigation();
  auto &rec = this->rec;

  auto push = [&](GstEvent *e) { CHECK(gst_harness_push_upstream_event(h.get(), e)); };
  push(gst_navigation_event_new_mouse_move(123, 234, GST_NAVIGATION_MODIFIER_NONE));
  auto m = rec.waitMotion();
  INFO(rec.history());
  REQUIRE(m);
  CHECK(near(*m, 123, 234));
  push(gst_navigation_event_new_mouse_button_press(3, 123, 234, GST_NAVIGATION_MODIFIER_NONE));
  push(gst_navigation_event_new_mouse_button_release(3, 123, 234, GST_NAVIGATION_MODIFIER_NONE));
  CHECK(rec.waitFor("button 273 pressed"));
  CHECK(rec.waitFor("button 273 released"));
  push(gst_navigation_event_new_mouse_scroll(123, 234, 0, 1, GST_NAVIGATION_MODIFIER_NONE));
  CHECK(rec.waitFor("axis-discrete 0 -1"));

  push(gst_navigation_event_new_key_press("at", GST_NAVIGATION_MODIFIER_NONE));
  push(gst_navigation_event_new_key_release("at", GST_NAVIGATION_MODIFIER_NONE));
  if constexpr (InputFixture<TestType>::kMutter) {
    /* Mutter keeps the session's layout: a layout change is refused. */
    CHECK_FALSE(gst_harness_push_upstream_event(
      h.get(), gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                                    gst_structure_new("vdi-keyboard-layout", "layout",
                                                      G_TYPE_STRING, "de", nullptr))));
    push(gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                              gst_structure_new("vdi-text", "text", G_TYPE_STRING, "{|", nullptr)));
    std::vector<std::string> want = {"at", "braceleft", "bar"};
    CHECK(rec.pressedSyms(want.size(), kWait, true) == want);
  } else {
    push(gst_event_new_custom(
      GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new("vdi-keyboard-layout", "layout", G_TYPE_STRING, "de", nullptr)));
    push(
      gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                           gst_structure_new("vdi-text", "text", G_TYPE_STRING, "€ß|", nullptr)));
    std::vector<std::string> want = {"at", "EuroSign", "ssharp", "bar"};
    CHECK(rec.pressedSyms(want.size()) == want);
  }

  /* Invalid events are refused, not injected. */
  CHECK_FALSE(gst_harness_push_upstream_event(
    h.get(), gst_navigation_event_new_mouse_move(9999, 5, GST_NAVIGATION_MODIFIER_NONE)));
  CHECK_FALSE(gst_harness_push_upstream_event(
    h.get(), gst_navigation_event_new_key_press("NoSuchKeysym", GST_NAVIGATION_MODIFIER_NONE)));

  /* A key still down when the source stops is released. */
  push(gst_navigation_event_new_key_press("k", GST_NAVIGATION_MODIFIER_NONE));
  REQUIRE(rec.waitFor("key pressed 37 k"));
  h.reset();
  CHECK(rec.waitFor("key released 37"));
}

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "navigation coordinates from a scaled stream map back onto the output",
                          "[inputsink][waylandsrc]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  /* The viewer sees 320x240; the output is 640x480. videoscale maps the
   * navigation coordinates back (GstNavigation's own mapping). */
  HarnessPtr h =
    this->startNavigation(" ! videoscale ! capsfilter caps=video/x-raw,width=320,height=240");
  auto &rec = this->rec;
  CHECK(gst_harness_push_upstream_event(
    h.get(), gst_navigation_event_new_mouse_move(160, 120, GST_NAVIGATION_MODIFIER_NONE)));
  auto m = rec.waitMotion();
  INFO(rec.history());
  REQUIRE(m);
  CHECK(near(*m, 320, 240));
  CHECK(gst_harness_push_upstream_event(
    h.get(), gst_navigation_event_new_mouse_move(300, 10, GST_NAVIGATION_MODIFIER_NONE)));
  m = rec.waitMotion();
  REQUIRE(m);
  CHECK(near(*m, 600, 20));
}
