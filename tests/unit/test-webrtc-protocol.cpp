/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* vdiwebrtcsink's pure parts: data-channel input parsing, the signalling
 * protocol and the bitrate controller. */

#include "test-util.h"

#include "webrtc-bitrate.h"
#include "webrtc-input.h"
#include "webrtc-signalling.h"

#include <gst/video/navigation.h>

#include <cstring>

using namespace vdi::webrtc;

static ControlRequest parse(const std::string &s)
{
  return parseControlRequest(s.data(), s.size());
}

TEST_CASE("navigation events parse into upstream GstNavigation events", "[webrtc-input]")
{
  auto r = parse(R"({"id":7,"request":{"type":"navigationEvent","event":)"
                 R"({"event":"KeyPress","key":"Return","code":"Enter"}}})");
  REQUIRE(r.error.empty());
  REQUIRE(r.event);
  CHECK(r.id == 7);
  CHECK(GST_EVENT_TYPE(r.event.get()) == GST_EVENT_NAVIGATION);
  CHECK(gst_navigation_event_get_type(r.event.get()) == GST_NAVIGATION_EVENT_KEY_PRESS);
  const char *key = nullptr;
  gst_navigation_event_parse_key_event(r.event.get(), &key);
  CHECK(std::string(key) == "Return");

  r = parse(R"({"id":8,"request":{"type":"navigationEvent","event":)"
            R"({"event":"MouseButtonPress","button":3,"x":10.5,"y":20,"modifier_state":1}}})");
  REQUIRE(r.event);
  gint button = 0;
  gdouble x = 0, y = 0;
  gst_navigation_event_parse_mouse_button_event(r.event.get(), &button, &x, &y);
  CHECK(button == 3);
  CHECK(x == 10.5);
  CHECK(y == 20);
  GstNavigationModifierType mods = GST_NAVIGATION_MODIFIER_NONE;
  gst_navigation_event_parse_modifier_state(r.event.get(), &mods);
  CHECK(mods == GST_NAVIGATION_MODIFIER_SHIFT_MASK);

  r = parse(R"({"id":9,"request":{"type":"navigationEvent","event":)"
            R"({"event":"MouseScroll","x":1,"y":2,"delta_x":0,"delta_y":-1}}})");
  REQUIRE(r.event);
  CHECK(gst_navigation_event_get_type(r.event.get()) == GST_NAVIGATION_EVENT_MOUSE_SCROLL);
  r = parse(R"({"id":10,"request":{"type":"navigationEvent","event":)"
            R"({"event":"TouchDown","identifier":0,"x":1,"y":2,"pressure":0.5}}})");
  REQUIRE(r.event);
  CHECK(gst_navigation_event_get_type(r.event.get()) == GST_NAVIGATION_EVENT_TOUCH_DOWN);
  r = parse(R"({"id":11,"request":{"type":"navigationEvent","event":{"event":"TouchFrame"}}})");
  REQUIRE(r.event);
}

TEST_CASE("custom upstream events carry their structure", "[webrtc-input]")
{
  auto r = parse(R"({"id":1,"request":{"type":"customUpstreamEvent","structureName":)"
                 R"("vdi-clipboard","structure":{"text":"héllo","n":3,"f":1.5,"b":true}}})");
  REQUIRE(r.error.empty());
  REQUIRE(r.event);
  CHECK(GST_EVENT_TYPE(r.event.get()) == GST_EVENT_CUSTOM_UPSTREAM);
  const GstStructure *s = gst_event_get_structure(r.event.get());
  CHECK(gst_structure_has_name(s, "vdi-clipboard"));
  CHECK(std::string(gst_structure_get_string(s, "text")) == "héllo");
  int n = 0;
  CHECK(gst_structure_get_int(s, "n", &n));
  CHECK(n == 3);
}

TEST_CASE("bad input messages give an error, never an event", "[webrtc-input]")
{
  const char *bad[] = {
    "",
    "{",
    "[]",
    "null",
    R"({"id":1})",
    R"({"id":1,"request":[]})",
    R"({"id":1,"request":{}})",
    R"({"id":1,"request":{"type":"teleport"}})",
    R"({"id":1,"request":{"type":"navigationEvent"}})",
    R"({"id":1,"request":{"type":"navigationEvent","event":{"event":"KeyPress"}}})",
    R"({"id":1,"request":{"type":"navigationEvent","event":{"event":"KeyPress","key":""}}})",
    R"({"id":1,"request":{"type":"navigationEvent","event":{"event":"MouseMove","x":"1","y":2}}})",
    R"({"id":1,"request":{"type":"navigationEvent","event":{"event":"MouseButtonPress","button":99,"x":1,"y":2}}})",
    R"({"id":1,"request":{"type":"navigationEvent","event":{"event":"Explode"}}})",
    R"({"id":1,"request":{"type":"customUpstreamEvent","structureName":"9bad"}})",
    R"({"id":1,"request":{"type":"customUpstreamEvent","structureName":"ok","structure":3}})",
  };
  for (const char *b : bad) {
    INFO(b);
    auto r = parse(b);
    CHECK_FALSE(r.event);
    CHECK_FALSE(r.error.empty());
  }
  /* The id survives for the reply when it can be read. */
  CHECK(parse(R"({"id":42,"request":{"type":"x"}})").id == 42);
  CHECK(parse("{").id == -1);
}

TEST_CASE("control responses have the webrtcsink shape", "[webrtc-input]")
{
  CHECK(controlResponse(3, "") == R"({"type":"ControlResponseMessage","id":3,"error":null})");
  CHECK(controlResponse(-1, "bad \"x\"") ==
        R"({"type":"ControlResponseMessage","id":null,"error":"bad \"x\""})");
}

TEST_CASE("signalling messages parse and build", "[webrtc-signalling]")
{
  using T = IncomingMessage::Type;
  auto p = [](const std::string &s) { return parseIncoming(s.data(), s.size()); };
  CHECK(p(R"({"type":"list"})").type == T::List);
  auto m = p(R"({"type":"setPeerStatus","roles":["listener"],"meta":{"name":"x"}})");
  CHECK(m.type == T::SetPeerStatus);
  REQUIRE(m.roles.size() == 1);
  CHECK(m.roles[0] == "listener");
  m = p(R"({"type":"startSession","peerId":"abc"})");
  CHECK(m.type == T::StartSession);
  CHECK(m.peerId == "abc");
  m = p(R"({"type":"peer","sessionId":"s","sdp":{"type":"answer","sdp":"v=0\r\n"}})");
  CHECK(m.type == T::Peer);
  CHECK(m.hasSdp);
  CHECK(m.sdpType == "answer");
  m = p(
    R"({"type":"peer","sessionId":"s","ice":{"candidate":"candidate:1 1 UDP 1 127.0.0.1 5000 typ host","sdpMLineIndex":0}})");
  CHECK(m.type == T::Peer);
  CHECK(m.hasIce);
  CHECK(m.candidate.rfind("candidate:", 0) == 0);
  CHECK(p(R"({"type":"endSession","sessionId":"s"})").type == T::EndSession);

  for (const char *bad :
       {"", "x", "[]", "{}", R"({"type":5})", R"({"type":"hello"})", R"({"type":"startSession"})",
        R"({"type":"peer","sessionId":"s"})",
        R"({"type":"peer","sessionId":"s","sdp":{"type":"pranswer","sdp":"x"}})",
        R"({"type":"peer","sessionId":"s","ice":{"candidate":"c","sdpMLineIndex":-1}})",
        R"({"type":"endSession"})"}) {
    INFO(bad);
    auto r = p(bad);
    CHECK(r.type == T::Invalid);
    CHECK_FALSE(r.error.empty());
  }

  CHECK(welcomeMessage("p1") == R"({"type":"welcome","peerId":"p1"})");
  CHECK(errorMessage("no") == R"({"type":"error","details":"no"})");
  CHECK(sessionStartedMessage("p", "s") ==
        R"({"type":"sessionStarted","peerId":"p","sessionId":"s"})");
  CHECK(endSessionMessage("s") == R"({"type":"endSession","sessionId":"s"})");
  CHECK(iceMessage("s", "candidate:x", 0) ==
        R"({"type":"peer","sessionId":"s","ice":{"candidate":"candidate:x","sdpMLineIndex":0}})");
  CHECK(sdpMessage("s", "offer", "v=0") ==
        R"({"type":"peer","sessionId":"s","sdp":{"type":"offer","sdp":"v=0"}})");
  CHECK(listMessage("p", "{}") == R"({"type":"list","producers":[{"id":"p","meta":{}}]})");
  CHECK(newId() != newId());
}

TEST_CASE("bitrate follows the weakest viewer within the limits", "[webrtc-bitrate]")
{
  BitrateController c(500, 4000);
  CHECK(c.target() == 0);
  c.addViewer("a", 2000);
  c.addViewer("b", 2000);
  CHECK(c.target() == 2000);
  /* Clean feedback: both grow by 8 % per report, up to the max. */
  for (int i = 0; i < 30; i++) {
    c.update("a", {0.0, 0.02, 0});
    c.update("b", {0.0, 0.02, 0});
  }
  CHECK(c.target() == 4000);
  /* 30 % loss on b: it backs off by 15 % per report; a stays. */
  c.update("b", {0.30, 0.02, 0});
  CHECK(c.estimate("b") == 3400);
  CHECK(c.estimate("a") == 4000);
  CHECK(c.target() == 3400);
  /* Moderate loss holds. */
  c.update("b", {0.05, 0.02, 0});
  CHECK(c.estimate("b") == 3400);
  /* High RTT backs off even without loss. */
  c.update("b", {0.0, 0.5, 0});
  CHECK(c.estimate("b") == 2890);
  /* REMB caps; never below the minimum. */
  c.update("b", {0.0, 0.02, 800000.0 / 1000});
  CHECK(c.estimate("b") == 800);
  for (int i = 0; i < 50; i++)
    c.update("b", {1.0, 1.0, 0});
  CHECK(c.estimate("b") == 500);
  /* The weak viewer leaves: the target goes back to the others. */
  c.removeViewer("b");
  CHECK(c.target() == 4000);
}
