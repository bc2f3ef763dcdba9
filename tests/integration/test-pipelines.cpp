/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The pipelines/ recipes, run for a few seconds against a real headless
 * sway and checked by real clients: ffmpeg on the SRT URL, ffprobe and
 * souphttpsrc ! hlsdemux on the HLS playlist over loopback HTTP, curl on the
 * WebRTC page, wev for the input channel. Recipes whose elements are not
 * registered here are parse-checked and skipped with the reason.
 */

#include "srt-test-util.h"

#include <gst/video/video.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <regex>
#include <thread>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

std::string recipe(const std::string &name)
{
  const char *root = g_getenv("VDI_SOURCE_ROOT");
  REQUIRE(root);
  return std::string(root) + "/pipelines/" + name;
}

std::vector<std::string> recipeEnv(const std::vector<std::string> &extra = {})
{
  std::vector<std::string> env = {"ADDRESS=127.0.0.1", "FPS=30", "BITRATE=1500"};
  if (const char *build = g_getenv("VDI_BUILD_ROOT"))
    env.push_back(std::string("VDI_ENCODER_TOOL=") + build + "/common/vdi-encoder");
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

/* A port the kernel says is free now (UDP for SRT, TCP for HTTP). */
int freePort(int type)
{
  int fd = socket(AF_INET, type, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

/* Runs a recipe with VDI_PRINT_ONLY and parses its pipeline with
 * @missing elements replaced by fakesink: the recipe is well-formed. */
void parseCheck(const std::string &script, const std::vector<std::string> &args,
                const std::vector<std::string> &missing)
{
  std::vector<std::string> argv = {"bash", recipe(script)};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p(argv, recipeEnv({"VDI_PRINT_ONLY=1"}));
  auto line = p.readLine(10s);
  REQUIRE(line);
  std::string cmd = *line;
  const std::string prefix = "gst-launch-1.0 -e ";
  REQUIRE(cmd.rfind(prefix, 0) == 0);
  cmd = cmd.substr(prefix.size());
  for (const std::string &m : missing)
    cmd = std::regex_replace(cmd, std::regex(m + "( [a-z-]+=[^ ]*)*"), "fakesink");
  g_autoptr(GError) error = nullptr;
  GstElement *pipeline = gst_parse_launch(cmd.c_str(), &error);
  INFO(cmd << ": " << (error ? error->message : ""));
  /* Only the elements of this project may be missing (vdiwaylandsrc, ...). */
  if (error)
    CHECK(error->code == GST_PARSE_ERROR_NO_SUCH_ELEMENT);
  else
    CHECK(pipeline);
  if (pipeline)
    gst_object_unref(pipeline);
}

/* eventually() for probes that start a program (curl, ffmpeg): every
 * 300 ms rather than every 10. */
template <typename Fn>
bool probeUntil(std::chrono::milliseconds timeout, Fn fn)
{
  return eventually(timeout, fn, 300ms);
}

/* HTTP GET with curl over loopback: status code, body in @body. */
int httpGet(const std::string &url, std::string *body = nullptr)
{
  TempDir tmp;
  Process p(
    {"curl", "-s", "-o", tmp.path() + "/body", "-w", "%{http_code}\n", "--max-time", "5", url});
  auto line = p.readLine(10s);
  p.wait(5s);
  if (body)
    *body = readFile(tmp.path() + "/body");
  return line ? atoi(line->c_str()) : 0;
}

struct HlsCheck {
  int frames = 0;
  int width = 0;
};

/* Plays @url with souphttpsrc ! hlsdemux and decodes up to 10 frames. */
HlsCheck playHls(const std::string &url)
{
  HlsCheck r;
  PipelinePtr p = launch("souphttpsrc location=" + url +
                         " ! hlsdemux ! tsdemux ! h264parse ! avdec_h264 ! appsink name=out "
                         "sync=false");
  GstElement *out = child(p.get(), "out");
  gst_element_set_state(p.get(), GST_STATE_PLAYING);
  while (r.frames < 10) {
    GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(out), 15 * GST_SECOND);
    if (!s)
      break;
    GstVideoInfo info;
    if (gst_video_info_from_caps(&info, gst_sample_get_caps(s)))
      r.width = GST_VIDEO_INFO_WIDTH(&info);
    r.frames++;
    gst_sample_unref(s);
  }
  return r;
}

std::string ffprobeStream(const std::string &url)
{
  Process p({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "stream=codec_name,width,height", "-of", "csv=p=0", url});
  auto line = p.readLine(30s);
  p.wait(5s);
  return line.value_or("");
}

} // namespace

TEST_CASE("recipe: desktop-srt serves the desktop to ffmpeg", "[recipe]")
{
  REQUIRE_SWAY();
  if (!haveElement("vdiwaylandsrc") || !haveElement("vdisrtsink"))
    FAIL("vdiwaylandsrc / vdisrtsink not registered");
  SwaySession sway;
  auto client = sway.startTestClient();
  REQUIRE(client->send("color ff0000"));
  REQUIRE(client->waitFor("ok color", 5s));

  int port = freePort(SOCK_DGRAM);
  TempDir tmp;
  Process run({"bash", recipe("desktop-srt.sh"), sway.display(), std::to_string(port), "desk"},
              recipeEnv(), tmp.path() + "/recipe.log");
  std::string url = "srt://127.0.0.1:" + std::to_string(port) + "?streamid=read:desk";
  std::vector<Rgb> frames;
  std::string log;
  /* Until the recipe is up and the desktop's red is on screen (under load
   * the first captured frame can predate sway's repaint)... */
  CHECK(probeUntil(30s, [&] {
    frames = ffmpegFrames(url, 3, 20s, &log);
    return frames.size() == 3 && near(frames.back(), 255, 0, 0);
  }));
  INFO("ffmpeg: " << log << " recipe: " << readFile(tmp.path() + "/recipe.log"));
  /* ...then a new reader sees it from its first frame on. */
  frames = ffmpegFrames(url, 3, 20s, &log);
  REQUIRE(frames.size() == 3);
  for (auto &c : frames) {
    INFO(c);
    CHECK(near(c, 255, 0, 0));
  }
  /* The desktop changes, the viewer sees it. */
  REQUIRE(client->send("color 0000ff"));
  REQUIRE(client->waitFor("ok color", 5s));
  frames = ffmpegFrames(url, 3, 20s, &log);
  REQUIRE(frames.size() == 3);
  CHECK(near(frames.back(), 0, 0, 255));
  CHECK(run.running());
}

TEST_CASE("recipe: desktop-hls plays in ffprobe and hlsdemux, sliding and cleaned", "[recipe]")
{
  REQUIRE_SWAY();
  if (!haveElement("vdiwaylandsrc"))
    FAIL("vdiwaylandsrc not registered");
  SwaySession sway;
  auto client = sway.startTestClient();
  REQUIRE(client->send("animate 30"));
  REQUIRE(client->waitFor("ok animate", 5s));

  int port = freePort(SOCK_STREAM);
  TempDir dir;
  Process run(
    {"bash", recipe("desktop-hls.sh"), sway.display(), std::to_string(port), "desk", dir.path()},
    recipeEnv(), dir.path() + "/recipe.log");
  std::string playlist_path = dir.path() + "/hls/desk/index.m3u8";
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hls/desk/index.m3u8";

  /* Three segments are there within a few seconds. */
  REQUIRE(probeUntil(30s, [&] { return countFiles(dir.path() + "/hls/desk", ".ts") >= 3; }));
  REQUIRE(probeUntil(10s, [&] { return httpGet(url) == 200; }));

  std::string probe = ffprobeStream(url);
  INFO("ffprobe: " << probe);
  CHECK(probe == "h264,640,480");

  HlsCheck hls = playHls(url);
  CHECK(hls.frames == 10);
  CHECK(hls.width == 640);

  /* Sliding: after ~12 segments the playlist starts later and keeps at most
   * 5 entries, old segments are deleted (max-files 10). */
  REQUIRE(probeUntil(
    30s, [&] { return readFile(playlist_path).find("segment00012.ts") != std::string::npos; }));
  std::string m3u8 = readFile(playlist_path);
  INFO(m3u8);
  CHECK(m3u8.find("#EXT-X-TARGETDURATION:1\n") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(m3u8, m, std::regex("#EXT-X-MEDIA-SEQUENCE:([0-9]+)")));
  CHECK(std::stoi(m[1]) >= 7);
  int entries = 0;
  const std::regex extinf("#EXTINF:([0-9.]+)");
  for (auto it = std::sregex_iterator(m3u8.begin(), m3u8.end(), extinf);
       it != std::sregex_iterator(); ++it) {
    entries++;
    CHECK(std::stod((*it)[1]) <= 1.6); /* 1 s segments, cut at the next keyframe */
  }
  CHECK(entries <= 5);
  CHECK(entries >= 3);
  CHECK(countFiles(dir.path() + "/hls/desk", ".ts") <= 11);
  CHECK_FALSE(g_file_test((dir.path() + "/hls/desk/segment00000.ts").c_str(), G_FILE_TEST_EXISTS));
  CHECK(run.running());
}

TEST_CASE("recipe: desktop-webrtc", "[recipe]")
{
  REQUIRE_SWAY();
  if (!haveElement("vdiwebrtcsink")) {
    parseCheck("desktop-webrtc.sh", {"wayland-1", "8080"}, {"vdiwebrtcsink"});
    VDI_SKIP("vdiwebrtcsink is not registered here: recipe parse-checked only");
  }
  SwaySession sway;
  auto client = sway.startTestClient();
  int port = freePort(SOCK_STREAM);
  TempDir tmp;
  Process run({"bash", recipe("desktop-webrtc.sh"), sway.display(), std::to_string(port)},
              recipeEnv(), tmp.path() + "/recipe.log");
  /* The element's signalling server answers HTTP (the player page at / is
   * only there when web/ was built, so any HTTP answer counts; a GET on the
   * WHEP endpoint is not a POST: 4xx). */
  int code = 0;
  CHECK(probeUntil(30s, [&] {
    code = httpGet("http://127.0.0.1:" + std::to_string(port) + "/whep");
    return code != 0;
  }));
  INFO(readFile(tmp.path() + "/recipe.log"));
  CHECK(code >= 200);
  CHECK(code < 500);
  std::this_thread::sleep_for(2s);
  CHECK(run.running());
  CHECK(readFile(tmp.path() + "/recipe.log").find("ERROR") == std::string::npos);
}

TEST_CASE("recipe: desktop-all serves SRT, HLS and WebRTC from one encoder", "[recipe]")
{
  REQUIRE_SWAY();
  if (!haveElement("vdiwebrtcsink")) {
    parseCheck("desktop-all.sh", {"wayland-1", "8080", "8890", "8888"}, {"vdiwebrtcsink"});
    VDI_SKIP("vdiwebrtcsink is not registered here: recipe parse-checked only");
  }
  SwaySession sway;
  auto client = sway.startTestClient();
  REQUIRE(client->send("animate 30"));
  REQUIRE(client->waitFor("ok animate", 5s));
  int web = freePort(SOCK_STREAM), srt = freePort(SOCK_DGRAM), hls = freePort(SOCK_STREAM);
  TempDir dir;
  Process run({"bash", recipe("desktop-all.sh"), sway.display(), std::to_string(web),
               std::to_string(srt), std::to_string(hls), "desk", dir.path()},
              recipeEnv(), dir.path() + "/recipe.log");
  std::string srt_url = "srt://127.0.0.1:" + std::to_string(srt) + "?streamid=read:desk";
  std::string hls_url = "http://127.0.0.1:" + std::to_string(hls) + "/hls/desk/index.m3u8";
  std::string log;
  std::vector<Rgb> frames;
  CHECK(probeUntil(30s, [&] {
    frames = ffmpegFrames(srt_url, 3, 20s, &log);
    return frames.size() == 3;
  }));
  INFO("ffmpeg: " << log << " recipe: " << readFile(dir.path() + "/recipe.log"));
  CHECK(frames.size() == 3);
  REQUIRE(probeUntil(30s, [&] { return countFiles(dir.path() + "/hls/desk", ".ts") >= 3; }));
  CHECK(ffprobeStream(hls_url) == "h264,640,480");
  int code = httpGet("http://127.0.0.1:" + std::to_string(web) + "/whep");
  CHECK(code >= 200);
  CHECK(code < 500);
  CHECK(run.running());
}

TEST_CASE("recipe: input-tcp injects JSON events into the session", "[recipe]")
{
  REQUIRE_SWAY();
  if (!haveElement("vdiinputsink")) {
    parseCheck("input-tcp.sh", {"wayland-1", "7000"}, {"vdiinputsink"});
    VDI_SKIP("vdiinputsink is not registered here: recipe parse-checked only");
  }
  if (!haveProgram("wev"))
    VDI_SKIP("wev is not installed");
  SwaySession sway;
  /* wev prints the input events its window gets. */
  auto wev = sway.spawnClient({"stdbuf", "-oL", "wev"}); /* line-buffered into our pipe */
  REQUIRE(wev->waitFor("[", 10s));
  std::this_thread::sleep_for(500ms);

  int port = freePort(SOCK_STREAM);
  TempDir tmp;
  Process run({"bash", recipe("input-tcp.sh"), sway.display(), std::to_string(port)}, recipeEnv(),
              tmp.path() + "/recipe.log");
  /* Send events with a plain TCP client once the port listens. */
  bool sent = probeUntil(20s, [&] {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(uint16_t(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) == 0;
    if (ok) {
      std::string lines;
      for (int i = 0; i < 5; i++)
        lines += "{\"id\":" + std::to_string(i) +
                 ",\"request\":{\"type\":\"navigationEvent\",\"event\":{\"event\":\"MouseMove\","
                 "\"x\":" +
                 std::to_string(200 + 10 * i) + ",\"y\":" + std::to_string(200 + 5 * i) + "}}}\n";
      ok = write(fd, lines.data(), lines.size()) == ssize_t(lines.size());
      std::this_thread::sleep_for(500ms);
    }
    close(fd);
    return ok;
  });
  INFO(readFile(tmp.path() + "/recipe.log"));
  REQUIRE(sent);
  /* wev reports pointer motion in its window. */
  CHECK(wev->waitFor("[", 1s)); /* any further output */
  bool motion = false;
  int64_t deadline = monotonicMs() + 10000;
  while (!motion && monotonicMs() < deadline) {
    auto line = wev->readLine(1s);
    if (line && line->find("motion") != std::string::npos)
      motion = true;
  }
  CHECK(motion);
}
