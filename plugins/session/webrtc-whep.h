/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * WHEP (RFC 9725) for vdiwebrtcsink: the built-in `/whep` endpoint and the
 * whep-* action signals both land here. An offer becomes a view-only viewer
 * whose answer (every ICE candidate gathered, at most 5 s) is the reply to
 * the POST; resources take trickle ICE (PATCH) and end with DELETE. The
 * results are HTTP status codes, which the transport sends as they are.
 *
 * Element thread only.
 */

#pragma once

#include "webrtc-signaller.h"

#include <functional>
#include <map>
#include <string>

namespace vdi::webrtc {

class WhepServer : public Signaller
{
public:
  /* The POST's answer: called once per offer with 201 and the answer SDP
   * (@resource is the new resource), or an error status and text. */
  using Reply =
    std::function<void(unsigned status, const std::string &body, const std::string &resource)>;

  explicit WhepServer(SessionHost &host) : host_(host) {}
  ~WhepServer() override;
  WhepServer(const WhepServer &) = delete;
  WhepServer &operator=(const WhepServer &) = delete;

  /* Starts a viewer for @sdp. When it cannot be created, @reply is called
   * at once (503: max-viewers reached, 400: unusable offer) and "" is
   * returned; else the resource id is returned and @reply follows. */
  std::string offer(const std::string &sdp, Reply reply);
  /* Trickle ICE: 204, 404 for an unknown resource, 400 for a malformed
   * fragment (nothing of it applied). */
  unsigned patch(const std::string &resource, const std::string &fragment);
  /* 200, or 404 for an unknown resource. */
  unsigned remove(const std::string &resource);

  void sendSdp(const std::string &session, const std::string &type,
               const std::string &sdp) override;
  void sendIce(const std::string &, unsigned, const std::string &) override {}
  void sessionEnded(const std::string &session, const std::string &error) override;

private:
  struct Resource {
    Reply reply; /* until answered */
    guint timeout = 0;
  };
  void answer(const std::string &id, unsigned status, const std::string &body);

  SessionHost &host_;
  std::map<std::string, Resource> resources_;
};

} // namespace vdi::webrtc
