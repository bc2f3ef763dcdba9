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

/* Tests that type into the recording client need sway and the client. */
#define REQUIRE_INPUT_CLIENT()                                                                     \
  do {                                                                                             \
    REQUIRE_SWAY();                                                                                \
    if (!g_file_test(helperPath("vdi-input-client").c_str(), G_FILE_TEST_IS_EXECUTABLE))           \
      VDI_SKIP("vdi-input-client not built");                                                      \
  } while (0)

/* The recording client (tests/clients/vdi-input-client), mapped in @sway. */
std::unique_ptr<Process> spawnInputClient(SwaySession &sway)
{
  auto client = sway.spawnClient({helperPath("vdi-input-client")});
  REQUIRE(client->waitFor("configured", 15000ms));
  return client;
}

/* A playing pipeline ending in `vdiwebrtcsink name=sink`, serving HTTP on
 * a free loopback port, or (Relayed) without a server: port=-1, signalling
 * and WHEP relayed through the action signals as vdid does, gathering ICE
 * on loopback. */
class Pipeline
{
public:
  enum class Mode { Served, Relayed };
  explicit Pipeline(const std::string &head, const std::string &sinkProps = "",
                    Mode mode = Mode::Served)
  {
    std::string desc = head + " ! vdiwebrtcsink name=sink ";
    if (mode == Mode::Served)
      desc += "port=0 address=127.0.0.1 web-root=\"" + playerDir() + "\" ";
    GError *err = nullptr;
    pipeline_ = gst_parse_launch((desc + sinkProps).c_str(), &err);
    if (err) {
      FAIL("pipeline: " << err->message);
    }
    sink_ = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
    if (mode == Mode::Relayed)
      gst_util_set_object_arg(G_OBJECT(sink_), "ice-addresses", "<\"127.0.0.1\">");
    REQUIRE(gst_element_set_state(pipeline_, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    if (mode == Mode::Relayed)
      return;
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
  /* Clean loopback feedback never lowers the encoder's bitrate from the
   * 1500 kbit/s it started at. (It does not raise it either: the ball needs
   * less than that, and with transport-wide CC the estimate never climbs
   * past 1.5x what arrives; test-webrtc-congestion proves the climb.) */
  GstElement *enc = p.get("enc");
  guint kbps = 0;
  g_object_get(enc, "bitrate", &kbps, nullptr);
  gst_object_unref(enc);
  CHECK(kbps >= 1500);
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
  REQUIRE_INPUT_CLIENT();
  SwaySession sway;
  auto client = spawnInputClient(sway);
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
  REQUIRE(jlen(replies) == 7);
  CHECK(jbool(r.root, "ignored"));
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

/* ---- relayed WHEP, roles, clipboard and layout over the data channel -------- */

namespace {

/* A relayed pipeline (see Pipeline) with what the relay tests look at. */
class RelayPipeline : public Pipeline
{
public:
  explicit RelayPipeline(const std::string &head, const std::string &sinkProps = "")
    : Pipeline(head, sinkProps, Mode::Relayed)
  {
  }

  /* The stats structure of the one viewer there is (a copy), or null. */
  GstStructure *viewerStats() const
  {
    GstStructure *stats = nullptr;
    g_object_get(sink(), "stats", &stats, nullptr);
    GstStructure *out = nullptr;
    for (int i = 0; stats && i < gst_structure_n_fields(stats); i++) {
      const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
      if (GST_VALUE_HOLDS_STRUCTURE(v) && !out)
        out = gst_structure_copy(gst_value_get_structure(v));
    }
    if (stats)
      gst_structure_free(stats);
    return out;
  }
  /* Waits for an element message @name from an element whose factory is
   * @factory; returns a copy of its structure or null. */
  GstStructure *waitElementMessage(const char *name, const char *factory,
                                   std::chrono::milliseconds timeout)
  {
    g_autoptr(GstBus) bus = gst_element_get_bus(pipeline());
    int64_t deadline = monotonicMs() + timeout.count();
    while (monotonicMs() < deadline) {
      GstMessage *m = gst_bus_timed_pop_filtered(bus, 100 * GST_MSECOND, GST_MESSAGE_ELEMENT);
      if (!m)
        continue;
      GstElementFactory *f = GST_IS_ELEMENT(GST_MESSAGE_SRC(m))
                               ? gst_element_get_factory(GST_ELEMENT(GST_MESSAGE_SRC(m)))
                               : nullptr;
      GstStructure *out = nullptr;
      if (gst_message_has_name(m, name) && f && !strcmp(GST_OBJECT_NAME(f), factory))
        out = gst_structure_copy(gst_message_get_structure(m));
      gst_message_unref(m);
      if (out)
        return out;
    }
    return nullptr;
  }
};

/* Real Chromium as a consumer whose signalling the test relays through
 * add-peer / handle-message / send-message (tests/browser/webrtc.mjs
 * "relay": a blank page, its own RTCPeerConnection, stdio transport). */
class RelayedViewer
{
public:
  explicit RelayedViewer(GstElement *sink) : sink_(sink)
  {
    g_autofree char *producer = nullptr;
    g_object_get(sink, "peer-id", &producer, nullptr);
    browser_ = browser({"relay", "-", producer});
    handler_ = g_signal_connect(sink, "send-message", G_CALLBACK(onSend), this);
    /* The element greets the peer only after add-peer returned: holding the
     * lock the handler takes around the call is all a relay needs. */
    std::lock_guard<std::mutex> l(lock_);
    g_autofree gchar *peer = nullptr;
    g_signal_emit_by_name(sink, "add-peer", &peer);
    REQUIRE(peer);
    peer_ = peer;
  }
  ~RelayedViewer()
  {
    g_signal_handler_disconnect(sink_, handler_);
    {
      std::lock_guard<std::mutex> l(lock_);
      browser_->send("quit");
    }
    browser_->wait(20000ms);
    g_signal_emit_by_name(sink_, "remove-peer", peer_.c_str());
  }
  RelayedViewer(const RelayedViewer &) = delete;
  RelayedViewer &operator=(const RelayedViewer &) = delete;

  const std::string &peer() const { return peer_; }

  /* Reads the browser's output, relaying its signalling, until a line
   * "event NAME JSON"; returns JSON. Other data-channel messages seen on
   * the way are kept in channel. */
  std::optional<std::string> pump(const std::string &name, std::chrono::milliseconds timeout)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    const std::string want = "event " + name + " ";
    while (monotonicMs() < deadline) {
      auto line = browser_->readLine(std::chrono::milliseconds(deadline - monotonicMs()));
      if (!line)
        break;
      if (line->rfind("event send ", 0) == 0) {
        g_signal_emit_by_name(sink_, "handle-message", peer_.c_str(), line->c_str() + 11);
        continue;
      }
      if (line->rfind(want, 0) == 0)
        return line->substr(want.size());
      if (line->rfind("event channel ", 0) == 0)
        channel.push_back(line->substr(14));
      else
        log += *line + "\n";
    }
    return std::nullopt;
  }

  /* Sends @json (an input message with "id":@id) on the data channel and
   * returns the ControlResponseMessage for it ("" after a timeout). */
  std::string request(int id, const std::string &json)
  {
    {
      std::lock_guard<std::mutex> l(lock_);
      browser_->send("send " + json);
    }
    int64_t deadline = monotonicMs() + 10000;
    while (monotonicMs() < deadline) {
      auto r = pump("response", std::chrono::milliseconds(deadline - monotonicMs()));
      if (!r)
        break;
      JsonDoc d(*r);
      if (jint(d.root, "id") == id)
        return *r;
    }
    return "";
  }

  /* The first data-channel message of @type (kept or arriving within
   * @timeout), removed from channel; "" if none. */
  std::string channelMessage(const std::string &type, std::chrono::milliseconds timeout)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    do {
      for (auto it = channel.begin(); it != channel.end(); ++it) {
        JsonDoc d(*it);
        if (jstr(d.root, "type") == type) {
          std::string out = *it;
          channel.erase(it);
          return out;
        }
      }
      auto r = pump("channel", std::chrono::milliseconds(std::max<int64_t>(
                                 1, std::min<int64_t>(200, deadline - monotonicMs()))));
      if (r)
        channel.push_back(*r);
    } while (monotonicMs() < deadline);
    return "";
  }

  std::vector<std::string> channel;
  std::string log; /* lines not otherwise consumed, for failure messages */

private:
  static void onSend(GstElement *, const char *peer, const char *json, gpointer data)
  {
    auto *self = static_cast<RelayedViewer *>(data);
    std::lock_guard<std::mutex> l(self->lock_);
    if (self->peer_ == peer)
      self->browser_->send(std::string("msg ") + json);
  }

  GstElement *sink_;
  std::unique_ptr<Process> browser_;
  gulong handler_ = 0;
  std::mutex lock_; /* peer_ and writes to the browser's stdin */
  std::string peer_;
};

std::string navigationJson(int id, const char *event, const char *key)
{
  return "{\"id\":" + std::to_string(id) +
         ",\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"" + event +
         "\",\"key\":\"" + key + "\"}}}";
}

std::string customJson(int id, const char *name, const std::string &structure)
{
  return "{\"id\":" + std::to_string(id) +
         ",\"request\":{\"type\":\"customUpstreamEvent\",\"structureName\":\"" + name +
         "\",\"structure\":" + structure + "}}";
}

std::string base64(const std::string &s)
{
  g_autofree char *b = g_base64_encode(reinterpret_cast<const guchar *>(s.data()), s.size());
  return b;
}

std::string unbase64(const std::string &s)
{
  gsize n = 0;
  g_autofree guchar *d = g_base64_decode(s.c_str(), &n);
  return std::string(reinterpret_cast<const char *>(d), n);
}

std::string readWholeFile(const std::string &path)
{
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct WhepAnswers {
  struct Answer {
    std::string resource;
    guint status;
    std::string body;
  };
  std::mutex lock;
  std::vector<Answer> answers;
  static void onAnswer(GstElement *, const char *resource, guint status, const char *body,
                       gpointer data)
  {
    auto *self = static_cast<WhepAnswers *>(data);
    std::lock_guard<std::mutex> l(self->lock);
    self->answers.push_back({resource ? resource : "", status, body ? body : ""});
  }
  std::optional<Answer> waitFor(const std::string &resource, std::chrono::milliseconds timeout)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    while (monotonicMs() < deadline) {
      {
        std::lock_guard<std::mutex> l(lock);
        for (auto &a : answers)
          if (a.resource == resource)
            return a;
      }
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }
  size_t count()
  {
    std::lock_guard<std::mutex> l(lock);
    return answers.size();
  }
};

guint whepPatch(GstElement *sink, const char *resource, const char *fragment)
{
  guint status = 0;
  g_signal_emit_by_name(sink, "whep-patch", resource, fragment, &status);
  return status;
}

guint whepDelete(GstElement *sink, const char *resource)
{
  guint status = 0;
  g_signal_emit_by_name(sink, "whep-delete", resource, &status);
  return status;
}

const char *kFragment = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
                        "m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                        "a=candidate:1 1 udp 2113937151 127.0.0.1 9 typ host\r\n";

} // namespace

TEST_CASE("relayed WHEP: unknown resources and refusals without a browser", "[webrtcsink]")
{
  RelayPipeline p(kSource, "max-viewers=1");
  WhepAnswers answers;
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
  Relay relay;
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
  std::this_thread::sleep_for(300ms);
  CHECK(answers.count() == before);

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
  g_free(peer);

  /* Not started: nothing to call into. */
  GstElement *idle = gst_element_factory_make("vdiwebrtcsink", nullptr);
  gchar *none = reinterpret_cast<gchar *>(1);
  g_signal_emit_by_name(idle, "whep-offer", "v=0\r\n", &none);
  CHECK(none == nullptr);
  CHECK(whepDelete(idle, "x") == 404);
  gst_object_unref(idle);
}

TEST_CASE("relayed WHEP: Chromium decodes a sway desktop through whep-offer/whep-answer",
          "[webrtcsink][browser][sway]")
{
  REQUIRE_BROWSER();
  REQUIRE_SWAY();
  SwaySession sway;
  /* keepalive=50: a still desktop still gives 20 frames per second. */
  RelayPipeline p("vdiwaylandsrc keepalive=50 show-cursor=false display=\"" + sway.display() +
                  "\" ! videoconvert ! x264enc name=enc tune=zerolatency "
                  "speed-preset=ultrafast key-int-max=100000");
  WhepAnswers answers;
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
  GstElement *enc = gst_bin_get_by_name(GST_BIN(p.pipeline()), "enc");
  GstPad *encSink = gst_element_get_static_pad(enc, "sink");
  UpstreamRecorder rec(encSink);
  gst_object_unref(encSink);
  gst_object_unref(enc);

  RelayedViewer v(p.sink());
  auto ready = v.pump("ready", 60000ms);
  INFO(v.log);
  REQUIRE(ready);

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
  CHECK(rec.nav().empty());

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
  CHECK(rec.nav() == expected);
  vs = p.viewerStats();
  REQUIRE(vs);
  gst_structure_get_uint64(vs, "input-accepted", &accepted);
  gst_structure_get_uint64(vs, "input-dropped", &dropped);
  CHECK(accepted == 2);
  CHECK(dropped == 2);
  gst_structure_free(vs);
}

TEST_CASE("the clipboard crosses the data channel both ways through x264enc",
          "[webrtcsink][browser][sway][clipboard]")
{
  REQUIRE_BROWSER();
  REQUIRE_SWAY();
  SwaySession sway;
  RelayPipeline p("vdiwaylandsrc keepalive=100 show-cursor=false display=\"" + sway.display() +
                  "\" ! videoconvert ! x264enc name=enc tune=zerolatency "
                  "speed-preset=ultrafast key-int-max=100000");
  RelayedViewer v(p.sink());
  auto ready = v.pump("ready", 60000ms);
  INFO(v.log);
  REQUIRE(ready);

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
  SwaySession sway;
  auto client = spawnInputClient(sway);
  RelayPipeline p("vdiwaylandsrc keepalive=100 show-cursor=false display=\"" + sway.display() +
                  "\" ! videoconvert ! x264enc name=enc tune=zerolatency "
                  "speed-preset=ultrafast key-int-max=100000");
  RelayedViewer v(p.sink());
  auto ready = v.pump("ready", 60000ms);
  INFO(v.log);
  REQUIRE(ready);

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

  std::vector<std::string> syms, seen;
  std::vector<int> codes;
  int64_t deadline = monotonicMs() + 10000;
  while (syms.size() < 4 && monotonicMs() < deadline) {
    auto l = client->readLine(500ms);
    if (!l)
      continue;
    seen.push_back(*l);
    if (l->rfind("key pressed ", 0) == 0) {
      std::istringstream in(*l);
      std::string word, state, sym;
      int code = 0;
      in >> word >> state >> code >> sym;
      if (sym == "ISO_Level3_Shift" || sym == "Shift_L")
        continue; /* the level's modifier */
      syms.push_back(sym);
      codes.push_back(code);
    }
  }
  std::string history;
  for (auto &l : seen)
    history += l + "\n";
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
