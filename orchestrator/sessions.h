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

  /* Called when a session changes state (for logs and metrics). */
  std::function<void(const Session &)> on_state_changed;

  /* Where runtime dirs go: /run/vdi as root, else $XDG_RUNTIME_DIR/vdi. */
  std::string runtimeBase() const { return runtime_base_; }

private:
  void setState(Session &s, SessionState state, const std::string &reason = "");
  pid_t spawnAs(const Session &s, const std::vector<std::string> &argv,
                const std::vector<std::string> &env, std::string *message);
  void checkReady(const std::string &id);
  void stopProcesses(Session &s);
  static void onCompositorExit(GPid pid, gint status, gpointer data);

  const Config &config_;
  std::string runtime_base_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  unsigned next_serial_ = 1;
};

} // namespace vdid
