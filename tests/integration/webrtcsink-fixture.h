/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the vdiwebrtcsink tests (test-webrtcsink-*.cpp, one binary) share:
 * the pipeline under test runs in the test process (so that pad probes,
 * element counts, RSS and fds can be checked in-process), real Chromium
 * runs through tests/browser/webrtc.mjs (playwright-core), and everything
 * travels over HTTP / WebSocket / WebRTC on 127.0.0.1 with a port picked at
 * run time. The relayed cases add webrtcsink-relay-fixture.h.
 */

#pragma once

#include "gst-util.h"
#include "json-doc.h"
#include "owned-probe.h"
#include "sway-session.h"
#include "test-util.h"

#include <gst/video/navigation.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

namespace vdi::test {

using namespace std::chrono_literals;

inline std::string env(const char *name, const char *fallback = "")
{
  const char *v = g_getenv(name);
  return v && *v ? v : fallback;
}

inline std::string playerDir()
{
  return env("VDI_BUILD_ROOT") + "/web";
}

/* Why browser tests cannot run here, or "". */
inline std::string browserUnavailable()
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

#define REQUIRE_BROWSER()                                                                          \
  do {                                                                                             \
    std::string why_ = vdi::test::browserUnavailable();                                            \
    if (!why_.empty())                                                                             \
      VDI_SKIP(why_);                                                                              \
  } while (0)

/* Tests that type into the recording client need sway and the client. */
#define REQUIRE_INPUT_CLIENT()                                                                     \
  do {                                                                                             \
    REQUIRE_SWAY();                                                                                \
    if (!g_file_test(helperPath("vdi-input-client").c_str(), G_FILE_TEST_IS_EXECUTABLE))           \
      VDI_SKIP("vdi-input-client not built");                                                      \
  } while (0)

/* The recording client (tests/clients/vdi-input-client), mapped in @sway. */
inline std::unique_ptr<Process> spawnInputClient(SwaySession &sway)
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
inline const char *kSource =
  "videotestsrc is-live=true pattern=ball ! "
  "video/x-raw,width=640,height=360,framerate=30/1 ! videoconvert ! "
  "x264enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max=100000 "
  "bitrate=1500";

inline std::unique_ptr<Process> browser(const std::vector<std::string> &args)
{
  std::vector<std::string> argv = {"node", env("VDI_SOURCE_ROOT") + "/tests/browser/webrtc.mjs"};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Process>(argv);
}

/* Reads lines until "result ..." (or "event NAME ..." when @event is set);
 * returns the JSON part. */
inline std::string waitLine(Process &p, const std::string &prefix,
                            std::chrono::milliseconds timeout)
{
  auto line = p.waitFor(prefix + " ", timeout);
  if (!line)
    return "";
  return line->substr(prefix.size() + 1);
}

inline int countElements(GstBin *bin, const char *klassPart, const char *factory = nullptr)
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

/* Upstream events seen on a pad. */
struct UpstreamEvents {
  std::mutex lock;
  std::vector<std::string> navigation; /* "KeyPress a", "MouseButtonPress 1 320 180" */
  std::vector<std::string> custom;     /* structure names */
  int forceKeyUnit = 0;

  void record(GstEvent *ev)
  {
    std::lock_guard<std::mutex> l(lock);
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
      navigation.push_back(s.str());
    } else if (gst_video_event_is_force_key_unit(ev)) {
      forceKeyUnit++;
    } else if (GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_UPSTREAM) {
      custom.push_back(gst_structure_get_name(gst_event_get_structure(ev)));
    }
  }
};

/* Records the upstream events on a pad. The events live in the probe
 * (OwnedProbe): a recorder that goes while its pipeline still streams
 * must not leave a running probe call with freed memory. */
class UpstreamRecorder
{
public:
  explicit UpstreamRecorder(GstPad *pad)
    : probe_(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, [](GstPadProbeInfo *info, UpstreamEvents &e) {
        e.record(GST_PAD_PROBE_INFO_EVENT(info));
        return GST_PAD_PROBE_OK;
      })
  {
  }
  std::vector<std::string> nav()
  {
    std::lock_guard<std::mutex> l(probe_->lock);
    return probe_->navigation;
  }
  int forceKeyUnits()
  {
    std::lock_guard<std::mutex> l(probe_->lock);
    return probe_->forceKeyUnit;
  }

private:
  OwnedProbe<UpstreamEvents> probe_;
};

/* "socket:12 anon_inode:[eventfd]:3 ..." for failure messages. */
inline std::string fdSummary()
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

/* The recorder sits on the encoder's sink pad: what it sees has crossed
 * the encoder on its way up to the source (vdiwaylandsrc injects it). */
inline std::unique_ptr<UpstreamRecorder> recordAboveEncoder(Pipeline &p)
{
  GstElement *enc = p.get("enc");
  GstPad *pad = gst_element_get_static_pad(enc, "sink");
  auto rec = std::make_unique<UpstreamRecorder>(pad);
  gst_object_unref(pad);
  gst_object_unref(enc);
  return rec;
}

/* The "result" (or @prefix) line of a browser script, parsed; the case
 * fails if there is none or it reports an error. */
inline std::unique_ptr<JsonDoc> browserResult(Process &b, std::chrono::milliseconds timeout,
                                              const std::string &prefix = "result")
{
  std::string line = waitLine(b, prefix, timeout);
  INFO(prefix << ": " << line);
  auto doc = std::make_unique<JsonDoc>(line);
  REQUIRE(doc->root);
  INFO(jstr(doc->root, "error"));
  REQUIRE_FALSE(json_object_has_member(doc->root, "error"));
  return doc;
}

/* A "key pressed|released CODE SYM" line of the recording client. */
struct ClientKey {
  std::string state; /* pressed, released */
  int code = 0;
  std::string sym;
};

/* Reads the recording client's lines until @n keys that @keep accepts
 * came (or 10 s passed); every line read goes to @history. */
inline std::vector<ClientKey> clientKeys(Process &client, size_t n,
                                         const std::function<bool(const ClientKey &)> &keep,
                                         std::string *history)
{
  std::vector<ClientKey> keys;
  int64_t deadline = monotonicMs() + 10000;
  while (keys.size() < n && monotonicMs() < deadline) {
    auto l = client.readLine(500ms);
    if (!l)
      continue;
    *history += *l + "\n";
    if (l->rfind("key ", 0) != 0)
      continue;
    std::istringstream in(*l);
    std::string word;
    ClientKey k;
    in >> word >> k.state >> k.code >> k.sym;
    if (keep(k))
      keys.push_back(k);
  }
  return keys;
}

/* A served kSource pipeline with vdiwebrtcsink @sinkProps, what crosses its
 * encoder upstream, and the result of the browser script @script (its
 * first word, then the page address, then the rest) against it. */
struct PageInput {
  Pipeline p;
  std::unique_ptr<UpstreamRecorder> rec;
  std::unique_ptr<Process> page;
  std::unique_ptr<JsonDoc> result;
  PageInput(const std::string &sinkProps, std::vector<std::string> script)
    : p(kSource, sinkProps), rec(recordAboveEncoder(p))
  {
    script.insert(script.begin() + 1, p.base());
    page = browser(script);
    result = browserResult(*page, 60000ms);
  }
};

/* A vdiwaylandsrc of @sway into x264enc name=enc (an "infinite" GOP). */
inline std::string swayHead(SwaySession &sway, const std::string &srcProps = "")
{
  return "vdiwaylandsrc " + srcProps + " show-cursor=false display=\"" + sway.display() +
         "\" ! videoconvert ! x264enc name=enc tune=zerolatency speed-preset=ultrafast "
         "key-int-max=100000";
}

/* Buffers that left a pad, counted by a probe. */
class BufferCounter
{
public:
  explicit BufferCounter(GstPad *pad)
    : probe_(pad, GST_PAD_PROBE_TYPE_BUFFER, [](GstPadProbeInfo *, std::atomic<int> &n) {
        n++;
        return GST_PAD_PROBE_OK;
      })
  {
  }
  int buffers() const { return probe_->load(); }

private:
  OwnedProbe<std::atomic<int>> probe_;
};

} // namespace vdi::test
