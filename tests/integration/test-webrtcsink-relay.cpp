/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdiwebrtcsink with relayed signalling and WHEP (the action signals vdid uses): the
 * protocol without a browser, refusals, roles, and Chromium through the relay.
 * Part of test-webrtcsink (webrtcsink-relay-fixture.h).
 */

#include "webrtcsink-relay-fixture.h"

using namespace vdi::test;
using namespace std::chrono_literals;

/* ---- relayed signalling and WHEP without a browser ------------------------ */

TEST_CASE("relayed signalling through action signals", "[webrtcsink]")
{
  /* Outlives the pipeline: the element signals until it stops. */
  Relay relay;
  RelayPipeline p("videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! videoconvert ! "
                  "x264enc tune=zerolatency speed-preset=ultrafast");
  GstElement *sink = p.sink();
  g_signal_connect(sink, "send-message", G_CALLBACK(Relay::onSend), &relay);
  guint port = 1;
  g_object_get(sink, "bound-port", &port, nullptr);
  CHECK(port == 0); /* no built-in server */

  gchar *peer = nullptr;
  g_signal_emit_by_name(sink, "add-peer", &peer);
  REQUIRE(peer != nullptr);
  std::string welcome = relay.waitFor(peer, "welcome");
  REQUIRE_FALSE(welcome.empty());
  CHECK(welcome.find(peer) != std::string::npos);

  g_signal_emit_by_name(sink, "handle-message", peer, "{\"type\":\"list\"}");
  JsonDoc list(relay.waitFor(peer, "list"));
  REQUIRE(list.root);
  JsonArray *producers = jarr(list.root, "producers");
  REQUIRE(jlen(producers) == 1);
  std::string producer = jstr(jat(producers, 0), "id");
  g_autofree char *peerId = nullptr;
  g_object_get(sink, "peer-id", &peerId, nullptr);
  CHECK(producer == peerId);

  /* Bad input: an error each time, and the peer stays usable. */
  for (const char *bad :
       {"{oops", "{\"type\":\"nope\"}", "{\"type\":\"startSession\",\"peerId\":\"x\"}"}) {
    g_signal_emit_by_name(sink, "handle-message", peer, bad);
    JsonDoc e(relay.waitFor(peer, "error"));
    REQUIRE(e.root);
    INFO(bad);
    CHECK_FALSE(jstr(e.root, "details").empty());
  }
  /* An unknown session is ignored without a word, as by gst-plugins-rs'
   * server: the next error is the one for the message after it. */
  g_signal_emit_by_name(sink, "handle-message", peer,
                        "{\"type\":\"endSession\",\"sessionId\":\"unknown\"}");
  g_signal_emit_by_name(sink, "handle-message", peer, "{\"type\":\"after\"}");
  JsonDoc after(relay.waitFor(peer, "error"));
  REQUIRE(after.root);
  CHECK(jstr(after.root, "details").find("after") != std::string::npos);

  std::string start = "{\"type\":\"startSession\",\"peerId\":\"" + producer + "\"}";
  g_signal_emit_by_name(sink, "handle-message", peer, start.c_str());
  JsonDoc started(relay.waitFor(peer, "sessionStarted"));
  REQUIRE(started.root);
  std::string session = jstr(started.root, "sessionId");
  JsonDoc offer(relay.waitFor(peer, "peer", 10000ms));
  REQUIRE(offer.root);
  CHECK(session == jstr(offer.root, "sessionId"));
  JsonObject *sdp = jobj(offer.root, "sdp");
  REQUIRE(sdp);
  CHECK(jstr(sdp, "type") == "offer");
  std::string text = jstr(sdp, "sdp");
  CHECK(text.find("H264/90000") != std::string::npos);
  CHECK(text.find("packetization-mode=1") != std::string::npos);
  CHECK(text.find("profile-level-id=42c0") != std::string::npos); /* constrained baseline */
  CHECK(text.find("nack pli") != std::string::npos);
  CHECK(text.find("rtx/90000") != std::string::npos);
  CHECK(text.find("webrtc-datachannel") != std::string::npos);
  CHECK(text.find("a=sendonly") != std::string::npos);
  guint viewers = 0;
  g_object_get(sink, "viewers", &viewers, nullptr);
  CHECK(viewers == 1);

  g_signal_emit_by_name(sink, "remove-peer", peer);
  CHECK(eventually(2000ms, [&] { return p.viewers() == 0; }));
  g_free(peer);
}

TEST_CASE("the server refuses a port in use with a clear error", "[webrtcsink]")
{
  Pipeline first(kSource);
  std::string port = first.base().substr(first.base().rfind(':') + 1);
  GstElement *sink = gst_element_factory_make("vdiwebrtcsink", nullptr);
  g_object_set(sink, "port", atoi(port.c_str()), "address", "127.0.0.1", nullptr);
  GstElement *pipe = gst_pipeline_new(nullptr);
  gst_bin_add(GST_BIN(pipe), sink);
  CHECK(gst_element_set_state(pipe, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE);
  std::string error = waitForError(gst_element_get_bus(pipe), 1000ms);
  CHECK(error.find("Could not serve HTTP on 127.0.0.1:" + port) != std::string::npos);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(pipe);
}

TEST_CASE("relayed WHEP: unknown resources and refusals without a browser", "[webrtcsink]")
{
  /* Outlive the pipeline: the element signals until it stops. */
  WhepAnswers answers;
  Relay relay;
  RelayPipeline p(kSource, "max-viewers=1");
  g_signal_connect(p.sink(), "whep-answer", G_CALLBACK(WhepAnswers::onAnswer), &answers);
  CHECK(whepPatch(p.sink(), "no-such-resource", kFragment) == 404);
  CHECK(whepPatch(p.sink(), nullptr, kFragment) == 404);
  CHECK(whepDelete(p.sink(), "no-such-resource") == 404);
  CHECK(whepDelete(p.sink(), nullptr) == 404);

  /* Not SDP: an id at once, then exactly one whep-answer with 400 and why. */
  gchar *bad = nullptr;
  g_signal_emit_by_name(p.sink(), "whep-offer", "hello", &bad);
  REQUIRE(bad);
  auto a = answers.waitFor(bad, 5000ms);
  REQUIRE(a);
  CHECK(a->status == 400);
  CHECK_FALSE(a->body.empty());
  CHECK(whepDelete(p.sink(), bad) == 404); /* the resource does not exist */
  g_free(bad);
  CHECK(p.viewers() == 0);

  /* A signalling viewer takes the one place: a WHEP offer is refused with
   * NULL and no whep-answer. */
  g_signal_connect(p.sink(), "send-message", G_CALLBACK(Relay::onSend), &relay);
  gchar *peer = nullptr;
  g_signal_emit_by_name(p.sink(), "add-peer", &peer);
  REQUIRE(peer);
  g_autofree char *producer = nullptr;
  g_object_get(p.sink(), "peer-id", &producer, nullptr);
  std::string start = std::string("{\"type\":\"startSession\",\"peerId\":\"") + producer + "\"}";
  g_signal_emit_by_name(p.sink(), "handle-message", peer, start.c_str());
  REQUIRE_FALSE(relay.waitFor(peer, "sessionStarted").empty());
  size_t before = answers.count();
  gchar *refused = reinterpret_cast<gchar *>(1);
  g_signal_emit_by_name(p.sink(), "whep-offer", "v=0\r\n", &refused);
  CHECK(refused == nullptr);

  /* Roles: only known peers and the two roles. */
  gboolean ok = TRUE;
  g_signal_emit_by_name(p.sink(), "set-peer-role", "no-such-peer", "view", &ok);
  CHECK_FALSE(ok);
  g_signal_emit_by_name(p.sink(), "set-peer-role", peer, "admin", &ok);
  CHECK_FALSE(ok);
  g_signal_emit_by_name(p.sink(), "set-peer-role", peer, "view", &ok);
  CHECK(ok);
  GstStructure *vs = p.viewerStats();
  REQUIRE(vs);
  INFO(gst_structure_to_string(vs));
  CHECK(std::string(gst_structure_get_string(vs, "role")) == "view");
  gboolean may = TRUE;
  gst_structure_get_boolean(vs, "may-control", &may);
  CHECK_FALSE(may);
  gst_structure_free(vs);

  /* The refused offer never got a whep-answer: once the place is free, a
   * later offer's answer is the only one after it (answers keep order). */
  g_signal_emit_by_name(p.sink(), "remove-peer", peer);
  g_free(peer);
  REQUIRE(eventually(5000ms, [&] { return p.viewers() == 0; }));
  gchar *fence = nullptr;
  g_signal_emit_by_name(p.sink(), "whep-offer", "hello", &fence);
  REQUIRE(fence);
  REQUIRE(answers.waitFor(fence, 5000ms));
  g_free(fence);
  CHECK(answers.count() == before + 1);

  /* Not started: nothing to call into. */
  GstElement *idle = gst_element_factory_make("vdiwebrtcsink", nullptr);
  gchar *none = reinterpret_cast<gchar *>(1);
  g_signal_emit_by_name(idle, "whep-offer", "v=0\r\n", &none);
  CHECK(none == nullptr);
  CHECK(whepDelete(idle, "x") == 404);
  gst_object_unref(idle);
}

/* ---- Chromium through the relay ----------------------------------------- */

TEST_CASE("relayed WHEP: Chromium decodes a sway desktop through whep-offer/whep-answer",
          "[webrtcsink][browser][sway]")
{
  REQUIRE_BROWSER();
  REQUIRE_SWAY();
  /* keepalive=50: a still desktop still gives 20 frames per second. */
  WhepAnswers answers; /* outlives the pipeline */
  SwayRelay desk(50);
  RelayPipeline &p = desk.p;
  g_signal_connect(p.sink(), "whep-answer", G_CALLBACK(WhepAnswers::onAnswer), &answers);

  auto b = browser({"whep-offer", "-"});
  JsonDoc offer(waitLine(*b, "event offer", 60000ms));
  REQUIRE(offer.root);
  std::string sdp = jstr(offer.root, "sdp");
  REQUIRE(sdp.find("m=video") != std::string::npos);

  gchar *resource = nullptr;
  g_signal_emit_by_name(p.sink(), "whep-offer", sdp.c_str(), &resource);
  REQUIRE(resource);
  std::string res = resource;
  g_free(resource);
  auto answer = answers.waitFor(res, 15000ms);
  REQUIRE(answer);
  INFO(answer->body);
  REQUIRE(answer->status == 201);
  CHECK(answer->body.find("a=candidate:") != std::string::npos); /* gathered, not trickled */
  CHECK(answer->body.find("H264/90000") != std::string::npos);
  CHECK(answer->body.find("a=sendonly") != std::string::npos);

  g_autoptr(JsonBuilder) jb = json_builder_new();
  json_builder_begin_object(jb);
  json_builder_set_member_name(jb, "status");
  json_builder_add_int_value(jb, answer->status);
  json_builder_set_member_name(jb, "sdp");
  json_builder_add_string_value(jb, answer->body.c_str());
  json_builder_end_object(jb);
  g_autoptr(JsonNode) root = json_builder_get_root(jb);
  g_autofree char *line = json_to_string(root, FALSE);
  b->send(line);

  std::string playingLine = waitLine(*b, "event playing", 60000ms);
  if (playingLine.empty())
    playingLine = waitLine(*b, "result", 1000ms);
  INFO(playingLine);
  JsonDoc playing(playingLine);
  REQUIRE(playing.root);
  CHECK(jint(playing.root, "frames") >= 10);
  CHECK(jint(playing.root, "framesDecoded") >= 10);
  /* The picture is the sway output. */
  g_autoptr(GstElement) enc = gst_bin_get_by_name(GST_BIN(p.pipeline()), "enc");
  g_autoptr(GstPad) encSink = gst_element_get_static_pad(enc, "sink");
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(encSink);
  REQUIRE(caps);
  int width = 0, height = 0;
  gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width);
  gst_structure_get_int(gst_caps_get_structure(caps, 0), "height", &height);
  CHECK(jint(playing.root, "width") == width);
  CHECK(jint(playing.root, "height") == height);

  /* A WHEP viewer is view-only. */
  GstStructure *vs = p.viewerStats();
  REQUIRE(vs);
  CHECK(std::string(gst_structure_get_string(vs, "kind")) == "whep");
  CHECK(std::string(gst_structure_get_string(vs, "role")) == "view");
  gst_structure_free(vs);

  CHECK(whepPatch(p.sink(), res.c_str(), kFragment) == 204);
  CHECK(whepPatch(p.sink(), res.c_str(), "hello\r\n") == 400);
  CHECK(whepPatch(p.sink(), res.c_str(), "a=candidate:1 1 udp\r\n") == 400);
  CHECK(whepPatch(p.sink(), res.c_str(), "") == 400);
  CHECK(whepPatch(p.sink(), "no-such-resource", kFragment) == 404);
  CHECK(answers.count() == 1); /* one whep-answer per offer */

  CHECK(whepDelete(p.sink(), res.c_str()) == 200);
  CHECK(whepDelete(p.sink(), res.c_str()) == 404);
  CHECK(whepPatch(p.sink(), res.c_str(), kFragment) == 404);
  CHECK(p.viewers() == 0);
  b->send("go");
  JsonDoc r(waitLine(*b, "result", 30000ms));
  REQUIRE(r.root);
  INFO(jstr(r.root, "error"));
  std::string after = jstr(r.root, "afterDelete");
  CHECK((after == "disconnected" || after == "failed" || after == "closed"));
  b->wait(20000ms);
  g_autoptr(GstBus) bus = gst_element_get_bus(p.pipeline());
  std::string error = waitForError(bus, 0ms);
  INFO(error);
  CHECK(error.empty());
}

TEST_CASE("set-peer-role view drops a relayed viewer's input, control lets it through",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  RelayPipeline p(kSource);
  auto rec = recordAboveEncoder(p);
  RelayedViewer v(p.sink());
  v.waitReady();

  gboolean ok = FALSE;
  g_signal_emit_by_name(p.sink(), "set-peer-role", v.peer().c_str(), "view", &ok);
  REQUIRE(ok);
  JsonDoc refused(v.request(1, navigationJson(1, "KeyPress", "a")));
  REQUIRE(refused.root);
  CHECK(jstr(refused.root, "error").find("view-only") != std::string::npos);
  JsonDoc refused2(
    v.request(2, customJson(2, "vdi-text", "{\"text\":\"no\"}"))); /* any input, not only keys */
  REQUIRE(refused2.root);
  CHECK(jstr(refused2.root, "error").find("view-only") != std::string::npos);
  GstStructure *vs = p.viewerStats();
  REQUIRE(vs);
  INFO(gst_structure_to_string(vs));
  guint64 dropped = 0, accepted = 0;
  gst_structure_get_uint64(vs, "input-dropped", &dropped);
  CHECK(dropped == 2);
  CHECK(std::string(gst_structure_get_string(vs, "role")) == "view");
  gst_structure_free(vs);
  CHECK(rec->nav().empty());

  /* Back to control: input flows again, on the same session. */
  g_signal_emit_by_name(p.sink(), "set-peer-role", v.peer().c_str(), "control", &ok);
  REQUIRE(ok);
  JsonDoc press(v.request(3, navigationJson(3, "KeyPress", "q")));
  JsonDoc release(v.request(4, navigationJson(4, "KeyRelease", "q")));
  REQUIRE(press.root);
  REQUIRE(release.root);
  CHECK(jnull(press.root, "error"));
  CHECK(jnull(release.root, "error"));
  std::vector<std::string> expected = {"KeyPress q", "KeyRelease q"};
  CHECK(rec->nav() == expected);
  vs = p.viewerStats();
  REQUIRE(vs);
  gst_structure_get_uint64(vs, "input-accepted", &accepted);
  gst_structure_get_uint64(vs, "input-dropped", &dropped);
  CHECK(accepted == 2);
  CHECK(dropped == 2);
  gst_structure_free(vs);
}
