/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Input injection latency: the time from a message entering vdiinputsink
 * (appsrc pushes the line) to a real Wayland client receiving the event
 * (vdi-input-client --timestamps stamps each event with CLOCK_MONOTONIC
 * when it dispatches it), over N key events and N pointer motions, against
 * a headless sway run as the test user.
 *
 * Baselines measured in the same run on the same compositor:
 *  - floor: a wl_display_roundtrip from this process (one request to the
 *    compositor and its answer; injection needs two hops: us -> compositor
 *    -> client);
 *  - wtype: the common command-line injector (one process per key, as
 *    scripts use it), if installed.
 *
 *   bench-input-latency [N]      (default 1000; run as root or the test user)
 */

#include "sway-session.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <wayland-client.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using vdi::test::Process;
using vdi::test::SwaySession;

namespace {

struct Summary {
  double median_ms = 0, p99_ms = 0, mean_ms = 0;
  size_t n = 0;
};

Summary summarize(std::vector<double> us)
{
  Summary s;
  if (us.empty())
    return s;
  std::sort(us.begin(), us.end());
  s.n = us.size();
  s.median_ms = us[us.size() / 2] / 1000.0;
  s.p99_ms = us[std::min(us.size() - 1, us.size() * 99 / 100)] / 1000.0;
  double sum = 0;
  for (double v : us)
    sum += v;
  s.mean_ms = sum / us.size() / 1000.0;
  return s;
}

void print(const char *what, const Summary &s)
{
  printf("%-44s n=%-5zu median %7.3f ms   p99 %7.3f ms   mean %7.3f ms\n", what, s.n, s.median_ms,
         s.p99_ms, s.mean_ms);
}

/* "... t=123456" -> 123456 */
int64_t stamp(const std::string &line)
{
  size_t at = line.rfind(" t=");
  return at == std::string::npos ? -1 : std::atoll(line.c_str() + at + 3);
}

std::optional<std::string> waitPrefix(Process &p, const std::string &prefix,
                                      std::chrono::milliseconds timeout)
{
  return p.waitFor(prefix, timeout);
}

std::string nav(int id, const std::string &ev)
{
  return "{\"id\":" + std::to_string(id) +
         ",\"request\":{\"type\":\"navigationEvent\",\"event\":" + ev + "}}\n";
}

void push(GstElement *appsrc, const std::string &line)
{
  gst_app_src_push_buffer(GST_APP_SRC(appsrc), gst_buffer_new_memdup(line.data(), line.size()));
}

} // namespace

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  int n = argc > 1 ? std::max(10, atoi(argv[1])) : 1000;
  if (!g_getenv("VDI_TEST_CLIENT_DIR"))
    g_setenv("VDI_TEST_CLIENT_DIR", VDI_TESTS_BUILD_DIR, TRUE);
  std::string why = SwaySession::unavailableReason();
  if (!why.empty()) {
    fprintf(stderr, "cannot run: %s\n", why.c_str());
    return 77;
  }

  SwaySession sway;
  auto client = sway.spawnClient({vdi::test::helperPath("vdi-input-client"), "--timestamps"});
  if (!client->waitFor("configured", 15000ms)) {
    fprintf(stderr, "the client did not start:\n%s\n", sway.log().c_str());
    return 1;
  }

  std::string desc = "appsrc name=src format=bytes caps=application/x-vdi-input ! vdiinputsink "
                     "display=\"" +
                     sway.display() + "\"";
  GstElement *pipeline = gst_parse_launch(desc.c_str(), nullptr);
  GstElement *appsrc = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND);
  int id = 0;
  /* Wait until the client has bound keyboard and pointer. */
  if (!client->waitFor("kb-enter", 15000ms)) {
    fprintf(stderr, "no keyboard focus\n");
    return 1;
  }
  bool pointer_ready = false;
  for (int i = 0; i < 10 && !pointer_ready; i++) {
    push(appsrc, nav(++id, "{\"event\":\"MouseMove\",\"x\":1,\"y\":1}"));
    pointer_ready = client->waitFor("pointer-enter", 1000ms).has_value();
  }

  /* Keys: alternate press and release of `a`, one message at a time. */
  std::vector<double> keys, moves, floor_us, wtype_us;
  for (int i = 0; i < n; i++) {
    bool press = i % 2 == 0;
    std::string line = nav(++id, std::string("{\"event\":\"") +
                                   (press ? "KeyPress" : "KeyRelease") + "\",\"key\":\"a\"}");
    int64_t t0 = g_get_monotonic_time();
    push(appsrc, line);
    auto got = waitPrefix(*client, press ? "key pressed" : "key released", 5000ms);
    if (!got) {
      fprintf(stderr, "key event %d lost\n", i);
      return 1;
    }
    keys.push_back(static_cast<double>(stamp(*got) - t0));
  }
  /* Absolute motion to alternating points. */
  for (int i = 0; i < n; i++) {
    int x = 100 + (i % 2) * 200;
    std::string line =
      nav(++id, "{\"event\":\"MouseMove\",\"x\":" + std::to_string(x) + ",\"y\":200}");
    int64_t t0 = g_get_monotonic_time();
    push(appsrc, line);
    auto got = waitPrefix(*client, "motion", 5000ms);
    if (!got) {
      fprintf(stderr, "motion %d lost\n", i);
      return 1;
    }
    moves.push_back(static_cast<double>(stamp(*got) - t0));
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(appsrc);
  gst_object_unref(pipeline);

  /* Floor: a raw round trip to the same compositor. */
  wl_display *display = wl_display_connect(sway.display().c_str());
  if (display) {
    for (int i = 0; i < n; i++) {
      int64_t t0 = g_get_monotonic_time();
      wl_display_roundtrip(display);
      floor_us.push_back(static_cast<double>(g_get_monotonic_time() - t0));
    }
    wl_display_disconnect(display);
  }

  /* wtype: one process per key, as shell scripts use it. */
  int wtype_n = std::min(n, 100);
  int wtype_lost = 0;
  g_autofree char *wtype = g_find_program_in_path("wtype");
  if (wtype) {
    for (int i = 0; i < wtype_n; i++) {
      int64_t t0 = g_get_monotonic_time();
      auto p = sway.spawnClient({"wtype", "a"});
      auto got = waitPrefix(*client, "key pressed", 1500ms);
      p->wait(5000ms);
      if (got)
        wtype_us.push_back(static_cast<double>(stamp(*got) - t0));
      else
        wtype_lost++;
    }
  }

  printf("input injection latency, sway %s headless (pixman), %d events each\n", "1.7", n);
  Summary k = summarize(keys), m = summarize(moves), f = summarize(floor_us);
  print("vdiinputsink key (message -> client)", k);
  print("vdiinputsink motion (message -> client)", m);
  print("floor: wl_display_roundtrip", f);
  if (!wtype_us.empty()) {
    print("baseline: wtype a (process per key)", summarize(wtype_us));
    printf("  wtype: %d of %d key presses never reached the client\n", wtype_lost, wtype_n);
  } else
    printf("baseline: wtype not installed\n");
  printf("key median / floor median: %.2f\n", f.median_ms > 0 ? k.median_ms / f.median_ms : 0.0);
  printf("target: median <= 1 ms: %s\n",
         k.median_ms <= 1.0 && m.median_ms <= 1.0 ? "met" : "NOT met");
  return 0;
}
