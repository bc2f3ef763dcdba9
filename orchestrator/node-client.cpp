/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "node-client.h"

#include <memory>

namespace vdid {

namespace {

struct Call {
  SoupMessage *msg = nullptr;
  GCancellable *cancel = nullptr;
  gulong alive_handler = 0;
  GCancellable *alive = nullptr;
  guint timer = 0;
  bool timed_out = false;
  NodeClient::Done done;
  ~Call()
  {
    if (timer)
      g_source_remove(timer);
    if (alive_handler)
      g_cancellable_disconnect(alive, alive_handler);
    g_clear_object(&alive);
    g_clear_object(&cancel);
    g_clear_object(&msg);
  }
};

} // namespace

NodeClient::NodeClient()
  : session_(soup_session_new_with_options("max-conns", 256, "max-conns-per-host", 64, "user-agent",
                                           "vdid-door", nullptr)),
    alive_(g_cancellable_new())
{
}

NodeClient::~NodeClient()
{
  g_cancellable_cancel(alive_);
  soup_session_abort(session_);
  g_object_unref(session_);
  g_object_unref(alive_);
}

void NodeClient::send(const std::string &method, const std::string &url, const std::string &token,
                      const std::string &body, std::chrono::milliseconds deadline, Done done)
{
  auto *call = new Call;
  call->done = std::move(done);
  call->msg = soup_message_new(method.c_str(), url.c_str());
  if (!call->msg) {
    NodeAnswer a;
    a.error = "not a URL: " + url;
    auto finish = std::move(call->done);
    delete call;
    finish(a);
    return;
  }
  SoupMessageHeaders *h = soup_message_get_request_headers(call->msg);
  std::string cookie = "vdid_session=" + token;
  soup_message_headers_replace(h, "Cookie", cookie.c_str());
  soup_message_headers_replace(h, "X-Requested-With", "vdid-door");
  if (!body.empty()) {
    g_autoptr(GBytes) bytes = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(call->msg, "application/json", bytes);
  }
  call->cancel = g_cancellable_new();
  call->alive = G_CANCELLABLE(g_object_ref(alive_));
  /* The client going away cancels the request; its callback then sees
   * that and calls nobody. */
  call->alive_handler =
    g_cancellable_connect(alive_, G_CALLBACK(+[](GCancellable *, gpointer data) {
                            g_cancellable_cancel(static_cast<GCancellable *>(data));
                          }),
                          g_object_ref(call->cancel), g_object_unref);
  call->timer = g_timeout_add(
    static_cast<guint>(deadline.count()),
    +[](gpointer data) -> gboolean {
      auto *c = static_cast<Call *>(data);
      c->timer = 0;
      c->timed_out = true;
      g_cancellable_cancel(c->cancel);
      return G_SOURCE_REMOVE;
    },
    call);
  soup_session_send_and_read_async(
    session_, call->msg, G_PRIORITY_DEFAULT, call->cancel,
    +[](GObject *source, GAsyncResult *result, gpointer data) {
      std::unique_ptr<Call> c(static_cast<Call *>(data));
      g_autoptr(GError) error = nullptr;
      g_autoptr(GBytes) bytes =
        soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
      if (g_cancellable_is_cancelled(c->alive))
        return;
      NodeAnswer a;
      if (!bytes) {
        a.error = c->timed_out ? "no answer in time" : error->message;
      } else {
        a.status = soup_message_get_status(c->msg);
        gsize len = 0;
        auto *data = static_cast<const char *>(g_bytes_get_data(bytes, &len));
        a.body.assign(data ? data : "", len);
        SoupMessageHeaders *rh = soup_message_get_response_headers(c->msg);
        if (const char *l = soup_message_headers_get_one(rh, "Location"))
          a.location = l;
        if (const char *t = soup_message_headers_get_one(rh, "Content-Type"))
          a.content_type = t;
      }
      c->done(a);
    },
    call);
}

} // namespace vdid
