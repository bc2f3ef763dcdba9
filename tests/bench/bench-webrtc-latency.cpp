/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Input-to-photon latency through vdiwebrtcsink, in real Chromium over
 * loopback: a headless sway at WxH runs vdi-input-client --flip (the whole
 * window flips dark/light on each key press); the pipeline
 *
 *   vdiwaylandsrc ! videoconvert ! x264enc tune=zerolatency ! vdiwebrtcsink
 *
 * serves it; the page (webrtc-latency.mjs) sends a key on the data channel
 * and times, with requestVideoFrameCallback and a canvas pixel read, the
 * frame that shows the new colour. Breakdown from timestamps on one clock
 * (CLOCK_REALTIME; the page's performance.timeOrigin + now() is epoch time):
 *
 *   channel  page send -> navigation event crosses the encoder upstream
 *   inject   -> the client dispatches the key (vdi-input-client --timestamps)
 *   render   -> the flipped frame is committed
 *   capture  -> vdiwaylandsrc pushes the first frame after the commit
 *   encode   -> x264enc outputs that frame (videoconvert + x264)
 *   deliver  -> the page sees it (RTP, DTLS/SRTP, jitter buffer, decode, present)
 *
 *   bench-webrtc-latency [PRESSES] [WIDTH] [HEIGHT] [FPS] [press|join] [sway|mutter|gnome]
 *                                                   (default 200 1920 1080 60 press sway)
 *
 * With `mutter` the desktop is a headless Mutter instead (capture through
 * ScreenCast/PipeWire, input through RemoteDesktop: vdiwaylandsrc's mutter
 * backend), the same client and page. With `gnome` it is a headless GNOME
 * Shell session (MutterCompositor's shell option: as vdid starts
 * compositor=gnome, overview left), through the same mutter backend.
 *
 * With `join` as the fifth argument it measures instead, PRESSES times,
 * the time from a viewer's connect() (WebSocket, signalling, ICE, DTLS,
 * keyframe request) to its first presented frame, on the same still
 * desktop (damage-driven capture, infinite GOP: only the keyframe request
 * on join can produce the picture).
 */

#include "mutter-compositor.h"
#include "sway-session.h"

#include <gst/gst.h>
#include <gst/video/navigation.h>
#include <gst/video/video.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using vdi::test::Process;
using vdi::test::SwaySession;

namespace {

double realMs()
{
  return g_get_real_time() / 1000.0;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, in ms (to place the client's stamps). */
double monoToRealOffsetMs()
{
  return (g_get_real_time() - g_get_monotonic_time()) / 1000.0;
}

struct Stamps {
  std::mutex lock;
  std::vector<double> captured; /* vdiwaylandsrc src: frame out */
  std::vector<double> encoded;  /* x264enc src: frame out */
  std::vector<double> navigation;
};

GstPadProbeReturn onBuffer(GstPad *, GstPadProbeInfo *, gpointer data)
{
  auto *v = static_cast<std::pair<Stamps *, int> *>(data);
  std::lock_guard<std::mutex> l(v->first->lock);
  (v->second == 0 ? v->first->captured : v->first->encoded).push_back(realMs());
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn onUpstream(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *s = static_cast<Stamps *>(data);
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) == GST_EVENT_NAVIGATION &&
      gst_navigation_event_get_type(ev) == GST_NAVIGATION_EVENT_KEY_PRESS) {
    std::lock_guard<std::mutex> l(s->lock);
    s->navigation.push_back(realMs());
  }
  return GST_PAD_PROBE_OK;
}

double after(const std::vector<double> &v, double t)
{
  auto it = std::lower_bound(v.begin(), v.end(), t);
  return it == v.end() ? -1 : *it;
}

struct Series {
  std::vector<double> v;
  void add(double x)
  {
    if (x >= 0)
      v.push_back(x);
  }
  double pct(double p) const
  {
    if (v.empty())
      return -1;
    std::vector<double> s = v;
    std::sort(s.begin(), s.end());
    size_t i = std::min(s.size() - 1, size_t(p * (s.size() - 1) + 0.5));
    return s[i];
  }
};

} // namespace

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  int presses = argc > 1 ? atoi(argv[1]) : 200;
  int width = argc > 2 ? atoi(argv[2]) : 1920;
  int height = argc > 3 ? atoi(argv[3]) : 1080;
  int fps = argc > 4 ? atoi(argv[4]) : 60;
  bool join = argc > 5 && std::string(argv[5]) == "join";
  std::string desktop = argc > 6 ? argv[6] : "sway";
  bool shell = desktop == "gnome";
  bool mutter = shell || desktop == "mutter";
  if (!g_getenv("VDI_TEST_CLIENT_DIR"))
    g_setenv("VDI_TEST_CLIENT_DIR", VDI_TESTS_BUILD_DIR, TRUE);
  std::string why = mutter ? vdi::test::MutterCompositor::unavailableReason(shell)
                           : SwaySession::unavailableReason();
  if (!why.empty()) {
    fprintf(stderr, "cannot run: %s\n", why.c_str());
    return 77;
  }

  /* One of the desktops, the flip client on it. */
  std::unique_ptr<SwaySession> sway;
  std::unique_ptr<vdi::test::MutterCompositor> gnome;
  std::unique_ptr<Process> client;
  std::string target;
  std::vector<std::string> clientArgv = {vdi::test::helperPath("vdi-input-client"), "--flip",
                                         "--timestamps"};
  if (mutter) {
    vdi::test::MutterCompositor::Options opt;
    opt.width = width;
    opt.height = height;
    opt.shell = shell;
    gnome = std::make_unique<vdi::test::MutterCompositor>(opt);
    client = gnome->spawnClient(clientArgv);
    target = gnome->elementProperties();
  } else {
    SwaySession::Options opt;
    opt.width = width;
    opt.height = height;
    sway = std::make_unique<SwaySession>(opt);
    client = sway->spawnClient(clientArgv);
    target = "display=\"" + sway->display() + "\"";
  }
  if (!client->waitFor("configured", 15000ms)) {
    fprintf(stderr, "vdi-input-client did not start\n");
    return 1;
  }

  std::ostringstream desc;
  desc << "vdiwaylandsrc name=src show-cursor=false " << target << " "
       << "! video/x-raw,framerate=" << fps << "/1 ! videoconvert n-threads=2 "
       << "! x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate=8000 "
          "key-int-max=100000 "
       << "! vdiwebrtcsink name=sink port=0 address=127.0.0.1 min-bitrate=8000 max-bitrate=8000 "
          "web-root=\""
       << VDI_WEB_DIR << "\"";
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.str().c_str(), &err);
  if (!pipeline) {
    fprintf(stderr, "pipeline: %s\n", err->message);
    return 1;
  }
  Stamps stamps;
  std::pair<Stamps *, int> cap{&stamps, 0}, enc{&stamps, 1};
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *x264 = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  GstPad *srcPad = gst_element_get_static_pad(src, "src");
  GstPad *encSrc = gst_element_get_static_pad(x264, "src");
  GstPad *encSink = gst_element_get_static_pad(x264, "sink");
  gst_pad_add_probe(srcPad, GST_PAD_PROBE_TYPE_BUFFER, onBuffer, &cap, nullptr);
  gst_pad_add_probe(encSrc, GST_PAD_PROBE_TYPE_BUFFER, onBuffer, &enc, nullptr);
  gst_pad_add_probe(encSink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onUpstream, &stamps, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  guint port = 0;
  g_object_get(sink, "bound-port", &port, nullptr);
  std::string base = "http://127.0.0.1:" + std::to_string(port);

  /* Read the client's flips in the background. */
  std::mutex flipLock;
  std::vector<double> keyAt, flipAt;
  std::atomic<bool> stop{false}, focused{false};
  std::thread reader([&] {
    while (!stop) {
      auto l = client->readLine(200ms);
      if (!l)
        continue;
      if (l->rfind("kb-enter", 0) == 0)
        focused = true;
      auto t = l->rfind(" t=");
      if (t == std::string::npos)
        continue;
      double ms = atoll(l->c_str() + t + 3) / 1000.0 + monoToRealOffsetMs();
      std::lock_guard<std::mutex> g(flipLock);
      if (l->rfind("key pressed", 0) == 0)
        keyAt.push_back(ms);
      else if (l->rfind("flip ", 0) == 0)
        flipAt.push_back(ms);
    }
  });

  /* Keys go to the focused window. A headless compositor has a keyboard
   * only once the pipeline's RemoteDesktop session made one, and GNOME
   * Shell does not focus a window that maps without a user's action: click
   * into the client, as a user would, until it has the focus. */
  int64_t until = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
  for (int64_t click = g_get_monotonic_time() + G_USEC_PER_SEC; !focused;) {
    if (g_get_monotonic_time() > until) {
      fprintf(stderr, "vdi-input-client did not get the keyboard focus\n");
      stop = true;
      reader.join();
      return 1;
    }
    if (g_get_monotonic_time() > click) {
      double x = width / 2.0, y = height / 2.0;
      gst_pad_push_event(encSink, gst_navigation_event_new_mouse_button_press(
                                    1, x, y, GST_NAVIGATION_MODIFIER_NONE));
      gst_pad_push_event(encSink, gst_navigation_event_new_mouse_button_release(
                                    1, x, y, GST_NAVIGATION_MODIFIER_NONE));
      click = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
    }
    std::this_thread::sleep_for(20ms);
  }
  Process page({"node", std::string(VDI_SOURCE_DIR) + "/tests/bench/webrtc-latency.mjs", base,
                std::to_string(presses), join ? "join" : "press"});
  if (join) {
    Series first;
    std::string end;
    while (auto l = page.readLine(120000ms)) {
      if (l->rfind("done ", 0) == 0) {
        end = *l;
        break;
      }
      int i;
      double ms;
      if (sscanf(l->c_str(), "join %d %lf", &i, &ms) == 2)
        first.add(ms);
    }
    stop = true;
    reader.join();
    printf("viewer join -> first presented frame, %dx%d@%d still desktop: median %.1f ms, p95 "
           "%.1f ms, max %.1f ms, n=%zu %s\n",
           width, height, fps, first.pct(0.5), first.pct(0.95), first.pct(1.0), first.v.size(),
           end.c_str());
    gst_element_set_state(pipeline, GST_STATE_NULL);
    return 0;
  }
  Series total, channel, inject, render, capture, encode, deliver, present;
  std::string done;
  while (true) {
    auto l = page.readLine(120000ms);
    if (!l)
      break;
    if (l->rfind("skip ", 0) == 0) {
      fprintf(stderr, "cannot run: %s\n", l->c_str() + 5);
      return 77;
    }
    if (l->rfind("done ", 0) == 0) {
      done = *l;
      break;
    }
    int i;
    double send, seen, presented;
    if (sscanf(l->c_str(), "press %d %lf %lf %lf", &i, &send, &seen, &presented) != 4)
      continue;
    std::this_thread::sleep_for(20ms); /* let the reader catch the client's lines */
    std::lock_guard<std::mutex> g(flipLock);
    std::lock_guard<std::mutex> s(stamps.lock);
    double nav = after(stamps.navigation, send - 5);
    double key = after(keyAt, send - 5);
    double flip = key >= 0 ? after(flipAt, key) : -1;
    double cap = flip >= 0 ? after(stamps.captured, flip) : -1;
    double encd = cap >= 0 ? after(stamps.encoded, cap) : -1;
    total.add(seen - send);
    present.add(presented - send);
    if (nav >= 0)
      channel.add(nav - send);
    if (nav >= 0 && key >= 0)
      inject.add(key - nav);
    if (flip >= 0)
      render.add(flip - key);
    if (cap >= 0)
      capture.add(cap - flip);
    if (encd >= 0) {
      encode.add(encd - cap);
      deliver.add(seen - encd);
    }
  }
  stop = true;
  reader.join();

  auto row = [](const char *name, const Series &s) {
    printf("| %-34s | %7.1f | %7.1f | %5zu |\n", name, s.pct(0.5), s.pct(0.95), s.v.size());
  };
  printf("input-to-photon, %s %dx%d@%d, x264 ultrafast zerolatency 8 Mbit/s, Chromium, loopback\n",
         shell    ? "GNOME Shell"
         : mutter ? "Mutter"
                  : "sway",
         width, height, fps);
  printf("%s\n", done.c_str());
  printf("| %-34s | %7s | %7s | %5s |\n", "stage", "median", "p95", "n");
  printf("|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(9, '-').c_str(),
         std::string(9, '-').c_str(), std::string(7, '-').c_str());
  row("key sent -> frame seen by page JS", total);
  row("key sent -> frame presentationTime", present);
  row("  data channel -> pipeline", channel);
  row("  inject (-> client gets key)", inject);
  row("  render (-> flipped frame commit)", render);
  row("  capture (-> vdiwaylandsrc push)", capture);
  row("  convert+encode (-> x264enc out)", encode);
  row("  RTP+decode+present (-> seen)", deliver);

  gst_element_set_state(pipeline, GST_STATE_NULL);
  for (GstPad *p : {srcPad, encSrc, encSink})
    gst_object_unref(p);
  for (GstElement *e : {src, x264, sink, pipeline})
    gst_object_unref(e);
  client->send("quit");
  return total.v.size() >= size_t(presses) * 9 / 10 ? 0 : 1;
}
