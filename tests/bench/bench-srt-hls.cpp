/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * bench-srt-hls: the figures of issue 5, against a real headless sway.
 *
 *   bench-srt-hls srt-latency [N]   glass-to-glass latency, vdisrtsink vs
 *                                   GStreamer's srtsink (baseline), default
 *                                   latency (125 ms), N colour changes each
 *   bench-srt-hls hls-latency [N]   colour change -> first decoded frame
 *                                   with it, HLS 1 s segments, ffmpeg reading
 *                                   at the live edge and at its default
 *   bench-srt-hls cpu [SECONDS]     CPU of recipes: all three outputs vs
 *                                   WebRTC only (vs SRT only without
 *                                   vdiwebrtcsink), and the keyframe policy:
 *                                   one encoder long GOP / one encoder 1 s
 *                                   GOP / two encoders
 *
 * "Glass": the vdi-test-client in the session is asked to fill its window
 * with a new colour (time T0, when the command is written); the client
 * decodes frames and reports the time the centre pixel first shows it (T1).
 * Run it with `meson devenv -C BUILD ./tests/bench/bench-srt-hls ...` (the
 * devenv finds the uninstalled plugins).
 */

#include "sway-session.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

int64_t nowMs()
{
  return g_get_monotonic_time() / 1000;
}

int freePort(int type)
{
  int fd = socket(AF_INET, type, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

double median(std::vector<double> v)
{
  if (v.empty())
    return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p)
{
  if (v.empty())
    return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

/* Colour of a decoded RGB frame's centre: 'r', 'b' or '?'. */
char classify(const uint8_t *rgb)
{
  if (rgb[0] > 180 && rgb[2] < 80)
    return 'r';
  if (rgb[2] > 180 && rgb[0] < 80)
    return 'b';
  return '?';
}

/* Watches decoded frames (any source) for colour changes. */
struct ColourWatch {
  std::mutex lock;
  char current = '?';
  int64_t changed_at = 0;

  void frame(char c)
  {
    std::lock_guard<std::mutex> l(lock);
    if (c != '?' && c != current) {
      current = c;
      changed_at = nowMs();
    }
  }
  /* Waits until the colour is @c; returns when it changed, or -1. */
  int64_t waitFor(char c, std::chrono::milliseconds timeout)
  {
    int64_t deadline = nowMs() + timeout.count();
    while (nowMs() < deadline) {
      {
        std::lock_guard<std::mutex> l(lock);
        if (current == c)
          return changed_at;
      }
      std::this_thread::sleep_for(2ms);
    }
    return -1;
  }
};

GstFlowReturn onSample(GstAppSink *sink, gpointer data)
{
  GstSample *s = gst_app_sink_pull_sample(sink);
  GstBuffer *b = gst_sample_get_buffer(s);
  GstMapInfo map;
  gst_buffer_map(b, &map, GST_MAP_READ);
  /* 8x8 RGB: the centre pixel (4,4). */
  static_cast<ColourWatch *>(data)->frame(classify(map.data + (4 * 8 + 4) * 3));
  gst_buffer_unmap(b, &map);
  gst_sample_unref(s);
  return GST_FLOW_OK;
}

/* Flips the client's colour @n times and measures each change. */
std::vector<double> measure(Process &client, ColourWatch &watch, int n,
                            std::chrono::milliseconds timeout)
{
  std::vector<double> out;
  char colour = 'r';
  client.send("color ff0000");
  client.waitFor("ok color", 5s);
  watch.waitFor('r', 20s);
  for (int i = 0; i < n; i++) {
    colour = colour == 'r' ? 'b' : 'r';
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + (i * 37) % 200));
    int64_t t0 = nowMs();
    client.send(colour == 'r' ? "color ff0000" : "color 0000ff");
    int64_t t1 = watch.waitFor(colour, timeout);
    client.waitFor("ok color", 5s);
    if (t1 > 0)
      out.push_back(double(t1 - t0));
    else
      fprintf(stderr, "  change %d not seen within %lld ms\n", i, (long long)timeout.count());
  }
  return out;
}

struct Pipeline {
  GstElement *p = nullptr;
  explicit Pipeline(const std::string &desc)
  {
    GError *err = nullptr;
    p = gst_parse_launch(desc.c_str(), &err);
    if (!p) {
      fprintf(stderr, "pipeline: %s\n  %s\n", err ? err->message : "?", desc.c_str());
      exit(1);
    }
    gst_element_set_state(p, GST_STATE_PLAYING);
  }
  ~Pipeline()
  {
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
  }
};

void report(const char *what, const std::vector<double> &v)
{
  printf("%-46s n=%zu median=%.0f ms p95=%.0f ms min=%.0f max=%.0f\n", what, v.size(), median(v),
         percentile(v, 0.95), v.empty() ? -1 : *std::min_element(v.begin(), v.end()),
         v.empty() ? -1 : *std::max_element(v.begin(), v.end()));
  fflush(stdout);
}

std::string encoder(int gop)
{
  return "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency "
         "speed-preset=ultrafast bframes=0 bitrate=2000 vbv-buf-capacity=200 key-int-max=" +
         std::to_string(gop);
}

/* ---- SRT ------------------------------------------------------------------- */

int srtLatency(int n)
{
  SwaySession sway;
  auto client = sway.startTestClient();
  std::string cap = "vdiwaylandsrc display=\"" + sway.display() +
                    "\" show-cursor=false keepalive=33 ! video/x-raw,framerate=30/1 ! " +
                    encoder(60) + " ! h264parse config-interval=-1";
  auto reader = [](int port, const std::string &query) {
    return "srtsrc uri=\"srt://127.0.0.1:" + std::to_string(port) + query +
           "\" ! tsdemux ! h264parse ! avdec_h264 ! videoconvert ! videoscale ! "
           "video/x-raw,format=RGB,width=8,height=8 ! appsink name=out sync=false "
           "emit-signals=true";
  };
  std::vector<double> ours_all, base_all;
  /* Interleaved rounds so load from other processes hits both alike. */
  for (int round = 0; round < 2; round++) {
    for (int which = 0; which < 2; which++) {
      int port = freePort(SOCK_DGRAM);
      std::string server =
        which == 0
          ? cap + " ! mpegtsmux ! s.sink_desk vdisrtsink name=s uri=srt://127.0.0.1:" +
              std::to_string(port)
          : cap + " ! mpegtsmux alignment=7 ! srtsink uri=srt://127.0.0.1:" + std::to_string(port) +
              "?mode=listener wait-for-connection=false";
      Pipeline srv(server);
      std::this_thread::sleep_for(1s);
      ColourWatch watch;
      Pipeline cli(reader(port, which == 0 ? "?streamid=read:desk" : ""));
      GstElement *out = gst_bin_get_by_name(GST_BIN(cli.p), "out");
      g_signal_connect(out, "new-sample", G_CALLBACK(onSample), &watch);
      gst_object_unref(out);
      auto v = measure(*client, watch, n / 2, 5s);
      report(which == 0 ? "  round: vdisrtsink" : "  round: srtsink (baseline)", v);
      (which == 0 ? ours_all : base_all)
        .insert((which == 0 ? ours_all : base_all).end(), v.begin(), v.end());
    }
  }
  report("SRT glass-to-glass, vdisrtsink (latency 125)", ours_all);
  report("SRT glass-to-glass, srtsink baseline (125)", base_all);
  printf("ratio of medians vdisrtsink/srtsink: %.2f\n", median(ours_all) / median(base_all));
  return 0;
}

/* Diagnostics: capture -> @chain -> 8x8 RGB appsink, in one process. */
int chainLatency(const std::string &chain, int n)
{
  SwaySession sway;
  auto client = sway.startTestClient();
  ColourWatch watch;
  Pipeline p("vdiwaylandsrc display=\"" + sway.display() +
             "\" show-cursor=false ! video/x-raw,framerate=30/1 ! " + chain +
             " ! videoconvert ! videoscale ! video/x-raw,format=RGB,width=8,height=8 ! appsink "
             "name=out sync=false emit-signals=true");
  GstElement *out = gst_bin_get_by_name(GST_BIN(p.p), "out");
  g_signal_connect(out, "new-sample", G_CALLBACK(onSample), &watch);
  gst_object_unref(out);
  report(("chain: " + chain).c_str(), measure(*client, watch, n, 5s));
  return 0;
}

/* ---- HLS ------------------------------------------------------------------- */

/* ffmpeg reading @url, 8x8 RGB frames on a pipe into @watch. */
struct FfmpegReader {
  pid_t pid = -1;
  int fd = -1;
  std::thread thread;
  std::atomic<bool> stop{false};

  FfmpegReader(const std::string &url, const std::vector<std::string> &opts, ColourWatch *watch)
  {
    int p[2];
    if (pipe(p) != 0)
      exit(1);
    std::vector<std::string> argv = {"ffmpeg", "-nostdin", "-v", "error"};
    argv.insert(argv.end(), opts.begin(), opts.end());
    for (const char *a :
         {"-i", "", "-vf", "scale=8:8", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"})
      argv.push_back(a);
    argv[argv.size() - 8] = url;
    pid = fork();
    if (pid == 0) {
      dup2(p[1], 1);
      close(p[0]);
      std::vector<char *> cargv;
      for (auto &a : argv)
        cargv.push_back(const_cast<char *>(a.c_str()));
      cargv.push_back(nullptr);
      execvp("ffmpeg", cargv.data());
      _exit(127);
    }
    close(p[1]);
    fd = p[0];
    thread = std::thread([this, watch] {
      uint8_t frame[192];
      size_t have = 0;
      while (!stop) {
        ssize_t r = read(fd, frame + have, sizeof frame - have);
        if (r <= 0)
          break;
        have += size_t(r);
        if (have == sizeof frame) {
          watch->frame(classify(frame + (4 * 8 + 4) * 3));
          have = 0;
        }
      }
    });
  }
  ~FfmpegReader()
  {
    stop = true;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(fd);
    thread.join();
  }
};

int hlsLatency(int n)
{
  SwaySession sway;
  auto client = sway.startTestClient();
  char tmpl[] = "/tmp/vdi-hls-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string sess = dir + "/hls/desk";
  g_mkdir_with_parents(sess.c_str(), 0755);
  int port = freePort(SOCK_STREAM);
  Process http({"python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir,
                std::to_string(port)},
               {}, "/dev/null");
  /* The desktop-hls.sh recipe's pipeline: 1 s GOP, hlssink2 1 s segments. */
  Pipeline srv("vdiwaylandsrc display=\"" + sway.display() +
               "\" show-cursor=false ! video/x-raw,framerate=30/1 ! " + encoder(30) +
               " ! h264parse config-interval=-1 ! hlssink2 target-duration=1 playlist-length=5 "
               "max-files=10 location=" +
               sess + "/segment%05d.ts playlist-location=" + sess + "/index.m3u8");
  /* The screen must change for frames to flow at 30 fps (damage-driven). */
  client->send("animate 30");
  std::this_thread::sleep_for(5s);
  client->send("stop");
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hls/desk/index.m3u8";
  struct Mode {
    const char *name;
    std::vector<std::string> opts;
  } modes[] = {
    {"HLS, ffmpeg at the live edge (-live_start_index -1)", {"-live_start_index", "-1"}},
    {"HLS, ffmpeg default start (3 segments back)", {}},
  };
  for (auto &m : modes) {
    ColourWatch watch;
    FfmpegReader reader(url, m.opts, &watch);
    /* Keepalive frames carry the colour while the screen is still: let
     * the client repaint continuously via small rects instead. */
    auto v = measure(*client, watch, n, 10s);
    report(m.name, v);
  }
  std::string rm = "rm -rf '" + dir + "'";
  return system(rm.c_str());
}

/* ---- CPU ------------------------------------------------------------------- */

/* CPU seconds (user+system) of every process in group @pgrp. */
double groupCpu(pid_t pgrp)
{
  double total = 0;
  long hz = sysconf(_SC_CLK_TCK);
  DIR *d = opendir("/proc");
  while (dirent *e = readdir(d)) {
    if (!isdigit(e->d_name[0]))
      continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string s;
    std::getline(in, s);
    size_t rp = s.rfind(')');
    if (rp == std::string::npos)
      continue;
    std::istringstream fields(s.substr(rp + 2));
    std::string f[14];
    for (auto &x : f)
      fields >> x;
    /* after ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     */
    if (atoi(f[2].c_str()) != pgrp)
      continue;
    total += (atof(f[11].c_str()) + atof(f[12].c_str())) / double(hz);
  }
  closedir(d);
  return total;
}

double runCpu(const std::vector<std::string> &argv, int seconds, const std::string &log)
{
  Process p(argv, {"ADDRESS=127.0.0.1", "FPS=30", "BITRATE=2000"}, log);
  std::this_thread::sleep_for(4s); /* start-up */
  double c0 = groupCpu(p.pid());
  int64_t t0 = nowMs();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  double c1 = groupCpu(p.pid());
  double wall = double(nowMs() - t0) / 1000.0;
  bool alive = p.running();
  p.stop();
  if (!alive)
    fprintf(stderr, "  %s ended early, see %s\n", argv[1].c_str(), log.c_str());
  return alive ? (c1 - c0) / wall : -1;
}

int cpu(int seconds)
{
  SwaySession::Options o;
  o.width = 1280;
  o.height = 720;
  SwaySession sway(o);
  auto client = sway.startTestClient();
  client->send("animate 30");
  client->waitFor("ok animate", 5s);
  const char *root = g_getenv("VDI_SOURCE_ROOT");
  std::string pipes = std::string(root ? root : ".") + "/pipelines/";
  GstElementFactory *f = gst_element_factory_find("vdiwebrtcsink");
  bool webrtc = f != nullptr;
  if (f)
    gst_object_unref(f);
  std::string d = sway.display();
  auto port = [](int t) { return std::to_string(freePort(t)); };
  std::string cap = "vdiwaylandsrc display=\"" + d + "\" ! video/x-raw,framerate=30/1 ! ";

  struct Case {
    std::string name;
    std::vector<std::string> argv;
    std::vector<double> cpu;
  };
  std::vector<Case> cases;
  if (webrtc)
    cases.push_back({"recipe desktop-webrtc.sh (baseline)",
                     {"bash", pipes + "desktop-webrtc.sh", d, port(SOCK_STREAM)}});
  else
    cases.push_back({"recipe desktop-srt.sh (baseline; no vdiwebrtcsink)",
                     {"bash", pipes + "desktop-srt.sh", d, port(SOCK_DGRAM)}});
  cases.push_back({"recipe desktop-all.sh (WebRTC+SRT+HLS)",
                   {"bash", pipes + "desktop-all.sh", d, port(SOCK_STREAM), port(SOCK_DGRAM),
                    port(SOCK_STREAM)}});
  cases.push_back({"policy: 1 x264, long GOP (10 s)",
                   {"gst-launch-1.0", "-q", cap + encoder(300) + " ! fakesink"}});
  cases.push_back(
    {"policy: 1 x264, 1 s GOP", {"gst-launch-1.0", "-q", cap + encoder(30) + " ! fakesink"}});
  cases.push_back({"policy: 2 x264 (long GOP + 1 s GOP)",
                   {"gst-launch-1.0", "-q",
                    cap + "tee name=t t. ! queue ! " + encoder(300) + " ! fakesink t. ! queue ! " +
                      encoder(30) + " ! fakesink"}});
  /* gst-launch takes one pipeline string per argument word: split. */
  for (auto &c : cases) {
    if (c.argv[0] == "gst-launch-1.0") {
      std::string desc = c.argv[2];
      c.argv = {"sh", "-c", "exec gst-launch-1.0 -q " + desc};
    }
  }
  for (int round = 0; round < 3; round++)
    for (auto &c : cases) {
      double v = runCpu(c.argv, seconds, "/tmp/bench-srt-hls-cpu.log");
      fprintf(stderr, "  round %d %-44s %.3f\n", round, c.name.c_str(), v);
      if (v >= 0)
        c.cpu.push_back(v);
    }
  for (auto &c : cases)
    printf("%-52s median CPU %.1f%% of one core (n=%zu)\n", c.name.c_str(), 100 * median(c.cpu),
           c.cpu.size());
  printf("ratio all-three / %s: %.2f\n", webrtc ? "webrtc-only" : "srt-only",
         median(cases[1].cpu) / median(cases[0].cpu));
  printf("ratio 2 encoders / 1 encoder 1 s GOP: %.2f\n",
         median(cases[4].cpu) / median(cases[3].cpu));
  printf("ratio 1 s GOP / long GOP: %.2f\n", median(cases[3].cpu) / median(cases[2].cpu));
  return 0;
}

} // namespace

int main(int argc, char **argv)
{
  /* Defaults for a run from the build tree (meson test sets them too). */
  g_setenv("VDI_TEST_CLIENT_DIR", VDI_TESTS_BUILD_DIR, FALSE);
  g_setenv("VDI_SOURCE_ROOT", VDI_SOURCE_DIR, FALSE);
  gst_init(&argc, &argv);
  std::string what = argc > 1 ? argv[1] : "";
  int n = argc > 2 ? atoi(argv[2]) : 0;
  std::string why = SwaySession::unavailableReason();
  if (!why.empty()) {
    fprintf(stderr, "bench-srt-hls: %s\n", why.c_str());
    return 77;
  }
  if (what == "srt-latency")
    return srtLatency(n > 0 ? n : 40);
  if (what == "hls-latency")
    return hlsLatency(n > 0 ? n : 10);
  if (what == "chain" && argc > 3)
    return chainLatency(argv[3], n > 0 ? n : 10);
  if (what == "cpu")
    return cpu(n > 0 ? n : 10);
  fprintf(stderr, "usage: bench-srt-hls srt-latency [N] | hls-latency [N] | cpu [SECONDS]\n");
  return 2;
}
