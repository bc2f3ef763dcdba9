/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The one-port SRT server behind vdisrtsink, on libsrt directly.
 *
 * One listener socket serves every session. Callers are admitted or refused
 * in libsrt's handshake callback (stream id parsed there, so a refusal
 * carries an SRT reject reason the caller sees). Accepted callers are
 * non-blocking sockets owned by one I/O thread.
 *
 * Data path: push() (the element's streaming thread) scans the TS packets of
 * a session, then appends them to each of its callers' queues and sends what
 * the socket takes without blocking. What does not fit stays queued and the
 * I/O thread sends it when the socket is writable again.
 *
 * Drop policy, per caller, so that a slow caller never delays anyone:
 *  - a caller's queue holds at most queue_limit_bytes; when a push would
 *    exceed it, the whole queue is dropped and the caller waits for the next
 *    keyframe again (a keyframe is requested), so it resumes with a clean
 *    picture instead of a corrupt one;
 *  - a caller whose socket has not taken data for caller_timeout_ms (or whose
 *    peer went silent for that long: SRTO_PEERIDLETIMEO) is disconnected.
 */

#pragma once

#include "streamid.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vdi::srt {

struct ServerConfig {
  std::string address; /* empty: all interfaces */
  int port = 8890;     /* 0: any free port, see Server::port() */
  int latency_ms = 125;
  std::string passphrase; /* for every session without its own */
  int pbkeylen = 0;       /* 0 (default, 16), 16, 24 or 32 */
  int caller_timeout_ms = 5000;
  size_t queue_limit_bytes = 4 << 20;
};

/* Per-session access settings (vdisrtsink pad properties). */
struct SessionConfig {
  std::string passphrase; /* overrides ServerConfig::passphrase if set */
  std::string user;       /* credentials required if user or password set */
  std::string password;
};

struct CallerInfo {
  uint64_t id = 0;
  std::string session;
  std::string address; /* "IP:PORT" */
};

struct CallerStats {
  CallerInfo info;
  uint64_t bytes_sent = 0;
  uint64_t packets_sent = 0;
  uint64_t packets_retransmitted = 0;
  uint64_t packets_dropped = 0; /* by SRT (too late) */
  uint64_t bytes_dropped = 0;   /* by our queue policy */
  uint64_t resyncs = 0;         /* queue overflows */
  double rtt_ms = 0;
  double bandwidth_mbps = 0;
  double send_rate_mbps = 0;
  size_t queued_bytes = 0;
  bool waiting_keyframe = true;
};

struct SessionStats {
  std::string name;
  uint64_t bytes_in = 0;
  uint64_t keyframes = 0;
  std::vector<CallerStats> callers;
};

class Server
{
public:
  /* Called from libsrt's and the server's threads, never with the server's
   * lock held (the handler may call stats() or removeSession()). */
  class Handler
  {
  public:
    virtual ~Handler() = default;
    /* A caller passed the built-in checks for @id from @address; false
     * refuses it (SRT_REJX_FORBIDDEN). From libsrt's handshake thread. */
    virtual bool authenticate(const StreamId &id, const std::string &address) = 0;
    virtual void rejected(const std::string &streamid, const std::string &address, int reason,
                          const std::string &why) = 0;
    virtual void callerAdded(const CallerInfo &caller) = 0;
    virtual void callerRemoved(const CallerInfo &caller, const std::string &why) = 0;
    /* A caller of @session waits for a keyframe: ask upstream for one. */
    virtual void keyframeWanted(const std::string &session) = 0;
  };

  /* Binds and listens. nullptr and @error on failure. */
  static std::unique_ptr<Server> create(const ServerConfig &config, Handler *handler,
                                        std::string *error);
  virtual ~Server() = default;

  virtual int port() const = 0;

  /* Sessions come and go while callers stay on the others. */
  virtual bool addSession(const std::string &name, const SessionConfig &config) = 0;
  virtual void configureSession(const std::string &name, const SessionConfig &config) = 0;
  virtual void removeSession(const std::string &name) = 0;

  /* Feeds MPEG-TS (whole 188-byte packets) of @session. Never blocks on
   * callers. */
  virtual void push(const std::string &session, const uint8_t *data, size_t size) = 0;

  /* Closes every caller of @session (e.g. at EOS or flush). */
  virtual void dropCallers(const std::string &session, const std::string &why) = 0;

  virtual std::vector<SessionStats> stats() = 0;
  virtual size_t callerCount() = 0;
};

/* Text of an SRT reject reason (libsrt's or an SRT_REJX_* code). */
std::string rejectReasonString(int reason);

} // namespace vdi::srt
