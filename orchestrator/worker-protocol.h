/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The worker protocol's messages as values (docs/vdid.md, "Worker
 * protocol"; the shapes are listed in worker.cpp): what vdid-worker reads
 * from a command line and what vdid reads from an event. Both ends run
 * these readers, never json-glib's *_member_with_default() getters (which
 * return NULL for a member of another type): the worker runs as the
 * session's user, who can write anything to vdid, and vdid must not trust
 * it. Pure functions, fuzzed by tests/fuzz/fuzz-worker-protocol.cpp.
 */

#pragma once

#include <json-glib/json-glib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vdid {

/* One line vdid sends the worker. */
struct WorkerCommand {
  std::string op; /* "" when the line is not a command (see error) */
  int64_t ref = 0;
  std::string role = "control"; /* add-peer */
  std::string peer, message;    /* message, remove-peer */
  std::string sdp;              /* whep-offer */
  std::string resource, fragment;
  bool active = false; /* hls, srt */
  /* tier: the frame-rate cap (1 to 240), the bitrate cap in kbit/s (0:
   * the one the worker started with) and the size the stream is scaled to
   * (even, 64 to 8192; 0: the desktop's own). */
  unsigned fps = 0, max_bitrate = 0;
  unsigned width = 0, height = 0;
  /* add-peer, whep-offer: the viewer's ICE servers, when given. */
  bool has_stun = false, has_turn = false;
  std::string stun_server;
  std::vector<std::string> turn_servers;
  std::string error;
};

/* Longest command or event line either end reads (an SDP offer with its
 * candidates is ~10 KiB; WorkerLink::kMaxLine is the same). */
constexpr size_t kMaxWorkerLine = 4 << 20;

WorkerCommand parseWorkerCommand(std::string_view line);

/* One event of the worker, read from its line's object. */
struct WorkerEvent {
  std::string event; /* "" when absent or not a string */
  bool has_ref = false;
  unsigned ref = 0;
  std::string encoder;       /* ready */
  std::string peer, message; /* peer, send, error */
  /* whep */
  unsigned status = 500;
  std::string body;
  std::string resource; /* [A-Za-z0-9._-]{0,128}, else "" */
  /* stats */
  double fps = 0, bitrate = 0;
  double frame_ms = 0;  /* mean time a frame took to code (frame-timer.h) */
  double coded_fps = 0; /* frames the encoder coded, a second */
  uint64_t keyframe_requests = 0;
  unsigned viewers = 0;
};

WorkerEvent readWorkerEvent(JsonObject *o);

} // namespace vdid
