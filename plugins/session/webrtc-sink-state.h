/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What gstvdiwebrtcsink.cpp (the element) and webrtc-relay.cpp (its action
 * signals: the transport of relayed signalling and WHEP) share.
 */

#pragma once

#include "gstvdiwebrtcsink.h"
#include "webrtc-core.h"
#include "webrtc-http.h"
#include "webrtc-signalling-server.h"
#include "webrtc-signalling.h"
#include "webrtc-whep.h"

#include <memory>
#include <mutex>
#include <string>

namespace vdi::webrtc {

/* The element's C++ state: the core that runs viewers and, while the
 * element is started, its signallers and the built-in HTTP server. */
struct State {
  State(GstVdiWebrtcSink *self, GstPad *video, GstElement *tee)
    : self(self), core(GST_ELEMENT(self), video, tee)
  {
  }
  GstVdiWebrtcSink *self;
  Core core;
  std::string producerId = newId();
  /* Element thread only. */
  std::unique_ptr<SignallingServer> signalling;
  std::unique_ptr<WhepServer> whep;
  std::unique_ptr<HttpServer> http;
  std::mutex lock;
  unsigned boundPort = 0;

  bool start(GError **error);
  void stop();
  bool startHttp(const Settings &s, GError **error);
};

} // namespace vdi::webrtc

struct _GstVdiWebrtcSink {
  GstBin parent;
  GstPad *video_pad;
  GstElement *tee;
  GstPad *audio_pad;     /* request pad, or null */
  GstElement *audio_tee; /* or null */
  vdi::webrtc::State *state;
};

/* Installs add-peer, handle-message, remove-peer, set-peer-role,
 * send-message and the whep-* signals. */
void gst_vdi_webrtc_sink_install_relay_signals(GstVdiWebrtcSinkClass *klass);
/* send-message: deliver @text to relayed peer @peer (element thread). */
void gst_vdi_webrtc_sink_emit_send_message(GstVdiWebrtcSink *self, const std::string &peer,
                                           const std::string &text);
