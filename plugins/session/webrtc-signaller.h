/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The seam between vdiwebrtcsink's core, which runs viewers, and the ways
 * viewers are signalled (after gst-plugins-rs' webrtcsink, whose element only
 * runs sessions and talks to a `Signallable`: start, stop, send_sdp,
 * add_ice, end_session; net/webrtc/src/signaller/iface.rs):
 *
 *   SignallingServer  the gst-plugins-rs JSON protocol, its peers on the
 *                     built-in WebSocket or relayed by the application
 *                     through action signals (webrtc-signalling-server.h);
 *   WhepServer        WHEP (RFC 9725), built in or relayed (webrtc-whep.h).
 *
 * A signaller asks the core (SessionHost) to start a viewer for one of its
 * peers and passes on what the remote side sends; the core gives each
 * viewer's SDP, candidates and end back to the signaller that started it.
 * Both sides run on the element's own thread only, and neither knows HTTP:
 * the transports (webrtc-http.h, the action signals) do.
 */

#pragma once

#include <glib.h>

#include <functional>
#include <string>

namespace vdi::webrtc {

class Signaller;

struct SessionRequest {
  std::string peer;  /* the signaller's peer, for statistics ("" for WHEP) */
  std::string kind;  /* "signalling" | "whep", for statistics */
  std::string offer; /* the remote offer; empty: the element offers */
  bool viewOnly = false;
  /* The answer goes out once ICE gathering completed, with every candidate
   * in it (WHEP), instead of at once with candidates trickling after it. */
  bool answerWithCandidates = false;
};

class SessionHost
{
public:
  virtual ~SessionHost() = default;
  /* Starts a viewer whose messages go to @signaller. Returns its session
   * id, or "" with @error set (and @full when max-viewers is reached). */
  virtual std::string startSession(Signaller *signaller, const SessionRequest &request,
                                   std::string *error, bool *full) = 0;
  /* The remote side ended @id: the viewer goes, no sessionEnded() follows. */
  virtual void endSession(const std::string &id) = 0;
  virtual void setRemoteDescription(const std::string &id, const std::string &type,
                                    const std::string &sdp) = 0;
  virtual void addRemoteCandidate(const std::string &id, unsigned mline,
                                  const std::string &candidate) = 0;
  /* A view-only viewer's input is refused and it gets no clipboard. */
  virtual void setViewOnly(const std::string &id, bool viewOnly) = 0;
  /* The viewer's local description as SDP text, "" when it has none. */
  virtual std::string localDescription(const std::string &id) = 0;
  /* Calls @fn once after @ms on the element's thread; a source id for
   * cancelTimer(). */
  virtual guint addTimer(unsigned ms, std::function<void()> fn) = 0;
  virtual void cancelTimer(guint id) = 0;
};

class Signaller
{
public:
  virtual ~Signaller() = default;
  /* The viewer's offer or answer. */
  virtual void sendSdp(const std::string &session, const std::string &type,
                       const std::string &sdp) = 0;
  virtual void sendIce(const std::string &session, unsigned mline,
                       const std::string &candidate) = 0;
  /* The element ended @session: its connection failed or closed, it failed
   * (@error says how) or the element stops. */
  virtual void sessionEnded(const std::string &session, const std::string &error) = 0;
};

} // namespace vdi::webrtc
