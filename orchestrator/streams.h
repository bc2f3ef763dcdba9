/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The session streams vdid serves over HTTP besides the signalling
 * WebSocket, each relayed to the session's worker:
 *
 *   WHEP (RFC 9725)  POST /whep/ID, PATCH and DELETE /whep/ID/RESOURCE
 *   HLS              GET /hls/ID/index.m3u8 and its segments
 *
 * The HLS branch of a worker runs only while someone reads the playlist:
 * the first request starts it (and waits for the first playlist), and it
 * stops after kHlsIdleSeconds without a request.
 */

#pragma once

#include "api.h"
#include "config.h"
#include "http.h"
#include "sessions.h"

#include <map>
#include <string>
#include <vector>

namespace vdid {

class Streams
{
public:
  static constexpr int kHlsIdleSeconds = 30;

  Streams(const Config &config, Api &api, HttpServer &http, SessionManager &sessions);
  ~Streams();
  Streams(const Streams &) = delete;
  Streams &operator=(const Streams &) = delete;

  /* vdid-worker arguments for what this module serves (HLS dir). */
  std::vector<std::string> workerArguments(const Session &s) const;
  /* "whep" and "hls" members for the session object's "urls". */
  void describeUrls(JsonBuilder *b, const Session &s) const;
  /* Where a session's HLS files go. */
  static std::string hlsDir(const Session &s) { return s.runtime_dir + "/hls"; }
  /* The worker's HLS branch of @id failed: its readers get 503 with
   * @message for kHlsRetryUs, then the next one starts the branch again. */
  void hlsFailed(const std::string &id, const std::string &message);

private:
  void whep(Request &req);
  void hls(Request &req);
  void servePlaylist(Request &req, const std::string &dir, const std::string &token);
  static gboolean onHlsTick(gpointer data);

  const Config &config_;
  Api &api_;
  HttpServer &http_;
  SessionManager &sessions_;
  /* Sessions whose HLS branch runs, with the time of the last request
   * (monotonic µs). */
  std::map<std::string, gint64> hls_active_;
  /* Sessions whose HLS branch failed: why, and when (monotonic µs). */
  std::map<std::string, std::pair<std::string, gint64>> hls_failed_;
  guint hls_timer_ = 0;
};

} // namespace vdid
