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
 *   vdiwaylandsrc keepalive=0 ! <encoder chosen at run time> ! vdih264keepalive ! tee
 *     tee. ! vdiwebrtcsink port=-1          (always)
 *     tee. ! h264parse ! hlssink2           (while someone reads the HLS playlist)
 *     tee. ! h264parse ! mpegtsmux ! fdsink (while SRT callers watch)
 *   + the session's sound (worker-audio.h): Opus into vdiwebrtcsink, AAC
 *     into the HLS and SRT branches
 *
 * One encoder feeds every delivery: the HLS and SRT branches are added when
 * vdid asks for them and removed when nobody uses them any more, so an
 * unwatched session pays for neither.
 *
 * vdid talks to it over stdin/stdout, one JSON object per line
 * (docs/vdid.md, "Worker protocol"):
 *
 *   vdid -> worker   {"op":"add-peer","ref":N,"role":"view"|"control",
 *                     "stun-server":"stun://..","turn-servers":["turn://u:p@.."]}
 *                    {"op":"message","peer":P,"message":"<signalling JSON>"}
 *                    {"op":"remove-peer","peer":P}
 *                    {"op":"whep-offer","ref":N,"sdp":"...", + the ICE members}
 *                    {"op":"whep-patch","ref":N,"resource":R,"fragment":"..."}
 *                    {"op":"whep-delete","ref":N,"resource":R}
 *                    {"op":"hls","active":true|false}
 *                    {"op":"srt","active":true|false}
 *                    {"op":"keyframe"}
 *                    {"op":"tier","fps":N,"max-bitrate":K[,"width":W,"height":H]}
 *                    {"op":"quit"}
 *   worker -> vdid   {"event":"ready","encoder":"x264enc"}
 *                    {"event":"peer","ref":N,"peer":P}
 *                    {"event":"send","peer":P,"message":"<signalling JSON>"}
 *                    {"event":"whep","ref":N,"status":201,"body":"<SDP>","resource":R}
 *                    {"event":"stats",...} every 2 s
 *                    {"event":"error","message":"..."}   (then exits 1)
 *
 * stdin closing means vdid went away: the worker stops.
 */

#include "encoder-choice.h"
#include "events.h"
#include "frame-timer.h"
#include "tee-branch.h"
#include "worker-audio.h"
#include "worker-criticals.h"
#include "worker-protocol.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
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

/* A delivery branch hanging off the tee after the encoder (HLS or SRT). */
using Branch = std::unique_ptr<vdi::TeeBranch>;

struct Worker {
  GMainLoop *loop = nullptr;
  GstElement *pipeline = nullptr;
  GstElement *source = nullptr;
  GstElement *keepalive = nullptr; /* vdih264keepalive after the encoder */
  GstElement *tee = nullptr;
  GstElement *sink = nullptr;
  GstElement *rate = nullptr;  /* the frame-rate capsfilter after the source */
  GstElement *size = nullptr;  /* the size capsfilter before the encoder */
  guint start_max_bitrate = 0; /* vdiwebrtcsink's own max-bitrate (top tier) */
  unsigned fps = 60;           /* the frame-rate cap (--fps, then the tier's) */
  int exit_code = 0;
  /* Encoded frames and bytes reaching vdiwebrtcsink (streaming thread). */
  std::atomic<guint64> frames{0}, bytes{0};
  guint64 last_frames = 0, last_bytes = 0;
  /* The time a frame takes from the rate cap to the tee (streaming threads). */
  vdid::FrameTimer frame_timer;
  gint64 last_time = 0;
  std::string hls_dir; /* empty: HLS not offered */
  int srt_fd = -1;     /* -1: SRT not offered */
  Branch hls, srt;
  vdid::worker::Audio audio; /* no pipeline: the session has no sound */
  /* whep-offer refs waiting for their answer, by resource (main thread). */
  std::map<std::string, gint64> whep_refs;
  guint stdin_watch = 0, stats_timer = 0;
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

/* A raw frame leaves the frame-rate cap, towards conversion and encoder. */
GstPadProbeReturn frameEnters(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  if (b && GST_BUFFER_PTS_IS_VALID(b))
    static_cast<Worker *>(data)->frame_timer.enter(GST_BUFFER_PTS(b), g_get_monotonic_time());
  return GST_PAD_PROBE_OK;
}

/* Its encoded picture leaves the encoder (before vdih264keepalive: its
 * skipped pictures were never coded). */
GstPadProbeReturn frameLeaves(GstPad *, GstPadProbeInfo *info, gpointer data)
{
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  if (b && GST_BUFFER_PTS_IS_VALID(b))
    static_cast<Worker *>(data)->frame_timer.leave(GST_BUFFER_PTS(b), g_get_monotonic_time());
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
  /* An HLS or SRT delivery that runs is watched by someone too. */
  viewers += (w->hls ? 1 : 0) + (w->srt ? 1 : 0);
  vdid::FrameTimer::Times coded = w->frame_timer.take();
  emit(event("stats", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "fps");
    json_builder_add_double_value(b, fps);
    json_builder_set_member_name(b, "bitrate");
    json_builder_add_double_value(b, bitrate);
    json_builder_set_member_name(b, "viewers");
    json_builder_add_int_value(b, viewers);
    json_builder_set_member_name(b, "keyframeRequests");
    json_builder_add_int_value(b, keyframe_requests);
    json_builder_set_member_name(b, "frameMs");
    json_builder_add_double_value(b, coded.mean_ms);
    /* Frames the encoder coded, without vdih264keepalive's repeats
     * (which "fps", counted at the sink, includes). */
    json_builder_set_member_name(b, "codedFps");
    json_builder_add_double_value(b, seconds > 0 ? coded.frames / seconds : 0);
  }));
  return G_SOURCE_CONTINUE;
}

void fatal(Worker *w, const std::string &message)
{
  emit(event("error", [&](JsonBuilder *b) { member(b, "message", message.c_str()); }));
  w->exit_code = 1;
  g_main_loop_quit(w->loop);
}

/* Runs @work on the main thread, after what it is doing now. vdiwebrtcsink
 * emits its signals from its own thread; handled here, in order, they come
 * after the command that caused them (a peer's greeting after the "peer"
 * event that names it, a WHEP answer after its resource is known), so vdid
 * never hears of a peer or resource before its id. */
void onMain(std::function<void()> work)
{
  auto *f = new std::function<void()>(std::move(work));
  g_idle_add_full(
    G_PRIORITY_DEFAULT,
    [](gpointer d) -> gboolean {
      (*static_cast<std::function<void()> *>(d))();
      return G_SOURCE_REMOVE;
    },
    f, [](gpointer d) { delete static_cast<std::function<void()> *>(d); });
}

/* The sound of an HLS or SRT branch: AAC from the one AAC encoder, which
 * runs while any such branch does. */
std::string audioPart(Worker *w, const std::string &target)
{
  if (!w->audio.aac_tee)
    return "";
  return " queue name=ahead max-size-buffers=0 max-size-bytes=0 max-size-time=2000000000 "
         "leaky=downstream ! aacparse ! " +
         target;
}

bool addBranch(Worker *w, Branch &branch, const std::string &description, std::string *message)
{
  if (branch)
    return true;
  /* Only the head of the branch gets a ghost pad: ghosting every unlinked
   * pad would also take hlssink2's muxer output before it links its sink. */
  g_autoptr(GError) error = nullptr;
  GstElement *bin = gst_parse_bin_from_description(description.c_str(), FALSE, &error);
  if (!bin) {
    *message = error->message;
    return false;
  }
  g_autoptr(GstElement) head = gst_bin_get_by_name(GST_BIN(bin), "head");
  g_autoptr(GstPad) head_pad = gst_element_get_static_pad(head, "sink");
  gst_element_add_pad(bin, gst_ghost_pad_new("sink", head_pad));
  std::vector<vdi::TeeBranch::Input> inputs = {{w->tee, "sink"}};
  /* ... and "ahead", when it carries sound, gets AAC. */
  g_autoptr(GstElement) audio_head = gst_bin_get_by_name(GST_BIN(bin), "ahead");
  if (audio_head) {
    g_autoptr(GstPad) pad = gst_element_get_static_pad(audio_head, "sink");
    gst_element_add_pad(bin, gst_ghost_pad_new("audio", pad));
    inputs.push_back({w->audio.aac_tee, "audio"});
  }
  /* A sink joining a playing live pipeline must not make the pipeline wait
   * for its preroll (the source would stop in PAUSED, and nothing would
   * ever preroll it): the branch keeps its async state changes to itself. */
  g_object_set(bin, "async-handling", TRUE, nullptr);
  branch = vdi::TeeBranch::attach(bin, inputs, message);
  if (!branch)
    return false;
  vdi::requestKeyframe(branch->teePad(w->tee));
  return true;
}

/* Unlinks the branch once no buffer is in flight on its tee pad, then shuts
 * it down on the main thread. */
void removeBranch(Branch &branch)
{
  vdi::TeeBranch::detach(std::move(branch), onMain);
}

/* Removes what a previous HLS branch left, so a new reader never sees a
 * stale playlist. */
void clearHlsDir(const std::string &dir)
{
  g_autoptr(GDir) d = g_dir_open(dir.c_str(), 0, nullptr);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    if (g_str_has_suffix(name, ".ts") || g_str_has_suffix(name, ".m3u8")) {
      g_autofree char *path = g_build_filename(dir.c_str(), name, nullptr);
      unlink(path);
    }
  }
}

/* TS readers finish a frame only when the next one starts: keep frames
 * coming at the stream's frame rate while someone watches over SRT
 * (docs/srt-hls.md), and while HLS with sound is read (MSE plays only
 * where audio and video are both buffered, and a still screen gave one
 * 33 ms frame per second: hls.js stalled); otherwise one a second for the
 * WebRTC viewers. They are skipped pictures from vdih264keepalive, so the
 * encoder does not run on a still screen (for a stream it cannot extend,
 * the element asks the source to repaint instead: the repeats of old).
 * Near the stream's own rate: ffmpeg's probe of a 60 fps stream fed 30
 * or 40 pictures a second never finished (ffprobe printed no frame in
 * 15 s), 55 a second plays. A little over one frame interval, so that no
 * skipped picture comes between two changed frames of an animation (it
 * would double the pictures sent); below 30 fps (a lower tier), two. The
 * AAC encoder runs while either branch does. */
guint repeatInterval(const Worker *w)
{
  guint fps = std::max(1u, w->fps);
  return fps >= 30 ? 1000u / fps + 2 : 2000u / fps;
}

void branchesChanged(Worker *w)
{
  bool repeat = w->srt || (w->hls && w->audio.aac_tee);
  g_object_set(w->keepalive, "interval", repeat ? repeatInterval(w) : 1000u, nullptr);
  vdid::worker::setAacDemand(w->audio, w->hls || w->srt);
}

void setHls(Worker *w, bool active)
{
  if (w->hls_dir.empty()) {
    g_warning("HLS was not enabled for this session (--hls-dir)");
    return;
  }
  if (!active) {
    removeBranch(w->hls);
    clearHlsDir(w->hls_dir);
    branchesChanged(w);
    return;
  }
  if (w->hls)
    return;
  clearHlsDir(w->hls_dir);
  /* hlssink2 cuts a segment at the first keyframe after each second and
   * asks the encoder for it (docs/srt-hls.md). */
  std::string desc = "queue name=head max-size-buffers=0 max-size-bytes=0 "
                     "max-size-time=2000000000 "
                     "leaky=downstream ! h264parse ! hlssink2 name=hls target-duration=1 "
                     "playlist-length=5 max-files=10 location=\"" +
                     w->hls_dir + "/segment%05d.ts\" playlist-location=\"" + w->hls_dir +
                     "/index.m3u8\"" + audioPart(w, "hls.audio");
  std::string message;
  if (!addBranch(w, w->hls, desc, &message))
    g_warning("HLS: %s", message.c_str());
  branchesChanged(w);
}

void setSrt(Worker *w, bool active)
{
  if (w->srt_fd < 0) {
    g_warning("SRT is not available for this session (--srt-fifo)");
    return;
  }
  if (!active) {
    removeBranch(w->srt);
    branchesChanged(w);
    return;
  }
  if (w->srt)
    return;
  /* TS readers finish a frame only when the next one starts: frames at
   * the repeat rate while someone watches over SRT (docs/srt-hls.md). */
  g_object_set(w->keepalive, "interval", repeatInterval(w), nullptr);
  std::string desc = "queue name=head max-size-buffers=0 max-size-bytes=0 "
                     "max-size-time=1000000000 "
                     "leaky=downstream ! h264parse config-interval=-1 ! mpegtsmux name=mux ! "
                     "fdsink sync=false async=false fd=" +
                     std::to_string(w->srt_fd) + audioPart(w, "mux.");
  std::string message;
  if (!addBranch(w, w->srt, desc, &message))
    g_warning("SRT: %s", message.c_str());
  branchesChanged(w);
}

void emitWhep(gint64 ref, guint status, const std::string &body, const std::string &resource = "")
{
  emit(event("whep", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "ref");
    json_builder_add_int_value(b, ref);
    json_builder_set_member_name(b, "status");
    json_builder_add_int_value(b, status);
    member(b, "body", body.c_str());
    member(b, "resource", resource.c_str());
  }));
}

/* vdiwebrtcsink::whep-answer, from the element's own thread. */
void onWhepAnswer(GstElement *, const char *resource, guint status, const char *body, gpointer data)
{
  auto *w = static_cast<Worker *>(data);
  std::string r = resource, text = body ? body : "";
  onMain([w, r, status, text] {
    auto it = w->whep_refs.find(r);
    if (it == w->whep_refs.end())
      return;
    gint64 ref = it->second;
    w->whep_refs.erase(it);
    emitWhep(ref, status, text, r);
  });
}

/* The viewer's STUN and TURN servers (minted by vdid for it), set on the
 * sink before the viewer is made: vdiwebrtcsink applies them to new viewers. */
void applyIceServers(Worker *w, const vdid::WorkerCommand &c)
{
  if (c.has_stun)
    g_object_set(w->sink, "stun-server", c.stun_server.empty() ? nullptr : c.stun_server.c_str(),
                 nullptr);
  if (!c.has_turn)
    return;
  GValue array = G_VALUE_INIT;
  g_value_init(&array, GST_TYPE_ARRAY);
  for (const auto &server : c.turn_servers) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_STRING);
    g_value_set_string(&v, server.c_str());
    gst_value_array_append_and_take_value(&array, &v);
  }
  g_object_set_property(G_OBJECT(w->sink), "turn-servers", &array);
  g_value_unset(&array);
}

void whepOffer(Worker *w, gint64 ref, const char *sdp)
{
  if (!g_signal_lookup("whep-offer", G_OBJECT_TYPE(w->sink))) {
    emitWhep(ref, 501, "this vdiwebrtcsink has no relayed WHEP");
    return;
  }
  g_autofree char *resource = nullptr;
  g_signal_emit_by_name(w->sink, "whep-offer", sdp, &resource);
  if (!resource) {
    emitWhep(ref, 503, "the session refused another viewer");
    return;
  }
  w->whep_refs[resource] = ref;
}

void onSendMessage(GstElement *, const char *peer, const char *message, gpointer)
{
  std::string p = peer, m = message;
  onMain([p, m] {
    emit(event("send", [&](JsonBuilder *b) {
      member(b, "peer", p.c_str());
      member(b, "message", m.c_str());
    }));
  });
}

/* The session moved to another encode tier (vdid's tier-ladder.h): a new
 * frame-rate cap renegotiates the caps after the source, a new size the
 * caps before the encoder (the scaler maps pointer coordinates back); the
 * encoder takes either with a keyframe, which carries the new SPS to every
 * viewer, SRT and HLS reader. The bitrate cap applies at the next
 * adaptation. Viewers stay connected. */
void setTier(Worker *w, unsigned fps, unsigned max_bitrate, unsigned width, unsigned height)
{
  if (w->size) {
    g_autoptr(GstCaps) caps = nullptr;
    if (width && height) {
      caps = gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, static_cast<int>(width),
                                 "height", G_TYPE_INT, static_cast<int>(height), nullptr);
      gst_caps_set_features(caps, 0, gst_caps_features_new_any());
    } else {
      caps = gst_caps_new_any();
    }
    g_autoptr(GstCaps) old = nullptr;
    g_object_get(w->size, "caps", &old, nullptr);
    if (!old || !gst_caps_is_equal(old, caps)) {
      g_object_set(w->size, "caps", caps, nullptr);
      /* A still screen sends no frame that would take the new size: ask
       * the source for one (and the encoder for a keyframe). */
      g_autoptr(GstPad) pad = gst_element_get_static_pad(w->tee, "sink");
      vdi::requestKeyframe(pad);
    }
  }
  if (fps)
    w->fps = fps;
  if (fps && w->rate) {
    g_autoptr(GstCaps) caps = gst_caps_new_simple("video/x-raw", "framerate", GST_TYPE_FRACTION,
                                                  static_cast<int>(fps), 1, nullptr);
    g_object_set(w->rate, "caps", caps, nullptr);
  }
  guint cap = max_bitrate ? max_bitrate : w->start_max_bitrate;
  guint min_bitrate = 0;
  g_object_get(w->sink, "min-bitrate", &min_bitrate, nullptr);
  g_object_set(w->sink, "min-bitrate", std::min(min_bitrate, cap), "max-bitrate", cap, nullptr);
  branchesChanged(w); /* the repeat rate follows the cap */
  g_message("tier: at most %u fps and %u kbit/s, %s", fps, cap,
            width ? (std::to_string(width) + "x" + std::to_string(height)).c_str()
                  : "the desktop's size");
}

void handleCommand(Worker *w, const std::string &line)
{
  vdid::WorkerCommand c = vdid::parseWorkerCommand(line);
  if (c.op.empty()) {
    g_warning("ignoring a command: %s", c.error.c_str());
    return;
  }
  const std::string &op = c.op;
  gint64 ref = c.ref;
  if (op == "add-peer" || op == "whep-offer")
    applyIceServers(w, c);
  if (op == "add-peer") {
    g_autofree char *peer = nullptr;
    g_signal_emit_by_name(w->sink, "add-peer", &peer);
    if (peer && g_signal_lookup("set-peer-role", G_OBJECT_TYPE(w->sink))) {
      gboolean ok = FALSE;
      g_signal_emit_by_name(w->sink, "set-peer-role", peer, c.role.c_str(), &ok);
    }
    emit(event("peer", [&](JsonBuilder *b) {
      json_builder_set_member_name(b, "ref");
      json_builder_add_int_value(b, ref);
      member(b, "peer", peer ? peer : "");
    }));
  } else if (op == "message") {
    g_signal_emit_by_name(w->sink, "handle-message", c.peer.c_str(), c.message.c_str());
  } else if (op == "remove-peer") {
    g_signal_emit_by_name(w->sink, "remove-peer", c.peer.c_str());
  } else if (op == "whep-offer") {
    whepOffer(w, ref, c.sdp.c_str());
  } else if (op == "whep-patch" || op == "whep-delete") {
    guint status = 404;
    if (!g_signal_lookup(op.c_str(), G_OBJECT_TYPE(w->sink)))
      status = 501;
    else if (op == "whep-patch")
      g_signal_emit_by_name(w->sink, "whep-patch", c.resource.c_str(), c.fragment.c_str(), &status);
    else
      g_signal_emit_by_name(w->sink, "whep-delete", c.resource.c_str(), &status);
    emitWhep(ref, status, "", c.resource);
  } else if (op == "hls" || op == "srt") {
    (op == "hls" ? setHls : setSrt)(w, c.active);
  } else if (op == "keyframe") {
    g_autoptr(GstPad) pad = gst_element_get_static_pad(w->tee, "sink");
    vdi::requestKeyframe(pad);
  } else if (op == "tier") {
    setTier(w, c.fps, c.max_bitrate, c.width, c.height);
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
    w->stdin_watch = 0;
    return G_SOURCE_REMOVE;
  }
  buffer.append(chunk, static_cast<size_t>(n));
  if (buffer.size() > vdid::kMaxWorkerLine && buffer.find('\n') == std::string::npos) {
    g_warning("ignoring a command longer than %zu bytes", vdid::kMaxWorkerLine);
    buffer.clear();
  }
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
    /* A failing capture costs the sound, not the session. */
    if (vdid::worker::ownsMessage(w->audio, GST_MESSAGE_SRC(msg))) {
      vdid::worker::captureFailed(w->audio, err->message);
      return G_SOURCE_CONTINUE;
    }
    /* A failing HLS or SRT branch costs that delivery, not the session. */
    for (Branch *b : {&w->hls, &w->srt}) {
      if (*b && gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT((*b)->bin()))) {
        g_warning("%s branch stopped: %s", b == &w->hls ? "HLS" : "SRT", err->message);
        removeBranch(*b);
        if (b == &w->hls) {
          /* No stale playlist: vdid answers its readers with the cause. */
          clearHlsDir(w->hls_dir);
          emit(event("hls-failed", [&](JsonBuilder *jb) { member(jb, "message", err->message); }));
        }
        if (b == &w->srt && w->srt_fd >= 0) {
          close(w->srt_fd);
          w->srt_fd = -1;
        }
        branchesChanged(w);
        return G_SOURCE_CONTINUE;
      }
    }
    fatal(w, err->message);
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
    fatal(w, "the stream ended");
  }
  return G_SOURCE_CONTINUE;
}

} // namespace

int main(int argc, char **argv)
{
  /* G_DEBUG=fatal-criticals (the tests) stays fatal, but for one known
   * critical of GStreamer 1.22's rtpsession (worker-criticals.h). */
  vdid::spareKnownLibraryCriticals();
  g_autofree char *display = nullptr;
  g_autofree char *ice = nullptr;
  g_autofree char *encoder_name = nullptr;
  g_autofree char *hls_dir = nullptr;
  g_autofree char *srt_fifo = nullptr;
  g_autofree char *audio_device = nullptr;
  g_autofree char *microphone_device = nullptr;
  g_autofree char *meta = nullptr;
  g_autofree char *backend = nullptr;
  g_autofree char *bus_address = nullptr;
  int fps = 60, bitrate = 6000, max_bitrate = 0;
  gboolean software_only = FALSE;
  gboolean cursor_as_data = FALSE;
  GOptionEntry entries[] = {
    {"display", 0, 0, G_OPTION_ARG_STRING, &display, "Wayland socket path of the session", "PATH"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "Most frames per second", "N"},
    {"backend", 0, 0, G_OPTION_ARG_STRING, &backend,
     "Capture and input backend of vdiwaylandsrc (auto, wlr-screencopy, mutter)", "NAME"},
    {"bus-address", 0, 0, G_OPTION_ARG_STRING, &bus_address,
     "D-Bus session bus of the session (backend mutter)", "ADDRESS"},
    {"cursor-as-data", 0, 0, G_OPTION_ARG_NONE, &cursor_as_data,
     "Send the pointer to the viewers as data (vdi-cursor), not drawn into the frames (Mutter)",
     nullptr},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "Starting bitrate in kbit/s", "KBPS"},
    {"max-bitrate", 0, 0, G_OPTION_ARG_INT, &max_bitrate,
     "Most kbit/s the bitrate adaptation may set (the session's encode tier)", "KBPS"},
    {"ice-address", 0, 0, G_OPTION_ARG_STRING, &ice, "Local address for ICE candidates", "IP"},
    {"encoder", 0, 0, G_OPTION_ARG_STRING, &encoder_name, "Force an encoder (x264, va, nvenc)",
     "NAME"},
    {"software-only", 0, 0, G_OPTION_ARG_NONE, &software_only,
     "Never use a hardware encoder (vdid's max-hardware-sessions is reached)", nullptr},
    {"hls-dir", 0, 0, G_OPTION_ARG_FILENAME, &hls_dir,
     "Offer HLS: write the playlist and segments here while vdid asks for them", "DIR"},
    {"meta", 0, 0, G_OPTION_ARG_STRING, &meta,
     "The producer meta consumers see (a GstStructure: session id, owner, size, compositor)",
     "STRUCTURE"},
    {"srt-fifo", 0, 0, G_OPTION_ARG_FILENAME, &srt_fifo,
     "Offer SRT: write MPEG-TS into this FIFO (read by vdid-srt) while vdid asks for it", "PATH"},
    {"audio-device", 0, 0, G_OPTION_ARG_STRING, &audio_device,
     "Stream the sound of this PulseAudio source (the session's vdi-speaker.monitor)", "NAME"},
    {"microphone-device", 0, 0, G_OPTION_ARG_STRING, &microphone_device,
     "Play control viewers' microphones into this PulseAudio sink (vdi-microphone-input)", "NAME"},
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
  if (max_bitrate > 0)
    bitrate = std::min(bitrate, max_bitrate);
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
  if (software_only) {
    std::vector<vdi::enc::Encoder> software;
    for (auto e : preference)
      if (!vdi::enc::isHardware(e))
        software.push_back(e);
    preference = software;
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
  for (const char *value : {backend, bus_address})
    if (value && (strchr(value, '"') || strchr(value, '\\'))) {
      fprintf(stderr, "vdid-worker: --backend and --bus-address may not contain quotes\n");
      return 2;
    }
  if (hls_dir && (strchr(hls_dir, '"') || strchr(hls_dir, '\\'))) {
    fprintf(stderr, "vdid-worker: the HLS path may not contain quotes or backslashes\n");
    return 2;
  }
  /* The source repeats nothing: vdih264keepalive after the encoder keeps
   * a still stream going (branchesChanged()). */
  std::string desc = std::string("vdiwaylandsrc name=source keepalive=0 display=\"") + display +
                     "\"" + (backend ? std::string(" backend=\"") + backend + "\"" : "") +
                     (bus_address ? std::string(" bus-address=\"") + bus_address + "\"" : "") +
                     (cursor_as_data ? " show-cursor=false" : "") +
                     " ! capsfilter name=rate caps=video/x-raw,framerate=" + std::to_string(fps) +
                     "/1 ! " + choice->launchScalable("size") +
                     " ! vdih264keepalive name=keepalive interval=1000"
                     " ! tee name=tee allow-not-linked=true ! queue max-size-buffers=2 "
                     "max-size-bytes=0 max-size-time=0 ! vdiwebrtcsink name=sink port=-1";
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
  w.fps = static_cast<unsigned>(std::max(1, fps));
  w.source = gst_bin_get_by_name(GST_BIN(w.pipeline), "source");
  w.keepalive = gst_bin_get_by_name(GST_BIN(w.pipeline), "keepalive");
  w.rate = gst_bin_get_by_name(GST_BIN(w.pipeline), "rate");
  w.size = gst_bin_get_by_name(GST_BIN(w.pipeline), "size");
  w.tee = gst_bin_get_by_name(GST_BIN(w.pipeline), "tee");
  if (hls_dir && g_mkdir_with_parents(hls_dir, 0700) == 0)
    w.hls_dir = hls_dir;
  else if (hls_dir)
    g_warning("no HLS for this session: cannot create %s: %s", hls_dir, g_strerror(errno));
  if (srt_fifo) {
    /* Non-blocking open: without a reader (vdid-srt) there is no SRT. */
    w.srt_fd = open(srt_fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (w.srt_fd < 0)
      g_warning("no SRT for this session: cannot open %s: %s", srt_fifo, g_strerror(errno));
    else
      fcntl(w.srt_fd, F_SETFL, fcntl(w.srt_fd, F_GETFL) & ~O_NONBLOCK);
  }
  /* Audio and video timestamps on one clock, whatever element offers one. */
  g_autoptr(GstClock) clock = gst_system_clock_obtain();
  gst_pipeline_use_clock(GST_PIPELINE(w.pipeline), clock);
  if (audio_device) {
    std::string audio_error;
    if (!vdid::worker::buildAudio(w.audio, w.pipeline, w.sink, audio_device, &audio_error)) {
      g_warning("no sound for this session: %s", audio_error.c_str());
      w.audio = {};
    }
  }
  if (microphone_device)
    vdid::worker::connectMicrophone(w.sink, microphone_device);
  g_object_get(w.sink, "max-bitrate", &w.start_max_bitrate, nullptr);
  if (max_bitrate > 0) {
    guint min_bitrate = 0;
    g_object_get(w.sink, "min-bitrate", &min_bitrate, nullptr);
    g_object_set(w.sink, "min-bitrate", std::min(min_bitrate, static_cast<guint>(max_bitrate)),
                 "max-bitrate", static_cast<guint>(max_bitrate), nullptr);
  }
  if (g_signal_lookup("whep-answer", G_OBJECT_TYPE(w.sink)))
    g_signal_connect(w.sink, "whep-answer", G_CALLBACK(onWhepAnswer), &w);
  if (meta) {
    GstStructure *st = gst_structure_from_string(meta, nullptr);
    if (st && g_object_class_find_property(G_OBJECT_GET_CLASS(w.sink), "meta"))
      g_object_set(w.sink, "meta", st, nullptr);
    else
      g_warning("ignoring --meta \"%s\": not a structure", meta);
    if (st)
      gst_structure_free(st);
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
  for (auto [element, pad, probe] : {std::make_tuple(w.rate, "src", frameEnters),
                                     std::make_tuple(w.keepalive, "sink", frameLeaves)}) {
    g_autoptr(GstPad) p = gst_element_get_static_pad(element, pad);
    if (p)
      gst_pad_add_probe(p, GST_PAD_PROBE_TYPE_BUFFER, probe, &w, nullptr);
  }
  w.last_time = g_get_monotonic_time();
  w.stats_timer = g_timeout_add_seconds(2, reportStats, &w);

  g_autoptr(GstBus) bus = gst_element_get_bus(w.pipeline);
  gst_bus_add_watch(bus, onBus, &w);
  w.stdin_watch = g_unix_fd_add(STDIN_FILENO, G_IO_IN, onStdin, &w);
  auto quit = [](gpointer data) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop *>(data));
    return G_SOURCE_REMOVE;
  };
  /* A vdid-srt that went away must not kill the session: fdsink reports
   * the write error and the SRT branch is dropped. */
  signal(SIGPIPE, SIG_IGN);
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
  vdid::worker::startAudio(w.audio);
  emit(event("ready", [&](JsonBuilder *b) { member(b, "encoder", choice->factory.c_str()); }));

  g_main_loop_run(w.loop);
  vdid::worker::stopKeeper(w.audio);
  gst_element_set_state(w.pipeline, GST_STATE_NULL);
  /* The delivery branches go while their tee and the pipeline are there,
   * and so do the teardowns removeBranch() left on the main loop (no
   * command or bus message is handled any more). */
  if (w.stdin_watch)
    g_source_remove(w.stdin_watch);
  g_source_remove(w.stats_timer);
  gst_bus_remove_watch(bus);
  w.hls.reset();
  w.srt.reset();
  while (g_main_context_iteration(nullptr, FALSE))
    ;
  if (!w.hls_dir.empty())
    clearHlsDir(w.hls_dir);
  gst_object_unref(w.source);
  gst_object_unref(w.keepalive);
  if (w.rate)
    gst_object_unref(w.rate);
  if (w.size)
    gst_object_unref(w.size);
  gst_object_unref(w.tee);
  gst_object_unref(w.sink);
  gst_object_unref(w.pipeline);
  g_main_loop_unref(w.loop);
  if (w.srt_fd >= 0)
    close(w.srt_fd);
  /* Not through exit(): a thread of GStreamer's own pool may still be
   * building a viewer's DTLS transport, and exit()'s library destructors
   * then free OpenSSL's locks under it (seen: SIGSEGV in
   * CRYPTO_THREAD_write_lock with a NULL lock, once in 13 vdid-gnome
   * runs). Everything of ours is torn down above; output is flushed. */
  fflush(nullptr);
  _exit(w.exit_code);
}
