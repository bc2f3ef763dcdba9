/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Input through vdiwebrtcsink from real Chromium: keys and clicks up the
 * pipeline and into a Wayland client in sway, view-only viewers and
 * control roles, the clipboard both ways and keyboard layouts.
 * Part of test-webrtcsink (webrtcsink-relay-fixture.h).
 */

#include "webrtcsink-relay-fixture.h"

using namespace vdi::test;
using namespace std::chrono_literals;

TEST_CASE("keys pressed in the page reach the pipeline as upstream navigation events",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  PageInput in("", {"keys", "a,Enter,Shift+B"});
  JsonArray *responses = jarr(in.result->root, "responses");
  REQUIRE(jlen(responses) >= 9);
  for (guint i = 0; i < jlen(responses); i++) {
    JsonObject *o = jat(responses, i);
    CHECK(jstr(o, "type") == "ControlResponseMessage");
    CHECK(jnull(o, "error"));
  }
  /* The page stops waiting for answers after 10 s; on a loaded host the
   * click may still be on its way up: wait for its release. */
  std::vector<std::string> keys, buttons;
  eventually(5000ms, [&] {
    keys.clear();
    buttons.clear();
    for (auto &n : in.rec->nav()) {
      if (n.rfind("Key", 0) == 0)
        keys.push_back(n);
      if (n.rfind("MouseButton", 0) == 0)
        buttons.push_back(n);
    }
    return buttons.size() >= 2;
  });
  std::vector<std::string> expected = {"KeyPress a",        "KeyRelease a",      "KeyPress Return",
                                       "KeyRelease Return", "KeyPress Shift_L",  "KeyPress B",
                                       "KeyRelease B",      "KeyRelease Shift_L"};
  CHECK(keys == expected);
  /* A click in the middle of the picture: video pixel coordinates. */
  REQUIRE(buttons.size() == 2);
  int button = 0, x = 0, y = 0;
  REQUIRE(sscanf(buttons[0].c_str(), "MouseButtonPress %d %d %d", &button, &x, &y) == 3);
  CHECK(button == 1);
  CHECK(std::abs(x - 320) <= 2);
  CHECK(std::abs(y - 180) <= 2);
  CHECK(buttons[1] == "MouseButtonRelease 1");
  in.page->wait(20000ms);
}

TEST_CASE("keys pressed in the page reach a Wayland client in sway", "[webrtcsink][browser][sway]")
{
  REQUIRE_BROWSER();
  REQUIRE_INPUT_CLIENT();
  SwaySession sway;
  auto client = spawnInputClient(sway);
  Pipeline p(swayHead(sway));
  auto b = browser({"keys", p.base(), "x,y,Shift+Z"});
  browserResult(*b, 60000ms); /* the page typed without an error */
  /* What the Wayland client got, in order. */
  std::string history;
  std::vector<std::string> keys;
  for (auto &k : clientKeys(
         *client, 6, [](const ClientKey &) { return true; }, &history))
    keys.push_back(k.state + " " + k.sym);
  INFO(history);
  std::vector<std::string> expected = {"pressed x", "released x", "pressed y", "released y",
                                       "pressed Shift_L"};
  REQUIRE(keys.size() >= 5);
  CHECK(std::vector<std::string>(keys.begin(), keys.begin() + 5) == expected);
  CHECK(history.find("pressed 44 Z") != std::string::npos); /* KEY_Z with Shift */
  b->wait(20000ms);
}

TEST_CASE("a view-only viewer cannot inject", "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  PageInput in("viewer-control=none", {"keys", "a"});
  JsonArray *responses = jarr(in.result->root, "responses");
  REQUIRE(jlen(responses) >= 5);
  for (guint i = 0; i < jlen(responses); i++) {
    JsonObject *o = jat(responses, i);
    REQUIRE_FALSE(jnull(o, "error"));
    CHECK(jstr(o, "error").find("view-only") != std::string::npos);
  }
  CHECK(in.rec->nav().empty());
  in.page->wait(20000ms);
}

TEST_CASE("a viewer flooding its data channel is rate-limited and the other keeps playing",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  PageInput in("", {"flood"});
  CHECK(jint(in.result->root, "sent") == 10000);
  JsonArray *progress = jarr(in.result->root, "progress");
  REQUIRE(jlen(progress) == 2);
  /* The other viewer kept decoding through the flood (a 30 fps source). */
  CHECK(json_array_get_int_element(progress, 1) >= 5);
  /* Once the flood stopped, the flooder's input works again. */
  CHECK(jnull(jobj(in.result->root, "key"), "error"));
  /* At most the burst and a second's worth went up; the rest was counted. */
  size_t moves = 0;
  for (auto &n : in.rec->nav())
    moves += n.rfind("MouseMove", 0) == 0;
  guint64 limited = 0, accepted = 0;
  GstStructure *stats = nullptr;
  g_object_get(in.p.sink(), "stats", &stats, nullptr);
  REQUIRE(stats);
  for (int i = 0; i < gst_structure_n_fields(stats); i++) {
    const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
    if (!GST_VALUE_HOLDS_STRUCTURE(v))
      continue;
    guint64 l = 0, a = 0;
    gst_structure_get_uint64(gst_value_get_structure(v), "input-rate-limited", &l);
    gst_structure_get_uint64(gst_value_get_structure(v), "input-accepted", &a);
    limited += l;
    accepted += a;
  }
  gst_structure_free(stats);
  /* The burst, plus the rate over the flood as the page sent it, plus a
   * second of delivery (SCTP on a loaded host spreads it out). */
  double floodS = jint(in.result->root, "floodMs") / 1000.0;
  INFO("moves upstream " << moves << ", accepted " << accepted << ", rate-limited " << limited);
  fprintf(stderr,
          "figures: flood of 10000 messages in %.1f s: %zu moves went up, %" G_GUINT64_FORMAT
          " rate-limited, other viewer %" G_GINT64_FORMAT " frames meanwhile\n",
          floodS, moves, limited, json_array_get_int_element(progress, 1));
  CHECK(moves <= 1000 + 1000 * (floodS + 1));
  CHECK(limited >= 4000);
  CHECK(limited + moves >= 9990);
}

TEST_CASE("viewer-control=first: only the longest-connected viewer controls",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  PageInput in("viewer-control=first", {"control"});
  JsonArray *responses = jarr(in.result->root, "responses");
  REQUIRE(jlen(responses) == 3);
  CHECK(jnull(jat(responses, 0), "error")); /* first: allowed */
  CHECK(jstr(jat(responses, 1), "error").find("view-only") != std::string::npos); /* second */
  CHECK(jnull(jat(responses, 2), "error")); /* second, after the first left */
  std::vector<std::string> expected = {"KeyPress q", "KeyRelease q"};
  CHECK(in.rec->nav() == expected);
  in.page->wait(20000ms);
}

TEST_CASE("the clipboard crosses the data channel both ways through x264enc",
          "[webrtcsink][browser][sway][clipboard]")
{
  REQUIRE_BROWSER();
  REQUIRE_SWAY();
  SwayRelay desk(100);
  SwaySession &sway = desk.sway;
  RelayPipeline &p = desk.p;
  RelayedViewer v(p.sink());
  v.waitReady();

  /* Session -> page: a client in the session copies text. */
  const std::string copied = "Grüße aus der Sitzung, 50 €";
  auto copy =
    sway.spawnClient({"sh", "-c", "printf '%s' '" + copied + "' | wl-copy --type text/plain"});
  std::string msg = v.channelMessage("vdi-clipboard", 20000ms);
  INFO(v.log);
  REQUIRE_FALSE(msg.empty());
  JsonDoc clip(msg);
  CHECK(jstr(clip.root, "mime").rfind("text/plain", 0) == 0);
  CHECK(unbase64(jstr(clip.root, "data")) == copied);
  /* The application sees it on the bus too. */
  GstStructure *bus = p.waitElementMessage("vdi-clipboard", "vdiwaylandsrc", 10000ms);
  REQUIRE(bus);
  CHECK(unbase64(gst_structure_get_string(bus, "data")) == copied);
  gst_structure_free(bus);

  /* Page -> session: vdi-clipboard-set, read back with wl-paste. */
  const std::string pasted = "Hallo aus dem Browser ✓ @€ß";
  JsonDoc set(v.request(
    7, customJson(7, "vdi-clipboard-set",
                  "{\"mime\":\"text/plain;charset=utf-8\",\"data\":\"" + base64(pasted) + "\"}")));
  REQUIRE(set.root);
  INFO(jstr(set.root, "error"));
  CHECK(jnull(set.root, "error"));
  auto paste = sway.spawnClient(
    {"sh", "-c", "wl-paste --no-newline --type text/plain > \"$XDG_RUNTIME_DIR/paste.out\""});
  auto status = paste->wait(20000ms);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(readWholeFile(sway.runtimeDir() + "/paste.out") == pasted);
  /* Our own selection is not echoed back to the page. */
  std::string echo = v.channelMessage("vdi-clipboard", 1500ms);
  CHECK(echo.empty());

  /* A view-only peer gets no clipboard and cannot set it. */
  gboolean ok = FALSE;
  g_signal_emit_by_name(p.sink(), "set-peer-role", v.peer().c_str(), "view", &ok);
  REQUIRE(ok);
  const std::string secret = "not for viewers";
  auto copy2 =
    sway.spawnClient({"sh", "-c", "printf '%s' '" + secret + "' | wl-copy --type text/plain"});
  bus = p.waitElementMessage("vdi-clipboard", "vdiwaylandsrc", 10000ms);
  REQUIRE(bus); /* the session clipboard did change */
  CHECK(unbase64(gst_structure_get_string(bus, "data")) == secret);
  gst_structure_free(bus);
  CHECK(v.channelMessage("vdi-clipboard", 1500ms).empty());
  JsonDoc refused(v.request(
    8, customJson(8, "vdi-clipboard-set", "{\"mime\":\"text/plain\",\"data\":\"eA==\"}")));
  REQUIRE(refused.root);
  CHECK(jstr(refused.root, "error").find("view-only") != std::string::npos);
}

TEST_CASE("a de layout chosen over the data channel types @€ß into a Wayland client",
          "[webrtcsink][browser][sway]")
{
  REQUIRE_BROWSER();
  REQUIRE_INPUT_CLIENT();
  SwayRelay desk(100, true);
  Process *client = desk.client.get();
  RelayedViewer v(desk.p.sink());
  v.waitReady();

  JsonDoc layout(v.request(1, customJson(1, "vdi-keyboard-layout", "{\"layout\":\"de\"}")));
  REQUIRE(layout.root);
  INFO(jstr(layout.root, "error"));
  CHECK(jnull(layout.root, "error"));
  JsonDoc text(v.request(2, customJson(2, "vdi-text", "{\"text\":\"@€ß\"}")));
  REQUIRE(text.root);
  CHECK(jnull(text.root, "error"));
  /* A keysym by name, as the player page sends keys, on the same layout. */
  JsonDoc press(v.request(3, navigationJson(3, "KeyPress", "at")));
  JsonDoc release(v.request(4, navigationJson(4, "KeyRelease", "at")));
  CHECK(jnull(press.root, "error"));
  CHECK(jnull(release.root, "error"));

  /* Presses, without the level's modifier. */
  std::string history;
  std::vector<std::string> syms;
  std::vector<int> codes;
  for (auto &k : clientKeys(
         *client, 4,
         [](const ClientKey &k) {
           return k.state == "pressed" && k.sym != "ISO_Level3_Shift" && k.sym != "Shift_L";
         },
         &history)) {
    syms.push_back(k.sym);
    codes.push_back(k.code);
  }
  INFO(history);
  std::vector<std::string> expected = {"at", "EuroSign", "ssharp", "at"};
  CHECK(syms == expected);
  /* On de, @ is AltGr+Q (KEY_Q, 16) and ß the key right of 0 (KEY_MINUS,
   * 12): the layout really switched (on us, @ is Shift+2). */
  REQUIRE(codes.size() == 4);
  CHECK(codes[0] == 16);
  CHECK(codes[2] == 12);
  CHECK(codes[3] == 16);
}
