/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A vdid session's streams besides the signalling WebSocket, each checked
 * with a real client: WHEP in Chromium, HLS with ffmpeg, SRT with ffprobe.
 */

#include "vdid-fixture.h"
#include "ws-client.h"

#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <sys/stat.h>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

/* The child of @parent whose command name is @comm, or -1. */
pid_t childNamed(pid_t parent, const std::string &comm)
{
  g_autoptr(GDir) proc = g_dir_open("/proc", 0, nullptr);
  const char *name;
  while ((name = g_dir_read_name(proc))) {
    if (!g_ascii_isdigit(name[0]))
      continue;
    g_autofree char *path = g_strdup_printf("/proc/%s/stat", name);
    g_autofree char *stat = nullptr;
    if (!g_file_get_contents(path, &stat, nullptr, nullptr))
      continue;
    /* pid (comm) state ppid ... */
    const char *open = strchr(stat, '('), *close = strrchr(stat, ')');
    if (!open || !close || std::string(open + 1, close) != comm)
      continue;
    int ppid = 0;
    if (sscanf(close + 2, "%*c %d", &ppid) == 1 && ppid == parent)
      return atoi(name);
  }
  return -1;
}

/* GLib/GStreamer criticals in a log (vdid's stderr, which its workers
 * share), one per line. */
std::string criticalsIn(const std::string &path)
{
  std::ifstream in(path);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("-CRITICAL **") != std::string::npos)
      out += line + "\n";
  return out;
}

/* A temporary file for vdid's stderr, removed with the object. */
struct LogFile {
  std::string path;
  LogFile()
  {
    g_autofree char *p = nullptr;
    close(g_file_open_tmp("vdid-log-XXXXXX", &p, nullptr));
    path = p;
  }
  ~LogFile() { unlink(path.c_str()); }
  /* Whether the log came to hold @needle within @timeout (all of it in
   * @text); @each runs before every look. */
  bool waitFor(
    const std::string &needle, std::chrono::milliseconds timeout, std::string *text,
    const std::function<void()> &each = [] {})
  {
    return eventually(
      timeout,
      [&] {
        each();
        std::ifstream f(path);
        text->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        return text->find(needle) != std::string::npos;
      },
      200ms);
  }
};

/* ffprobe of the first video stream of srt://127.0.0.1:@port with
 * @streamid: its exit status, and "codec,width,height" in @out. */
int srtProbe(const std::string &port, const std::string &streamid, std::string *out)
{
  return run({"ffprobe", "-v", "error", "-rw_timeout", "20000000", "-select_streams", "v:0",
              "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0",
              "srt://127.0.0.1:" + port + "?streamid=" + streamid + "&timeout=20000000"},
             out);
}

/* The SRT port in a session object's "urls". */
std::string srtPortOf(const std::string &body, const std::string &id)
{
  std::smatch m;
  if (!std::regex_search(
        body, m,
        std::regex("\"srt\":\"srt://127\\.0\\.0\\.1:([0-9]+)\\?streamid=read:" + id + "\"")))
    return "";
  return m[1];
}

#define REQUIRE_FFMPEG()                                                                           \
  do {                                                                                             \
    if (!g_find_program_in_path("ffprobe") || !g_find_program_in_path("ffmpeg"))                   \
      VDI_SKIP("ffmpeg/ffprobe not installed (apt-get install ffmpeg)");                           \
  } while (0)

} // namespace

TEST_CASE("a WHEP viewer in Chromium decodes a vdid session", "[vdid][streams][browser]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_BROWSER();
  SessionVdid v;
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  std::string whep = v.vdid->base + "/whep/" + id;
  CHECK(c.request("GET", url, "", v.owner).body.find("\"whep\":\"/whep/" + id + "\"") !=
        std::string::npos);

  /* What a WHEP client gets wrong is answered, not hung. */
  CHECK(c.request("POST", whep, "v=0\r\n").status == 401);
  Response r = c.request("POST", whep, "{}", v.owner);
  CHECK(r.status == 415);
  CHECK(!jsonError(r.body).empty());
  CHECK(c.request("POST", v.vdid->base + "/whep/nosuchsession", "{}", v.owner).status == 404);
  CHECK(c.request("POST", whep, "{}", v.other).status == 404);

  std::string token = shareToken(c, url, v.owner, "view");
  std::string src = g_getenv("VDI_SOURCE_ROOT");
  Process browser({"node", src + "/tests/browser/vdid-whep.mjs", v.vdid->base, id, token});
  auto line = browser.waitFor("result ", 90s);
  REQUIRE(line);
  std::string json = line->substr(7);
  INFO(json);
  CHECK(json.find("\"error\"") == std::string::npos);
  CHECK(std::stoi(member(json, "frames")) >= 3);
  CHECK(member(json, "width") == "640");
  CHECK(member(json, "height") == "480");
  CHECK(member(json, "contentType") == "application/sdp");
  CHECK(member(json, "location").rfind("/whep/" + id + "/", 0) == 0);
  CHECK(member(json, "patch") == "204");
  CHECK(member(json, "del") == "200");
  CHECK(member(json, "secondDelete") == "404");
}

TEST_CASE("a vdid session's HLS playlist plays in ffmpeg", "[vdid][streams]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_FFMPEG();
  LogFile log;
  SessionVdid v("", "", log.path);
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  std::string playlist = v.vdid->base + "/hls/" + id + "/index.m3u8";
  CHECK(c.request("GET", url, "", v.owner).body.find("\"hls\":\"/hls/" + id + "/index.m3u8\"") !=
        std::string::npos);

  CHECK(c.request("GET", playlist).status == 401);
  CHECK(c.request("GET", playlist, "", v.other).status == 404);
  CHECK(c.request("GET", v.vdid->base + "/hls/" + id + "/../../etc/passwd", "", v.owner).status ==
        404);

  /* The first request starts the session's HLS branch and waits for it. */
  Response r = c.request("GET", playlist, "", v.owner);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("#EXTM3U") == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.body, m, std::regex("(segment[0-9]+\\.ts)")));
  Response segment = c.request("GET", v.vdid->base + "/hls/" + id + "/" + m[1].str(), "", v.owner);
  CHECK(segment.status == 200);
  CHECK(segment.body.size() > 1000);
  CHECK(static_cast<unsigned char>(segment.body[0]) == 0x47); /* MPEG-TS sync byte */

  /* A player with nothing but a URL: the share token rides along. */
  std::string token = shareToken(c, url, v.owner, "view");
  r = c.request("GET", playlist + "?token=" + token);
  REQUIRE(r.status == 200);
  CHECK(r.body.find(".ts?token=" + token) != std::string::npos);
  std::string out;
  int status =
    run({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height", "-of", "csv=p=0", playlist + "?token=" + token},
        &out);
  INFO(out);
  CHECK(status == 0);
  CHECK(out.find("h264,640,480") != std::string::npos);
  status = run({"ffmpeg", "-v", "error", "-i", playlist + "?token=" + token, "-frames:v", "30",
                "-f", "null", "-"},
               &out);
  INFO(out);
  CHECK(status == 0);

  /* An HLS reader counts as a viewer (metrics, idle reaper): the worker
   * reports it within its 2 s stats period. */
  std::string labels = "\\{session=\"" + id + "\",user=\"" + v.user + "\"\\}";
  CHECK(eventually(
    8s,
    [&] {
      std::string text = c.request("GET", v.vdid->base + "/metrics", "", v.owner).body;
      std::smatch vm;
      return std::regex_search(text, vm,
                               std::regex("vdi_session_viewers" + labels + " ([0-9.]+)")) &&
             std::stod(vm[1]) >= 1;
    },
    100ms));

  /* The session stops with its HLS branch running: the worker takes the
   * branch down while the tee and the pipeline it hangs off are there (a
   * critical here also kills a worker run with the test's fatal-criticals). */
  CHECK(c.request("DELETE", url, "", v.owner).status == 204);
  CHECK(criticalsIn(log.path) == "");
}

TEST_CASE("vdid serves every session over SRT on one port", "[vdid][streams]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_FFMPEG();
  /* vdid waits for its SRT port before it listens: the first session
   * already has SRT, and says where. */
  LogFile log;
  SessionVdid v("", "", log.path);
  Client c;
  std::string a, b;
  std::string url_a = startStreamingSession(v, c, &a);
  startStreamingSession(v, c, &b);
  std::string port = srtPortOf(c.request("GET", url_a, "", v.owner).body, a);
  REQUIRE_FALSE(port.empty());
  auto probe = [&](const std::string &streamid, std::string *out) {
    return srtProbe(port, streamid, out);
  };
  auto plays = [&](const std::string &streamid) {
    std::string out;
    int status = probe(streamid, &out);
    INFO(streamid << ": " << out);
    CHECK(status == 0);
    CHECK(out.find("h264,640,480") != std::string::npos);
  };
  plays("read:" + a + ":" + v.user + ":pw1");
  plays("read:" + b + ":" + v.user + ":pw1");
  /* A share token instead of a password. */
  std::string token = shareToken(c, url_a, v.owner, "view");
  plays("read:" + a + ":share:" + token);
  std::string out;
  /* Wrong password, someone else's session, no credentials, no session. */
  CHECK(probe("read:" + a + ":" + v.user + ":wrong", &out) != 0);
  CHECK(probe("read:" + a + ":bob:pw2", &out) != 0);
  CHECK(probe("read:" + a, &out) != 0);
  CHECK(probe("read:nosuchsession:" + v.user + ":pw1", &out) != 0);

  /* The relay runs unprivileged and ends with vdid (SIGTERM to vdid only,
   * not to its process group). */
  pid_t relay = childNamed(v.vdid->proc->pid(), "vdid-srt");
  REQUIRE(relay > 0);
  struct passwd *nobody = getpwnam("nobody");
  REQUIRE(nobody);
  CHECK(ownerOf(relay) == nobody->pw_uid);
  kill(v.vdid->proc->pid(), SIGTERM);
  CHECK(v.vdid->proc->wait(20s));
  CHECK_FALSE(g_file_test(("/proc/" + std::to_string(relay)).c_str(), G_FILE_TEST_EXISTS));
  /* Both workers stopped with their SRT branches up, without a critical. */
  CHECK(criticalsIn(log.path) == "");
}

TEST_CASE("an SRT reader of a still desktop keeps getting 30 decodable frames a second",
          "[vdid][streams]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_FFMPEG();
  SessionVdid v;
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  std::string port = srtPortOf(c.request("GET", url, "", v.owner).body, id);
  REQUIRE_FALSE(port.empty());
  /* 3 s of the stream, every picture decoded (errors on stderr), with the
   * size of the packet it came in. */
  std::string out;
  int status = run(
    {"ffprobe", "-v", "error", "-rw_timeout", "20000000", "-select_streams", "v:0",
     "-read_intervals", "%+3", "-show_frames", "-show_entries", "frame=pkt_size", "-of", "csv=p=0",
     "srt://127.0.0.1:" + port + "?streamid=read:" + id + ":" + v.user + ":pw1&timeout=20000000"},
    &out);
  INFO(out);
  REQUIRE(status == 0);
  std::vector<unsigned long> sizes;
  std::stringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    REQUIRE(!line.empty());
    REQUIRE(g_ascii_isdigit(line[0])); /* a size, not a decoding error */
    sizes.push_back(std::stoul(line));
  }
  /* 30 frames a second on a still screen (some slack for a busy machine). */
  CHECK(sizes.size() >= 45);
  /* ... nearly all of them pictures of a few bytes (vdih264keepalive's
   * skipped ones). */
  size_t tiny = std::count_if(sizes.begin(), sizes.end(), [](unsigned long s) { return s < 100; });
  INFO(tiny << " of " << sizes.size() << " pictures came in under 100 bytes");
  CHECK(tiny * 10 >= sizes.size() * 8);
}

TEST_CASE("a killed vdid-srt is restarted with SRT back for every session",
          "[vdid][streams][faults]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_FFMPEG();
  LogFile log;
  SessionVdid v("", "", log.path);
  Client c;
  std::string a, b;
  std::string url_a = startStreamingSession(v, c, &a);
  std::string port = srtPortOf(c.request("GET", url_a, "", v.owner).body, a);
  REQUIRE_FALSE(port.empty());
  auto plays = [&](const std::string &id) {
    std::string out;
    int status = srtProbe(port, "read:" + id + ":" + v.user + ":pw1", &out);
    INFO(id << ": " << out);
    CHECK(status == 0);
    CHECK(out.find("h264,640,480") != std::string::npos);
  };
  plays(a);

  pid_t relay = childNamed(v.vdid->proc->pid(), "vdid-srt");
  REQUIRE(relay > 0);
  kill(relay, SIGKILL);
  /* B starts while vdid-srt is down (it comes back after 1 s). */
  Response r = c.request("POST", v.vdid->base + "/api/v1/sessions", "{}", v.owner);
  REQUIRE(r.status == 201);
  b = member(r.body, "id");
  std::string url_b = v.vdid->base + "/api/v1/sessions/" + b;
  REQUIRE(waitState(c, url_b, v.owner) == "running");
  std::string text;
  bool back = log.waitFor("vdid-srt is back", 15s, &text);
  INFO(text);
  REQUIRE(back);
  CHECK(text.find("vdid-srt was killed") != std::string::npos);
  pid_t again = childNamed(v.vdid->proc->pid(), "vdid-srt");
  CHECK(again > 0);
  CHECK(again != relay);
  /* The same port, both sessions, and A still runs. */
  CHECK(srtPortOf(c.request("GET", url_b, "", v.owner).body, b) == port);
  plays(a);
  plays(b);
  CHECK(member(c.request("GET", url_a, "", v.owner).body, "state") == "running");
}

namespace {

/* A tmpfs of @size over @dir, owned like @dir, unmounted with the object. */
struct SmallFs {
  std::string dir;
  bool mounted = false;
  SmallFs(const std::string &d, const char *size) : dir(d)
  {
    struct stat st;
    if (stat(dir.c_str(), &st) < 0)
      return;
    g_autofree char *options =
      g_strdup_printf("size=%s,uid=%u,gid=%u,mode=0700", size, st.st_uid, st.st_gid);
    std::string out;
    mounted = run({"mount", "-t", "tmpfs", "-o", options, "tmpfs", dir}, &out) == 0;
  }
  ~SmallFs() { unmount(); }
  void unmount()
  {
    std::string out;
    if (mounted)
      run({"umount", "-l", dir}, &out);
    mounted = false;
  }
};

} // namespace

TEST_CASE("a full disk under HLS stops only the HLS branch; WebRTC streams on",
          "[vdid][streams][faults]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  LogFile log;
  SessionVdid v("", "", log.path);
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  /* The worker made its HLS dir at start; 64 KiB hold a segment or two. */
  SmallFs fs(v.base + "/" + id + "/hls", "64k");
  if (!fs.mounted)
    VDI_SKIP("cannot mount a tmpfs here (needs root and mount permission)");
  std::string playlist = v.vdid->base + "/hls/" + id + "/index.m3u8";
  std::string text;
  bool stopped = log.waitFor("HLS branch stopped", 30s, &text, [&] {
    c.request("GET", playlist, "", v.owner); /* keeps the HLS branch wanted */
  });
  INFO(text);
  REQUIRE(stopped);
  CHECK(text.find("No space left on device") != std::string::npos);
  /* HLS readers get the cause, not the last playlist. */
  Response r = c.request("GET", playlist, "", v.owner);
  CHECK(r.status == 503);
  CHECK(r.body.find("the session's HLS stopped:") != std::string::npos);
  /* The session runs on, and a WebRTC viewer still gets its offer. */
  CHECK(member(c.request("GET", url, "", v.owner).body, "state") == "running");
  viewerWithOffer(url, v.owner);
  /* Space again: within the 10 s retry, HLS plays again. */
  fs.unmount();
  CHECK(eventually(
    30s, [&] { return c.request("GET", playlist, "", v.owner).status == 200; }, 1s));
}
