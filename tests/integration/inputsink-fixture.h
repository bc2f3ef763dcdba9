/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the vdiinputsink tests share (test-inputsink*.cpp): message
 * builders, a recorder of what the real Wayland client (vdi-input-client)
 * receives, the pipeline under test, and InputFixture<Desktop>, templated
 * over sway and headless Mutter.
 */

#pragma once

#include "desktops.h"
#include "gst-util.h"
#include "test-util.h"
#include <cmath>
#include <cstring>
#include <fstream>
#include <gio/gio.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstharness.h>
#include <gst/video/navigation.h>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace inputsink {

using namespace std::chrono_literals;
using namespace vdi::test;

/* Generous: the machine running the tests may be busy. */
constexpr auto kWait = 20000ms;

/* ---- JSON message builders ---------------------------------------------- */

inline int g_id = 0; /* message ids, shared by every test */

inline std::string nav(const std::string &event_json)
{
  return "{\"id\":" + std::to_string(++g_id) +
         ",\"request\":{\"type\":\"navigationEvent\",\"event\":" + event_json + "}}\n";
}

inline std::string custom(const std::string &name, const std::string &structure_json)
{
  return "{\"id\":" + std::to_string(++g_id) +
         ",\"request\":{\"type\":\"customUpstreamEvent\",\"structureName\":\"" + name +
         "\",\"structure\":" + structure_json + "}}\n";
}

inline std::string jsonString(const std::string &s)
{
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += static_cast<char>(c);
    else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

inline std::string key(const std::string &type, const std::string &keysym,
                       const std::string &code = "")
{
  std::string ev = "{\"event\":\"" + type + "\",\"key\":" + jsonString(keysym);
  if (!code.empty())
    ev += ",\"code\":\"" + code + "\"";
  return nav(ev + "}");
}

inline std::string move(double x, double y)
{
  char buf[160];
  snprintf(buf, sizeof(buf), "{\"event\":\"MouseMove\",\"x\":%g,\"y\":%g}", x, y);
  return nav(buf);
}

inline std::string button(const std::string &type, int b, double x, double y)
{
  char buf[160];
  snprintf(buf, sizeof(buf), "{\"event\":\"%s\",\"button\":%d,\"x\":%g,\"y\":%g}", type.c_str(), b,
           x, y);
  return nav(buf);
}

inline std::string text(const std::string &t)
{
  return custom("vdi-text", "{\"text\":" + jsonString(t) + "}");
}

inline std::string layout(const std::string &l, const std::string &variant = "")
{
  std::string s = "{\"layout\":\"" + l + "\"";
  if (!variant.empty())
    s += ",\"variant\":\"" + variant + "\"";
  return custom("vdi-keyboard-layout", s + "}");
}

/* ---- the recording client ----------------------------------------------- */

struct Recorder {
  std::unique_ptr<Process> proc;
  std::vector<std::string> seen; /* every line so far, for failure messages */
  std::string entered_at;        /* where the pointer entered, until the next motion */

  std::optional<std::string> next(std::chrono::milliseconds timeout)
  {
    auto line = proc->readLine(timeout);
    if (line)
      seen.push_back(*line);
    return line;
  }

  /* Reads until a line starts with @prefix. */
  std::optional<std::string> waitFor(const std::string &prefix,
                                     std::chrono::milliseconds timeout = kWait)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    while (monotonicMs() < deadline) {
      auto line = next(std::chrono::milliseconds(deadline - monotonicMs()));
      if (!line)
        return std::nullopt;
      if (line->rfind(prefix, 0) == 0)
        return line;
    }
    return std::nullopt;
  }

  /* The next pointer position: a motion, or the enter of a pointer that
   * just appeared or came over the window. Mutter sends the motion that
   * brought the pointer over the window after the enter too, at the same
   * spot (wlroots does not): that repeat is one position, not two. */
  std::optional<std::string> waitMotion(std::chrono::milliseconds timeout = kWait)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    while (monotonicMs() < deadline) {
      auto line = next(std::chrono::milliseconds(deadline - monotonicMs()));
      if (!line)
        return std::nullopt;
      if (line->rfind("pointer-enter ", 0) == 0) {
        entered_at = line->substr(strlen("pointer-enter "));
        return line;
      }
      if (line->rfind("motion ", 0) == 0) {
        bool repeat = line->substr(strlen("motion ")) == entered_at;
        entered_at.clear();
        if (!repeat)
          return line;
      } else if (*line != "frame") {
        entered_at.clear();
      }
    }
    return std::nullopt;
  }

  /* The keysyms of the next @n "key pressed" lines. With @skip_levels,
   * the Shift and AltGr presses a compositor adds to reach a level are
   * left out (Mutter presses them as keys; wlroots sends modifiers). */
  std::vector<std::string> pressedSyms(size_t n, std::chrono::milliseconds timeout = kWait,
                                       bool skip_levels = false)
  {
    std::vector<std::string> out;
    while (out.size() < n) {
      auto line = waitFor("key pressed ", timeout);
      if (!line)
        break;
      std::istringstream in(*line);
      std::string k, p, code, sym;
      in >> k >> p >> code >> sym;
      if (skip_levels && (sym == "Shift_L" || sym == "Shift_R" || sym == "ISO_Level3_Shift"))
        continue;
      out.push_back(sym);
    }
    return out;
  }

  std::string history() const
  {
    std::string s;
    size_t from = seen.size() > 60 ? seen.size() - 60 : 0;
    for (size_t i = from; i < seen.size(); i++)
      s += seen[i] + "\n";
    return s;
  }
};

template <typename Desktop>
inline Recorder startRecorder(Desktop &desk)
{
  Recorder r;
  r.proc = desk.spawnClient({helperPath("vdi-input-client")});
  if (!r.waitFor("configured", 15000ms))
    throw std::runtime_error("vdi-input-client did not show a window:\n" + desk.log());
  return r;
}

/* ---- the pipeline: appsrc ! vdiinputsink --------------------------------- */

struct Pipeline {
  GstElement *pipeline = nullptr;
  GstElement *appsrc = nullptr;
  GstElement *sink = nullptr;
  GstBus *bus = nullptr;

  /* @target: the properties that point the sink at the compositor. */
  explicit Pipeline(const std::string &target, const std::string &sink_props = "")
  {
    std::string desc = "appsrc name=src format=bytes caps=application/x-vdi-input "
                       "! vdiinputsink name=sink " +
                       target + " " + sink_props;
    GError *err = nullptr;
    pipeline = gst_parse_launch(desc.c_str(), &err);
    if (!pipeline)
      throw std::runtime_error(err->message);
    appsrc = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    bus = gst_element_get_bus(pipeline);
  }
  ~Pipeline()
  {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(appsrc);
    gst_object_unref(pipeline);
  }
  bool play()
  {
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
      return false;
    return gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND) ==
           GST_STATE_CHANGE_SUCCESS;
  }
  /* Pushes @data in pieces of @chunk bytes (lines split across buffers). */
  void push(const std::string &data, size_t chunk = 0)
  {
    if (chunk == 0)
      chunk = data.size();
    for (size_t off = 0; off < data.size(); off += chunk) {
      size_t n = std::min(chunk, data.size() - off);
      GstBuffer *buf = gst_buffer_new_memdup(data.data() + off, n);
      REQUIRE(gst_app_src_push_buffer(GST_APP_SRC(appsrc), buf) == GST_FLOW_OK);
    }
  }
  GstStructure *stats()
  {
    GstStructure *s = nullptr;
    g_object_get(sink, "stats", &s, nullptr);
    return s;
  }
  guint64 stat(const char *field)
  {
    GstStructure *s = stats();
    guint64 v = 0;
    gst_structure_get_uint64(s, field, &v);
    gst_structure_free(s);
    return v;
  }
  std::string lastError()
  {
    GstStructure *s = stats();
    std::string v = gst_structure_get_string(s, "last-error");
    gst_structure_free(s);
    return v;
  }
  /* Waits until @field of stats reaches @value. */
  bool waitStat(const char *field, guint64 value, std::chrono::milliseconds timeout = kWait)
  {
    int64_t deadline = monotonicMs() + timeout.count();
    while (monotonicMs() < deadline) {
      if (stat(field) >= value)
        return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
  std::string error(std::chrono::milliseconds timeout = 0ms) { return waitForError(bus, timeout); }
};

inline bool near(const std::string &motion_line, double x, double y)
{
  std::istringstream in(motion_line);
  std::string word;
  double mx, my;
  in >> word >> mx >> my;
  return std::fabs(mx - x) <= 1.0 && std::fabs(my - y) <= 1.0;
}

/* The client binds wl_keyboard and wl_pointer only once the seat has the
 * capability, i.e. after our virtual devices appeared; input sent before
 * that never reaches it. Waits until both work: keyboard focus, then a
 * pointer motion to the probe position (1, 1) that arrives (retried, as the
 * first may be too early; a pointer-enter where a shared compositor's
 * pointer was left does not count). */
template <typename SendMove>
inline void waitInputReady(Recorder &rec, SendMove send_move)
{
  bool focused = rec.waitFor("kb-enter").has_value();
  INFO(rec.history());
  REQUIRE(focused);
  for (int attempt = 0; attempt < 5; attempt++) {
    send_move();
    int64_t deadline = monotonicMs() + 2000;
    while (monotonicMs() < deadline) {
      auto line = rec.waitMotion(std::chrono::milliseconds(deadline - monotonicMs()));
      if (line && near(*line, 1, 1))
        return;
    }
  }
  FAIL("the client never received pointer motion:\n" << rec.history());
}

/* A file in the session's runtime dir the test user can read. */
inline std::string writeUserFile(const std::string &runtime_dir, const std::string &name,
                                 const std::string &data)
{
  std::string path = runtime_dir + "/" + name;
  std::ofstream(path, std::ios::binary) << data;
  if (passwd *pw = getpwnam(testUser().c_str()))
    (void)!chown(path.c_str(), pw->pw_uid, pw->pw_gid);
  chmod(path.c_str(), 0644);
  return path;
}

inline std::string readFile(const std::string &path)
{
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/* Deterministic pseudo-random printable text of @n bytes. */
inline std::string payload(size_t n, uint32_t seed)
{
  std::string s(n, ' ');
  uint32_t x = seed;
  for (size_t i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>('!' + (x >> 24) % 94);
  }
  return s;
}

inline std::string base64(const std::string &s)
{
  g_autofree gchar *b = g_base64_encode(reinterpret_cast<const guchar *>(s.data()), s.size());
  return b;
}

/* The set-up every input case shares: a compositor, the recording client,
 * appsrc ! vdiinputsink on it, and input known to reach the client. */
template <typename Desktop>
struct InputFixture {
  std::optional<Desktop> desk;
  Recorder rec;
  std::unique_ptr<Pipeline> p;
  guint64 probe_moves = 0; /* pushed by start() until one arrived */

  ~InputFixture()
  {
    if constexpr (kMutter)
      leaveWithKeyboard();
  }
  /* Mutter 43 gives the clipboard (wl_data_device offers) to the keyboard
   * focus client only while the seat has a keyboard, and when the keyboard
   * goes it keeps the client it last gave it to. Headless, the only
   * keyboard is an injector's virtual one, gone with the element: a client
   * that exits then leaves a dangling pointer behind, and a later client
   * allocated at the same address never sees a selection offer (Mutter 47
   * fixed it, b968796f). So the recording client leaves while a keyboard
   * is there: a fresh injector's, whatever the case did with its own. */
  void leaveWithKeyboard()
  {
    if (!desk || !rec.proc || !rec.proc->running())
      return;
    try {
      Pipeline hold(desk->props());
      std::string x = key("KeyPress", "x") + key("KeyRelease", "x");
      if (hold.play() &&
          gst_app_src_push_buffer(GST_APP_SRC(hold.appsrc),
                                  gst_buffer_new_memdup(x.data(), x.size())) == GST_FLOW_OK)
        rec.waitFor("key pressed 45 x", 5000ms); /* the keyboard is there */
      rec.proc->stop();
    } catch (const std::exception &e) {
      WARN("the recording client did not leave cleanly: " << e.what());
    }
  }

  /* Everything but the pipeline (for cases that make their own). */
  void startClient()
  {
    desk.emplace();
    rec = startRecorder(*desk);
  }
  void start(const std::string &sink_props = "")
  {
    startClient();
    p = std::make_unique<Pipeline>(desk->props(), sink_props);
    REQUIRE(p->play());
    waitInputReady(rec, [&] {
      p->push(move(1, 1));
      probe_moves++;
    });
  }
  /* The sink's "accepted" count once every probe move of start() is in
   * it (the last may still be on its way when the client saw an earlier
   * one): what a case's own input counts from. */
  guint64 acceptedAfterProbes()
  {
    REQUIRE(p->waitStat("accepted", probe_moves));
    return p->stat("accepted");
  }
  /* The recording client and `vdiwaylandsrc ! @tail` in a harness, playing,
   * with navigation events sent upstream known to reach the client (no
   * vdiinputsink: the source injects them itself). */
  HarnessPtr startNavigation(const std::string &tail = "")
  {
    startClient();
    std::string desc = "vdiwaylandsrc show-cursor=false " + desk->props() + tail;
    HarnessPtr h(gst_harness_new_parse(desc.c_str()));
    gst_harness_use_systemclock(h.get());
    gst_harness_play(h.get());
    REQUIRE(pullWithin(h.get(), 10000ms));
    waitInputReady(rec, [&] {
      gst_harness_push_upstream_event(
        h.get(), gst_navigation_event_new_mouse_move(1, 1, GST_NAVIGATION_MODIFIER_NONE));
    });
    return h;
  }
  std::string runtimeDir() const { return desk->session.runtimeDir(); }
  /* Another client sets the session's clipboard to @path's bytes: wl-copy
   * (wlr-data-control) on sway; on Mutter, which has no data control, the
   * focused recording client itself. */
  std::unique_ptr<Process> copyIntoSession(const std::string &path)
  {
    if constexpr (kMutter) {
      REQUIRE(rec.proc->send("copy " + path));
      REQUIRE(rec.waitFor("ok copy"));
      return nullptr;
    } else {
      return desk->spawnClient({"sh", "-c", "wl-copy --type text/plain < '" + path + "'"});
    }
  }
  static constexpr bool kMutter = std::is_same_v<Desktop, MutterDesktop>;
};

} // namespace inputsink
