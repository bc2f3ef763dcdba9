/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Input injection (vdiinputsink, navigation events into vdiwaylandsrc)
 * against real compositors and a real Wayland client
 * (tests/clients/vdi-input-client) that prints every keyboard, pointer and
 * selection event it receives. The behaviours every backend has run against
 * sway (wlroots virtual keyboard/pointer, data control) and headless Mutter
 * (RemoteDesktop) from one templated fixture, InputFixture<Desktop>.
 */

#include "inputsink-fixture.h"

using namespace inputsink;

/* ---- keyboard ------------------------------------------------------------ */

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "us keymap: exact keysyms for text and keys, lines split across buffers",
                          "[inputsink][keyboard]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start();
  auto &rec = this->rec;
  auto &p = *this->p;

  const guint64 base = this->acceptedAfterProbes();
  std::string script;
  std::vector<std::string> want;
  if constexpr (InputFixture<TestType>::kMutter) {
    /* Mutter types with its own keymap (us in bare Mutter): keysyms the
     * layout lacks (é € ß) cannot be typed there. */
    script = text("@{|~aZ1 ") + key("KeyPress", "at") + key("KeyRelease", "at") +
             key("KeyPress", "Return") + key("KeyRelease", "Return") + key("KeyPress", "Enter") +
             key("KeyRelease", "Enter") + key("KeyPress", "a", "KeyQ") +
             key("KeyRelease", "a", "KeyQ");
    want = {"at", "braceleft", "bar", "asciitilde", "a",      "Z",
            "1",  "space",     "at",  "Return",     "Return", "q"};
  } else {
    script = text("@é€ß{|~aZ1 ") + key("KeyPress", "at") + key("KeyRelease", "at") +
             key("KeyPress", "EuroSign") + key("KeyRelease", "EuroSign") +
             key("KeyPress", "ssharp") + key("KeyRelease", "ssharp") + key("KeyPress", "Return") +
             key("KeyRelease", "Return") + key("KeyPress", "é") + key("KeyRelease", "é") +
             key("KeyPress", "Enter") + key("KeyRelease", "Enter");
    want = {"at",         "eacute", "EuroSign", "ssharp", "braceleft", "bar",
            "asciitilde", "a",      "Z",        "1",      "space",     "at",
            "EuroSign",   "ssharp", "Return",   "eacute", "Return"};
  }
  /* 7-byte buffers: every line arrives in pieces, some buffers end two. */
  p.push(script, 7);

  INFO(rec.history());
  CHECK(rec.pressedSyms(want.size(), kWait, InputFixture<TestType>::kMutter) == want);
  CHECK(p.waitStat("accepted", base + (InputFixture<TestType>::kMutter ? 9 : 13)));
  CHECK(p.stat("rejected") == 0);
}

TEST_CASE_METHOD(InputFixture<SwayDesktop>,
                 "de keymap: AltGr levels, layout switching and variants", "[inputsink][keyboard]")
{
  REQUIRE_DESKTOP(SwayDesktop);
  start();
  auto &p = *this->p;
  p.push(layout("de"));
  REQUIRE(rec.waitFor("keymap German"));
  p.push(text("@é€ß{|~yz"));
  std::vector<std::string> want = {"at",  "eacute",     "EuroSign", "ssharp", "braceleft",
                                   "bar", "asciitilde", "y",        "z"};
  {
    INFO(rec.history());
    CHECK(rec.pressedSyms(want.size()) == want);
  }

  /* `@` is AltGr+q on de: the level-3 modifier (Mod5 = 128) and key q. */
  p.push(key("KeyPress", "at") + key("KeyRelease", "at"));
  auto mods = rec.waitFor("modifiers 128");
  auto at = rec.waitFor("key pressed");
  INFO(rec.history());
  REQUIRE(mods);
  REQUIRE(at);
  CHECK(*at == "key pressed 16 at");

  /* Physical keys with AltGr held, as a browser reports them. */
  p.push(key("KeyPress", "AltGraph", "AltRight") + key("KeyPress", "q", "KeyQ") +
         key("KeyRelease", "q", "KeyQ") + key("KeyPress", "e", "KeyE") +
         key("KeyRelease", "e", "KeyE") + key("KeyPress", "7", "Digit7") +
         key("KeyRelease", "7", "Digit7") + key("KeyPress", "m", "KeyM") +
         key("KeyRelease", "m", "KeyM") + key("KeyRelease", "AltGraph", "AltRight") +
         key("KeyPress", "z", "KeyY") + key("KeyRelease", "z", "KeyY"));
  std::vector<std::string> altgr = {"ISO_Level3_Shift", "at", "EuroSign", "braceleft", "mu", "z"};
  CHECK(rec.pressedSyms(altgr.size()) == altgr);

  /* Variants, both spellings. */
  p.push(layout("de(nodeadkeys)"));
  CHECK(rec.waitFor("keymap German (no dead keys)"));
  p.push(layout("fr"));
  REQUIRE(rec.waitFor("keymap French"));
  p.push(key("KeyPress", "a", "KeyQ") + key("KeyRelease", "a", "KeyQ") + text("@€é"));
  std::vector<std::string> fr = {"a", "at", "EuroSign", "eacute"};
  CHECK(rec.pressedSyms(fr.size()) == fr);

  /* An unknown layout is refused and the keymap stays. */
  p.push(layout("xx-no-such-layout") + text("q"));
  CHECK(rec.pressedSyms(1) == std::vector<std::string>{"q"});
  CHECK(p.stat("rejected") == 1);
  CHECK(p.lastError().find("xx-no-such-layout") != std::string::npos);
}

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "no key or button stays held after an abrupt EOS, a flush or a stop",
                          "[inputsink][keyboard]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->startClient();
  auto &rec = this->rec;
  const std::string target = this->desk->props();

  SECTION("EOS")
  {
    Pipeline p(target);
    REQUIRE(p.play());
    waitInputReady(rec, [&] { p.push(move(1, 1)); });
    p.push(key("KeyPress", "Shift_L") + key("KeyPress", "A") +
           button("MouseButtonPress", 1, 10, 10));
    REQUIRE(rec.waitFor("button 272 pressed"));
    gst_app_src_end_of_stream(GST_APP_SRC(p.appsrc));
    INFO(rec.history());
    CHECK(rec.waitFor("key released 42")); /* Shift_L */
    CHECK(rec.waitFor("button 272 released"));
    /* And the A (keycode 30) was released too. */
    bool released_a = false;
    for (const auto &l : rec.seen)
      released_a |= l.rfind("key released 30", 0) == 0;
    CHECK(released_a);
  }
  SECTION("flush")
  {
    Pipeline p(target);
    REQUIRE(p.play());
    waitInputReady(rec, [&] { p.push(move(1, 1)); });
    p.push(key("KeyPress", "Control_L") + button("MouseButtonPress", 3, 10, 10));
    REQUIRE(rec.waitFor("button 273 pressed"));
    GstPad *pad = gst_element_get_static_pad(p.sink, "sink");
    gst_pad_send_event(pad, gst_event_new_flush_start());
    gst_pad_send_event(pad, gst_event_new_flush_stop(TRUE));
    gst_object_unref(pad);
    INFO(rec.history());
    CHECK(rec.waitFor("button 273 released"));
  }
  SECTION("state change to READY")
  {
    Pipeline p(target);
    REQUIRE(p.play());
    waitInputReady(rec, [&] { p.push(move(1, 1)); });
    p.push(key("KeyPress", "x"));
    REQUIRE(rec.waitFor("key pressed 45 x"));
    gst_element_set_state(p.pipeline, GST_STATE_READY);
    INFO(rec.history());
    CHECK(rec.waitFor("key released 45"));
  }
}

/* ---- pointer ------------------------------------------------------------- */

TEMPLATE_TEST_CASE_METHOD(InputFixture, "absolute pointer position within 1 px at two output sizes",
                          "[inputsink][pointer]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start();
  auto &rec = this->rec;
  auto &p = *this->p;

  auto check_points = [&](const std::vector<std::pair<double, double>> &points) {
    for (auto [x, y] : points) {
      p.push(move(x, y));
      auto line = rec.waitMotion();
      INFO("point " << x << "," << y << "\n" << rec.history());
      REQUIRE(line);
      CHECK(near(*line, x, y));
    }
  };
  check_points({{320, 240}, {0, 0}, {639, 479}, {17.5, 400.25}, {1, 478}, {600, 3}});

  if constexpr (!InputFixture<TestType>::kMutter) {
    /* (Mutter's virtual monitor keeps its size.) */
    REQUIRE(this->desk->session.swaymsg({"output", "HEADLESS-1", "resolution", "1280x720"}) == 0);
    REQUIRE(rec.waitFor("configured 1280 720"));
    check_points({{640, 360}, {1279, 719}, {5, 700}, {1000.5, 20.75}, {0, 0}});
  }

  /* Relative motion from the last point. */
  p.push(move(100, 100));
  REQUIRE(rec.waitMotion());
  p.push(custom("vdi-pointer-relative", "{\"dx\":25,\"dy\":-10.5}"));
  auto rel = rec.waitMotion();
  REQUIRE(rel);
  CHECK(near(*rel, 125, 89.5));
}

TEMPLATE_TEST_CASE_METHOD(InputFixture, "every mouse button and both kinds of scrolling",
                          "[inputsink][pointer]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start();
  auto &rec = this->rec;
  auto &p = *this->p;

  /* GstNavigation numbers (gstwebrtc-api: DOM button + 1; X11 8/9) to evdev. */
  const std::vector<std::pair<int, int>> buttons = {{1, 272}, {2, 274}, {3, 273}, {4, 275},
                                                    {5, 276}, {8, 275}, {9, 276}};
  for (auto [nav_button, evdev] : buttons) {
    p.push(button("MouseButtonPress", nav_button, 50, 60) +
           button("MouseButtonRelease", nav_button, 50, 60));
    INFO("button " << nav_button << "\n" << rec.history());
    CHECK(rec.waitFor("button " + std::to_string(evdev) + " pressed"));
    CHECK(rec.waitFor("button " + std::to_string(evdev) + " released"));
  }

  /* Wheel clicks: delta_y -2 is two clicks down; delta_x 1 one click left.
   * A click is 15 px of axis in wlroots, 10 in Mutter, which also sends
   * each click as its own event. */
  constexpr bool kMutter = InputFixture<TestType>::kMutter;
  const std::string click = kMutter ? "10.00" : "15.00";
  p.push(nav("{\"event\":\"MouseScroll\",\"x\":50,\"y\":60,\"delta_x\":0,\"delta_y\":-2}"));
  CHECK(rec.waitFor("axis-source 0"));
  if (kMutter) {
    for (int i = 0; i < 2; i++) {
      CHECK(rec.waitFor("axis-discrete 0 1"));
      CHECK(rec.waitFor("axis 0 10.00"));
    }
  } else {
    CHECK(rec.waitFor("axis-discrete 0 2"));
    CHECK(rec.waitFor("axis 0 30.00"));
  }
  p.push(nav("{\"event\":\"MouseScroll\",\"x\":50,\"y\":60,\"delta_x\":1,\"delta_y\":0}"));
  CHECK(rec.waitFor("axis-discrete 1 -1"));
  CHECK(rec.waitFor("axis 1 -" + click));
  /* Smooth (pixels): fractional deltas, or "smooth":true. */
  p.push(nav("{\"event\":\"MouseScroll\",\"x\":50,\"y\":60,\"delta_x\":0,\"delta_y\":2.5}"));
  CHECK(rec.waitFor("axis-source 2"));
  CHECK(rec.waitFor("axis 0 -2.50"));
  p.push(nav("{\"event\":\"MouseScroll\",\"x\":50,\"y\":60,\"delta_x\":-7,\"delta_y\":0,"
             "\"smooth\":true}"));
  auto line = rec.waitFor("axis ");
  INFO(rec.history());
  REQUIRE(line);
  /* Mutter rounds through wl_fixed and doubles: within 0.02. */
  double value = 0;
  CHECK(sscanf(line->c_str(), "axis 1 %lf", &value) == 1);
  CHECK(std::fabs(value - 7.0) <= 0.02);
  CHECK(p.stat("rejected") == 0);
}

/* ---- clipboard ----------------------------------------------------------- */

TEMPLATE_TEST_CASE_METHOD(InputFixture, "clipboard round trip both ways with 5 MiB",
                          "[inputsink][clipboard]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start();
  auto &rec = this->rec;
  auto &p = *this->p;
  const guint64 base = this->acceptedAfterProbes();
  const size_t kSize = 5 * 1024 * 1024;

  /* Into the session: a focused client sees the offer, wl-paste gets it all. */
  std::string in = payload(kSize, 1);
  p.push(custom("vdi-clipboard-set",
                "{\"mime\":\"text/plain;charset=utf-8\",\"data\":\"" + base64(in) + "\"}"));
  REQUIRE(p.waitStat("accepted", base + 1, 30000ms));
  {
    auto sel = rec.waitFor("selection text/plain");
    INFO(rec.history());
    CHECK(sel);
  }
  std::string out_path = this->runtimeDir() + "/paste.out";
  auto paste = this->desk->spawnClient(
    {"sh", "-c", "wl-paste --no-newline --type text/plain > \"$XDG_RUNTIME_DIR/paste.out\""});
  auto status = paste->wait(30000ms);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 0);
  std::string pasted = readFile(out_path);
  CHECK(pasted.size() == in.size());
  CHECK(pasted == in);

  /* A PNG (any bytes) keeps its type. */
  std::string png = "\x89PNG\r\n\x1a\n" + payload(4096, 7);
  p.push(custom("vdi-clipboard-set", "{\"mime\":\"image/png\",\"data\":\"" + base64(png) + "\"}"));
  REQUIRE(p.waitStat("accepted", base + 2));
  auto paste_png = this->desk->spawnClient(
    {"sh", "-c", "wl-paste --type image/png > \"$XDG_RUNTIME_DIR/paste.png\""});
  REQUIRE(paste_png->wait(30000ms));
  CHECK(readFile(this->runtimeDir() + "/paste.png") == png);

  /* Out of the session: wl-copy sets it, the element posts vdi-clipboard. */
  std::string from = payload(kSize, 2);
  auto copy = this->copyIntoSession(writeUserFile(this->runtimeDir(), "copy.in", from));
  GstMessage *msg = nullptr;
  int64_t deadline = monotonicMs() + 30000;
  while (!msg && monotonicMs() < deadline) {
    GstMessage *m = gst_bus_timed_pop_filtered(p.bus, 100 * GST_MSECOND, GST_MESSAGE_ELEMENT);
    if (m && gst_message_has_name(m, "vdi-clipboard"))
      msg = m;
    else if (m)
      gst_message_unref(m);
  }
  REQUIRE(msg);
  const GstStructure *s = gst_message_get_structure(msg);
  CHECK(std::string(gst_structure_get_string(s, "mime")).rfind("text/plain", 0) == 0);
  GBytes *bytes = nullptr;
  gst_structure_get(s, "bytes", G_TYPE_BYTES, &bytes, nullptr);
  REQUIRE(bytes);
  gsize n = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &n));
  CHECK(n == from.size());
  CHECK(std::string(data, n) == from);
  gsize decoded_len = 0;
  g_autofree guchar *decoded = g_base64_decode(gst_structure_get_string(s, "data"), &decoded_len);
  CHECK(decoded_len == from.size());
  g_bytes_unref(bytes);
  gst_message_unref(msg);
  CHECK(p.error().empty());
}

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "clipboard larger than the limit is refused both ways, not truncated",
                          "[inputsink][clipboard]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start("clipboard-limit=100000");
  auto &p = *this->p;

  p.push(custom("vdi-clipboard-set",
                "{\"mime\":\"text/plain\",\"data\":\"" + base64(payload(100001, 3)) + "\"}"));
  REQUIRE(p.waitStat("rejected", 1));
  CHECK(p.lastError().find("limit") != std::string::npos);

  auto copy =
    this->copyIntoSession(writeUserFile(this->runtimeDir(), "big.in", payload(200000, 4)));
  GstMessage *warn = gst_bus_timed_pop_filtered(p.bus, 20 * GST_SECOND, GST_MESSAGE_WARNING);
  REQUIRE(warn);
  GError *err = nullptr;
  gst_message_parse_warning(warn, &err, nullptr);
  CHECK(std::string(err->message).find("limit") != std::string::npos);
  g_error_free(err);
  gst_message_unref(warn);
  /* Nothing was posted as clipboard content. */
  GstMessage *m = gst_bus_pop_filtered(p.bus, GST_MESSAGE_ELEMENT);
  CHECK(m == nullptr);
  if (m)
    gst_message_unref(m);
  CHECK(p.stat("clipboard-changes") == 0);
}

/* ---- bad input ----------------------------------------------------------- */
