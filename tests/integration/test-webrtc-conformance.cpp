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
#include "sway-session.h"
#include "test-util.h"
#include "vdid-fixture.h"

#include <json-glib/json-glib.h>

#include <sstream>

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

struct Json {
  JsonParser *parser = json_parser_new();
  JsonObject *root = nullptr;
  explicit Json(const std::string &text)
  {
    if (!text.empty() && json_parser_load_from_data(parser, text.c_str(), -1, nullptr) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
      root = json_node_get_object(json_parser_get_root(parser));
  }
  ~Json() { g_object_unref(parser); }
  Json(const Json &) = delete;
  Json &operator=(const Json &) = delete;
};

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
  Json ready(waitEvent(*b, "ready", 60000ms));
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
  /* A click: the left button (BTN_LEFT = 272), pressed and released. */
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
