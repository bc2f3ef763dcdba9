/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid sessions: one headless compositor per session, run as the Unix user
 * of the same name as the vdid user (never as root), with a private
 * XDG_RUNTIME_DIR (0700) and its own Wayland socket, plus optional start-up
 * applications. Every process of a session lives in process groups vdid
 * knows, so that stopping a session leaves nothing behind.
 *
 * Runs on the GLib main context of vdid (child watches, timeouts).
 */

#pragma once

#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vdid {

enum class SessionState { Starting, Running, Failed, Stopped };
const char *sessionStateName(SessionState state);

struct SessionSpec {
  unsigned width = 0, height = 0, fps = 0; /* 0: the configured default */
  std::vector<std::vector<std::string>> apps;
};

/* The pipeline worker of a session (vdid-worker, see worker.cpp): a child
 * process as the session's user, driven by JSON lines on its stdin/stdout. */
struct WorkerLink {
  pid_t pid = -1;
  int in_fd = -1;  /* its stdin */
  int out_fd = -1; /* its stdout */
  guint out_source = 0;
  guint watch = 0;
  std::string buffer;
  bool ready = false;
  std::string encoder;
  /* The worker's last "stats" event. */
  double fps = 0, bitrate = 0;
  gint64 keyframe_requests = 0;
  unsigned next_ref = 1;
  /* add-peer requests waiting for their answer, by ref. */
  std::map<unsigned, std::function<void(const std::string &peer)>> pending_peers;
  /* Where "send" events for each peer go. */
  std::map<std::string, std::function<void(const std::string &message)>> peers;
  /* Messages for a peer vdid does not know yet: the element greets a new
   * peer while add-peer runs, before the worker reports the peer's id. */
  std::map<std::string, std::vector<std::string>> early;
};

struct Session {
  std::string id;
  std::string user;
  SessionState state = SessionState::Starting;
  std::string reason; /* why it failed */
  unsigned width = 0, height = 0, fps = 0;
  gint64 created = 0; /* unix seconds */
  std::string runtime_dir;
  std::string socket_name; /* e.g. wayland-1, inside runtime_dir */
  pid_t compositor = -1;
  std::vector<pid_t> apps;
  std::vector<std::vector<std::string>> app_commands;
  guint watch = 0;
  guint ready_poll = 0;
  gint64 start_deadline = 0;
  gint64 last_viewer = 0; /* monotonic µs of the last moment with a viewer */
  std::unique_ptr<WorkerLink> worker;
  std::string encoder; /* chosen by the worker */

  std::string socketPath() const { return runtime_dir + "/" + socket_name; }
};

class SessionManager
{
public:
  enum class Error { None, BadRequest, LimitReached, NoSuchUser, Failed };

  explicit SessionManager(const Config &config);
  ~SessionManager();

  /* Starts a session for @user. Returns nullptr and sets @error_code and
   * @message when it cannot. The session is `starting` until its Wayland
   * socket appears, then `running` (or `failed`, with a reason). */
  std::shared_ptr<Session> create(const std::string &user, const SessionSpec &spec,
                                  Error *error_code, std::string *message);
  std::shared_ptr<Session> get(const std::string &id) const;
  std::vector<std::shared_ptr<Session>> list() const;
  unsigned countFor(const std::string &user) const;
  /* Stops every process of the session and removes it. */
  bool destroy(const std::string &id);
  /* Changes the size of the session's output (sway). */
  bool resize(const std::string &id, unsigned width, unsigned height, std::string *message);
  void destroyAll();

  /* Stops what a previous vdid left in the runtime base (after a crash or
   * kill -9): every process whose XDG_RUNTIME_DIR is one of its session
   * dirs, and the dirs. Returns how many sessions were reaped. */
  unsigned reapLeftovers();

  /* Signalling relay to the session's vdiwebrtcsink (through its worker).
   * addPeer answers asynchronously with the peer id ("" if the session has
   * no running worker); @on_message receives what the element sends that
   * peer. */
  void addPeer(const std::string &id, std::function<void(const std::string &message)> on_message,
               std::function<void(const std::string &peer)> done);
  void sendToPeer(const std::string &id, const std::string &peer, const std::string &message);
  void removePeer(const std::string &id, const std::string &peer);
  unsigned viewers(const std::string &id) const;
  /* PIDs of every process of a session that vdid started (for CPU/RSS). */
  std::vector<pid_t> pids(const Session &s) const;

  /* Called when a session changes state (for logs and metrics). */
  std::function<void(const Session &)> on_state_changed;

  /* Where runtime dirs go: /run/vdi as root, else $XDG_RUNTIME_DIR/vdi. */
  std::string runtimeBase() const { return runtime_base_; }

private:
  void setState(Session &s, SessionState state, const std::string &reason = "");
  pid_t spawnAs(const Session &s, const std::vector<std::string> &argv,
                const std::vector<std::string> &env, std::string *message, int *stdin_fd = nullptr,
                int *stdout_fd = nullptr);
  bool startWorker(Session &s, std::string *message);
  void workerLine(const std::string &id, const std::string &line);
  void writeToWorker(Session &s, JsonNode *command);
  static gboolean onWorkerOutput(gint fd, GIOCondition cond, gpointer data);
  static void onWorkerExit(GPid pid, gint status, gpointer data);
  void checkReady(const std::string &id);
  void stopProcesses(Session &s);
  static void onCompositorExit(GPid pid, gint status, gpointer data);
  void reapIdle();

  const Config &config_;
  std::string runtime_base_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  guint idle_timer_ = 0;
};

} // namespace vdid
