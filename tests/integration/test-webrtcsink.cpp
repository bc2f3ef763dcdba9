/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdiwebrtcsink against real browsers: the pipeline runs here (so that pad
 * probes, element counts, RSS and fds can be checked in-process), real
 * Chromium runs through tests/browser/webrtc.mjs (playwright-core), and
 * everything travels over HTTP / WebSocket / WebRTC on 127.0.0.1 with a
 * port picked at run time.
 */

#include "gst-util.h"
#include "sway-session.h"
#include "test-util.h"

#include <gst/video/navigation.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

using namespace vdi::test;
using namespace std::chrono_literals;

namespace {

std::string env(const char *name, const char *fallback = "")
{
  const char *v = g_getenv(name);
  return v && *v ? v : fallback;
}

std::string playerDir()
{
  return env("VDI_BUILD_ROOT") + "/web";
}

/* Why browser tests cannot run here, or "". */
std::string browserUnavailable()
{
  if (!g_file_test("/usr/bin/chromium", G_FILE_TEST_IS_EXECUTABLE))
    return "/usr/bin/chromium not installed (apt-get install chromium)";
  g_autofree char *node = g_find_program_in_path("node");
  if (!node)
    return "node not installed";
  std::string pw = env("VDI_SOURCE_ROOT") + "/web/node_modules/playwright-core";
  if (!g_file_test(pw.c_str(), G_FILE_TEST_IS_DIR))
    return "playwright-core missing in web/node_modules (run ./scripts/setup)";
  if (!g_file_test((playerDir() + "/player.js").c_str(), G_FILE_TEST_EXISTS))
    return "the player page was not built (web/node_modules missing at configure time)";
  return "";
}

struct JsonDoc {
  JsonParser *parser = json_parser_new();
  JsonObject *root = nullptr;
  explicit JsonDoc(const std::string &text)
  {
    if (!text.empty() && json_parser_load_from_data(parser, text.c_str(), -1, nullptr) &&
        json_parser_get_root(parser) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
      root = json_node_get_object(json_parser_get_root(parser));
  }
  ~JsonDoc() { g_object_unref(parser); }
  JsonDoc(const JsonDoc &) = delete;
  JsonDoc &operator=(const JsonDoc &) = delete;
};

/* Tolerant accessors: a missing or mistyped member gives a neutral value
 * (and a failed check), never a json-glib critical. */
JsonNode *member(JsonObject *o, const char *name)
{
  return o && json_object_has_member(o, name) ? json_object_get_member(o, name) : nullptr;
}
int64_t jint(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) ? int64_t(json_node_get_double(n)) : -1;
}
double jdbl(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_double(n) : -1;
}
std::string jstr(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
           ? json_node_get_string(n)
           : "";
}
bool jbool(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_boolean(n);
}
bool jnull(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_NULL(n);
}
JsonArray *jarr(JsonObject *o, const char *name)
{
  JsonNode *n = member(o, name);
  return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : nullptr;
}
guint jlen(JsonArray *a)
{
  return a ? json_array_get_length(a) : 0;
}
JsonObject *jat(JsonArray *a, guint i)
{
  if (!a || i >= json_array_get_length(a))
    return nullptr;
  JsonNode *n = json_array_get_element(a, i);
  return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

/* A playing pipeline ending in `vdiwebrtcsink name=sink`, serving HTTP on
 * a free loopback port. */
class Pipeline
{
public:
  explicit Pipeline(const std::string &head, const std::string &sinkProps = "")
  {
    std::string desc = head + " ! vdiwebrtcsink name=sink port=0 address=127.0.0.1 web-root=\"" +
                       playerDir() + "\" " + sinkProps;
    GError *err = nullptr;
    pipeline_ = gst_parse_launch(desc.c_str(), &err);
    if (err) {
      FAIL("pipeline: " << err->message);
    }
    sink_ = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
    REQUIRE(gst_element_set_state(pipeline_, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    guint port = 0;
    g_object_get(sink_, "bound-port", &port, nullptr);
    REQUIRE(port > 0);
    base_ = "http://127.0.0.1:" + std::to_string(port);
  }
  ~Pipeline()
  {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(sink_);
    gst_object_unref(pipeline_);
  }
  Pipeline(const Pipeline &) = delete;
  Pipeline &operator=(const Pipeline &) = delete;

  GstElement *pipeline() const { return pipeline_; }
  GstElement *sink() const { return sink_; }
  GstElement *get(const char *name) const
  {
    return gst_bin_get_by_name(GST_BIN(pipeline_), name); /* caller unrefs */
  }
  const std::string &base() const { return base_; }
  guint viewers() const
  {
    guint n = 0;
    g_object_get(sink_, "viewers", &n, nullptr);
    return n;
  }
  std::string busError() { return waitForError(gst_element_get_bus(pipeline_), 0ms); }

private:
  GstElement *pipeline_ = nullptr;
  GstElement *sink_ = nullptr;
  std::string base_;
};

/* A test workload: a moving picture encoded once, with an "infinite" GOP
 * so that a viewer only gets a picture if the keyframe request works. */
const char *kSource = "videotestsrc is-live=true pattern=ball ! "
                      "video/x-raw,width=640,height=360,framerate=30/1 ! videoconvert ! "
                      "x264enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max=100000 "
                      "bitrate=1500";

std::unique_ptr<Process> browser(const std::vector<std::string> &args)
{
  std::vector<std::string> argv = {"node", env("VDI_SOURCE_ROOT") + "/tests/browser/webrtc.mjs"};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Process>(argv);
}

/* Reads lines until "result ..." (or "event NAME ..." when @event is set);
 * returns the JSON part. */
std::string waitLine(Process &p, const std::string &prefix, std::chrono::milliseconds timeout)
{
  auto line = p.waitFor(prefix + " ", timeout);
  if (!line)
    return "";
  return line->substr(prefix.size() + 1);
}

int countElements(GstBin *bin, const char *klassPart, const char *factory = nullptr)
{
  int n = 0;
  GstIterator *it = gst_bin_iterate_recurse(bin);
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT(g_value_get_object(&v));
    GstElementFactory *f = gst_element_get_factory(e);
    const char *klass =
      gst_element_class_get_metadata(GST_ELEMENT_GET_CLASS(e), GST_ELEMENT_METADATA_KLASS);
    if (klassPart && klass && strstr(klass, klassPart))
      n++;
    if (factory && f && !strcmp(GST_OBJECT_NAME(f), factory))
      n++;
    g_value_reset(&v);
  }
  g_value_unset(&v);
  gst_iterator_free(it);
  return n;
}

/* Upstream events seen on a pad, recorded by a probe. */
struct UpstreamRecorder {
  std::mutex lock;
  std::vector<std::string> navigation; /* "KeyPress a", "MouseButtonPress 1 320 180" */
  std::vector<std::string> custom;     /* structure names */
  int forceKeyUnit = 0;
  gulong probe = 0;
  GstPad *pad = nullptr;

  explicit UpstreamRecorder(GstPad *p) : pad(GST_PAD(gst_object_ref(p)))
  {
    probe = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onEvent, this, nullptr);
  }
  ~UpstreamRecorder()
  {
    gst_pad_remove_probe(pad, probe);
    gst_object_unref(pad);
  }
  static GstPadProbeReturn onEvent(GstPad *, GstPadProbeInfo *info, gpointer data)
  {
    auto *self = static_cast<UpstreamRecorder *>(data);
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    std::lock_guard<std::mutex> l(self->lock);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_NAVIGATION) {
      std::ostringstream s;
      const char *key = nullptr;
      gint button = 0;
      gdouble x = 0, y = 0;
      switch (gst_navigation_event_get_type(ev)) {
      case GST_NAVIGATION_EVENT_KEY_PRESS:
      case GST_NAVIGATION_EVENT_KEY_RELEASE:
        gst_navigation_event_parse_key_event(ev, &key);
        s << (gst_navigation_event_get_type(ev) == GST_NAVIGATION_EVENT_KEY_PRESS ? "KeyPress "
                                                                                  : "KeyRelease ")
          << key;
        break;
      case GST_NAVIGATION_EVENT_MOUSE_BUTTON_PRESS:
        gst_navigation_event_parse_mouse_button_event(ev, &button, &x, &y);
        s << "MouseButtonPress " << button << " " << int(x) << " " << int(y);
        break;
      case GST_NAVIGATION_EVENT_MOUSE_BUTTON_RELEASE:
        gst_navigation_event_parse_mouse_button_event(ev, &button, &x, &y);
        s << "MouseButtonRelease " << button;
        break;
      case GST_NAVIGATION_EVENT_MOUSE_MOVE:
        s << "MouseMove";
        break;
      default:
        s << "other";
      }
      self->navigation.push_back(s.str());
    } else if (gst_video_event_is_force_key_unit(ev)) {
      self->forceKeyUnit++;
    } else if (GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_UPSTREAM) {
      self->custom.push_back(gst_structure_get_name(gst_event_get_structure(ev)));
    }
    return GST_PAD_PROBE_OK;
  }
  std::vector<std::string> nav()
  {
    std::lock_guard<std::mutex> l(lock);
    return navigation;
  }
};

long rssKb()
{
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

/* "socket:12 anon_inode:[eventfd]:3 ..." for failure messages. */
std::string fdSummary()
{
  std::map<std::string, int> kinds;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (struct dirent *e = readdir(d)) {
      char target[256] = {0};
      std::string path = std::string("/proc/self/fd/") + e->d_name;
      if (readlink(path.c_str(), target, sizeof target - 1) > 0)
        kinds[std::string(target).substr(0, std::string(target).find_first_of(":["))]++;
    }
    closedir(d);
  }
  std::string out;
  for (auto &k : kinds)
    out += k.first + ":" + std::to_string(k.second) + " ";
  return out;
}

int openFds()
{
  int n = 0;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (readdir(d))
      n++;
    closedir(d);
  }
  return n - 2;
}

#define REQUIRE_BROWSER()                                                                          \
  do {                                                                                             \
    std::string why_ = browserUnavailable();                                                       \
    if (!why_.empty())                                                                             \
      VDI_SKIP(why_);                                                                              \
  } while (0)

} // namespace

/* ---- relayed signalling (no browser) --------------------------------------- */

namespace {
struct Relay {
  std::mutex lock;
  std::vector<std::pair<std::string, std::string>> messages;
  static void onSend(GstElement *, const char *peer, const char *json, gpointer data)
  {
    auto *self = static_cast<Relay *>(data);
    std::lock_guard<std::mutex> l(self->lock);
    self->messages.emplace_back(peer, json);
  }
  /* The first message of @type for @peer, waiting up to @timeout. */
  std::string waitFor(const std::string &peer, const std::string &type,
                      std::chrono::milliseconds timeout = 5000ms)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    while (monotonicMs() < deadline) {
      {
        std::lock_guard<std::mutex> l(lock);
        for (auto it = messages.begin(); it != messages.end(); ++it) {
          JsonDoc d(it->second);
          if (it->first == peer && d.root && type == jstr(d.root, "type")) {
            std::string out = it->second;
            messages.erase(it);
            return out;
          }
        }
      }
      std::this_thread::sleep_for(10ms);
    }
    return "";
  }
};
} // namespace

TEST_CASE("relayed signalling through action signals", "[webrtcsink]")
{
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(
    "videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! videoconvert ! "
    "x264enc tune=zerolatency speed-preset=ultrafast ! vdiwebrtcsink name=sink",
    &err);
  REQUIRE(err == nullptr);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  Relay relay;
  g_signal_connect(sink, "send-message", G_CALLBACK(Relay::onSend), &relay);
  REQUIRE(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
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
       {"{oops", "{\"type\":\"nope\"}", "{\"type\":\"startSession\",\"peerId\":\"x\"}",
        "{\"type\":\"endSession\",\"sessionId\":\"unknown\"}"}) {
    g_signal_emit_by_name(sink, "handle-message", peer, bad);
    JsonDoc e(relay.waitFor(peer, "error"));
    REQUIRE(e.root);
    INFO(bad);
    CHECK_FALSE(jstr(e.root, "details").empty());
  }

  std::string start = "{\"type\":\"startSession\",\"peerId\":\"" + producer + "\"}";
  g_signal_emit_by_name(sink, "handle-message", peer, start.c_str());
  JsonDoc started(relay.waitFor(peer, "sessionStarted"));
  REQUIRE(started.root);
  std::string session = jstr(started.root, "sessionId");
  JsonDoc offer(relay.waitFor(peer, "peer", 10000ms));
  REQUIRE(offer.root);
  CHECK(session == jstr(offer.root, "sessionId"));
  JsonObject *sdp = (member(offer.root, "sdp") && JSON_NODE_HOLDS_OBJECT(member(offer.root, "sdp"))
                       ? json_object_get_object_member(offer.root, "sdp")
                       : nullptr);
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
  for (int i = 0; i < 200 && viewers; i++) {
    std::this_thread::sleep_for(10ms);
    g_object_get(sink, "viewers", &viewers, nullptr);
  }
  CHECK(viewers == 0);
  g_free(peer);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
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

/* ---- real browsers ---------------------------------------------------------- */

TEST_CASE("three simultaneous viewers decode frames from one encoder", "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  Pipeline p(kSource);
  auto b = browser({"viewers", p.base(), "3"});
  JsonDoc r(waitLine(*b, "result", 90000ms));
  REQUIRE(r.root);
  INFO(jstr(r.root, "error"));
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  JsonArray *viewers = jarr(r.root, "viewers");
  REQUIRE(jlen(viewers) == 3);
  for (guint i = 0; i < 3; i++) {
    JsonObject *v = jat(viewers, i);
    CHECK(jint(v, "frames") >= 10);
    CHECK(jint(v, "width") == 640);
    CHECK(jint(v, "height") == 360);
  }
  /* Every viewer kept playing while the others did. */
  JsonArray *progress = jarr(r.root, "progress");
  for (guint i = 0; i < 3; i++)
    CHECK((i < jlen(progress) ? json_array_get_int_element(progress, i) : -1) >=
          10); /* >= ~7 fps of 30 over 1.5 s */

  CHECK(p.viewers() == 3);
  CHECK(countElements(GST_BIN(p.pipeline()), "Encoder/Video") == 1);
  CHECK(countElements(GST_BIN(p.pipeline()), nullptr, "x264enc") == 1);
  CHECK(countElements(GST_BIN(p.sink()), nullptr, "webrtcbin") == 3);

  /* Stats: one entry per viewer, with data flowing. */
  std::this_thread::sleep_for(2500ms);
  GstStructure *stats = nullptr;
  g_object_get(p.sink(), "stats", &stats, nullptr);
  REQUIRE(stats);
  guint n = 0;
  gst_structure_get_uint(stats, "viewers", &n);
  CHECK(n == 3);
  int withData = 0;
  for (int i = 0; i < gst_structure_n_fields(stats); i++) {
    const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
    if (!GST_VALUE_HOLDS_STRUCTURE(v))
      continue;
    const GstStructure *vs = gst_value_get_structure(v);
    double bitrate = 0, fps = 0;
    gst_structure_get_double(vs, "bitrate", &bitrate);
    gst_structure_get_double(vs, "fps", &fps);
    gboolean connected = FALSE;
    gst_structure_get_boolean(vs, "connected", &connected);
    INFO(gst_structure_to_string(vs));
    CHECK(connected);
    CHECK(bitrate > 10000);
    CHECK(fps > 5);
    double rtt = -1;
    gst_structure_get_double(vs, "rtt", &rtt);
    CHECK(rtt >= 0);
    CHECK(rtt < 0.5); /* from receiver reports, on loopback */
    withData++;
  }
  CHECK(withData == 3);
  gst_structure_free(stats);
  /* Clean loopback feedback: the adaptation raised the encoder's bitrate
   * from the 1500 kbit/s it started at (8 % per report). */
  GstElement *enc = p.get("enc");
  guint kbps = 0;
  g_object_get(enc, "bitrate", &kbps, nullptr);
  gst_object_unref(enc);
  CHECK(kbps > 1500);
  CHECK(kbps <= 8000);
  b->send("quit");
  b->wait(20000ms);
  std::string error = p.busError();
  INFO(error);
  CHECK(error.empty());
}

TEST_CASE("a viewer joining 5 s after start decodes its first frame within 500 ms",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  Pipeline p(kSource);
  GstElement *enc = p.get("enc");
  g_autoptr(GstPad) encSink = gst_element_get_static_pad(enc, "src");
  UpstreamRecorder rec(encSink);
  gst_object_unref(enc);
  /* The browser starts in the meantime; the join is timed in the page from
   * connect() to the first presented frame. */
  std::this_thread::sleep_for(5000ms);
  auto b = browser({"join", p.base()});
  JsonDoc r(waitLine(*b, "result", 60000ms));
  REQUIRE(r.root);
  INFO(jstr(r.root, "error"));
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  double ms = jdbl(r.root, "firstFrameMs");
  WARN("first frame " << ms << " ms after connect()");
  CHECK(ms > 0);
  CHECK(ms < 500);
  /* The picture came from a keyframe that we asked for (GOP is 100000). */
  std::lock_guard<std::mutex> l(rec.lock);
  CHECK(rec.forceKeyUnit >= 1);
  b->wait(20000ms);
}

/* The recorder sits on the encoder's sink pad: what it sees has crossed
 * the encoder on its way up to the source (vdiwaylandsrc injects it). */
static std::unique_ptr<UpstreamRecorder> recordAboveEncoder(Pipeline &p)
{
  GstElement *enc = p.get("enc");
  GstPad *pad = gst_element_get_static_pad(enc, "sink");
  auto rec = std::make_unique<UpstreamRecorder>(pad);
  gst_object_unref(pad);
  gst_object_unref(enc);
  return rec;
}

TEST_CASE("keys pressed in the page reach the pipeline as upstream navigation events",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  Pipeline p(kSource);
  auto rec = recordAboveEncoder(p);
  auto b = browser({"keys", p.base(), "a,Enter,Shift+B"});
  std::string line = waitLine(*b, "result", 60000ms);
  INFO(line);
  JsonDoc r(line);
  REQUIRE(r.root);
  INFO(jstr(r.root, "error"));
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  JsonArray *responses = jarr(r.root, "responses");
  REQUIRE(jlen(responses) >= 9);
  for (guint i = 0; i < jlen(responses); i++) {
    JsonObject *o = jat(responses, i);
    CHECK(jstr(o, "type") == "ControlResponseMessage");
    CHECK(jnull(o, "error"));
  }
  auto nav = rec->nav();
  std::vector<std::string> keys, buttons;
  for (auto &n : nav) {
    if (n.rfind("Key", 0) == 0)
      keys.push_back(n);
    if (n.rfind("MouseButton", 0) == 0)
      buttons.push_back(n);
  }
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
  b->wait(20000ms);
}

TEST_CASE("keys pressed in the page reach a Wayland client in sway", "[webrtcsink][browser][sway]")
{
  REQUIRE_BROWSER();
  std::string why = SwaySession::unavailableReason();
  if (!why.empty())
    VDI_SKIP(why);
  if (!g_file_test(helperPath("vdi-input-client").c_str(), G_FILE_TEST_IS_EXECUTABLE))
    VDI_SKIP("vdi-input-client not built");
  SwaySession sway;
  auto client = sway.spawnClient({helperPath("vdi-input-client")});
  REQUIRE(client->waitFor("configured", 15000ms));
  Pipeline p("vdiwaylandsrc show-cursor=false display=\"" + sway.display() +
             "\" ! videoconvert ! x264enc name=enc tune=zerolatency speed-preset=ultrafast "
             "key-int-max=100000");
  auto b = browser({"keys", p.base(), "x,y,Shift+Z"});
  std::string line = waitLine(*b, "result", 60000ms);
  INFO(line);
  JsonDoc r(line);
  REQUIRE(r.root);
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  /* What the Wayland client got, in order. */
  std::vector<std::string> keys, seen;
  int64_t deadline = monotonicMs() + 10000;
  while (keys.size() < 6 && monotonicMs() < deadline) {
    auto l = client->readLine(500ms);
    if (!l)
      continue;
    seen.push_back(*l);
    if (l->rfind("key ", 0) == 0) {
      std::istringstream in(*l);
      std::string word, state, code, sym;
      in >> word >> state >> code >> sym;
      keys.push_back(state + " " + sym);
    }
  }
  std::string history;
  for (auto &l : seen)
    history += l + "\n";
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
  Pipeline p(kSource, "viewer-control=none");
  auto rec = recordAboveEncoder(p);
  auto b = browser({"keys", p.base(), "a"});
  JsonDoc r(waitLine(*b, "result", 60000ms));
  REQUIRE(r.root);
  INFO(jstr(r.root, "error"));
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  JsonArray *responses = jarr(r.root, "responses");
  REQUIRE(jlen(responses) >= 5);
  for (guint i = 0; i < jlen(responses); i++) {
    JsonObject *o = jat(responses, i);
    REQUIRE_FALSE(jnull(o, "error"));
    CHECK(jstr(o, "error").find("view-only") != std::string::npos);
  }
  CHECK(rec->nav().empty());
  b->wait(20000ms);
}

TEST_CASE("viewer-control=first: only the longest-connected viewer controls",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  Pipeline p(kSource, "viewer-control=first");
  auto rec = recordAboveEncoder(p);
  auto b = browser({"control", p.base()});
  std::string line = waitLine(*b, "result", 60000ms);
  INFO(line);
  JsonDoc r(line);
  REQUIRE(r.root);
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  JsonArray *responses = jarr(r.root, "responses");
  REQUIRE(jlen(responses) == 3);
  CHECK(jnull(jat(responses, 0), "error")); /* first: allowed */
  CHECK(jstr(jat(responses, 1), "error").find("view-only") != std::string::npos); /* second */
  CHECK(jnull(jat(responses, 2), "error")); /* second, after the first left */
  std::vector<std::string> expected = {"KeyPress q", "KeyRelease q"};
  CHECK(rec->nav() == expected);
  b->wait(20000ms);
}

TEST_CASE("Opus audio on the audio pad reaches signalling and WHEP viewers",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  Pipeline p(kSource, " audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc "
                      "! sink.audio");
  auto b = browser({"audio", p.base(), "whep"});
  std::string line = waitLine(*b, "result", 60000ms);
  INFO(line);
  JsonDoc r(line);
  REQUIRE(r.root);
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  JsonArray *sessions = jarr(r.root, "sessions");
  REQUIRE(jlen(sessions) == 2); /* signalling, WHEP */
  for (guint i = 0; i < 2; i++) {
    JsonObject *s = jat(sessions, i);
    INFO("session " << i);
    CHECK(jint(s, "audioPackets") > 20); /* 20 ms Opus packets */
    CHECK(jint(s, "videoFrames") > 5);
    CHECK(g_ascii_strcasecmp(jstr(s, "audioCodec").c_str(), "audio/opus") == 0);
  }
  b->wait(20000ms);
  std::string error = p.busError();
  INFO(error);
  CHECK(error.empty());
}

TEST_CASE("malformed signalling gets an error and the connection stays usable",
          "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  Pipeline p(kSource);
  auto b = browser({"malformed", p.base()});
  JsonDoc r(waitLine(*b, "result", 60000ms));
  REQUIRE(r.root);
  INFO(jstr(r.root, "error"));
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  JsonArray *replies = jarr(r.root, "replies");
  REQUIRE(jlen(replies) == 8);
  for (guint i = 0; i < jlen(replies); i++) {
    JsonObject *o = jat(replies, i);
    INFO("reply " << i);
    CHECK(jstr(o, "type") == "error");
    CHECK(json_object_has_member(o, "details"));
  }
  CHECK(jint(r.root, "frames") >= 5);
  CHECK(jbool(r.root, "open"));
  b->wait(20000ms);
  CHECK(p.busError().empty());
}

TEST_CASE("a WHEP viewer decodes frames", "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  Pipeline p(kSource);
  auto b = browser({"whep", p.base()});
  std::string line = waitLine(*b, "event playing", 60000ms);
  if (line.empty())
    line = waitLine(*b, "result", 1000ms); /* the error, if any */
  INFO(line);
  JsonDoc playing(line);
  REQUIRE(playing.root);
  REQUIRE(json_object_has_member(playing.root, "resource"));
  CHECK(jint(playing.root, "frames") >= 10);
  CHECK(jint(playing.root, "width") == 640);
  std::string resource = jstr(playing.root, "resource");
  CHECK(resource.find(p.base() + "/whep/") == 0);
  CHECK(p.viewers() == 1);
  b->send("go");
  JsonDoc r(waitLine(*b, "result", 30000ms));
  REQUIRE(r.root);
  INFO(jstr(r.root, "error"));
  CHECK(jint(r.root, "secondDelete") == 404);
  CHECK(jint(r.root, "badPost") == 400);
  CHECK(jint(r.root, "patch") == 204);        /* trickle ICE fragment taken */
  CHECK(jint(r.root, "badPatch") == 415);     /* wrong content type */
  CHECK(jint(r.root, "patchUnknown") == 404); /* no such session */
  /* DELETE ended the session. */
  for (int i = 0; i < 200 && p.viewers() > 0; i++)
    std::this_thread::sleep_for(10ms);
  CHECK(p.viewers() == 0);
  b->wait(20000ms);
}

TEST_CASE("50 connect/disconnect cycles leave RSS and open fds flat", "[webrtcsink][browser]")
{
  REQUIRE_BROWSER();
  Pipeline p(kSource);
  auto b = browser({"cycles", p.base(), "50", "5"});
  REQUIRE_FALSE(waitLine(*b, "event warm", 90000ms).empty());
  for (int i = 0; i < 300 && p.viewers() > 0; i++)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(500ms);
  long rss0 = rssKb();
  int fds0 = openFds();
  b->send("go");
  JsonDoc r(waitLine(*b, "result", 180000ms));
  REQUIRE(r.root);
  INFO(jstr(r.root, "error"));
  REQUIRE_FALSE(json_object_has_member(r.root, "error"));
  CHECK(jint(r.root, "cycles") == 50);
  for (int i = 0; i < 500 && p.viewers() > 0; i++)
    std::this_thread::sleep_for(10ms);
  CHECK(p.viewers() == 0);
  std::this_thread::sleep_for(1000ms);
  long rss1 = rssKb();
  int fds1 = openFds();
  WARN("50 cycles in " << jint(r.root, "ms") << " ms; RSS " << rss0 << " -> " << rss1 << " kB, fds "
                       << fds0 << " -> " << fds1);
  INFO("open fds now: " << fdSummary());
  CHECK(fds1 <= fds0 + 2);
  CHECK(rss1 - rss0 < 12 * 1024); /* < 12 MB for 50 cycles: no per-viewer leak */
  b->send("quit");
  b->wait(20000ms);
  std::string error = p.busError();
  INFO(error);
  CHECK(error.empty());
}
