/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Starting and stopping the element's signallers and built-in HTTP server
 * (webrtc-sink-state.h). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "webrtc-sink-state.h"

#include "webrtc-signalling.h"

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

namespace vdi::webrtc {

bool State::startHttp(const Settings &s, GError **error)
{
  HttpServer::Handlers h;
  h.wsOpen = [this](const std::string &c) {
    signalling->peerJoined(c, [this, c](const std::string &text) {
      if (http)
        http->send(c, text);
    });
  };
  h.wsMessage = [this](const std::string &c, const std::string &t) {
    signalling->peerMessage(c, t);
  };
  h.wsClose = [this](const std::string &c) { signalling->peerLeft(c); };
  h.whepOffer = [this](const std::string &o, HttpServer::Handlers::WhepReply r) {
    whep->offer(o, std::move(r));
  };
  h.whepPatch = [this](const std::string &id, const std::string &f) { return whep->patch(id, f); };
  h.whepDelete = [this](const std::string &id) { return whep->remove(id); };
  std::string root = s.webRoot;
  if (root.empty()) {
    const char *env = g_getenv("GST_VDI_WEB_ROOT");
    root = env && *env ? env : VDI_PLAYER_DIR;
  }
  http = std::make_unique<HttpServer>(std::move(h), root);
  if (!http->start(s.address, unsigned(s.port), error)) {
    http.reset();
    return false;
  }
  {
    std::lock_guard<std::mutex> l(lock);
    boundPort = http->port();
  }
  GST_INFO_OBJECT(self, "serving http://%s:%u/ (player from %s)", s.address.c_str(), boundPort,
                  root.c_str());
  return true;
}

bool State::start(GError **error)
{
  core.start();
  bool ok = true;
  core.invoke([&] {
    signalling = std::make_unique<SignallingServer>(core, producerId);
    whep = std::make_unique<WhepServer>(core);
    GST_OBJECT_LOCK(self);
    Settings s = core.settings;
    s.encoder = nullptr;
    std::string meta = structureToJson(s.meta);
    s.meta = nullptr;
    GST_OBJECT_UNLOCK(self);
    signalling->setProducerMeta(meta);
    if (s.port >= 0)
      ok = startHttp(s, error);
  });
  if (ok)
    g_object_notify(G_OBJECT(self), "bound-port");
  return ok;
}

void State::stop()
{
  if (!core.running())
    return;
  /* Viewers end first (their signallers tell the peers), then the peers
   * and the server go. */
  core.stop([this] {
    if (signalling)
      signalling->closeAll();
    http.reset();
    signalling.reset();
    whep.reset();
  });
  std::lock_guard<std::mutex> l(lock);
  boundPort = 0;
}

} // namespace vdi::webrtc
