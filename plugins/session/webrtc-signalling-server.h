/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdiwebrtcsink as a gst-plugins-rs signalling server with itself as the
 * one producer (net/webrtc/signalling in gst-plugins-rs, handlers/mod.rs):
 * peers join, send protocol messages, and leave; whether they come over the
 * built-in WebSocket or are relayed by the application through action
 * signals is only their Send function. Like the real server it echoes every
 * status change to every listener (the sender too), lists producers and
 * consumers, and words the errors clients see the same way.
 * docs/webrtc.md has the conformance table.
 *
 * Element thread only.
 */

#pragma once

#include "webrtc-signaller.h"
#include "webrtc-signalling.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace vdi::webrtc {

class SignallingServer : public Signaller
{
public:
  using Send = std::function<void(const std::string &text)>;

  SignallingServer(SessionHost &host, std::string producerId);
  ~SignallingServer() override;
  SignallingServer(const SignallingServer &) = delete;
  SignallingServer &operator=(const SignallingServer &) = delete;

  const std::string &producerId() const { return producerId_; }

  /* A peer connected: it gets its `welcome` through @send. */
  void peerJoined(const std::string &peer, Send send);
  /* A text message from @peer (ignored for an unknown peer). */
  void peerMessage(const std::string &peer, const std::string &text);
  /* The peer went away: its sessions end. */
  void peerLeft(const std::string &peer);
  bool hasPeer(const std::string &peer) const { return peers_.count(peer) != 0; }
  /* View-only peers' sessions (now and later) may not send input. False
   * for an unknown peer. */
  bool setViewOnly(const std::string &peer, bool viewOnly);
  /* Every peer leaves. */
  void closeAll();
  /* The producer's meta (JSON object text): listeners hear of a change. */
  void setProducerMeta(const std::string &metaJson);

  void sendSdp(const std::string &session, const std::string &type,
               const std::string &sdp) override;
  void sendIce(const std::string &session, unsigned mline, const std::string &candidate) override;
  void sessionEnded(const std::string &session, const std::string &error) override;

private:
  struct Peer {
    Send send;
    bool viewOnly = false;
    std::vector<std::string> roles;
    std::string meta; /* JSON text, "" for null */
    std::set<std::string> sessions;
  };
  void sendTo(const std::string &peer, const std::string &text);
  void setStatus(const std::string &peer, const IncomingMessage &m);
  /* peerStatusChanged for @peer to every listener. */
  void announce(const std::string &peer, const std::vector<std::string> &roles,
                const std::string &meta);
  void startSession(const std::string &peer, const std::string &producer, const std::string &offer);
  /* The peer of a session, or null. */
  Peer *ownerOf(const std::string &session, std::string *peer = nullptr);

  SessionHost &host_;
  std::string producerId_;
  std::string producerMeta_ = "{}";
  std::map<std::string, Peer> peers_;
  std::map<std::string, std::string> sessions_; /* session -> peer */
};

} // namespace vdi::webrtc
