/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Helpers shared by the SRT, HLS and pipeline-recipe tests. */

#pragma once

#include "gst-util.h"
#include "sway-session.h"
#include "test-util.h"

#include <gst/app/gstappsink.h>
#include <srt/srt.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace vdi::test {

struct PipelineDeleter {
  void operator()(GstElement *p) const
  {
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
  }
};
using PipelinePtr = std::unique_ptr<GstElement, PipelineDeleter>;

inline PipelinePtr launch(const std::string &desc)
{
  g_autoptr(GError) error = nullptr;
  GstElement *p = gst_parse_launch(desc.c_str(), &error);
  INFO(desc);
  INFO((error ? error->message : ""));
  REQUIRE(p);
  REQUIRE_FALSE(error);
  return PipelinePtr(p);
}

inline GstElement *child(GstElement *pipeline, const char *name)
{
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
  REQUIRE(e);
  gst_object_unref(e); /* the pipeline keeps it */
  return e;
}

inline bool haveElement(const char *name)
{
  GstElementFactory *f = gst_element_factory_find(name);
  if (f)
    gst_object_unref(f);
  return f != nullptr;
}

inline bool haveProgram(const char *name)
{
  g_autofree gchar *p = g_find_program_in_path(name);
  return p != nullptr;
}

/* A temporary folder, removed with its content. */
class TempDir
{
public:
  TempDir()
  {
    char tmpl[] = "/tmp/vdi-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir()
  {
    std::string cmd = "rm -rf '" + path_ + "'";
    if (system(cmd.c_str()) != 0)
      fprintf(stderr, "could not remove %s\n", path_.c_str());
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

inline std::string readFile(const std::string &path)
{
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline int countFiles(const std::string &dir, const std::string &suffix)
{
  int n = 0;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        n++;
    }
    closedir(d);
  }
  return n;
}

/* Mean colour of an RGB24 frame. */
struct Rgb {
  int r = 0, g = 0, b = 0;
};
inline Rgb meanColor(const uint8_t *p, size_t pixels)
{
  long r = 0, g = 0, b = 0;
  for (size_t i = 0; i < pixels; i++) {
    r += p[3 * i];
    g += p[3 * i + 1];
    b += p[3 * i + 2];
  }
  if (!pixels)
    return {};
  return {int(r / long(pixels)), int(g / long(pixels)), int(b / long(pixels))};
}
inline bool near(const Rgb &c, int r, int g, int b, int tol = 40)
{
  return std::abs(c.r - r) <= tol && std::abs(c.g - g) <= tol && std::abs(c.b - b) <= tol;
}
inline std::ostream &operator<<(std::ostream &os, const Rgb &c)
{
  return os << "rgb(" << c.r << "," << c.g << "," << c.b << ")";
}

/* Decodes up to @frames frames of @url with ffmpeg, scaled to 8x8; returns
 * the mean colour of each, or empty on failure (@log gets ffmpeg's errors). */
inline std::vector<Rgb> ffmpegFrames(const std::string &url, int frames,
                                     std::chrono::milliseconds timeout, std::string *log = nullptr)
{
  TempDir tmp;
  std::string out = tmp.path() + "/frames.rgb";
  std::string err = tmp.path() + "/ffmpeg.log";
  Process p({"ffmpeg",
             "-nostdin",
             "-v",
             "error",
             "-analyzeduration",
             "500000",
             "-probesize",
             "200000",
             "-i",
             url,
             "-frames:v",
             std::to_string(frames),
             "-vf",
             "scale=8:8",
             "-pix_fmt",
             "rgb24",
             "-f",
             "rawvideo",
             "-y",
             out},
            {}, err);
  auto status = p.wait(timeout);
  if (!status)
    p.kill();
  if (log)
    *log = readFile(err);
  std::string data = readFile(out);
  std::vector<Rgb> colors;
  for (size_t off = 0; off + 192 <= data.size(); off += 192)
    colors.push_back(meanColor(reinterpret_cast<const uint8_t *>(data.data() + off), 64));
  return colors;
}

/* A libsrt caller, as a test client. */
class SrtCaller
{
public:
  SrtCaller() { srt_startup(); }
  ~SrtCaller()
  {
    close();
    srt_cleanup();
  }
  SrtCaller(const SrtCaller &) = delete;
  SrtCaller &operator=(const SrtCaller &) = delete;

  /* Connects to 127.0.0.1:@port asking for @streamid; false with
   * rejectReason() / error() on refusal. */
  bool connect(int port, const std::string &streamid, const std::string &passphrase = "",
               int rcvbuf_bytes = 0)
  {
    close();
    sock_ = srt_create_socket();
    int live = SRTT_LIVE;
    srt_setsockflag(sock_, SRTO_TRANSTYPE, &live, sizeof live);
    int timeo = 5000;
    srt_setsockflag(sock_, SRTO_CONNTIMEO, &timeo, sizeof timeo);
    srt_setsockflag(sock_, SRTO_STREAMID, streamid.data(), int(streamid.size()));
    if (!passphrase.empty())
      srt_setsockflag(sock_, SRTO_PASSPHRASE, passphrase.data(), int(passphrase.size()));
    if (rcvbuf_bytes) {
      srt_setsockflag(sock_, SRTO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes);
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(uint16_t(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (srt_connect(sock_, reinterpret_cast<sockaddr *>(&sa), sizeof sa) == SRT_ERROR) {
      error_ = srt_getlasterror_str();
      reject_ = srt_getrejectreason(sock_);
      close();
      return false;
    }
    int rcvtimeo = 5000;
    srt_setsockflag(sock_, SRTO_RCVTIMEO, &rcvtimeo, sizeof rcvtimeo);
    return true;
  }

  /* The next message (up to 1500 bytes), empty on timeout or error. */
  std::string recv()
  {
    char buf[1500];
    int n = srt_recvmsg(sock_, buf, sizeof buf);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }

  void close()
  {
    if (sock_ != SRT_INVALID_SOCK)
      srt_close(sock_);
    sock_ = SRT_INVALID_SOCK;
  }

  int rejectReason() const { return reject_; }
  const std::string &error() const { return error_; }

private:
  SRTSOCKET sock_ = SRT_INVALID_SOCK;
  int reject_ = 0;
  std::string error_;
};

} // namespace vdi::test
