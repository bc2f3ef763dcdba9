/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid-worker: the pipeline of one session, in a process of its own that runs
 * as the session's user, so that a crash or hang of one session's pipeline
 * never touches another or vdid.
 *
 *   vdiwaylandsrc ! <encoder chosen at run time> ! vdiwebrtcsink port=-1
 *
 * vdid talks to it over stdin/stdout, one JSON object per line
 * (docs/vdid.md, "Worker protocol"):
 *
 *   vdid -> worker   {"op":"add-peer","ref":N}
 *                    {"op":"message","peer":P,"message":"<signalling JSON>"}
 *                    {"op":"remove-peer","peer":P}
 *   worker -> vdid   {"event":"ready","encoder":"x264enc"}
 *                    {"event":"peer","ref":N,"peer":P}
 *                    {"event":"send","peer":P,"message":"<signalling JSON>"}
 *                    {"event":"error","message":"..."}   (then exits 1)
 *
 * stdin closing means vdid went away: the worker stops.
 */

#include "encoder-choice.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <unistd.h>

namespace {

std::mutex g_out_lock;

void emit(JsonNode *node)
{
  g_autofree char *text = json_to_string(node, FALSE);
  json_node_unref(node);
  std::lock_guard<std::mutex> locker(g_out_lock);
  fprintf(stdout, "%s\n", text);
  fflush(stdout);
}

JsonNode *event(const char *name, const std::function<void(JsonBuilder *)> &fill = {})
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "event");
  json_builder_add_string_value(b, name);
  if (fill)
    fill(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

void member(JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, value);
}

struct Worker {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  GstElement *sink = nullptr;
  int exit_code = 0;
  /* Encoded frames and bytes reaching vdiwebrtcsink (streaming thread). */
  std::atomic<guint64> frames{0}, bytes{0};
  guint64 last_frames = 0, last_bytes = 0;
  gint64 last_time = 0;
};

GstPadProbeReturn countEncoded(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  auto *w = static_cast<Worker *>(data);
  if (GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info)) {
    w->frames++;
    w->bytes += gst_buffer_get_size(b);
  }
  return GST_PAD_PROBE_OK;
}

/* Every 2 s: what the session's pipeline does, for vdid's /metrics. */
gboolean reportStats(gpointer data)
{
  auto *w = static_cast<Worker *>(data);
  gint64 now = g_get_monotonic_time();
  double seconds = (now - w->last_time) / 1e6;
  guint64 frames = w->frames, bytes = w->bytes;
  double fps = seconds > 0 ? (frames - w->last_frames) / seconds : 0;
  double bitrate = seconds > 0 ? (bytes - w->last_bytes) * 8 / seconds : 0;
  w->last_frames = frames;
  w->last_bytes = bytes;
  w->last_time = now;

  guint viewers = 0, keyframe_requests = 0;
  GstStructure *stats = nullptr;
  g_object_get(w->sink, "stats", &stats, nullptr);
  if (stats) {
    gst_structure_get_uint(stats, "viewers", &viewers);
    for (int i = 0; i < gst_structure_n_fields(stats); i++) {
      const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
      if (G_VALUE_HOLDS(v, GST_TYPE_STRUCTURE)) {
        guint n = 0;
        if (gst_structure_get_uint(gst_value_get_structure(v), "keyframe-requests", &n))
          keyframe_requests += n;
      }
    }
    gst_structure_free(stats);
  }
  emit(event("stats", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "fps");
    json_builder_add_double_value(b, fps);
    json_builder_set_member_name(b, "bitrate");
    json_builder_add_double_value(b, bitrate);
    json_builder_set_member_name(b, "viewers");
    json_builder_add_int_value(b, viewers);
    json_builder_set_member_name(b, "keyframeRequests");
    json_builder_add_int_value(b, keyframe_requests);
  }));
  return G_SOURCE_CONTINUE;
}

void fatal(Worker *w, const std::string &message)
{
  emit(event("error", [&](JsonBuilder *b) { member(b, "message", message.c_str()); }));
  w->exit_code = 1;
  g_main_loop_quit(w->loop);
}

void onSendMessage(GstElement *, const char *peer, const char *message, gpointer)
{
  emit(event("send", [&](JsonBuilder *b) {
    member(b, "peer", peer);
    member(b, "message", message);
  }));
}

void handleCommand(Worker *w, const std::string &line)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, line.c_str(), -1, nullptr) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    g_warning("ignoring a command that is not a JSON object");
    return;
  }
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  std::string op = json_object_get_string_member_with_default(o, "op", "");
  if (op == "add-peer") {
    gint64 ref = json_object_get_int_member_with_default(o, "ref", 0);
    g_autofree char *peer = nullptr;
    g_signal_emit_by_name(w->sink, "add-peer", &peer);
    emit(event("peer", [&](JsonBuilder *b) {
      json_builder_set_member_name(b, "ref");
      json_builder_add_int_value(b, ref);
      member(b, "peer", peer ? peer : "");
    }));
  } else if (op == "message") {
    const char *peer = json_object_get_string_member_with_default(o, "peer", "");
    const char *msg = json_object_get_string_member_with_default(o, "message", "");
    g_signal_emit_by_name(w->sink, "handle-message", peer, msg);
  } else if (op == "remove-peer") {
    const char *peer = json_object_get_string_member_with_default(o, "peer", "");
    g_signal_emit_by_name(w->sink, "remove-peer", peer);
  } else if (op == "quit") {
    g_main_loop_quit(w->loop);
  } else {
    g_warning("ignoring unknown command \"%s\"", op.c_str());
  }
}

gboolean onStdin(gint fd, GIOCondition cond, gpointer data)
{
  auto *w = static_cast<Worker *>(data);
  static std::string buffer;
  char chunk[65536];
  ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n <= 0) {
    /* vdid is gone: nobody can watch this session any more. */
    g_main_loop_quit(w->loop);
    return G_SOURCE_REMOVE;
  }
  buffer.append(chunk, static_cast<size_t>(n));
  size_t nl;
  while ((nl = buffer.find('\n')) != std::string::npos) {
    std::string line = buffer.substr(0, nl);
    buffer.erase(0, nl + 1);
    if (!line.empty())
      handleCommand(w, line);
  }
  return G_SOURCE_CONTINUE;
}

gboolean onBus(GstBus *, GstMessage *msg, gpointer data)
{
  auto *w = static_cast<Worker *>(data);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) err = nullptr;
    g_autofree char *debug = nullptr;
    gst_message_parse_error(msg, &err, &debug);
    fatal(w, err->message);
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
    fatal(w, "the stream ended");
  }
  return G_SOURCE_CONTINUE;
}

} // namespace

int main(int argc, char **argv)
{
  g_autofree char *display = nullptr;
  g_autofree char *ice = nullptr;
  g_autofree char *encoder_name = nullptr;
  int fps = 60, bitrate = 6000;
  GOptionEntry entries[] = {
    {"display", 0, 0, G_OPTION_ARG_STRING, &display, "Wayland socket path of the session", "PATH"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "Most frames per second", "N"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "Starting bitrate in kbit/s", "KBPS"},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING, &ice, "Local address for ICE candidates", "IP"},
    {"encoder", 0, 0, G_OPTION_ARG_STRING, &encoder_name, "Force an encoder (x264, va, nvenc)",
     "NAME"},
    {nullptr},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- gst-vdi session pipeline");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  g_autoptr(GError) error = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || !display) {
    fprintf(stderr, "vdid-worker: %s\n", error ? error->message : "--display is required");
    return 2;
  }

  Worker w;
  w.loop = g_main_loop_new(nullptr, FALSE);

  vdi::enc::Settings settings;
  settings.framerate = static_cast<unsigned>(fps);
  settings.bitrate_kbps = static_cast<unsigned>(bitrate);
  std::vector<vdi::enc::Encoder> preference = vdi::enc::defaultPreference();
  if (encoder_name) {
    auto e = vdi::enc::parseEncoder(encoder_name);
    if (!e) {
      fprintf(stderr, "vdid-worker: unknown encoder \"%s\"\n", encoder_name);
      return 2;
    }
    preference = {*e};
  }
  std::string why;
  auto choice = vdi::enc::choose(settings, vdi::enc::gstAvailable, preference, &why);
  if (!choice) {
    emit(event("error", [&](JsonBuilder *b) {
      member(b, "message", ("no usable H.264 encoder: " + why).c_str());
    }));
    return 1;
  }

  if (strchr(display, '"') || strchr(display, '\\')) {
    fprintf(stderr, "vdid-worker: the display path may not contain quotes or backslashes\n");
    return 2;
  }
  std::string desc = std::string("vdiwaylandsrc display=\"") + display + "\"" +
                     " ! video/x-raw,framerate=" + std::to_string(fps) + "/1 ! " +
                     choice->launch() + " ! vdiwebrtcsink name=sink port=-1";
  w.pipeline = gst_parse_launch(desc.c_str(), &error);
  if (!w.pipeline) {
    emit(event("error", [&](JsonBuilder *b) { member(b, "message", error->message); }));
    return 1;
  }
  w.sink = gst_bin_get_by_name(GST_BIN(w.pipeline), "sink");
  if (!w.sink || error) {
    emit(event("error", [&](JsonBuilder *b) {
      member(b, "message", error ? error->message : "vdiwebrtcsink is not available");
    }));
    return 1;
  }
  if (ice) {
    std::string list = std::string("<") + ice + ">";
    gst_util_set_object_arg(G_OBJECT(w.sink), "ice-addresses", list.c_str());
  }
  g_signal_connect(w.sink, "send-message", G_CALLBACK(onSendMessage), nullptr);
  if (GstPad *video = gst_element_get_static_pad(w.sink, "video")) {
    gst_pad_add_probe(video, GST_PAD_PROBE_TYPE_BUFFER, countEncoded, &w, nullptr);
    gst_object_unref(video);
  }
  w.last_time = g_get_monotonic_time();
  g_timeout_add_seconds(2, reportStats, &w);

  g_autoptr(GstBus) bus = gst_element_get_bus(w.pipeline);
  gst_bus_add_watch(bus, onBus, &w);
  g_unix_fd_add(STDIN_FILENO, G_IO_IN, onStdin, &w);
  auto quit = [](gpointer data) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop *>(data));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGTERM, quit, w.loop);
  g_unix_signal_add(SIGINT, quit, w.loop);

  if (gst_element_set_state(w.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The bus has the reason; report it before giving up. */
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    g_autoptr(GError) err = nullptr;
    if (msg)
      gst_message_parse_error(msg, &err, nullptr);
    emit(event("error", [&](JsonBuilder *b) {
      member(b, "message", err ? err->message : "the pipeline did not start");
    }));
    gst_element_set_state(w.pipeline, GST_STATE_NULL);
    return 1;
  }
  emit(event("ready", [&](JsonBuilder *b) { member(b, "encoder", choice->factory.c_str()); }));

  g_main_loop_run(w.loop);
  gst_element_set_state(w.pipeline, GST_STATE_NULL);
  gst_object_unref(w.sink);
  gst_object_unref(w.pipeline);
  g_main_loop_unref(w.loop);
  return w.exit_code;
}
