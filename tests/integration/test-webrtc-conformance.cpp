/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Conformance with real third-party clients (issue 14): GStreamer's own
 * JavaScript client, gstwebrtc-api (npm, web/package.json), unmodified, in
 * real Chromium on a page of its own origin, against vdiwebrtcsink's
 * built-in gst-plugins-rs signalling, in both offer modes, watching a sway
 * desktop and sending keys, a click and wheel notches through its own
 * remote controller into a real Wayland client (tests/browser/gstwebrtc-api.mjs).
 */

#include "gst-util.h"
#include "json-doc.h"
#include "sway-session.h"
#include "test-util.h"
#include "vdid-fixture.h"

#include <json-glib/json-glib.h>

#include <sys/stat.h>

#include <sstream>
#include <thread>

using namespace vdi::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Process> gstwebrtcApi(const std::string &ws, const std::string &mode)
{
  return std::make_unique<Process>(std::vector<std::string>{
    "node", std::string(g_getenv("VDI_SOURCE_ROOT")) + "/tests/browser/gstwebrtc-api.mjs", ws,
    mode});
}

#define REQUIRE_GSTWEBRTC_API()                                                                    \
  do {                                                                                             \
    REQUIRE_BROWSER();                                                                             \
    std::string lib_ =                                                                             \
      std::string(g_getenv("VDI_SOURCE_ROOT")) + "/web/node_modules/gstwebrtc-api/package.json";   \
    if (!g_file_test(lib_.c_str(), G_FILE_TEST_EXISTS))                                            \
      VDI_SKIP("gstwebrtc-api missing in web/node_modules (run ./scripts/setup)");                 \
  } while (0)

/* The JSON after "event NAME " (or "" on timeout / failure). */
std::string waitEvent(Process &p, const std::string &name, std::chrono::milliseconds timeout)
{
  int64_t deadline = monotonicMs() + timeout.count();
  while (monotonicMs() < deadline) {
    auto line = p.readLine(std::chrono::milliseconds(deadline - monotonicMs()));
    if (!line)
      break;
    if (line->rfind("event " + name + " ", 0) == 0)
      return line->substr(name.size() + 7);
    if (line->rfind("event failed ", 0) == 0 || line->rfind("result ", 0) == 0) {
      UNSCOPED_INFO(*line);
      return "";
    }
  }
  return "";
}

/* The first producer the page saw: its meta as an object. */
JsonObject *producerMeta(JsonObject *state)
{
  JsonArray *p = state ? json_object_get_array_member(state, "producers") : nullptr;
  if (!p || !json_array_get_length(p))
    return nullptr;
  return json_object_get_object_member(json_array_get_object_element(p, 0), "meta");
}

/* What the recording Wayland client reports until @until matches a line
 * (or 10 s pass). */
std::vector<std::string> clientLines(Process &client,
                                     const std::function<bool(const std::string &)> &until)
{
  std::vector<std::string> seen;
  int64_t deadline = monotonicMs() + 10000;
  while (monotonicMs() < deadline) {
    auto l = client.readLine(500ms);
    if (!l)
      continue;
    seen.push_back(*l);
    if (until(*l))
      break;
  }
  return seen;
}

std::string joined(const std::vector<std::string> &lines)
{
  std::string out;
  for (auto &l : lines)
    out += l + "\n";
  return out;
}

} // namespace

TEST_CASE("gstwebrtc-api plays the element in both offer modes and drives a Wayland client",
          "[webrtc-conformance][browser][sway]")
{
  REQUIRE_GSTWEBRTC_API();
  REQUIRE_SWAY();
  if (!g_file_test(helperPath("vdi-input-client").c_str(), G_FILE_TEST_IS_EXECUTABLE))
    VDI_SKIP("vdi-input-client not built");
  std::string mode = GENERATE(std::string("answer"), std::string("offer"));
  INFO("gstwebrtc-api mode: " << mode << " (offer = createConsumerSessionWithOfferOptions)");
  SwaySession sway;
  auto client = sway.spawnClient({helperPath("vdi-input-client")});
  REQUIRE(client->waitFor("configured", 15000ms));
  GError *err = nullptr;
  std::string desc = "vdiwaylandsrc show-cursor=false display=\"" + sway.display() +
                     "\" ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast "
                     "key-int-max=100000 ! vdiwebrtcsink name=sink port=0 address=127.0.0.1 "
                     "meta=\"meta,name=(string)desk,seat=(int)7\"";
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &err);
  REQUIRE(err == nullptr);
  REQUIRE(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  guint port = 0;
  g_object_get(sink, "bound-port", &port, nullptr);
  REQUIRE(port > 0);

  auto b = gstwebrtcApi("ws://127.0.0.1:" + std::to_string(port) + "/signalling", mode);
  JsonDoc ready(waitEvent(*b, "ready", 60000ms));
  REQUIRE(ready.root);
  /* Ready at all means: the client saw its own peerStatusChanged, listed
   * the producer and got a stream and a remote controller. */
  JsonObject *meta = producerMeta(ready.root);
  REQUIRE(meta);
  CHECK(std::string(json_object_get_string_member_with_default(meta, "name", "")) == "desk");
  CHECK(json_object_get_int_member_with_default(meta, "seat", 0) == 7);
  CHECK(json_array_get_length(json_object_get_array_member(ready.root, "errors")) == 0);
  CHECK(json_object_get_boolean_member_with_default(ready.root, "controller", FALSE));

  /* Keys typed in the page. */
  b->send("keys ab");
  auto keys =
    clientLines(*client, [](const std::string &l) { return l.rfind("key released 48", 0) == 0; });
  INFO(joined(keys));
  std::string history = joined(keys);
  CHECK(history.find("key pressed 30 a") != std::string::npos);
  CHECK(history.find("key pressed 48 b") != std::string::npos);
  /* A click: the left button (BTN_LEFT = 272), pressed and released. The
   * session's virtual pointer appears with the first motion, and a button
   * sent before the client bound it would be lost: move first. */
  b->send("move 300 160");
  auto entered =
    clientLines(*client, [](const std::string &l) { return l.rfind("pointer-enter", 0) == 0; });
  INFO(joined(entered));
  REQUIRE(joined(entered).find("pointer-enter") != std::string::npos);
  b->send("click 320 180");
  auto clicks =
    clientLines(*client, [](const std::string &l) { return l == "button 272 released"; });
  INFO(joined(clicks));
  CHECK(joined(clicks).find("button 272 pressed") != std::string::npos);
  CHECK(joined(clicks).find("button 272 released") != std::string::npos);
  /* Two wheel notches down (deltaY = 100 each, delta_y = -100 on the wire):
   * two wheel clicks in the session, not 200. */
  b->send("wheel 2");
  int discrete = 0;
  auto wheel = clientLines(*client, [&](const std::string &l) {
    int axis = -1, steps = 0;
    if (sscanf(l.c_str(), "axis-discrete %d %d", &axis, &steps) == 2 && axis == 0)
      discrete += steps;
    return discrete >= 2;
  });
  INFO(joined(wheel));
  CHECK(discrete == 2);
  CHECK(joined(wheel).find("axis 0 15.00") != std::string::npos);

  b->send("quit");
  b->wait(20000ms);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}

namespace {

std::string share(Client &c, const std::string &url, const std::string &auth, const char *role)
{
  Response r = c.request("POST", url + "/shares", std::string("{\"role\":\"") + role + "\"}", auth);
  REQUIRE(r.status == 201);
  return member(r.body, "token");
}

} // namespace

/* The lines a session app wrote to @path, once one matches @until (10 s). */
std::vector<std::string> fileLines(const std::string &path,
                                   const std::function<bool(const std::string &)> &until)
{
  int64_t deadline = monotonicMs() + 10000;
  std::vector<std::string> lines;
  do {
    gchar *text = nullptr;
    lines.clear();
    if (g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) {
      std::istringstream in(text);
      for (std::string l; std::getline(in, l);)
        lines.push_back(l);
      g_free(text);
    }
    for (auto &l : lines)
      if (until(l))
        return lines;
    std::this_thread::sleep_for(50ms);
  } while (monotonicMs() < deadline);
  return lines;
}

TEST_CASE("gstwebrtc-api drives a vdid session's Wayland client through its share-token relay",
          "[webrtc-conformance][browser][vdid]")
{
  REQUIRE_GSTWEBRTC_API();
  REQUIRE_SESSIONS_POSSIBLE();
  if (!g_file_test(helperPath("vdi-input-client").c_str(), G_FILE_TEST_IS_EXECUTABLE))
    VDI_SKIP("vdi-input-client not built");
  std::string mode = GENERATE(std::string("answer"), std::string("offer"));
  INFO("gstwebrtc-api mode: " << mode);
  SessionVdid v;
  Client c;
  /* The session's one app: the recording client, writing what it gets to a
   * file the test reads (it ends when its stdin does: feed it an endless
   * pipe). */
  g_autofree char *dir = g_dir_make_tmp("vdi-conformance-XXXXXX", nullptr);
  chmod(dir, 0777);
  std::string out = std::string(dir) + "/input.log";
  std::string body = R"({"apps":[["sh","-c","tail -f /dev/null | exec )" +
                     helperPath("vdi-input-client") + " > " + out + R"("]]})";
  Response r = c.request("POST", v.vdid->base + "/api/v1/sessions", body, v.owner);
  REQUIRE(r.status == 201);
  std::string id = member(r.body, "id");
  std::string url = v.vdid->base + "/api/v1/sessions/" + id;
  REQUIRE(waitState(c, url, v.owner) == "running");
  auto configured = fileLines(out, [](const std::string &l) { return l == "configured"; });
  REQUIRE(joined(configured).find("configured") != std::string::npos);

  std::string token = share(c, url, v.owner, "control");
  std::string ws = v.vdid->base + "/api/v1/sessions/" + id + "/signalling?token=" + token;
  ws.replace(0, 4, "ws");
  auto b = gstwebrtcApi(ws, mode);
  JsonDoc ready(waitEvent(*b, "ready", 60000ms));
  REQUIRE(ready.root);
  CHECK(json_array_get_length(json_object_get_array_member(ready.root, "errors")) == 0);
  CHECK(json_object_get_boolean_member_with_default(ready.root, "controller", FALSE));
  /* The producer meta vdid gives the worker's element. */
  JsonObject *meta = producerMeta(ready.root);
  REQUIRE(meta);
  CHECK(json_object_get_string_member_with_default(meta, "session-id", "") == id);
  CHECK(json_object_get_string_member_with_default(meta, "owner", "") == v.user);
  CHECK(json_object_get_int_member_with_default(meta, "width", 0) == 640);
  CHECK(json_object_get_int_member_with_default(meta, "height", 0) == 480);
  CHECK(std::string(json_object_get_string_member_with_default(meta, "compositor", "")) == "sway");

  /* Keys, a click and a wheel notch, through vdid's relay into the client. */
  b->send("keys q");
  auto keys =
    fileLines(out, [](const std::string &l) { return l.rfind("key released 16", 0) == 0; });
  INFO(joined(keys));
  CHECK(joined(keys).find("key pressed 16 q") != std::string::npos);
  b->send("move 300 220");
  REQUIRE(
    joined(fileLines(out, [](const std::string &l) { return l.rfind("pointer-enter", 0) == 0; }))
      .find("pointer-enter") != std::string::npos);
  b->send("click 320 240");
  auto clicks = fileLines(out, [](const std::string &l) { return l == "button 272 released"; });
  CHECK(joined(clicks).find("button 272 pressed") != std::string::npos);
  b->send("wheel 1");
  auto wheel = fileLines(out, [](const std::string &l) { return l == "axis-discrete 0 1"; });
  INFO(joined(wheel));
  CHECK(joined(wheel).find("axis-discrete 0 1") != std::string::npos);
  b->send("quit");
  b->wait(20000ms);
  Response del = c.request("DELETE", url, "", v.owner);
  CHECK(del.status < 300);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  (void)!system(cmd);
}

TEST_CASE("a WHEP client and hls.js on an allowed origin play a vdid session, others are refused",
          "[webrtc-conformance][browser][vdid]")
{
  REQUIRE_BROWSER();
  REQUIRE_SESSIONS_POSSIBLE();
  unsigned port = freePort();
  std::string origin = "http://127.0.0.1:" + std::to_string(port);
  SessionVdid v("[server]\nallowed-origins=" + origin + "\n");
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  std::string token = share(c, url, v.owner, "view");
  Process b({"node", std::string(g_getenv("VDI_SOURCE_ROOT")) + "/tests/browser/cross-origin.mjs",
             v.vdid->base, id, token, std::to_string(port)});
  auto line = b.waitFor("result ", 120000ms);
  REQUIRE(line);
  if (line->rfind("skip ", 0) == 0)
    VDI_SKIP(line->substr(5));
  INFO(*line);
  JsonDoc r(line->substr(7));
  REQUIRE(r.root);
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  CHECK(json_object_get_int_member_with_default(r.root, "api", 0) == 200);
  CHECK_FALSE(json_object_has_member(r.root, "whepError"));
  CHECK(json_object_get_int_member_with_default(r.root, "whepFrames", 0) >= 3);
  CHECK(std::string(json_object_get_string_member_with_default(r.root, "whepResource", ""))
          .rfind(v.vdid->base + "/whep/" + id + "/", 0) == 0);
  CHECK_FALSE(json_object_has_member(r.root, "hlsError"));
  CHECK(json_object_get_int_member_with_default(r.root, "hlsFrames", 0) >= 3);
  JsonObject *other = json_object_get_object_member(r.root, "otherOrigin");
  REQUIRE(other);
  CHECK(json_object_get_boolean_member(other, "api"));
  CHECK(json_object_get_boolean_member(other, "whep"));
  b.wait(20000ms);
}
