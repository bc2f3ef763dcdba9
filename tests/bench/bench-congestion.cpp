/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Congestion control under link steps, side by side: vdiwebrtcsink with
 * congestion-control=delay (TWCC, the default) and =loss (receiver
 * reports only, the round-1 adaptation), each in the same run on the same
 * shaped link: Chromium in a network namespace behind a veth pair whose
 * server-to-viewer direction goes through `tc tbf` at 8 -> 2 -> 8 Mbit/s
 * (PHASE seconds each; 100 ms of queue). 640x360 noise, x264 up to
 * 8 Mbit/s. Every second it samples the element's stats of the viewer:
 * sent bitrate (RTP incl. retransmissions), target, frames handed to the
 * payloader, RTCP round trip; prints the series and, per phase, medians,
 * the RTT p95 and the time the target took to go below 2 Mbit/s / back
 * above 6 Mbit/s.
 *
 *   meson devenv -C BUILD ./tests/bench/bench-congestion [PHASE] [ROUNDS]   (default 15 1)
 *
 * Needs root (network namespaces), Chromium and playwright-core.
 */

#include "shaped-link.h"
#include "sway-session.h"

#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using vdi::test::Process;
using vdi::test::ShapedLink;

namespace {

struct Sample {
  double t = 0, sent = 0, target = 0, fps = 0, rtt = 0;
  int phase = 0;
};

bool sample(GstElement *sink, Sample *out)
{
  GstStructure *stats = nullptr;
  g_object_get(sink, "stats", &stats, nullptr);
  if (!stats)
    return false;
  bool found = false;
  for (int i = 0; i < gst_structure_n_fields(stats); i++) {
    const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
    if (!GST_VALUE_HOLDS_STRUCTURE(v))
      continue;
    const GstStructure *s = gst_value_get_structure(v);
    double bitrate = 0, fps = 0, rtt = 0;
    guint target = 0;
    gst_structure_get_double(s, "bitrate", &bitrate);
    gst_structure_get_double(s, "fps", &fps);
    gst_structure_get_double(s, "rtt", &rtt);
    gst_structure_get_uint(s, "target-bitrate", &target);
    out->sent = bitrate / 1000;
    out->target = target;
    out->fps = fps;
    out->rtt = rtt * 1000;
    found = true;
  }
  gst_structure_free(stats);
  return found;
}

double pct(std::vector<double> v, double p)
{
  if (v.empty())
    return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * v.size()))];
}

/* One mode through the three phases; false if it could not run. */
bool run(const char *mode, int phase_s, std::vector<Sample> *out)
{
  ShapedLink link;
  if (!link.ok())
    return false;
  std::string desc =
    std::string("videotestsrc is-live=true pattern=snow ! "
                "video/x-raw,width=640,height=360,framerate=30/1 ! videoconvert ! "
                "x264enc tune=zerolatency speed-preset=ultrafast bitrate=8000 key-int-max=60 ! "
                "vdiwebrtcsink name=sink port=0 min-bitrate=300 max-bitrate=8000 "
                "congestion-control=") +
    mode + " address=" + link.hostAddress() + " ice-addresses=<\"" + link.hostAddress() +
    "\"> web-root=\"" + VDI_WEB_DIR + "\"";
  GError *err = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &err);
  if (!pipeline || err) {
    fprintf(stderr, "pipeline: %s\n", err ? err->message : "?");
    return false;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  guint port = 0;
  g_object_get(sink, "bound-port", &port, nullptr);
  std::string base = "http://" + link.hostAddress() + ":" + std::to_string(port);
  link.shape(8000);
  Process browser(link.run(
    {"node", std::string(VDI_SOURCE_DIR) + "/tests/browser/webrtc.mjs", "viewers", base, "1"}));
  bool ok = browser.waitFor("result ", 60s).has_value();
  if (ok) {
    auto t0 = std::chrono::steady_clock::now();
    const unsigned rates[] = {8000, 2000, 8000};
    for (int p = 0; p < 3; p++) {
      link.shape(rates[p]);
      for (int s = 0; s < phase_s; s++) {
        std::this_thread::sleep_for(1s); /* the element refreshes its stats every second */
        Sample x;
        if (!sample(sink, &x))
          continue;
        x.t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        x.phase = p;
        out->push_back(x);
      }
    }
    browser.send("done");
    browser.wait(10s);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return ok;
}

void summary(const char *mode, const std::vector<Sample> &v, int phase_s)
{
  const char *names[] = {"8 Mbit/s", "2 Mbit/s", "8 Mbit/s again"};
  for (int p = 0; p < 3; p++) {
    std::vector<double> sent, fps, rtt;
    double first = -1, converged = -1;
    for (const auto &s : v) {
      if (s.phase != p)
        continue;
      if (first < 0)
        first = s.t - 1;
      bool reached = p == 1 ? s.target < 2000 : s.target >= 6000;
      if (reached && converged < 0)
        converged = s.t - first;
      /* Medians over the settled part of the phase. */
      if (s.t - first > phase_s / 3.0) {
        sent.push_back(s.sent);
        fps.push_back(s.fps);
        rtt.push_back(s.rtt);
      }
    }
    printf("%-6s %-15s sent %6.0f kbit/s  fps %4.1f  rtt median %5.1f ms p95 %5.1f ms  "
           "target %s in %s\n",
           mode, names[p], pct(sent, 0.5), pct(fps, 0.5), pct(rtt, 0.5), pct(rtt, 0.95),
           p == 1 ? "< 2 Mbit/s" : ">= 6 Mbit/s",
           converged < 0 ? "never" : (std::to_string(int(converged)) + " s").c_str());
  }
}

} // namespace

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  int phase_s = argc > 1 ? atoi(argv[1]) : 15;
  int rounds = argc > 2 ? atoi(argv[2]) : 1;
  std::string why = ShapedLink::unavailableReason();
  if (!why.empty()) {
    printf("skip: %s\n", why.c_str());
    return 77;
  }
  for (int r = 0; r < rounds; r++)
    for (const char *mode : {"delay", "loss"}) {
      std::vector<Sample> v;
      if (!run(mode, phase_s, &v)) {
        printf("%s: could not run (Chromium, playwright-core?)\n", mode);
        return 1;
      }
      for (const auto &s : v)
        printf("series %s t=%5.1f phase=%d sent=%6.0f target=%5.0f fps=%4.1f rtt=%6.1f\n", mode,
               s.t, s.phase, s.sent, s.target, s.fps, s.rtt);
      summary(mode, v, phase_s);
      fflush(stdout);
    }
  return 0;
}
