/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * SRT for every session on one port ([server] srt-listen, default
 * 127.0.0.1:8890): vdid runs one vdid-srt process (srt-relay.cpp) as an
 * unprivileged user and feeds it each session's MPEG-TS through a FIFO the
 * session's worker writes. A caller names the session and proves who it is
 * in the stream id:
 *
 *   srt://HOST:8890?streamid=read:SESSION:USER:PASSWORD
 *   srt://HOST:8890?streamid=read:SESSION:share:TOKEN     (a share token)
 *
 * The worker's SRT branch runs only while someone watches.
 */

#pragma once

#include "auth.h"
#include "config.h"
#include "sessions.h"

#include <glib.h>

#include <map>
#include <string>
#include <vector>

namespace vdid {

class SrtService
{
public:
  SrtService(const Config &config, Auth &auth, SessionManager &sessions);
  ~SrtService();
  SrtService(const SrtService &) = delete;
  SrtService &operator=(const SrtService &) = delete;

  /* Starts vdid-srt; false (with @message) if it cannot. Waits (up to
   * 5 s) for its port, so that the first sessions have SRT. Should it die
   * later, vdid restarts it (after 1 s, doubling to 30 s while it keeps
   * dying) and hands it every session's stream again. */
  bool start(std::string *message);
  /* The port callers use, once vdid-srt listens (0 before). */
  unsigned port() const { return port_; }

  /* vdid-worker arguments: a FIFO whose read end went to vdid-srt. */
  std::vector<std::string> workerArguments(const Session &s);
  /* The "srt" member for the session object's "urls" (credentials left
   * out: `:USER:PASSWORD` or `:share:TOKEN` go after the session id). */
  void describeUrls(JsonBuilder *b, const Session &s) const;
  /* Drops the stream of a session that stopped or failed. */
  void sessionChanged(const Session &s);

  /* How often vdid-srt was restarted. */
  unsigned restarts() const { return restarts_; }

private:
  bool spawn(bool wait, std::string *message);
  void relayGone(int status);
  /* Hands the read end of a session's FIFO to vdid-srt. */
  bool addStream(const std::string &id, int fd);
  static gboolean onControl(gint fd, GIOCondition cond, gpointer data);
  void handle(const std::string &text);
  bool admit(const std::string &stream, const std::string &user, const std::string &password,
             const std::string &address);

  const Config &config_;
  Auth &auth_;
  SessionManager &sessions_;
  int sock_ = -1;
  pid_t pid_ = -1;
  guint watch_ = 0, child_watch_ = 0, restart_timer_ = 0;
  unsigned port_ = 0;
  /* The port vdid-srt last listened on: a restart takes it again, so the
   * URLs sessions gave out stay true (srt-listen port 0 included). */
  unsigned last_port_ = 0;
  unsigned restarts_ = 0;
  guint backoff_ms_ = 1000;
  /* vdid's own read end of each session's FIFO, for the session's life:
   * the worker can open its write end while vdid-srt is down, and a new
   * vdid-srt gets it again. */
  std::map<std::string, int> fifos_;
};

} // namespace vdid
