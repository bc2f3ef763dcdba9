/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "webrtc-signalling-server.h"

#include <gst/gst.h>

#include <algorithm>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace vdi::webrtc {

SignallingServer::SignallingServer(SessionHost &host, std::string producerId)
  : host_(host), producerId_(std::move(producerId))
{
}

SignallingServer::~SignallingServer()
{
  closeAll();
}

void SignallingServer::sendTo(const std::string &peer, const std::string &text)
{
  auto it = peers_.find(peer);
  if (it != peers_.end() && it->second.send)
    it->second.send(text);
}

SignallingServer::Peer *SignallingServer::ownerOf(const std::string &session, std::string *peer)
{
  auto s = sessions_.find(session);
  if (s == sessions_.end())
    return nullptr;
  auto p = peers_.find(s->second);
  if (p == peers_.end())
    return nullptr;
  if (peer)
    *peer = p->first;
  return &p->second;
}

void SignallingServer::peerJoined(const std::string &peer, Send send)
{
  peers_[peer].send = std::move(send);
  sendTo(peer, welcomeMessage(peer));
}

void SignallingServer::peerLeft(const std::string &peer)
{
  auto it = peers_.find(peer);
  if (it == peers_.end())
    return;
  std::set<std::string> ids = std::move(it->second.sessions);
  bool hadRoles = !it->second.roles.empty();
  std::string meta = it->second.meta;
  peers_.erase(it);
  for (auto &id : ids) {
    sessions_.erase(id);
    host_.endSession(id);
  }
  /* As the real server: listeners hear that the peer has no role now. */
  if (hadRoles)
    announce(peer, {}, meta);
}

void SignallingServer::announce(const std::string &peer, const std::vector<std::string> &roles,
                                const std::string &meta)
{
  std::string text = peerStatusChangedMessage(peer, roles, meta);
  for (auto &p : peers_)
    if (std::count(p.second.roles.begin(), p.second.roles.end(), "listener") && p.second.send)
      p.second.send(text);
}

void SignallingServer::setProducerMeta(const std::string &metaJson)
{
  if (metaJson == producerMeta_)
    return;
  producerMeta_ = metaJson;
  announce(producerId_, {"producer"}, producerMeta_);
}

void SignallingServer::setStatus(const std::string &peer, const IncomingMessage &m)
{
  for (auto &r : m.roles)
    if (r == "producer") {
      sendTo(peer, errorMessage("this endpoint is itself the producer; register as a "
                                "consumer or listener"));
      return;
    }
  Peer &p = peers_[peer];
  if (p.roles == m.roles && p.meta == m.metaJson)
    return; /* "Status hasn't changed": the real server says nothing */
  p.roles = m.roles;
  p.meta = m.metaJson;
  announce(peer, p.roles, p.meta);
}

void SignallingServer::closeAll()
{
  std::vector<std::string> ids;
  for (auto &p : peers_)
    ids.push_back(p.first);
  for (auto &p : ids)
    peerLeft(p);
}

bool SignallingServer::setViewOnly(const std::string &peer, bool viewOnly)
{
  auto it = peers_.find(peer);
  if (it == peers_.end())
    return false;
  it->second.viewOnly = viewOnly;
  for (auto &s : it->second.sessions)
    host_.setViewOnly(s, viewOnly);
  return true;
}

void SignallingServer::startSession(const std::string &peer, const std::string &producer,
                                    const std::string &offer)
{
  if (producer != producerId_) {
    /* The real server's words (handlers/mod.rs, start_session). */
    sendTo(peer, errorMessage("Peer with ID '" + producer + "' not found"));
    return;
  }
  SessionRequest r;
  r.peer = peer;
  r.kind = "signalling";
  r.offer = offer;
  r.viewOnly = peers_[peer].viewOnly;
  std::string error;
  bool full = false;
  std::string id = host_.startSession(this, r, &error, &full);
  if (id.empty()) {
    sendTo(peer, errorMessage("cannot start the session: " + error));
    return;
  }
  sessions_[id] = peer;
  peers_[peer].sessions.insert(id);
  sendTo(peer, sessionStartedMessage(producerId_, id));
}

void SignallingServer::peerMessage(const std::string &peer, const std::string &text)
{
  if (!peers_.count(peer))
    return;
  IncomingMessage m = parseIncoming(text.data(), text.size());
  using T = IncomingMessage::Type;
  auto own = [&](const std::string &sid) {
    auto it = sessions_.find(sid);
    return it != sessions_.end() && it->second == peer;
  };
  switch (m.type) {
  case T::Invalid:
    /* The real server drops what it cannot parse; an error says why. */
    GST_DEBUG("peer %s: %s", peer.c_str(), m.error.c_str());
    sendTo(peer, errorMessage(m.error));
    break;
  case T::SetPeerStatus:
    setStatus(peer, m);
    break;
  case T::List:
    sendTo(peer, listMessage("list", {{producerId_, producerMeta_}}));
    break;
  case T::ListConsumers: {
    std::vector<PeerEntry> consumers;
    for (auto &p : peers_)
      if (std::count(p.second.roles.begin(), p.second.roles.end(), "consumer"))
        consumers.push_back({p.first, p.second.meta});
    sendTo(peer, listMessage("listConsumers", consumers));
    break;
  }
  case T::StartSession:
    startSession(peer, m.peerId, m.offer);
    break;
  case T::EndSession:
    /* Unknown sessions are ignored, as by the real server. */
    if (!own(m.sessionId)) {
      GST_DEBUG("peer %s: endSession for unknown session %s", peer.c_str(), m.sessionId.c_str());
      break;
    }
    sessions_.erase(m.sessionId);
    peers_[peer].sessions.erase(m.sessionId);
    host_.endSession(m.sessionId);
    break;
  case T::Peer:
    if (!own(m.sessionId)) {
      GST_DEBUG("peer %s: message for unknown session %s", peer.c_str(), m.sessionId.c_str());
      break;
    }
    if (m.hasSdp) {
      if (m.sdpType != "answer") {
        sendTo(peer, errorMessage("cannot forward offer from \"" + peer + "\" to \"" + producerId_ +
                                  "\" as \"" + peer + "\" is not the producer"));
        break;
      }
      host_.setRemoteDescription(m.sessionId, m.sdpType, m.sdp);
    } else {
      host_.addRemoteCandidate(m.sessionId, m.sdpMLineIndex, m.candidate);
    }
    break;
  }
}

void SignallingServer::sendSdp(const std::string &session, const std::string &type,
                               const std::string &sdp)
{
  std::string peer;
  if (ownerOf(session, &peer))
    sendTo(peer, sdpMessage(session, type, sdp));
}

void SignallingServer::sendIce(const std::string &session, unsigned mline,
                               const std::string &candidate)
{
  std::string peer;
  if (ownerOf(session, &peer))
    sendTo(peer, iceMessage(session, candidate, mline));
}

void SignallingServer::sessionEnded(const std::string &session, const std::string &error)
{
  std::string peer;
  Peer *p = ownerOf(session, &peer);
  sessions_.erase(session);
  if (!p)
    return;
  p->sessions.erase(session);
  if (!error.empty())
    sendTo(peer, errorMessage(error));
  sendTo(peer, endSessionMessage(session));
}

} // namespace vdi::webrtc
