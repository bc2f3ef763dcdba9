/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdisrtsink with real clients over loopback: ffmpeg, GStreamer's srtsrc and
 * libsrt callers. Ports are picked by the kernel (uri srt://127.0.0.1:0).
 */

#include "srt-test-util.h"

#include <gst/video/video.h>
#include <srt/access_control.h>

#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

/* One session: a live solid colour (0xRRGGBB), H.264 with a 10 s GOP so
 * that a fast first frame proves the keyframe-on-join. */
std::string session(const std::string &name, const char *argb, const std::string &extra = "")
{
  return "videotestsrc is-live=true pattern=solid-color foreground-color=" + std::string(argb) +
         " ! video/x-raw,width=320,height=240,framerate=30/1 ! x264enc tune=zerolatency "
         "speed-preset=ultrafast key-int-max=300 bitrate=500 ! h264parse config-interval=-1 "
         "! mpegtsmux alignment=7 ! s.sink_" +
         name + " " + extra;
}

constexpr const char *RED = "0xffff0000";
constexpr const char *BLUE = "0xff0000ff";
constexpr const char *GREEN = "0xff00ff00";

struct Server {
  PipelinePtr pipeline;
  GstElement *sink = nullptr;
  int port = 0;

  explicit Server(const std::string &sessions, const std::string &props = "")
  {
    pipeline = launch("vdisrtsink name=s uri=srt://127.0.0.1:0 " + props + " " + sessions);
    sink = child(pipeline.get(), "s");
    REQUIRE(gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    g_object_get(sink, "port", &port, nullptr);
    REQUIRE(port > 0);
  }
  std::string url(const std::string &streamid) const
  {
    return "srt://127.0.0.1:" + std::to_string(port) + "?streamid=" + streamid;
  }
  /* Element messages named @name posted so far. */
  std::vector<GstStructure *> messages(const char *name, std::chrono::milliseconds wait = 0ms)
  {
    std::vector<GstStructure *> out;
    GstBus *bus = gst_element_get_bus(pipeline.get());
    int64_t deadline = monotonicMs() + wait.count();
    while (true) {
      GstMessage *m = gst_bus_timed_pop_filtered(bus, 10 * GST_MSECOND, GST_MESSAGE_ELEMENT);
      if (m) {
        const GstStructure *s = gst_message_get_structure(m);
        if (gst_structure_has_name(s, name))
          out.push_back(gst_structure_copy(s));
        gst_message_unref(m);
        continue;
      }
      if (!out.empty() || monotonicMs() >= deadline)
        break;
    }
    gst_object_unref(bus);
    return out;
  }
  guint callers()
  {
    GstStructure *stats = nullptr;
    g_object_get(sink, "stats", &stats, nullptr);
    guint n = 0;
    gst_structure_get_uint(stats, "callers", &n);
    gst_structure_free(stats);
    return n;
  }
};

void freeAll(std::vector<GstStructure *> &v)
{
  for (auto *s : v)
    gst_structure_free(s);
  v.clear();
}

#define REQUIRE_TOOLS()                                                                            \
  do {                                                                                             \
    if (!haveElement("vdisrtsink"))                                                                \
      FAIL("vdisrtsink is not registered (plugin not built?)");                                    \
    if (!haveElement("x264enc"))                                                                   \
      VDI_SKIP("x264enc is not installed (gstreamer1.0-plugins-ugly)");                            \
  } while (0)

/* An in-process srtsrc reader that decodes and records frame colours. */
struct SrtsrcReader {
  PipelinePtr pipeline;
  std::mutex lock;
  std::vector<std::pair<int64_t, Rgb>> frames; /* (ms, colour) */
  int64_t started = 0;

  explicit SrtsrcReader(const std::string &url)
  {
    pipeline = launch("srtsrc uri=\"" + url +
                      "\" latency=125 ! tsdemux ! h264parse ! avdec_h264 ! videoconvert ! "
                      "videoscale ! video/x-raw,format=RGB,width=8,height=8 ! appsink name=out "
                      "sync=false emit-signals=true");
    GstElement *out = child(pipeline.get(), "out");
    g_signal_connect(out, "new-sample", G_CALLBACK(+[](GstElement *sink, gpointer data) {
                       auto *self = static_cast<SrtsrcReader *>(data);
                       GstSample *s = gst_app_sink_pull_sample(GST_APP_SINK(sink));
                       GstMapInfo map;
                       GstBuffer *b = gst_sample_get_buffer(s);
                       gst_buffer_map(b, &map, GST_MAP_READ);
                       /* RGB rows of 8 pixels, stride 24 */
                       Rgb c = meanColor(map.data, 64);
                       gst_buffer_unmap(b, &map);
                       gst_sample_unref(s);
                       std::lock_guard<std::mutex> l(self->lock);
                       self->frames.emplace_back(monotonicMs(), c);
                       return GST_FLOW_OK;
                     }),
                     this);
    started = monotonicMs();
    gst_element_set_state(pipeline.get(), GST_STATE_PLAYING);
  }
  /* Stop the pipeline before the members its callback uses go. */
  ~SrtsrcReader() { pipeline.reset(); }
  size_t count()
  {
    std::lock_guard<std::mutex> l(lock);
    return frames.size();
  }
  bool waitFrames(size_t n, std::chrono::milliseconds timeout)
  {
    return eventually(timeout, [&] { return count() >= n; });
  }
  std::pair<int64_t, Rgb> frame(size_t i)
  {
    std::lock_guard<std::mutex> l(lock);
    return frames.at(i);
  }
};

} // namespace

TEST_CASE("srtsink: ffmpeg reads two sessions at once, each its own content", "[srt]")
{
  REQUIRE_TOOLS();
  if (!haveProgram("ffmpeg"))
    VDI_SKIP("ffmpeg is not installed");
  Server srv(session("A", RED) + session("B", BLUE));

  std::vector<Rgb> a, b;
  std::string log_a, log_b;
  std::thread ta([&] { a = ffmpegFrames(srv.url("read:A"), 5, 20s, &log_a); });
  std::thread tb([&] { b = ffmpegFrames(srv.url("read:B"), 5, 20s, &log_b); });
  ta.join();
  tb.join();
  INFO("ffmpeg A: " << log_a << " ffmpeg B: " << log_b);
  REQUIRE(a.size() == 5);
  REQUIRE(b.size() == 5);
  for (auto &c : a) {
    INFO(c);
    CHECK(near(c, 255, 0, 0));
  }
  for (auto &c : b) {
    INFO(c);
    CHECK(near(c, 0, 0, 255));
  }
  /* The first decoded frame was a clean one: ffmpeg logged no decode errors. */
  CHECK(log_a.find("non-existing PPS") == std::string::npos);
  CHECK(log_a.find("no frame") == std::string::npos);

  auto added = srv.messages("vdisrtsink-caller-added", 2s);
  CHECK(added.size() >= 1);
  freeAll(added);
}

TEST_CASE("srtsink: srtsrc reads two sessions, first frame within a second", "[srt]")
{
  REQUIRE_TOOLS();
  Server srv(session("A", RED) + session("B", GREEN));
  std::atomic<int> added{0};
  g_signal_connect(srv.sink, "caller-added",
                   G_CALLBACK(+[](GstElement *, const char *, guint64, const char *, gpointer d) {
                     (*static_cast<std::atomic<int> *>(d))++;
                   }),
                   &added);

  /* Let the 10 s GOP's first keyframe go by: joining later must still be
   * fast, which only a keyframe on join gives. */
  std::this_thread::sleep_for(1500ms);
  SrtsrcReader a(srv.url("read:A"));
  /* '#' starts a URI fragment: escape it (srtsrc unescapes the query). */
  SrtsrcReader b(srv.url("%23!::r=B,m=request"));
  REQUIRE(a.waitFrames(10, 10s));
  REQUIRE(b.waitFrames(10, 10s));
  int64_t first_a = a.frame(0).first - a.started;
  int64_t first_b = b.frame(0).first - b.started;
  INFO("first frame after " << first_a << " ms (A), " << first_b << " ms (B)");
  /* Generous for a loaded machine, far below the 10 s GOP. */
  CHECK(first_a < 3000);
  CHECK(first_b < 3000);
  for (size_t i = 0; i < 10; i++) {
    INFO("frame " << i << ": A " << a.frame(i).second << " B " << b.frame(i).second);
    CHECK(near(a.frame(i).second, 255, 0, 0));
    CHECK(near(b.frame(i).second, 0, 255, 0));
  }
  CHECK(added == 2);

  /* Stats show both callers with data sent. */
  GstStructure *stats = nullptr;
  g_object_get(srv.sink, "stats", &stats, nullptr);
  REQUIRE(stats);
  guint callers = 0;
  CHECK(gst_structure_get_uint(stats, "callers", &callers));
  CHECK(callers == 2);
  const GValue *sessions = gst_structure_get_value(stats, "sessions");
  REQUIRE(gst_value_array_get_size(sessions) == 2);
  for (guint i = 0; i < 2; i++) {
    const GstStructure *s = gst_value_get_structure(gst_value_array_get_value(sessions, i));
    const GValue *cs = gst_structure_get_value(s, "callers");
    REQUIRE(gst_value_array_get_size(cs) == 1);
    const GstStructure *c = gst_value_get_structure(gst_value_array_get_value(cs, 0));
    guint64 bytes = 0;
    CHECK(gst_structure_get_uint64(c, "bytes-sent", &bytes));
    CHECK(bytes > 1000);
    gboolean waiting = TRUE;
    CHECK(gst_structure_get_boolean(c, "waiting-keyframe", &waiting));
    CHECK_FALSE(waiting);
    CHECK(gst_structure_has_field(c, "rtt-ms"));
    CHECK(gst_structure_has_field(c, "packets-retransmitted"));
    CHECK(gst_structure_has_field(c, "bandwidth-mbps"));
  }
  gst_structure_free(stats);
}

TEST_CASE("srtsink: refusals carry SRT reject reasons", "[srt]")
{
  REQUIRE_TOOLS();
  Server srv(session("A", RED) + session("S", BLUE) + session("P", GREEN) + session("F", RED),
             "sink_S::user=ann sink_S::password=pw1 sink_P::passphrase=0123456789abcdef");
  bool refuse_f = true;
  g_signal_connect(srv.sink, "authenticate",
                   G_CALLBACK(+[](GstElement *, const char *session, const char *user,
                                  const char *pass, const char *addr, gpointer d) -> gboolean {
                     bool refuse = *static_cast<bool *>(d);
                     return !(refuse && g_str_equal(session, "F"));
                   }),
                   &refuse_f);

  struct Case {
    std::string streamid;
    std::string passphrase;
    int reason; /* 0: admitted */
  };
  std::vector<Case> cases = {
    {"read:nope", "", SRT_REJX_NOTFOUND},
    {"#!::r=nope,m=request", "", SRT_REJX_NOTFOUND},
    {"publish:A", "", SRT_REJX_BAD_MODE},
    {"#!::r=A,m=publish", "", SRT_REJX_BAD_MODE},
    {"garbage", "", SRT_REJX_BAD_REQUEST},
    {"", "", SRT_REJX_BAD_REQUEST},
    {"read:S", "", SRT_REJX_UNAUTHORIZED},
    {"read:S:ann:wrong", "", SRT_REJX_UNAUTHORIZED},
    {"read:S:bob:pw1", "", SRT_REJX_UNAUTHORIZED},
    {"read:F", "", SRT_REJX_FORBIDDEN},
    {"read:P", "wrong-passphrase", -1}, /* refused by libsrt: bad secret */
    {"read:P", "", -1},                 /* no passphrase at all */
    {"read:A", "", 0},
    {"read:S:ann:pw1", "", 0},
    {"#!::r=S,u=ann,s=pw1", "", 0},
    {"read:P", "0123456789abcdef", 0},
  };
  for (const Case &c : cases) {
    INFO("streamid \"" << c.streamid << "\" passphrase \"" << c.passphrase << "\"");
    SrtCaller caller;
    bool ok = caller.connect(srv.port, c.streamid, c.passphrase);
    INFO("error: " << caller.error() << " reason " << caller.rejectReason());
    if (c.reason == 0) {
      REQUIRE(ok);
      /* Data of that session arrives (a keyframe is requested on join). */
      std::string msg = caller.recv();
      CHECK(msg.size() >= 188);
      CHECK(uint8_t(msg[0]) == 0x47);
    } else {
      CHECK_FALSE(ok);
      if (c.reason > 0)
        CHECK(caller.rejectReason() == c.reason);
      else /* libsrt's own: wrong secret, or none where one is needed */
        CHECK((caller.rejectReason() == SRT_REJ_BADSECRET ||
               caller.rejectReason() == SRT_REJ_UNSECURE));
    }
  }

  /* The application heard about the refusals, with the reason. */
  auto rejected = srv.messages("vdisrtsink-caller-rejected", 2s);
  std::this_thread::sleep_for(200ms);
  auto more = srv.messages("vdisrtsink-caller-rejected", 200ms);
  rejected.insert(rejected.end(), more.begin(), more.end());
  CHECK(rejected.size() == 10);
  bool saw_404 = false;
  for (auto *s : rejected) {
    int reason = 0;
    gst_structure_get_int(s, "reject-reason", &reason);
    if (reason == SRT_REJX_NOTFOUND) {
      saw_404 = true;
      CHECK(std::string(gst_structure_get_string(s, "reason")).find("not found") !=
            std::string::npos);
    }
  }
  CHECK(saw_404);
  freeAll(rejected);

  /* ffmpeg, a real player, is refused too. */
  if (haveProgram("ffprobe")) {
    Process probe({"ffprobe", "-v", "error", srv.url("read:nope")});
    auto status = probe.wait(15s);
    REQUIRE(status);
    CHECK(WEXITSTATUS(*status) != 0);
  }
}

TEST_CASE("srtsink: a stalled caller does not slow the others and is dropped", "[srt]")
{
  REQUIRE_TOOLS();
  /* Before the server: its teardown removes the last caller. */
  struct Removed {
    std::mutex lock;
    std::vector<std::string> addresses;
  } removed;
  Server srv(session("A", RED), "caller-timeout=2000");
  g_signal_connect(
    srv.sink, "caller-removed",
    G_CALLBACK(+[](GstElement *, const char *session, guint64 id, const char *addr, gpointer d) {
      auto *r = static_cast<Removed *>(d);
      std::lock_guard<std::mutex> l(r->lock);
      r->addresses.push_back(addr);
    }),
    &removed);

  /* The slow one: a separate gst-launch reader we freeze with SIGSTOP. */
  Process frozen({"gst-launch-1.0", "-q", "srtsrc", "uri=" + srv.url("read:A"), "!", "fakesink"});
  SrtsrcReader good(srv.url("read:A"));
  REQUIRE(good.waitFrames(5, 10s));
  REQUIRE(eventually(10s, [&] { return srv.callers() == 2; }));

  REQUIRE(::kill(frozen.pid(), SIGSTOP) == 0);
  size_t before = good.count();
  std::this_thread::sleep_for(4000ms);
  size_t during = good.count() - before;
  INFO("frames decoded by the good reader in 4 s while the other was frozen: " << during);
  /* 30 fps for 4 s is 120 frames; a reader held up by the frozen one would
   * get next to none. Slack for a loaded machine. */
  CHECK(during >= 75);

  /* The frozen caller was disconnected (SRT peer idle / stall timeout). */
  CHECK(eventually(8s, [&] { return srv.callers() == 1; }));
  {
    std::lock_guard<std::mutex> l(removed.lock);
    CHECK(removed.addresses.size() == 1);
  }
  ::kill(frozen.pid(), SIGCONT);
  frozen.kill();
  size_t after = good.count();
  CHECK(eventually(5s, [&] { return good.count() - after >= 20; }));
}

TEST_CASE("srtsink: 100 connect/disconnect cycles leave RSS and fds flat", "[srt]")
{
  REQUIRE_TOOLS();
  Server srv(session("A", RED));
  auto cycle = [&](int n) {
    for (int i = 0; i < n; i++) {
      SrtCaller c;
      REQUIRE(c.connect(srv.port, "read:A"));
      REQUIRE(c.recv().size() >= 188);
    }
  };
  auto settle = [&] {
    /* libsrt closes sockets in its garbage collector, about once a second. */
    eventually(10s, [&] { return srv.callers() == 0; });
    /* ...and their file descriptors within a GC round or two: the count
     * is settled once it held still over 2.5 s. */
    int last = openFds();
    eventually(
      15s,
      [&] {
        int now = openFds();
        bool stable = now == last;
        last = now;
        return stable;
      },
      2500ms);
  };
  cycle(10); /* warm-up: libsrt's and GStreamer's one-time allocations */
  settle();
  int fds0 = openFds();
  long rss0 = rssKb();
  cycle(100);
  eventually(10s, [&] { return srv.callers() == 0; });
  /* A leak never comes back down; what libsrt still holds does. */
  int fds1 = 0;
  long rss1 = 0;
  eventually(
    15s,
    [&] {
      fds1 = openFds();
      rss1 = rssKb();
      return fds1 <= fds0 + 2 && rss1 - rss0 < 8 * 1024;
    },
    100ms);
  INFO("fds " << fds0 << " -> " << fds1 << ", RSS " << rss0 << " kB -> " << rss1 << " kB");
  CHECK(srv.callers() == 0);
  CHECK(fds1 <= fds0 + 2);
  CHECK(rss1 - rss0 < 8 * 1024);
}

TEST_CASE("srtsink: sessions come and go while callers stay", "[srt]")
{
  REQUIRE_TOOLS();
  Server srv(session("A", RED));
  SrtCaller a;
  REQUIRE(a.connect(srv.port, "read:A"));
  REQUIRE(a.recv().size() >= 188);

  /* Add session B to the running pipeline. */
  GstElement *branch = gst_parse_bin_from_description(
    "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=30/1 ! x264enc "
    "tune=zerolatency speed-preset=ultrafast ! mpegtsmux alignment=7",
    TRUE, nullptr);
  REQUIRE(branch);
  gst_bin_add(GST_BIN(srv.pipeline.get()), branch);
  GstPad *pad = gst_element_request_pad_simple(srv.sink, "sink_B");
  REQUIRE(pad);
  GstPad *src = gst_element_get_static_pad(branch, "src");
  REQUIRE(gst_pad_link(src, pad) == GST_PAD_LINK_OK);
  gst_object_unref(src);
  gst_element_sync_state_with_parent(branch);
  SrtCaller b;
  REQUIRE(b.connect(srv.port, "read:B"));
  REQUIRE(b.recv().size() >= 188);
  CHECK(a.recv().size() >= 188);

  /* Remove session B: its caller is dropped, A's is not. */
  gst_element_set_locked_state(branch, TRUE);
  gst_element_set_state(branch, GST_STATE_NULL);
  gst_element_release_request_pad(srv.sink, pad);
  gst_object_unref(pad);
  gst_bin_remove(GST_BIN(srv.pipeline.get()), branch);
  /* What was in flight drains, then the connection ends. */
  int drained = 0;
  while (!b.recv().empty() && drained < 2000)
    drained++;
  CHECK(drained < 2000);
  CHECK(a.recv().size() >= 188);
  SrtCaller b2;
  CHECK_FALSE(b2.connect(srv.port, "read:B"));
  CHECK(b2.rejectReason() == SRT_REJX_NOTFOUND);
}

TEST_CASE("srtsink: bad settings fail with a clear error", "[srt]")
{
  if (!haveElement("vdisrtsink"))
    FAIL("vdisrtsink is not registered");
  struct Case {
    std::string props;
    std::string expect;
  } cases[] = {
    {"uri=http://127.0.0.1:1234", "does not start with srt://"},
    {"uri=srt://127.0.0.1", "has no port"},
    {"uri=srt://127.0.0.1:99999", "invalid port"},
    {"uri=srt://127.0.0.1:0?mode=caller", "always the listener"},
    {"uri=srt://no.such.host.invalid:0", "cannot resolve"},
    {"uri=srt://127.0.0.1:0 passphrase=short", "passphrase"},
    {"uri=srt://127.0.0.1:0 pbkeylen=20", "pbkeylen"},
  };
  for (const Case &c : cases) {
    INFO(c.props);
    PipelinePtr p = launch("fakesrc num-buffers=0 ! vdisrtsink name=s " + c.props);
    GstBus *bus = gst_element_get_bus(p.get());
    CHECK(gst_element_set_state(p.get(), GST_STATE_READY) == GST_STATE_CHANGE_FAILURE);
    std::string err = waitForError(bus, 2s);
    gst_object_unref(bus);
    CHECK(err.find(c.expect) != std::string::npos);
  }

  /* A port in use. */
  Server srv(session("A", RED));
  PipelinePtr p =
    launch("fakesrc num-buffers=0 ! vdisrtsink uri=srt://127.0.0.1:" + std::to_string(srv.port));
  GstBus *bus = gst_element_get_bus(p.get());
  CHECK(gst_element_set_state(p.get(), GST_STATE_READY) == GST_STATE_CHANGE_FAILURE);
  std::string err = waitForError(bus, 2s);
  gst_object_unref(bus);
  CHECK(err.find("Cannot serve SRT") != std::string::npos);

  /* Bad pad names are refused, not crashed on. */
  GstElement *sink = gst_element_factory_make("vdisrtsink", nullptr);
  gst_object_ref_sink(sink);
  for (const char *name : {"sink_a:b", "sink_a b", "sink_", "sink_x,y"}) {
    INFO(name);
    CHECK(gst_element_request_pad_simple(sink, name) == nullptr);
  }
  GstPad *ok = gst_element_request_pad_simple(sink, "sink_desk1");
  CHECK(ok);
  gst_element_release_request_pad(sink, ok);
  gst_object_unref(ok);
  gst_object_unref(sink);
}

TEST_CASE("srtsink: EOS on every pad posts EOS", "[srt]")
{
  REQUIRE_TOOLS();
  PipelinePtr p =
    launch("vdisrtsink name=s uri=srt://127.0.0.1:0 "
           "videotestsrc num-buffers=10 ! x264enc ! mpegtsmux alignment=7 ! s.sink_A "
           "videotestsrc num-buffers=20 ! x264enc ! mpegtsmux alignment=7 ! s.sink_B");
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(p.get());
  GstMessage *m = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND,
                                             GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  REQUIRE(m);
  CHECK(GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS);
  gst_message_unref(m);
  gst_object_unref(bus);
}
