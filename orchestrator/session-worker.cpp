/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The session's side of its pipeline worker (vdid-worker): starting it, what
 * its events mean for the session, the signalling relay for its peers, and
 * its exit. The JSON-lines link itself is a WorkerLink (worker-link.h).
 * Part of SessionManager.
 */

#include "sessions.h"

#include "encoder-tier.h"
#include "worker-protocol.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <glib-unix.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vdid {

namespace {

/* How long a worker's failure waits for the exit of a compositor that is
 * already exiting (its reason wins; see workerGone). */
constexpr guint kCompositorExitWaitMs = 2000;

/* How long a worker may say nothing: four of its 2 s "stats" events. */
constexpr gint64 kWorkerSilenceUs = 8 * G_USEC_PER_SEC;

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
  /* G_DEBUG too: a vdid run with fatal-criticals (the tests) runs its
   * workers so, and a critical in a session's pipeline fails it. */
  for (const char *pass : {"GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0", "GST_DEBUG",
                           "GST_PLUGIN_SYSTEM_PATH_1_0", "G_DEBUG"})
    if (const char *v = g_getenv(pass))
      env.push_back(std::string(pass) + "=" + v);

  int in_fd = -1, out_fd = -1;
  pid_t pid = spawnAs(s, argv, env, message, &in_fd, &out_fd);
  if (pid < 0)
    return false;
  std::string id = s.id;
  WorkerLink::Handlers handlers;
  handlers.event = [this, id](const std::string &event, JsonObject *o) {
    workerEvent(id, event, o);
  };
  handlers.bad_line = [id](const std::string &what) {
    g_warning("session %s: %s", id.c_str(), what.c_str());
  };
  handlers.failed = [this, id](const std::string &why) {
    workerGone(id, "the pipeline worker broke its protocol: " + why);
  };
  handlers.exited = [this, id](int status) {
    g_autofree char *how = WIFSIGNALED(status)
                             ? g_strdup_printf("was killed by signal %d", WTERMSIG(status))
                             : g_strdup_printf("exited with status %d", WEXITSTATUS(status));
    workerGone(id, std::string("the pipeline worker ") + how);
  };
  s.worker_status = WorkerStatus();
  s.worker = std::make_unique<WorkerLink>(pid, in_fd, out_fd, std::move(handlers));
  return true;
}

void SessionManager::workerEvent(const std::string &id, const std::string &event, JsonObject *o)
{
  auto s = get(id);
  if (!s || !s->worker)
    return;
  WorkerStatus &w = s->worker_status;
  WorkerEvent e = readWorkerEvent(o);
  if (event == "ready") {
    w.ready = true;
    s->encoder = e.encoder;
    if (s->state == SessionState::Starting)
      setState(*s, SessionState::Running);
  } else if (event == "send") {
    auto it = w.peers.find(e.peer);
    if (it != w.peers.end()) {
      it->second(e.message);
    } else if (w.refused_sends++ % 100 == 0) {
      /* Another session's peer, or one that left: a worker reaches only
       * the peers vdid gave it. Logged once per 100, for a worker that
       * floods. */
      g_warning("session %s: refused the worker's message for peer \"%s\": not (or no longer) "
                "a peer of this session (%u refused)",
                id.c_str(), e.peer.c_str(), w.refused_sends);
    }
  } else if (event == "stats") {
    w.fps = e.fps;
    w.bitrate = e.bitrate;
    w.frame_ms = e.frame_ms;
    w.coded_fps = e.coded_fps;
    s->tier_frame_ms_sum += e.coded_fps * e.frame_ms;
    s->tier_coded_fps_sum += e.coded_fps;
    s->tier_reports++;
    w.keyframe_requests = e.keyframe_requests;
    w.viewers = e.viewers;
  } else if (event == "hls-failed") {
    if (on_hls_failed)
      on_hls_failed(id, e.message);
  } else if (event == "error") {
    workerGone(id, "the session's pipeline failed: " + e.message);
  }
}

void SessionManager::workerGone(const std::string &id, const std::string &reason)
{
  auto s = get(id);
  if (!s || !s->worker || !s->worker_status.failure.empty())
    return;
  if (isExiting(s->compositor)) {
    /* The worker lost its compositor: the compositor's own exit says why.
     * A killed compositor closes its sockets while it exits, so the worker
     * may tell before the kernel lets vdid reap the compositor; its child
     * watch (onCompositorExit) reports the session. Should that never come
     * (an exit stuck in the kernel), the worker's reason stands. */
    s->worker_status.failure = reason;
    g_debug("session %s: %s while its compositor exits; waiting for that exit", id.c_str(),
            reason.c_str());
    g_timeout_add_full(
      G_PRIORITY_DEFAULT, kCompositorExitWaitMs,
      [](gpointer d) -> gboolean {
        auto *ref = static_cast<SessionRef *>(d);
        auto s = ref->self->get(ref->id);
        if (s && s->worker && !s->worker_status.failure.empty()) {
          std::string why = s->worker_status.failure;
          ref->self->stopProcesses(*s);
          ref->self->setState(*s, SessionState::Failed, why);
        }
        return G_SOURCE_REMOVE;
      },
      new SessionRef{this, id}, SessionRef::free);
    return;
  }
  stopProcesses(*s);
  setState(*s, SessionState::Failed, reason);
}

void SessionManager::checkWorkers()
{
  gint64 now = g_get_monotonic_time();
  std::vector<std::string> silent;
  for (const auto &[id, s] : sessions_)
    if (s->workerReady() && s->worker_status.failure.empty() &&
        now - s->worker->lastHeard() > kWorkerSilenceUs && !s->worker->unread())
      silent.push_back(id);
  for (const auto &id : silent) {
    std::string why = "the pipeline worker sent nothing for " +
                      std::to_string(kWorkerSilenceUs / G_USEC_PER_SEC) +
                      " s (stopped or hung; it reports every 2 s)";
    g_warning("session %s: %s; failing the session", id.c_str(), why.c_str());
    workerGone(id, why);
  }
}

void SessionManager::addPeer(const std::string &id, const std::string &role,
                             const std::function<void(JsonBuilder *)> &fill,
                             std::function<void(const std::string &message)> on_message,
                             std::function<void(const std::string &peer)> done)
{
  auto s = get(id);
  if (!s || !s->workerReady()) {
    done("");
    return;
  }
  std::string sid = id;
  auto reply = [this, sid, on_message = std::move(on_message),
                done = std::move(done)](JsonObject *answer) {
    std::string peer = answer ? readWorkerEvent(answer).peer : "";
    auto s = get(sid);
    if (!peer.empty() && s && s->worker)
      s->worker_status.peers[peer] = on_message;
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
  return s && s->workerReady() && s->worker->command(op, fill);
}

bool SessionManager::workerRequest(const std::string &id, const char *op,
                                   const std::function<void(JsonBuilder *)> &fill,
                                   std::function<void(JsonObject *answer)> reply)
{
  auto s = get(id);
  return s && s->workerReady() && s->worker->request(op, fill, std::move(reply));
}

void SessionManager::sendToPeer(const std::string &id, const std::string &peer,
                                const std::string &message)
{
  auto s = get(id);
  if (!s || !s->worker)
    return;
  s->worker->command("message", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "peer");
    json_builder_add_string_value(b, peer.c_str());
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message.c_str());
  });
}

void SessionManager::removePeer(const std::string &id, const std::string &peer)
{
  auto s = get(id);
  if (!s || !s->worker)
    return;
  s->worker_status.peers.erase(peer);
  s->worker->command("remove-peer", [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "peer");
    json_builder_add_string_value(b, peer.c_str());
  });
}

unsigned SessionManager::viewers(const std::string &id) const
{
  auto s = get(id);
  if (!s || !s->worker)
    return 0;
  /* Signalling peers vdid relays, or what the worker last counted (WHEP
   * viewers and running HLS/SRT deliveries too), whichever is more. */
  return std::max(static_cast<unsigned>(s->worker_status.peers.size()), s->worker_status.viewers);
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

bool isExiting(pid_t pid)
{
  if (pid <= 0)
    return false;
  if (hasExited(pid))
    return true;
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
  g_autofree char *stat = nullptr;
  if (!g_file_get_contents(path, &stat, nullptr, nullptr))
    return true;
  /* After the name: state, ppid, pgrp, session, tty_nr, tpgid, flags. */
  const char *end = strrchr(stat, ')');
  unsigned long flags = 0;
  if (!end || sscanf(end + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
    return false;
  constexpr unsigned long kPfExiting = 0x4; /* PF_EXITING, include/linux/sched.h */
  return flags & kPfExiting;
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
