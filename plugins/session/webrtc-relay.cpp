/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdiwebrtcsink's action signals: the transport of relayed signalling (the
 * application carries the gst-plugins-rs messages of its peers: add-peer,
 * handle-message, remove-peer, send-message, set-peer-role) and of relayed
 * WHEP (whep-offer, whep-answer, whep-patch, whep-delete). They hand over
 * to the element's SignallingServer and WhepServer on its own thread.
 */

#include "webrtc-sink-state.h"

GST_DEBUG_CATEGORY_EXTERN(gst_vdi_webrtc_sink_debug);
#define GST_CAT_DEFAULT gst_vdi_webrtc_sink_debug

using namespace vdi::webrtc;

enum {
  SIGNAL_SEND_MESSAGE,
  SIGNAL_ADD_PEER,
  SIGNAL_HANDLE_MESSAGE,
  SIGNAL_REMOVE_PEER,
  SIGNAL_SET_PEER_ROLE,
  SIGNAL_WHEP_OFFER,
  SIGNAL_WHEP_ANSWER,
  SIGNAL_WHEP_PATCH,
  SIGNAL_WHEP_DELETE,
  N_SIGNALS,
};
static guint signals[N_SIGNALS];

void gst_vdi_webrtc_sink_emit_send_message(GstVdiWebrtcSink *self, const std::string &peer,
                                           const std::string &text)
{
  g_signal_emit(self, signals[SIGNAL_SEND_MESSAGE], 0, peer.c_str(), text.c_str());
}

/* Relayed WHEP: the whep-answer signal (element thread). */
static void emit_whep_answer(GstVdiWebrtcSink *self, const std::string &id, unsigned status,
                             std::string body)
{
  if (status != 201)
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
      body.pop_back();
  GST_DEBUG_OBJECT(self, "whep-answer %s: %u", id.c_str(), status);
  g_signal_emit(self, signals[SIGNAL_WHEP_ANSWER], 0, id.c_str(), status, body.c_str());
}

static gchar *gst_vdi_webrtc_sink_add_peer(GstVdiWebrtcSink *self)
{
  State *st = self->state;
  if (!st->core.running()) {
    GST_WARNING_OBJECT(self, "add-peer: the element is not started (set it to READY first)");
    return nullptr;
  }
  /* The welcome is sent from the element's thread once this has returned
   * (never from within the call): a relay that holds its own lock around
   * add-peer and in its send-message handler needs no buffering. */
  std::string id = newId();
  st->core.post([st, id] {
    if (st->signalling)
      st->signalling->peerJoined(id, [st, id](const std::string &text) {
        gst_vdi_webrtc_sink_emit_send_message(st->self, id, text);
      });
  });
  return g_strdup(id.c_str());
}

static void gst_vdi_webrtc_sink_handle_message(GstVdiWebrtcSink *self, const gchar *peer,
                                               const gchar *json)
{
  State *st = self->state;
  if (!peer || !json)
    return;
  std::string p = peer, j = json;
  st->core.post([st, p, j] {
    if (!st->signalling || !st->signalling->hasPeer(p)) {
      GST_WARNING_OBJECT(st->self, "handle-message: unknown peer '%s' (call add-peer first)",
                         p.c_str());
      return;
    }
    st->signalling->peerMessage(p, j);
  });
}

static void gst_vdi_webrtc_sink_remove_peer(GstVdiWebrtcSink *self, const gchar *peer)
{
  State *st = self->state;
  if (!peer)
    return;
  std::string p = peer;
  st->core.post([st, p] {
    if (st->signalling)
      st->signalling->peerLeft(p);
  });
}

static gboolean gst_vdi_webrtc_sink_set_peer_role(GstVdiWebrtcSink *self, const gchar *peer,
                                                  const gchar *role)
{
  State *st = self->state;
  if (!peer || !role || (g_strcmp0(role, "view") != 0 && g_strcmp0(role, "control") != 0)) {
    GST_WARNING_OBJECT(self, "set-peer-role: role must be \"view\" or \"control\", not \"%s\"",
                       GST_STR_NULL(role));
    return FALSE;
  }
  std::string p = peer;
  bool viewOnly = g_str_equal(role, "view");
  bool known = false;
  bool ran =
    st->core.invoke([&] { known = st->signalling && st->signalling->setViewOnly(p, viewOnly); });
  if (!ran)
    GST_WARNING_OBJECT(self, "set-peer-role: the element is not started");
  else if (!known)
    GST_WARNING_OBJECT(self, "set-peer-role: unknown peer '%s' (call add-peer first)", peer);
  else
    GST_INFO_OBJECT(self, "peer %s: role %s", peer, role);
  return known;
}

/* A whep-offer call in flight: its answer is held until the call has
 * returned the resource id, so that the application knows the id first. */
struct WhepCall {
  std::string id;
  bool returned = false;
  bool held = false;
  unsigned status = 0;
  std::string body;
};

static gchar *gst_vdi_webrtc_sink_whep_offer(GstVdiWebrtcSink *self, const gchar *offer)
{
  State *st = self->state;
  if (!offer) {
    GST_WARNING_OBJECT(self, "whep-offer: no offer");
    return nullptr;
  }
  auto call = std::make_shared<WhepCall>();
  std::string o = offer;
  bool refused = false;
  bool ran = st->core.invoke([&] {
    if (!st->whep)
      return;
    auto reply = [st, call](unsigned status, const std::string &body, const std::string &) {
      if (!call->returned) {
        call->held = true;
        call->status = status;
        call->body = body;
        return;
      }
      emit_whep_answer(st->self, call->id, status, body);
    };
    std::string id = st->whep->offer(o, reply);
    if (id.empty()) {
      if (call->status == 503) {
        GST_WARNING_OBJECT(st->self, "whep-offer refused: %s", call->body.c_str());
        refused = true;
        return;
      }
      id = newId(); /* failed at once (bad offer): the reason comes as whep-answer */
    }
    call->id = id;
  });
  if (!ran || call->id.empty()) {
    if (!refused)
      GST_WARNING_OBJECT(self, "whep-offer: the element is not started (set it to READY first)");
    return nullptr;
  }
  std::string id = call->id;
  st->core.post([st, call] {
    call->returned = true;
    if (call->held) {
      call->held = false;
      emit_whep_answer(st->self, call->id, call->status, call->body);
    }
  });
  return g_strdup(id.c_str());
}

static guint gst_vdi_webrtc_sink_whep_patch(GstVdiWebrtcSink *self, const gchar *resource,
                                            const gchar *fragment)
{
  State *st = self->state;
  std::string r = resource ? resource : "", f = fragment ? fragment : "";
  guint status = 404;
  st->core.invoke([&] {
    if (st->whep)
      status = st->whep->patch(r, f);
  });
  return status;
}

static guint gst_vdi_webrtc_sink_whep_delete(GstVdiWebrtcSink *self, const gchar *resource)
{
  State *st = self->state;
  std::string r = resource ? resource : "";
  guint status = 404;
  st->core.invoke([&] {
    if (st->whep)
      status = st->whep->remove(r);
  });
  return status;
}

void gst_vdi_webrtc_sink_install_relay_signals(GstVdiWebrtcSinkClass *klass)
{
  /**
   * GstVdiWebrtcSink::send-message:
   * @sink: the element
   * @peer: the signalling peer (from #GstVdiWebrtcSink::add-peer)
   * @json: a message of the gst-plugins-rs signalling protocol
   *
   * Relayed signalling: deliver @json to @peer. Emitted from the element's
   * own thread.
   */
  signals[SIGNAL_SEND_MESSAGE] =
    g_signal_new("send-message", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                 nullptr, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::add-peer:
   * @sink: the element
   *
   * Relayed signalling: a consumer connected to the application. Returns
   * its peer id; the `welcome` message follows through
   * #GstVdiWebrtcSink::send-message. The element must be in READY or
   * above.
   */
  signals[SIGNAL_ADD_PEER] = g_signal_new_class_handler(
    "add-peer", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_add_peer), nullptr, nullptr, nullptr, G_TYPE_STRING, 0);
  /**
   * GstVdiWebrtcSink::handle-message:
   * @sink: the element
   * @peer: the peer id
   * @json: a message the consumer sent
   *
   * Relayed signalling: a message from a consumer.
   */
  signals[SIGNAL_HANDLE_MESSAGE] = g_signal_new_class_handler(
    "handle-message", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_handle_message), nullptr, nullptr, nullptr, G_TYPE_NONE, 2,
    G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::remove-peer:
   * @sink: the element
   * @peer: the peer id
   *
   * Relayed signalling: the consumer went away; its sessions end.
   */
  signals[SIGNAL_REMOVE_PEER] = g_signal_new_class_handler(
    "remove-peer", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_remove_peer), nullptr, nullptr, nullptr, G_TYPE_NONE, 1,
    G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::set-peer-role:
   * @sink: the element
   * @peer: the peer id (from #GstVdiWebrtcSink::add-peer)
   * @role: "control" (the default: may send input, gets the clipboard) or
   *   "view" (watches only: its data-channel input is dropped, answered
   *   with an error and counted in the viewer's `input-dropped`; it gets no
   *   clipboard)
   *
   * Relayed signalling: sets what a peer's sessions may do, for the
   * sessions it has and the ones it starts. #GstVdiWebrtcSink:viewer-control
   * applies on top. Returns %FALSE (and changes nothing) for an unknown
   * peer or role.
   */
  signals[SIGNAL_SET_PEER_ROLE] = g_signal_new_class_handler(
    "set-peer-role", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_set_peer_role), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2,
    G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::whep-offer:
   * @sink: the element
   * @offer_sdp: the WHEP client's SDP offer (the body of its POST)
   *
   * Relayed WHEP (RFC 9725), for an application that serves the WHEP
   * endpoint itself: starts a view-only viewer for @offer_sdp and returns
   * its resource id (a new string) at once. The answer follows, exactly
   * once per returned id, through #GstVdiWebrtcSink::whep-answer, never
   * before this call returned. Returns %NULL, and no whep-answer follows,
   * when the viewer is refused (#GstVdiWebrtcSink:max-viewers reached: answer
   * the client 503) or the element is not started. Works with or without
   * the built-in server; may be called from any thread.
   */
  signals[SIGNAL_WHEP_OFFER] = g_signal_new_class_handler(
    "whep-offer", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_whep_offer), nullptr, nullptr, nullptr, G_TYPE_STRING, 1,
    G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::whep-answer:
   * @sink: the element
   * @resource: the resource id #GstVdiWebrtcSink::whep-offer returned
   * @status: the HTTP status for the client: 201 (Created), or 400 (the
   *   offer is unusable, e.g. no H.264 the stream can be sent as), 500 (the
   *   viewer ended before its answer was ready)
   * @body: for 201 the answer SDP, with every ICE candidate gathered
   *   (`application/sdp`); else an error text
   *
   * Relayed WHEP: the answer to a whep-offer. Emitted once per resource,
   * from the element's own thread. The application answers the client's
   * POST with @status, @body and (for 201) `Location: .../RESOURCE`. After
   * an error status the resource does not exist.
   */
  signals[SIGNAL_WHEP_ANSWER] =
    g_signal_new("whep-answer", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                 nullptr, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::whep-patch:
   * @sink: the element
   * @resource: a resource id from #GstVdiWebrtcSink::whep-offer
   * @sdp_fragment: the body of the client's PATCH
   *   (`application/trickle-ice-sdpfrag`, RFC 8840)
   *
   * Relayed WHEP: trickle ICE. Returns the HTTP status for the client: 204
   * (candidates added), 404 (unknown resource) or 400 (malformed fragment;
   * nothing of it is applied). May be called from any thread.
   */
  signals[SIGNAL_WHEP_PATCH] = g_signal_new_class_handler(
    "whep-patch", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_whep_patch), nullptr, nullptr, nullptr, G_TYPE_UINT, 2,
    G_TYPE_STRING, G_TYPE_STRING);
  /**
   * GstVdiWebrtcSink::whep-delete:
   * @sink: the element
   * @resource: a resource id from #GstVdiWebrtcSink::whep-offer
   *
   * Relayed WHEP: the client's DELETE; ends the viewer. Returns 200, or 404
   * for an unknown resource. May be called from any thread.
   */
  signals[SIGNAL_WHEP_DELETE] = g_signal_new_class_handler(
    "whep-delete", G_TYPE_FROM_CLASS(klass), GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
    G_CALLBACK(gst_vdi_webrtc_sink_whep_delete), nullptr, nullptr, nullptr, G_TYPE_UINT, 1,
    G_TYPE_STRING);
}
