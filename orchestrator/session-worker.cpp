/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The session's side of its pipeline worker (vdid-worker): starting it, the
 * JSON-lines link (commands, requests answered by ref, events), the
 * signalling relay for its peers, and its exit. Part of SessionManager.
 */

#include "sessions.h"

#include "encoder-tier.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <glib-unix.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vdid {

namespace {

bool isLoopback(const std::string &address)
{
  return g_str_has_prefix(address.c_str(), "127.") || address == "::1" || address == "localhost";
}

/* A GstStructure string value, quoted. */
std::string structureString(const std::string &v)
{
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace

/* What consumers of the session's signalling see as the producer's meta
 * (vdiwebrtcsink `meta`: `list` and `peerStatusChanged`). */
std::string SessionManager::producerMeta(const Session &s) const
{
  return "meta,session-id=(string)" + structureString(s.id) + ",owner=(string)" +
         structureString(s.user) + ",width=(int)" + std::to_string(s.width) + ",height=(int)" +
         std::to_string(s.height) + ",compositor=(string)" + structureString(s.plan.name);
}

bool SessionManager::startWorker(Session &s, std::string *message)
{
  std::vector<std::string> argv = {helperPath("vdid-worker", "VDID_WORKER"),
                                   "--display",
                                   s.socketPath(),
                                   "--fps",
                                   std::to_string(s.fps),
                                   "--meta",
                                   producerMeta(s)};
  /* Viewers reach a loopback-only vdid over loopback: gather ICE there. */
  /* GNOME Shell / Mutter: captured and driven through their D-Bus services. */
  if (s.plan.usesMutter() && s.services)
    argv.insert(argv.end(), {"--backend", "mutter", "--bus-address", s.services->busAddress(),
                             "--cursor-as-data"});
  if (isLoopback(config_.listen_address))
    argv.insert(argv.end(), {"--ice-address", "127.0.0.1"});
  if (worker_arguments) {
    auto extra = worker_arguments(s);
    argv.insert(argv.end(), extra.begin(), extra.end());
  }
  for (auto &extra : workerArgs(s))
    argv.push_back(std::move(extra));
  /* The session's sound (docs/sound.md), when its sound server is up. */
  if (config_.audio && s.services && s.services->audioState() == SessionServices::State::Ready)
    argv.insert(argv.end(),
                {"--audio-device", kSpeakerMonitor, "--microphone-device", kMicrophoneInput});
  /* The registry cache stays the user's own (~/.cache/gstreamer-1.0), so
   * only the first session of a user pays for a plugin scan. */
  std::vector<std::string> env;
  for (const char *pass :
       {"GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0", "GST_DEBUG", "GST_PLUGIN_SYSTEM_PATH_1_0"})
    if (const char *v = g_getenv(pass))
      env.push_back(std::string(pass) + "=" + v);

  auto w = std::make_unique<WorkerLink>();
  w->pid = spawnAs(s, argv, env, message, &w->in_fd, &w->out_fd);
  if (w->pid < 0)
    return false;
  g_unix_set_fd_nonblocking(w->out_fd, TRUE, nullptr);
  w->out_source = g_unix_fd_add_full(G_PRIORITY_DEFAULT, w->out_fd,
                                     static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                                     onWorkerOutput, new SessionRef{this, s.id}, SessionRef::free);
  w->watch = g_child_watch_add_full(G_PRIORITY_DEFAULT, w->pid, onWorkerExit,
                                    new SessionRef{this, s.id}, SessionRef::free);
  s.worker = std::move(w);
  return true;
}

gboolean SessionManager::onWorkerOutput(gint fd, GIOCondition, gpointer data)
{
  auto *ref = static_cast<SessionRef *>(data);
  auto s = ref->self->get(ref->id);
  if (!s || !s->worker)
    return G_SOURCE_REMOVE;
  char chunk[65536];
  ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0) {
    s->worker->out_source = 0;
    return G_SOURCE_REMOVE; /* the exit watch reports why */
  }
  s->worker->buffer.append(chunk, static_cast<size_t>(n));
  std::vector<std::string> lines;
  size_t nl;
  while ((nl = s->worker->buffer.find('\n')) != std::string::npos) {
    lines.push_back(s->worker->buffer.substr(0, nl));
    s->worker->buffer.erase(0, nl + 1);
  }
  std::string id = ref->id;
  SessionManager *self = ref->self;
  for (const auto &line : lines)
    self->workerLine(id, line); /* may stop the session */
  return self->get(id) && self->get(id)->worker ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void SessionManager::workerLine(const std::string &id, const std::string &line)
{
  auto s = get(id);
  if (!s || !s->worker)
    return;
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, line.c_str(), -1, nullptr) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    g_warning("session %s: worker said something that is not JSON", id.c_str());
    return;
  }
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  std::string event = json_object_get_string_member_with_default(o, "event", "");
  WorkerLink &w = *s->worker;
  if (event == "ready") {
    w.ready = true;
    w.encoder = json_object_get_string_member_with_default(o, "encoder", "");
    s->encoder = w.encoder;
    if (s->state == SessionState::Starting)
      setState(*s, SessionState::Running);
  } else if (event == "peer" || event == "whep") {
    auto ref = static_cast<unsigned>(json_object_get_int_member_with_default(o, "ref", 0));
    auto it = w.pending.find(ref);
    if (it != w.pending.end()) {
      auto reply = std::move(it->second);
      w.pending.erase(it);
      reply(o);
    }
  } else if (event == "send") {
    std::string peer = json_object_get_string_member_with_default(o, "peer", "");
    std::string message = json_object_get_string_member_with_default(o, "message", "");
    auto it = w.peers.find(peer);
    if (it != w.peers.end())
      it->second(message);
  } else if (event == "stats") {
    w.fps = json_object_get_double_member_with_default(o, "fps", 0);
    w.bitrate = json_object_get_double_member_with_default(o, "bitrate", 0);
    w.keyframe_requests = json_object_get_int_member_with_default(o, "keyframeRequests", 0);
    w.viewers = static_cast<unsigned>(json_object_get_int_member_with_default(o, "viewers", 0));
  } else if (event == "error") {
    /* The worker lost its compositor: the compositor's own exit says why. */
    if (hasExited(s->compositor))
      return;
    std::string reason = std::string("the session's pipeline failed: ") +
                         json_object_get_string_member_with_default(o, "message", "");
    stopProcesses(*s);
    setState(*s, SessionState::Failed, reason);
  }
}

void SessionManager::onWorkerExit(GPid pid, gint status, gpointer data)
{
  auto *ref = static_cast<SessionRef *>(data);
  auto s = ref->self->get(ref->id);
  if (!s || !s->worker || s->worker->pid != pid)
    return;
  s->worker->watch = 0;
  s->worker->pid = -1;
  if (hasExited(s->compositor))
    return; /* onCompositorExit reports the session */
  g_autofree char *how = WIFSIGNALED(status)
                           ? g_strdup_printf("was killed by signal %d", WTERMSIG(status))
                           : g_strdup_printf("exited with status %d", WEXITSTATUS(status));
  ref->self->stopProcesses(*s);
  ref->self->setState(*s, SessionState::Failed, std::string("the pipeline worker ") + how);
}

void SessionManager::writeToWorker(Session &s, JsonNode *command)
{
  g_autofree char *text = json_to_string(command, FALSE);
  json_node_unref(command);
  if (!s.worker || s.worker->in_fd < 0)
    return;
  std::string line = std::string(text) + "\n";
  const char *p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(s.worker->in_fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_warning("session %s: cannot write to the worker: %s", s.id.c_str(), g_strerror(errno));
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

namespace {
JsonNode *command(const char *op, const std::function<void(JsonBuilder *)> &fill)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "op");
  json_builder_add_string_value(b, op);
  fill(b);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}
} // namespace

void SessionManager::addPeer(const std::string &id, const std::string &role,
                             const std::function<void(JsonBuilder *)> &fill,
                             std::function<void(const std::string &message)> on_message,
                             std::function<void(const std::string &peer)> done)
{
  auto s = get(id);
  if (!s || !s->worker || !s->worker->ready) {
    done("");
    return;
  }
  std::string sid = id;
  auto reply = [this, sid, on_message = std::move(on_message),
                done = std::move(done)](JsonObject *answer) {
    std::string peer = answer ? json_object_get_string_member_with_default(answer, "peer", "") : "";
    auto s = get(sid);
    if (!peer.empty() && s && s->worker)
      s->worker->peers[peer] = on_message;
    done(peer);
  };
  workerRequest(
    id, "add-peer",
    [&](JsonBuilder *b) {
      json_builder_set_member_name(b, "role");
      json_builder_add_string_value(b, role.c_str());
      fill(b);
    },
    std::move(reply));
}

bool SessionManager::workerCommand(const std::string &id, const char *op,
                                   const std::function<void(JsonBuilder *)> &fill)
{
  auto s = get(id);
  if (!s || !s->worker || !s->worker->ready)
    return false;
  writeToWorker(*s, command(op, fill));
  return true;
}

bool SessionManager::workerRequest(const std::string &id, const char *op,
                                   const std::function<void(JsonBuilder *)> &fill,
                                   std::function<void(JsonObject *answer)> reply)
{
  auto s = get(id);
  if (!s || !s->worker || !s->worker->ready)
    return false;
  unsigned ref = s->worker->next_ref++;
  s->worker->pending[ref] = std::move(reply);
  writeToWorker(*s, command(op, [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "ref");
    json_builder_add_int_value(b, ref);
    fill(b);
  }));
  return true;
}

void SessionManager::sendToPeer(const std::string &id, const std::string &peer,
                                const std::string &message)
{
  auto s = get(id);
  if (!s || !s->worker)
    return;
  writeToWorker(*s, command("message", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "peer");
    json_builder_add_string_value(b, peer.c_str());
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message.c_str());
  }));
}

void SessionManager::removePeer(const std::string &id, const std::string &peer)
{
  auto s = get(id);
  if (!s || !s->worker)
    return;
  s->worker->peers.erase(peer);
  writeToWorker(*s, command("remove-peer", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "peer");
    json_builder_add_string_value(b, peer.c_str());
  }));
}

unsigned SessionManager::viewers(const std::string &id) const
{
  auto s = get(id);
  if (!s || !s->worker)
    return 0;
  /* Signalling peers vdid relays, or what the worker last counted (WHEP
   * viewers and running HLS/SRT deliveries too), whichever is more. */
  return std::max(static_cast<unsigned>(s->worker->peers.size()), s->worker->viewers);
}

/* True once @pid is gone or a zombie: its exit watch is about to run. */
bool hasExited(pid_t pid)
{
  if (pid <= 0)
    return false;
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
  g_autofree char *stat = nullptr;
  if (!g_file_get_contents(path, &stat, nullptr, nullptr))
    return true;
  const char *end = strrchr(stat, ')'); /* the name may hold spaces */
  return !end || end[1] == '\0' || end[2] == 'Z' || end[2] == 'X';
}

std::string helperPath(const char *name, const char *env_var)
{
  if (const char *env = g_getenv(env_var))
    return env;
  g_autofree char *self = g_file_read_link("/proc/self/exe", nullptr);
  g_autofree char *dir = g_path_get_dirname(self ? self : "/usr/bin/vdid");
  g_autofree char *path = g_build_filename(dir, name, nullptr);
  return path;
}

} // namespace vdid
