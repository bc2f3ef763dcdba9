/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid-srt: the one SRT port of a vdid host. A single vdisrtsink serves
 * every session as `read:SESSION`; each session's worker writes MPEG-TS into
 * a FIFO whose read end vdid hands over here:
 *
 *   fdsrc fd=N ! video/mpegts ! queue ! vdisrtsink.sink_SESSION
 *
 * vdid starts it as an unprivileged user with the control socket as fd 3
 * (control-socket.h), and answers its questions:
 *
 *   vdid -> srt   {"op":"add","stream":ID} + the FIFO's read end
 *                 {"op":"remove","stream":ID}
 *                 {"op":"auth-result","ref":N,"ok":true|false}
 *   srt -> vdid   {"event":"ready","port":P}
 *                 {"event":"auth","ref":N,"stream":ID,"user":U,"password":P,"address":A}
 *                 {"event":"callers","stream":ID,"count":N}
 *                 {"event":"keyframe","stream":ID}
 *                 {"event":"error","message":"..."}
 *
 * Callers are admitted by vdid (user and password of someone who may see
 * the session, or a share token as the password): vdisrtsink's
 * authenticate signal waits here for vdid's answer (at most 3 s).
 */

#include "control-socket.h"
#include "json.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <unistd.h>

using namespace vdid;

namespace {

constexpr int kControlFd = 3;

struct Relay {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  GstElement *sink = nullptr;
  int exit_code = 0;

  struct Stream {
    GstElement *bin = nullptr;
    GstPad *sink_pad = nullptr;
    int fd = -1;
  };
  std::map<std::string, Stream> streams; /* main thread */

  std::mutex lock; /* guards what follows (SRT threads and main thread) */
  std::condition_variable answered;
  unsigned next_ref = 1;
  std::map<unsigned, int> auth_results; /* ref -> 0/1, -1 while waiting */
  std::map<std::string, unsigned> callers;
};

void send(JsonNode *event)
{
  controlSend(kControlFd, event);
}

void sendError(const std::string &message)
{
  send(controlMessage("event", "error", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message.c_str());
  }));
}

/* vdisrtsink::authenticate, on an SRT thread: vdid decides. */
gboolean onAuthenticate(GstElement *, const char *stream, const char *user, const char *password,
                        const char *address, gpointer data)
{
  auto *r = static_cast<Relay *>(data);
  std::unique_lock<std::mutex> locker(r->lock);
  unsigned ref = r->next_ref++;
  r->auth_results[ref] = -1;
  send(controlMessage("event", "auth", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "ref");
    json_builder_add_int_value(b, ref);
    for (auto [name, value] : {std::pair<const char *, const char *>{"stream", stream},
                               {"user", user},
                               {"password", password},
                               {"address", address}}) {
      json_builder_set_member_name(b, name);
      json_builder_add_string_value(b, value ? value : "");
    }
  }));
  bool done = r->answered.wait_for(locker, std::chrono::seconds(3),
                                   [&] { return r->auth_results[ref] >= 0; });
  bool ok = done && r->auth_results[ref] == 1;
  r->auth_results.erase(ref);
  return ok;
}

void countCallers(Relay *r, const char *stream, int delta)
{
  unsigned count;
  {
    std::lock_guard<std::mutex> locker(r->lock);
    unsigned &n = r->callers[stream];
    n = delta < 0 && n == 0 ? 0 : n + delta;
    count = n;
  }
  send(controlMessage("event", "callers", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "stream");
    json_builder_add_string_value(b, stream);
    json_builder_set_member_name(b, "count");
    json_builder_add_int_value(b, count);
  }));
}

void onCallerAdded(GstElement *, const char *stream, guint64, const char *, gpointer data)
{
  countCallers(static_cast<Relay *>(data), stream, +1);
}

void onCallerRemoved(GstElement *, const char *stream, guint64, const char *, gpointer data)
{
  countCallers(static_cast<Relay *>(data), stream, -1);
}

/* vdisrtsink asks upstream for a keyframe when a caller joins; upstream is
 * the session's worker, so the request goes there through vdid. */
GstPadProbeReturn onUpstreamEvent(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (gst_video_event_is_force_key_unit(event)) {
    auto *name = static_cast<const char *>(data);
    send(controlMessage("event", "keyframe", [&](JsonBuilder *b) {
      json_builder_set_member_name(b, "stream");
      json_builder_add_string_value(b, name);
    }));
  }
  return GST_PAD_PROBE_OK;
}

void removeStream(Relay *r, const std::string &name)
{
  auto it = r->streams.find(name);
  if (it == r->streams.end())
    return;
  Relay::Stream s = it->second;
  r->streams.erase(it);
  gst_element_set_state(s.bin, GST_STATE_NULL);
  gst_element_release_request_pad(r->sink, s.sink_pad);
  gst_object_unref(s.sink_pad);
  gst_bin_remove(GST_BIN(r->pipeline), s.bin);
  close(s.fd);
}

void addStream(Relay *r, const std::string &name, int fd)
{
  removeStream(r, name);
  std::string desc = "fdsrc fd=" + std::to_string(fd) +
                     " blocksize=18800 ! capsfilter caps=\"video/mpegts,systemstream=true,"
                     "packetsize=188\" ! queue max-size-buffers=0 max-size-bytes=4000000 "
                     "max-size-time=0 leaky=downstream";
  g_autoptr(GError) error = nullptr;
  GstElement *bin = gst_parse_bin_from_description(desc.c_str(), TRUE, &error);
  if (!bin) {
    close(fd);
    return sendError("stream " + name + ": " + error->message);
  }
  gst_bin_add(GST_BIN(r->pipeline), bin);
  std::string pad_name = "sink_" + name;
  GstPad *sink_pad = gst_element_request_pad_simple(r->sink, pad_name.c_str());
  g_autoptr(GstPad) src = gst_element_get_static_pad(bin, "src");
  if (!sink_pad || gst_pad_link(src, sink_pad) != GST_PAD_LINK_OK) {
    if (sink_pad) {
      gst_element_release_request_pad(r->sink, sink_pad);
      gst_object_unref(sink_pad);
    }
    gst_bin_remove(GST_BIN(r->pipeline), bin);
    close(fd);
    return sendError("stream " + name + ": cannot link it to vdisrtsink");
  }
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, onUpstreamEvent, g_strdup(name.c_str()),
                    g_free);
  gst_element_sync_state_with_parent(bin);
  r->streams[name] = {bin, sink_pad, fd};
}

gboolean onControl(gint fd, GIOCondition, gpointer data)
{
  auto *r = static_cast<Relay *>(data);
  std::string text;
  int passed = -1;
  if (!controlReceive(fd, &text, &passed)) {
    /* vdid is gone. */
    g_main_loop_quit(r->loop);
    return G_SOURCE_REMOVE;
  }
  vdi::json::Document doc;
  std::string error;
  JsonObject *o = doc.parseObject(text.data(), text.size(), &error);
  if (!o) {
    if (passed >= 0)
      close(passed);
    return G_SOURCE_CONTINUE;
  }
  std::string op = vdi::json::stringOr(o, "op");
  std::string stream = vdi::json::stringOr(o, "stream");
  if (op == "add" && passed >= 0 && !stream.empty()) {
    addStream(r, stream, passed);
    passed = -1;
  } else if (op == "remove") {
    removeStream(r, stream);
  } else if (op == "auth-result") {
    std::lock_guard<std::mutex> locker(r->lock);
    auto ref = static_cast<unsigned>(vdi::json::intOr(o, "ref"));
    auto it = r->auth_results.find(ref);
    if (it != r->auth_results.end())
      it->second = vdi::json::boolOr(o, "ok") ? 1 : 0;
    r->answered.notify_all();
  }
  if (passed >= 0)
    close(passed);
  return G_SOURCE_CONTINUE;
}

gboolean onBus(GstBus *, GstMessage *msg, gpointer data)
{
  auto *r = static_cast<Relay *>(data);
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  g_autoptr(GError) err = nullptr;
  gst_message_parse_error(msg, &err, nullptr);
  /* A stream that fails (its worker went away) ends alone. */
  for (auto &[name, s] : r->streams) {
    if (gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT(s.bin))) {
      std::string gone = name;
      removeStream(r, gone);
      return G_SOURCE_CONTINUE;
    }
  }
  sendError(err->message);
  r->exit_code = 1;
  g_main_loop_quit(r->loop);
  return G_SOURCE_CONTINUE;
}

} // namespace

int main(int argc, char **argv)
{
  g_autofree char *listen = nullptr;
  int latency = 125;
  GOptionEntry entries[] = {
    {"listen", 0, 0, G_OPTION_ARG_STRING, &listen, "SRT listener address", "ADDRESS:PORT"},
    {"latency", 0, 0, G_OPTION_ARG_INT, &latency, "SRT latency in ms", "MS"},
    {nullptr},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- the SRT port of vdid");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  g_autoptr(GError) error = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || !listen) {
    fprintf(stderr, "vdid-srt: %s\n", error ? error->message : "--listen is required");
    return 2;
  }

  Relay r;
  r.loop = g_main_loop_new(nullptr, FALSE);
  r.pipeline = gst_pipeline_new("srt");
  r.sink = gst_element_factory_make("vdisrtsink", "sink");
  if (!r.sink) {
    sendError("the vdisrtsink element is not installed");
    return 1;
  }
  std::string uri = std::string("srt://") + listen;
  g_object_set(r.sink, "uri", uri.c_str(), "latency", latency, nullptr);
  gst_bin_add(GST_BIN(r.pipeline), r.sink);
  g_signal_connect(r.sink, "authenticate", G_CALLBACK(onAuthenticate), &r);
  g_signal_connect(r.sink, "caller-added", G_CALLBACK(onCallerAdded), &r);
  g_signal_connect(r.sink, "caller-removed", G_CALLBACK(onCallerRemoved), &r);

  g_autoptr(GstBus) bus = gst_element_get_bus(r.pipeline);
  gst_bus_add_watch(bus, onBus, &r);
  g_unix_fd_add(kControlFd, G_IO_IN, onControl, &r);
  auto quit = [](gpointer data) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop *>(data));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGTERM, quit, r.loop);
  g_unix_signal_add(SIGINT, quit, r.loop);

  if (gst_element_set_state(r.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    g_autoptr(GError) err = nullptr;
    if (msg)
      gst_message_parse_error(msg, &err, nullptr);
    sendError(err ? err->message : "cannot listen on " + uri);
    return 1;
  }
  int port = 0;
  g_object_get(r.sink, "port", &port, nullptr);
  send(controlMessage("event", "ready", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "port");
    json_builder_add_int_value(b, port);
  }));

  g_main_loop_run(r.loop);
  /* Wake callers still waiting for vdid. */
  {
    std::lock_guard<std::mutex> locker(r.lock);
    for (auto &[ref, result] : r.auth_results)
      result = 0;
    r.answered.notify_all();
  }
  gst_element_set_state(r.pipeline, GST_STATE_NULL);
  while (!r.streams.empty())
    removeStream(&r, r.streams.begin()->first);
  gst_object_unref(r.pipeline);
  g_main_loop_unref(r.loop);
  return r.exit_code;
}
