/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The front door's HTTP client for its nodes (docs/fleet.md): one
 * asynchronous request at a time per call, on vdid's main loop, with a
 * deadline of its own (libsoup's timeout counts whole seconds of silence,
 * not the request), authenticated with a fleet token as the login cookie.
 */

#pragma once

#include <libsoup/soup.h>

#include <chrono>
#include <functional>
#include <string>

namespace vdid {

struct NodeAnswer {
  unsigned status = 0; /* 0: no answer (refused, timed out, ...): see error */
  std::string body, location, content_type, error;
};

class NodeClient
{
public:
  NodeClient();
  ~NodeClient();
  NodeClient(const NodeClient &) = delete;
  NodeClient &operator=(const NodeClient &) = delete;

  using Done = std::function<void(const NodeAnswer &)>;
  /* @method @url with `Cookie: vdid_session=@token` and, if not empty, the
   * JSON @body; @done runs on the main loop once answered or failed,
   * never after the client is gone. */
  void send(const std::string &method, const std::string &url, const std::string &token,
            const std::string &body, std::chrono::milliseconds deadline, Done done);

private:
  SoupSession *session_;
  GCancellable *alive_; /* cancelled by the destructor: no callback after it */
};

} // namespace vdid
