/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Input injection (vdiinputsink, navigation events into vdiwaylandsrc)
 * against real compositors and a real Wayland client
 * (tests/clients/vdi-input-client) that prints every keyboard, pointer and
 * selection event it receives. The behaviours every backend has run against
 * sway (wlroots virtual keyboard/pointer, data control) and headless Mutter
 * (RemoteDesktop) from one templated fixture, InputFixture<Desktop>.
 */

#include "desktops.h"
#include "gst-util.h"
#include "test-util.h"

#include <gio/gio.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstharness.h>
#include <gst/video/navigation.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

/* Generous: the machine running the tests may be busy. */
constexpr auto kWait = 20000ms;

/* ---- JSON message builders ---------------------------------------------- */

int g_id = 0;

std::string nav(const std::string &event_json)
{
  return "{\"id\":" + std::to_string(++g_id) +
         ",\"request\":{\"type\":\"navigationEvent\",\"event\":" + event_json + "}}\n";
}

std::string custom(const std::string &name, const std::string &structure_json)
{
  return "{\"id\":" + std::to_string(++g_id) +
         ",\"request\":{\"type\":\"customUpstreamEvent\",\"structureName\":\"" + name +
         "\",\"structure\":" + structure_json + "}}\n";
}

std::string jsonString(const std::string &s)
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

std::string key(const std::string &type, const std::string &keysym, const std::string &code = "")
{
  std::string ev = "{\"event\":\"" + type + "\",\"key\":" + jsonString(keysym);
  if (!code.empty())
    ev += ",\"code\":\"" + code + "\"";
  return nav(ev + "}");
}

std::string move(double x, double y)
{
  char buf[160];
  snprintf(buf, sizeof(buf), "{\"event\":\"MouseMove\",\"x\":%g,\"y\":%g}", x, y);
  return nav(buf);
}

std::string button(const std::string &type, int b, double x, double y)
{
  char buf[160];
  snprintf(buf, sizeof(buf), "{\"event\":\"%s\",\"button\":%d,\"x\":%g,\"y\":%g}", type.c_str(), b,
           x, y);
  return nav(buf);
}

std::string text(const std::string &t)
{
  return custom("vdi-text", "{\"text\":" + jsonString(t) + "}");
}

std::string layout(const std::string &l, const std::string &variant = "")
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
Recorder startRecorder(Desktop &desk)
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

bool near(const std::string &motion_line, double x, double y)
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
void waitInputReady(Recorder &rec, SendMove send_move)
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
std::string writeUserFile(const std::string &runtime_dir, const std::string &name,
                          const std::string &data)
{
  std::string path = runtime_dir + "/" + name;
  std::ofstream(path, std::ios::binary) << data;
  if (passwd *pw = getpwnam(testUser().c_str()))
    (void)!chown(path.c_str(), pw->pw_uid, pw->pw_gid);
  chmod(path.c_str(), 0644);
  return path;
}

std::string readFile(const std::string &path)
{
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/* Deterministic pseudo-random printable text of @n bytes. */
std::string payload(size_t n, uint32_t seed)
{
  std::string s(n, ' ');
  uint32_t x = seed;
  for (size_t i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    s[i] = static_cast<char>('!' + (x >> 24) % 94);
  }
  return s;
}

std::string base64(const std::string &s)
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
    waitInputReady(rec, [&] { p->push(move(1, 1)); });
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

} // namespace

/* ---- keyboard ------------------------------------------------------------ */

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "us keymap: exact keysyms for text and keys, lines split across buffers",
                          "[inputsink][keyboard]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start();
  auto &rec = this->rec;
  auto &p = *this->p;

  /* The probe moves of waitInputReady count too; let the last one land. */
  std::this_thread::sleep_for(200ms);
  const guint64 base = p.stat("accepted");
  std::string script;
  std::vector<std::string> want;
  if constexpr (InputFixture<TestType>::kMutter) {
    /* Mutter types with its own keymap (us in bare Mutter): keysyms the
     * layout lacks (é € ß) cannot be typed there. */
    script = text("@{|~aZ1 ") + key("KeyPress", "at") + key("KeyRelease", "at") +
             key("KeyPress", "Return") + key("KeyRelease", "Return") + key("KeyPress", "Enter") +
             key("KeyRelease", "Enter") + key("KeyPress", "a", "KeyQ") +
             key("KeyRelease", "a", "KeyQ");
    want = {"at", "braceleft", "bar", "asciitilde", "a",      "Z",
            "1",  "space",     "at",  "Return",     "Return", "q"};
  } else {
    script = text("@é€ß{|~aZ1 ") + key("KeyPress", "at") + key("KeyRelease", "at") +
             key("KeyPress", "EuroSign") + key("KeyRelease", "EuroSign") +
             key("KeyPress", "ssharp") + key("KeyRelease", "ssharp") + key("KeyPress", "Return") +
             key("KeyRelease", "Return") + key("KeyPress", "é") + key("KeyRelease", "é") +
             key("KeyPress", "Enter") + key("KeyRelease", "Enter");
    want = {"at",         "eacute", "EuroSign", "ssharp", "braceleft", "bar",
            "asciitilde", "a",      "Z",        "1",      "space",     "at",
            "EuroSign",   "ssharp", "Return",   "eacute", "Return"};
  }
  /* 7-byte buffers: every line arrives in pieces, some buffers end two. */
  p.push(script, 7);

  INFO(rec.history());
  CHECK(rec.pressedSyms(want.size(), kWait, InputFixture<TestType>::kMutter) == want);
  CHECK(p.waitStat("accepted", base + (InputFixture<TestType>::kMutter ? 9 : 13)));
  CHECK(p.stat("rejected") == 0);
}

TEST_CASE_METHOD(InputFixture<SwayDesktop>,
                 "de keymap: AltGr levels, layout switching and variants", "[inputsink][keyboard]")
{
  REQUIRE_DESKTOP(SwayDesktop);
  start();
  auto &p = *this->p;
  p.push(layout("de"));
  REQUIRE(rec.waitFor("keymap German"));
  p.push(text("@é€ß{|~yz"));
  std::vector<std::string> want = {"at",  "eacute",     "EuroSign", "ssharp", "braceleft",
                                   "bar", "asciitilde", "y",        "z"};
  {
    INFO(rec.history());
    CHECK(rec.pressedSyms(want.size()) == want);
  }

  /* `@` is AltGr+q on de: the level-3 modifier (Mod5 = 128) and key q. */
  p.push(key("KeyPress", "at") + key("KeyRelease", "at"));
  auto mods = rec.waitFor("modifiers 128");
  auto at = rec.waitFor("key pressed");
  INFO(rec.history());
  REQUIRE(mods);
  REQUIRE(at);
  CHECK(*at == "key pressed 16 at");

  /* Physical keys with AltGr held, as a browser reports them. */
  p.push(key("KeyPress", "AltGraph", "AltRight") + key("KeyPress", "q", "KeyQ") +
         key("KeyRelease", "q", "KeyQ") + key("KeyPress", "e", "KeyE") +
         key("KeyRelease", "e", "KeyE") + key("KeyPress", "7", "Digit7") +
         key("KeyRelease", "7", "Digit7") + key("KeyPress", "m", "KeyM") +
         key("KeyRelease", "m", "KeyM") + key("KeyRelease", "AltGraph", "AltRight") +
         key("KeyPress", "z", "KeyY") + key("KeyRelease", "z", "KeyY"));
  std::vector<std::string> altgr = {"ISO_Level3_Shift", "at", "EuroSign", "braceleft", "mu", "z"};
  CHECK(rec.pressedSyms(altgr.size()) == altgr);

  /* Variants, both spellings. */
  p.push(layout("de(nodeadkeys)"));
  CHECK(rec.waitFor("keymap German (no dead keys)"));
  p.push(layout("fr"));
  REQUIRE(rec.waitFor("keymap French"));
  p.push(key("KeyPress", "a", "KeyQ") + key("KeyRelease", "a", "KeyQ") + text("@€é"));
  std::vector<std::string> fr = {"a", "at", "EuroSign", "eacute"};
  CHECK(rec.pressedSyms(fr.size()) == fr);

  /* An unknown layout is refused and the keymap stays. */
  p.push(layout("xx-no-such-layout") + text("q"));
  CHECK(rec.pressedSyms(1) == std::vector<std::string>{"q"});
  CHECK(p.stat("rejected") == 1);
  CHECK(p.lastError().find("xx-no-such-layout") != std::string::npos);
}

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "no key or button stays held after an abrupt EOS, a flush or a stop",
                          "[inputsink][keyboard]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->startClient();
  auto &rec = this->rec;
  const std::string target = this->desk->props();

  SECTION("EOS")
  {
    Pipeline p(target);
    REQUIRE(p.play());
    waitInputReady(rec, [&] { p.push(move(1, 1)); });
    p.push(key("KeyPress", "Shift_L") + key("KeyPress", "A") +
           button("MouseButtonPress", 1, 10, 10));
    REQUIRE(rec.waitFor("button 272 pressed"));
    gst_app_src_end_of_stream(GST_APP_SRC(p.appsrc));
    INFO(rec.history());
    CHECK(rec.waitFor("key released 42")); /* Shift_L */
    CHECK(rec.waitFor("button 272 released"));
    /* And the A (keycode 30) was released too. */
    bool released_a = false;
    for (const auto &l : rec.seen)
      released_a |= l.rfind("key released 30", 0) == 0;
    CHECK(released_a);
  }
  SECTION("flush")
  {
    Pipeline p(target);
    REQUIRE(p.play());
    waitInputReady(rec, [&] { p.push(move(1, 1)); });
    p.push(key("KeyPress", "Control_L") + button("MouseButtonPress", 3, 10, 10));
    REQUIRE(rec.waitFor("button 273 pressed"));
    GstPad *pad = gst_element_get_static_pad(p.sink, "sink");
    gst_pad_send_event(pad, gst_event_new_flush_start());
    gst_pad_send_event(pad, gst_event_new_flush_stop(TRUE));
    gst_object_unref(pad);
    INFO(rec.history());
    CHECK(rec.waitFor("button 273 released"));
  }
  SECTION("state change to READY")
  {
    Pipeline p(target);
    REQUIRE(p.play());
    waitInputReady(rec, [&] { p.push(move(1, 1)); });
    p.push(key("KeyPress", "x"));
    REQUIRE(rec.waitFor("key pressed 45 x"));
    gst_element_set_state(p.pipeline, GST_STATE_READY);
    INFO(rec.history());
    CHECK(rec.waitFor("key released 45"));
  }
}

/* ---- pointer ------------------------------------------------------------- */

TEMPLATE_TEST_CASE_METHOD(InputFixture, "absolute pointer position within 1 px at two output sizes",
                          "[inputsink][pointer]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start();
  auto &rec = this->rec;
  auto &p = *this->p;

  auto check_points = [&](const std::vector<std::pair<double, double>> &points) {
    for (auto [x, y] : points) {
      p.push(move(x, y));
      auto line = rec.waitMotion();
      INFO("point " << x << "," << y << "\n" << rec.history());
      REQUIRE(line);
      CHECK(near(*line, x, y));
    }
  };
  check_points({{320, 240}, {0, 0}, {639, 479}, {17.5, 400.25}, {1, 478}, {600, 3}});

  if constexpr (!InputFixture<TestType>::kMutter) {
    /* (Mutter's virtual monitor keeps its size.) */
    REQUIRE(this->desk->session.swaymsg({"output", "HEADLESS-1", "resolution", "1280x720"}) == 0);
    REQUIRE(rec.waitFor("configured 1280 720"));
    check_points({{640, 360}, {1279, 719}, {5, 700}, {1000.5, 20.75}, {0, 0}});
  }

  /* Relative motion from the last point. */
  p.push(move(100, 100));
  REQUIRE(rec.waitMotion());
  p.push(custom("vdi-pointer-relative", "{\"dx\":25,\"dy\":-10.5}"));
  auto rel = rec.waitMotion();
  REQUIRE(rel);
  CHECK(near(*rel, 125, 89.5));
}

TEMPLATE_TEST_CASE_METHOD(InputFixture, "every mouse button and both kinds of scrolling",
                          "[inputsink][pointer]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start();
  auto &rec = this->rec;
  auto &p = *this->p;

  /* GstNavigation numbers (gstwebrtc-api: DOM button + 1; X11 8/9) to evdev. */
  const std::vector<std::pair<int, int>> buttons = {{1, 272}, {2, 274}, {3, 273}, {4, 275},
                                                    {5, 276}, {8, 275}, {9, 276}};
  for (auto [nav_button, evdev] : buttons) {
    p.push(button("MouseButtonPress", nav_button, 50, 60) +
           button("MouseButtonRelease", nav_button, 50, 60));
    INFO("button " << nav_button << "\n" << rec.history());
    CHECK(rec.waitFor("button " + std::to_string(evdev) + " pressed"));
    CHECK(rec.waitFor("button " + std::to_string(evdev) + " released"));
  }

  /* Wheel clicks: delta_y -2 is two clicks down; delta_x 1 one click left.
   * A click is 15 px of axis in wlroots, 10 in Mutter, which also sends
   * each click as its own event. */
  constexpr bool kMutter = InputFixture<TestType>::kMutter;
  const std::string click = kMutter ? "10.00" : "15.00";
  p.push(nav("{\"event\":\"MouseScroll\",\"x\":50,\"y\":60,\"delta_x\":0,\"delta_y\":-2}"));
  CHECK(rec.waitFor("axis-source 0"));
  if (kMutter) {
    for (int i = 0; i < 2; i++) {
      CHECK(rec.waitFor("axis-discrete 0 1"));
      CHECK(rec.waitFor("axis 0 10.00"));
    }
  } else {
    CHECK(rec.waitFor("axis-discrete 0 2"));
    CHECK(rec.waitFor("axis 0 30.00"));
  }
  p.push(nav("{\"event\":\"MouseScroll\",\"x\":50,\"y\":60,\"delta_x\":1,\"delta_y\":0}"));
  CHECK(rec.waitFor("axis-discrete 1 -1"));
  CHECK(rec.waitFor("axis 1 -" + click));
  /* Smooth (pixels): fractional deltas, or "smooth":true. */
  p.push(nav("{\"event\":\"MouseScroll\",\"x\":50,\"y\":60,\"delta_x\":0,\"delta_y\":2.5}"));
  CHECK(rec.waitFor("axis-source 2"));
  CHECK(rec.waitFor("axis 0 -2.50"));
  p.push(nav("{\"event\":\"MouseScroll\",\"x\":50,\"y\":60,\"delta_x\":-7,\"delta_y\":0,"
             "\"smooth\":true}"));
  auto line = rec.waitFor("axis ");
  INFO(rec.history());
  REQUIRE(line);
  /* Mutter rounds through wl_fixed and doubles: within 0.02. */
  double value = 0;
  CHECK(sscanf(line->c_str(), "axis 1 %lf", &value) == 1);
  CHECK(std::fabs(value - 7.0) <= 0.02);
  CHECK(p.stat("rejected") == 0);
}

/* ---- clipboard ----------------------------------------------------------- */

TEMPLATE_TEST_CASE_METHOD(InputFixture, "clipboard round trip both ways with 5 MiB",
                          "[inputsink][clipboard]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start();
  auto &rec = this->rec;
  auto &p = *this->p;
  /* The probe moves of waitInputReady count too; let the last one land. */
  std::this_thread::sleep_for(200ms);
  const guint64 base = p.stat("accepted");
  const size_t kSize = 5 * 1024 * 1024;

  /* Into the session: a focused client sees the offer, wl-paste gets it all. */
  std::string in = payload(kSize, 1);
  p.push(custom("vdi-clipboard-set",
                "{\"mime\":\"text/plain;charset=utf-8\",\"data\":\"" + base64(in) + "\"}"));
  REQUIRE(p.waitStat("accepted", base + 1, 30000ms));
  {
    auto sel = rec.waitFor("selection text/plain");
    INFO(rec.history());
    CHECK(sel);
  }
  std::string out_path = this->runtimeDir() + "/paste.out";
  auto paste = this->desk->spawnClient(
    {"sh", "-c", "wl-paste --no-newline --type text/plain > \"$XDG_RUNTIME_DIR/paste.out\""});
  auto status = paste->wait(30000ms);
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) == 0);
  std::string pasted = readFile(out_path);
  CHECK(pasted.size() == in.size());
  CHECK(pasted == in);

  /* A PNG (any bytes) keeps its type. */
  std::string png = "\x89PNG\r\n\x1a\n" + payload(4096, 7);
  p.push(custom("vdi-clipboard-set", "{\"mime\":\"image/png\",\"data\":\"" + base64(png) + "\"}"));
  REQUIRE(p.waitStat("accepted", base + 2));
  auto paste_png = this->desk->spawnClient(
    {"sh", "-c", "wl-paste --type image/png > \"$XDG_RUNTIME_DIR/paste.png\""});
  REQUIRE(paste_png->wait(30000ms));
  CHECK(readFile(this->runtimeDir() + "/paste.png") == png);

  /* Out of the session: wl-copy sets it, the element posts vdi-clipboard. */
  std::string from = payload(kSize, 2);
  auto copy = this->copyIntoSession(writeUserFile(this->runtimeDir(), "copy.in", from));
  GstMessage *msg = nullptr;
  int64_t deadline = monotonicMs() + 30000;
  while (!msg && monotonicMs() < deadline) {
    GstMessage *m = gst_bus_timed_pop_filtered(p.bus, 100 * GST_MSECOND, GST_MESSAGE_ELEMENT);
    if (m && gst_message_has_name(m, "vdi-clipboard"))
      msg = m;
    else if (m)
      gst_message_unref(m);
  }
  REQUIRE(msg);
  const GstStructure *s = gst_message_get_structure(msg);
  CHECK(std::string(gst_structure_get_string(s, "mime")).rfind("text/plain", 0) == 0);
  GBytes *bytes = nullptr;
  gst_structure_get(s, "bytes", G_TYPE_BYTES, &bytes, nullptr);
  REQUIRE(bytes);
  gsize n = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &n));
  CHECK(n == from.size());
  CHECK(std::string(data, n) == from);
  gsize decoded_len = 0;
  g_autofree guchar *decoded = g_base64_decode(gst_structure_get_string(s, "data"), &decoded_len);
  CHECK(decoded_len == from.size());
  g_bytes_unref(bytes);
  gst_message_unref(msg);
  CHECK(p.error().empty());
}

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "clipboard larger than the limit is refused both ways, not truncated",
                          "[inputsink][clipboard]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->start("clipboard-limit=100000");
  auto &p = *this->p;

  p.push(custom("vdi-clipboard-set",
                "{\"mime\":\"text/plain\",\"data\":\"" + base64(payload(100001, 3)) + "\"}"));
  REQUIRE(p.waitStat("rejected", 1));
  CHECK(p.lastError().find("limit") != std::string::npos);

  auto copy =
    this->copyIntoSession(writeUserFile(this->runtimeDir(), "big.in", payload(200000, 4)));
  GstMessage *warn = gst_bus_timed_pop_filtered(p.bus, 20 * GST_SECOND, GST_MESSAGE_WARNING);
  REQUIRE(warn);
  GError *err = nullptr;
  gst_message_parse_warning(warn, &err, nullptr);
  CHECK(std::string(err->message).find("limit") != std::string::npos);
  g_error_free(err);
  gst_message_unref(warn);
  /* Nothing was posted as clipboard content. */
  GstMessage *m = gst_bus_pop_filtered(p.bus, GST_MESSAGE_ELEMENT);
  CHECK(m == nullptr);
  if (m)
    gst_message_unref(m);
  CHECK(p.stat("clipboard-changes") == 0);
}

/* ---- bad input ----------------------------------------------------------- */

TEST_CASE_METHOD(InputFixture<SwayDesktop>,
                 "bad input is counted and dropped, the pipeline goes on", "[inputsink][bad-input]")
{
  REQUIRE_DESKTOP(SwayDesktop);
  start("clipboard-limit=1000");
  auto &p = *this->p;

  /* The probe moves of waitInputReady count too; let the last one land. */
  std::this_thread::sleep_for(200ms);
  const guint64 base = p.stat("accepted");
  std::vector<std::pair<std::string, std::string>> bad = {
    {"{not json", "malformed JSON"},
    {"[1,2,3]", "not a JSON object"},
    {"{\"id\":1}", "request"},
    {"{\"id\":1,\"request\":{\"type\":\"launchMissiles\"}}", "unknown request type"},
    {nav("{\"event\":\"Teleport\",\"x\":1,\"y\":1}"), "unknown navigation event"},
    {custom("vdi-no-such-thing", "{}"), "unknown custom event"},
    {key("KeyPress", "NoSuchKeysym"), "unknown keysym"},
    {key("KeyPress", "a", "NoSuchCode"), "unknown key code"},
    {move(5000, 10), "outside the 640x480 output"},
    {move(-1, 10), "out of range"},
    {nav("{\"event\":\"MouseMove\",\"x\":\"left\",\"y\":1}"), "must be a number"},
    {nav("{\"event\":\"MouseButtonPress\",\"button\":42,\"x\":1,\"y\":1}"), "button"},
    {std::string(200, '[') + "\n", "nested"},
    {text(std::string("a\x01", 2)), "cannot be typed"},
    {custom("vdi-keyboard-layout", "{\"layout\":\"us\\\"; include \\\"evil\"}"), "invalid"},
    {custom("vdi-clipboard-set", "{\"mime\":\"text/plain\",\"data\":\"!!!\"}"), "base64"},
    {std::string(100 * 1024, 'x') + "\n", "line longer"},
  };
  guint64 rejected = 0;
  for (const auto &[line, why] : bad) {
    p.push(line.back() == '\n' ? line : line + "\n", 4096);
    rejected++;
    INFO("input: " << line.substr(0, 120));
    REQUIRE(p.waitStat("rejected", rejected));
    CHECK(p.lastError().find(why) != std::string::npos);
    CHECK(p.stat("rejected") == rejected);
  }
  /* An oversized line split over many buffers is one rejection, and the
   * line after it is fine. */
  p.push(std::string(300 * 1024, 'y') + "\n" + key("KeyPress", "b") + key("KeyRelease", "b"), 1000);
  INFO(rec.history());
  CHECK(rec.pressedSyms(1) == std::vector<std::string>{"b"});
  CHECK(p.stat("rejected") == rejected + 1);
  CHECK(p.stat("oversized") == 2);
  CHECK(p.waitStat("accepted", base + 2));
  CHECK(p.stat("accepted") == base + 2);
  CHECK(p.error().empty());
  GstState state;
  gst_element_get_state(p.pipeline, &state, nullptr, 0);
  CHECK(state == GST_STATE_PLAYING);
}

/* ---- other byte sources ----------------------------------------------------- */

TEST_CASE_METHOD(InputFixture<SwayDesktop>, "works behind filesrc and tcpserversrc",
                 "[inputsink][sources]")
{
  REQUIRE_DESKTOP(SwayDesktop);
  /* A session normally has input devices already: keep one injector
   * running so the client has bound its keyboard and pointer before the
   * pipeline under test starts (see waitInputReady). */
  start();
  auto &sway = desk->session;

  SECTION("filesrc, last line without a newline")
  {
    std::string script = key("KeyPress", "f") + key("KeyRelease", "f") + text("il") + move(33, 44);
    script.pop_back();
    g_autofree char *path = g_build_filename(sway.runtimeDir().c_str(), "in.jsonl", nullptr);
    std::ofstream(path) << script;
    std::string desc = std::string("filesrc location=\"") + path +
                       "\" blocksize=5 ! vdiinputsink display=\"" + sway.display() + "\"";
    GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
    REQUIRE(pipeline);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 10 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    REQUIRE(msg);
    CHECK(GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
    gst_message_unref(msg);
    INFO(rec.history());
    CHECK(rec.pressedSyms(3) == std::vector<std::string>{"f", "i", "l"});
    auto m = rec.waitMotion();
    REQUIRE(m);
    CHECK(near(*m, 33, 44));
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
  }
  SECTION("tcpserversrc")
  {
    std::string desc = "tcpserversrc name=tcp host=127.0.0.1 port=0 ! vdiinputsink display=\"" +
                       sway.display() + "\"";
    GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
    REQUIRE(pipeline);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstElement *tcp = gst_bin_get_by_name(GST_BIN(pipeline), "tcp");
    int port = 0;
    for (int i = 0; i < 500 && port == 0; i++) {
      g_object_get(tcp, "current-port", &port, nullptr);
      if (port == 0)
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE(port > 0);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(
      client, "127.0.0.1", static_cast<guint16>(port), nullptr, nullptr);
    REQUIRE(conn);
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    std::string script = key("KeyPress", "t") + key("KeyRelease", "t") + text("cp");
    /* Dribble it out so lines cross TCP segments. */
    for (size_t off = 0; off < script.size(); off += 11) {
      std::string piece = script.substr(off, 11);
      REQUIRE(
        g_output_stream_write_all(out, piece.data(), piece.size(), nullptr, nullptr, nullptr));
      g_output_stream_flush(out, nullptr, nullptr);
      std::this_thread::sleep_for(1ms);
    }
    INFO(rec.history());
    CHECK(rec.pressedSyms(3) == std::vector<std::string>{"t", "c", "p"});
    g_io_stream_close(G_IO_STREAM(conn), nullptr, nullptr);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(tcp);
    gst_object_unref(pipeline);
  }
}

/* ---- navigation events upstream into vdiwaylandsrc ------------------------ */

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "navigation events sent upstream to vdiwaylandsrc are injected",
                          "[inputsink][waylandsrc]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->startClient();
  auto &rec = this->rec;
  std::string desc = "vdiwaylandsrc show-cursor=false " + this->desk->props();
  HarnessPtr h(gst_harness_new_parse(desc.c_str()));
  gst_harness_use_systemclock(h.get());
  gst_harness_play(h.get());
  REQUIRE(pullWithin(h.get(), 10000ms));
  waitInputReady(rec, [&] {
    gst_harness_push_upstream_event(
      h.get(), gst_navigation_event_new_mouse_move(1, 1, GST_NAVIGATION_MODIFIER_NONE));
  });

  auto push = [&](GstEvent *e) { CHECK(gst_harness_push_upstream_event(h.get(), e)); };
  push(gst_navigation_event_new_mouse_move(123, 234, GST_NAVIGATION_MODIFIER_NONE));
  auto m = rec.waitMotion();
  INFO(rec.history());
  REQUIRE(m);
  CHECK(near(*m, 123, 234));
  push(gst_navigation_event_new_mouse_button_press(3, 123, 234, GST_NAVIGATION_MODIFIER_NONE));
  push(gst_navigation_event_new_mouse_button_release(3, 123, 234, GST_NAVIGATION_MODIFIER_NONE));
  CHECK(rec.waitFor("button 273 pressed"));
  CHECK(rec.waitFor("button 273 released"));
  push(gst_navigation_event_new_mouse_scroll(123, 234, 0, 1, GST_NAVIGATION_MODIFIER_NONE));
  CHECK(rec.waitFor("axis-discrete 0 -1"));

  push(gst_navigation_event_new_key_press("at", GST_NAVIGATION_MODIFIER_NONE));
  push(gst_navigation_event_new_key_release("at", GST_NAVIGATION_MODIFIER_NONE));
  if constexpr (InputFixture<TestType>::kMutter) {
    /* Mutter keeps the session's layout: a layout change is refused. */
    CHECK_FALSE(gst_harness_push_upstream_event(
      h.get(), gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                                    gst_structure_new("vdi-keyboard-layout", "layout",
                                                      G_TYPE_STRING, "de", nullptr))));
    push(gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                              gst_structure_new("vdi-text", "text", G_TYPE_STRING, "{|", nullptr)));
    std::vector<std::string> want = {"at", "braceleft", "bar"};
    CHECK(rec.pressedSyms(want.size(), kWait, true) == want);
  } else {
    push(gst_event_new_custom(
      GST_EVENT_CUSTOM_UPSTREAM,
      gst_structure_new("vdi-keyboard-layout", "layout", G_TYPE_STRING, "de", nullptr)));
    push(
      gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                           gst_structure_new("vdi-text", "text", G_TYPE_STRING, "€ß|", nullptr)));
    std::vector<std::string> want = {"at", "EuroSign", "ssharp", "bar"};
    CHECK(rec.pressedSyms(want.size()) == want);
  }

  /* Invalid events are refused, not injected. */
  CHECK_FALSE(gst_harness_push_upstream_event(
    h.get(), gst_navigation_event_new_mouse_move(9999, 5, GST_NAVIGATION_MODIFIER_NONE)));
  CHECK_FALSE(gst_harness_push_upstream_event(
    h.get(), gst_navigation_event_new_key_press("NoSuchKeysym", GST_NAVIGATION_MODIFIER_NONE)));

  /* A key still down when the source stops is released. */
  push(gst_navigation_event_new_key_press("k", GST_NAVIGATION_MODIFIER_NONE));
  REQUIRE(rec.waitFor("key pressed 37 k"));
  h.reset();
  CHECK(rec.waitFor("key released 37"));
}

TEMPLATE_TEST_CASE_METHOD(InputFixture,
                          "navigation coordinates from a scaled stream map back onto the output",
                          "[inputsink][waylandsrc]", SwayDesktop, MutterDesktop)
{
  REQUIRE_DESKTOP(TestType);
  this->startClient();
  auto &rec = this->rec;
  /* The viewer sees 320x240; the output is 640x480. videoscale maps the
   * navigation coordinates back (GstNavigation's own mapping). */
  std::string desc = "vdiwaylandsrc show-cursor=false " + this->desk->props() +
                     " ! videoscale ! capsfilter caps=video/x-raw,width=320,height=240";
  HarnessPtr h(gst_harness_new_parse(desc.c_str()));
  gst_harness_use_systemclock(h.get());
  gst_harness_play(h.get());
  REQUIRE(pullWithin(h.get(), 10000ms));
  waitInputReady(rec, [&] {
    gst_harness_push_upstream_event(
      h.get(), gst_navigation_event_new_mouse_move(1, 1, GST_NAVIGATION_MODIFIER_NONE));
  });
  CHECK(gst_harness_push_upstream_event(
    h.get(), gst_navigation_event_new_mouse_move(160, 120, GST_NAVIGATION_MODIFIER_NONE)));
  auto m = rec.waitMotion();
  INFO(rec.history());
  REQUIRE(m);
  CHECK(near(*m, 320, 240));
  CHECK(gst_harness_push_upstream_event(
    h.get(), gst_navigation_event_new_mouse_move(300, 10, GST_NAVIGATION_MODIFIER_NONE)));
  m = rec.waitMotion();
  REQUIRE(m);
  CHECK(near(*m, 600, 20));
}
