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

#include "cgroups.h"
#include "compositor.h"
#include "config.h"
#include "process-reaper.h"
#include "process-stats.h"
#include "session-services.h"
#include "worker-link.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vdid {

class Pool;

/* True once @pid is gone or a zombie (its exit watch is about to run). */
bool hasExited(pid_t pid);
/* True once @pid has begun to exit (the kernel is tearing it down: its
 * sockets close now, its exit watch runs soon) or has exited. */
bool isExiting(pid_t pid);
/* A program installed beside vdid (vdid-worker, vdid-srt), or $@env_var. */
std::string helperPath(const char *name, const char *env_var);

enum class SessionState { Starting, Running, Failed, Stopped };
const char *sessionStateName(SessionState state);

/* Removes @dir and everything under it (a session's runtime dir). */
void removeTree(const std::string &dir);

struct SessionSpec {
  unsigned width = 0, height = 0, fps = 0; /* 0: the configured default */
  std::vector<std::vector<std::string>> apps;
  /* "sway", "gnome" or "mutter"; "": [sessions] compositor. */
  std::string compositor;
};

/* What vdid knows of a session's pipeline worker (vdid-worker, see
 * worker.cpp) from its events; the link itself is a WorkerLink. */
struct WorkerStatus {
  bool ready = false;
  /* The worker's last "stats" event. */
  double fps = 0, bitrate = 0;
  double frame_ms = 0;  /* mean time a frame took to code */
  double coded_fps = 0; /* frames its encoder coded a second (no repeats) */
  gint64 keyframe_requests = 0;
  unsigned viewers = 0; /* WebRTC viewers + running HLS/SRT deliveries */
  /* Where "send" events for each relayed peer go. The worker reports a
   * peer's id ("peer") before any "send" for it. */
  std::map<std::string, std::function<void(const std::string &message)>> peers;
  /* "send" events for a peer not in @peers (isolation: a worker addresses
   * only its own session's peers). */
  unsigned refused_sends = 0;
  /* Why the worker failed, while the session waits for its dying
   * compositor's exit to name the cause instead. */
  std::string failure;
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
  /* How the compositor starts (compositor.h); it starts once the session
   * bus listens (services). */
  CompositorPlan plan;
  /* GNOME Shell / Mutter: the "gdbus wait" for their ScreenCast service,
   * and whether it answered. */
  pid_t screencast_wait = -1;
  guint screencast_watch = 0;
  bool screencast_ready = false;
  /* Session bus and sound server (session-services.h). */
  std::unique_ptr<SessionServices> services;
  bool launched = false; /* apps (and worker) started */
  std::vector<pid_t> apps;
  std::vector<std::vector<std::string>> app_commands;
  guint watch = 0;
  guint ready_poll = 0;
  gint64 start_deadline = 0;
  gint64 last_viewer = 0;             /* monotonic µs of the last moment with a viewer */
  std::unique_ptr<WorkerLink> worker; /* while it runs */
  WorkerStatus worker_status;         /* reset when it goes */
  std::string encoder;                /* chosen by the worker */
  bool software_only = false;         /* its worker was started with --software-only */
  /* Its encode tier (index in Config::tiers), why, and what it reserves
   * of the host budget on it (tier-ladder.h). */
  size_t tier = 0;
  std::string tier_reason;
  Reservation reservation;
  unsigned requested_fps = 0; /* before its tier's cap */
  /* Tier moves (session-tiers.cpp): its CPU seconds at the last look, when,
   * its calm windows in a row, and its worker's frames since that look
   * (sums over the stats reports: coded fps x frame ms, coded fps). */
  double tier_cpu_mark = 0;
  gint64 tier_mark_time = 0;
  unsigned calm_windows = 0;
  double tier_frame_ms_sum = 0, tier_coded_fps_sum = 0;
  unsigned tier_reports = 0;
  guint64 tier_periods_mark = 0, tier_throttled_mark = 0; /* its cpu.stat */
  bool pooled = false;                                    /* started for the pre-warmed pool */
  bool in_pool = false;                                   /* ... and not claimed by its user yet */
  std::vector<std::string> cgroup_procs; /* its cgroups' cgroup.procs; none without limits */
  guint64 oom_kills = 0;                 /* by memory-limit, as last logged */

  std::string socketPath() const { return runtime_dir + "/" + socket_name; }
  /* A worker that said "ready" is linked. */
  bool workerReady() const { return worker && worker_status.ready; }
};

class SessionManager;

/* Identifies a session in GLib callbacks. */
struct SessionRef {
  SessionManager *self;
  std::string id;
  static void free(gpointer data) { delete static_cast<SessionRef *>(data); }
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
  /* Sessions by creation time; unclaimed pooled ones only with
   * @include_pool. */
  std::vector<std::shared_ptr<Session>> list(bool include_pool = false) const;
  /* The user's starting or running sessions (not unclaimed pooled ones). */
  unsigned countFor(const std::string &user) const;
  /* Starting or running sessions on the host, pooled ones included. */
  unsigned live() const;
  /* What they reserve of the host budget together. */
  Reservation reserved() const;
  /* Tier moves of running sessions so far, by direction ("down", "up"). */
  const std::map<std::string, guint64> &tierMoves() const { return tier_moves_; }
  /* Creates refused by the host budget, by budget ("cpu", "memory"). */
  const std::map<std::string, guint64> &refusedByBudget() const { return refused_; }
  /* Whether sessions of @user can run here (Unix account, not root, ...). */
  bool mayRunAs(const std::string &user, std::string *why, Error *code = nullptr) const;

  /* For the pool (see pool.h): starts a session without the limit checks
   * of create(); @pooled sessions are unclaimed until claim() hands one to
   * its user with @apps launched and the output resized. */
  std::shared_ptr<Session> start(const std::string &user, unsigned width, unsigned height,
                                 unsigned fps, const std::vector<std::vector<std::string>> &apps,
                                 const std::string &compositor, bool pooled, Error *error_code,
                                 std::string *message, const Placement *placement = nullptr);
  bool claim(Session &s, unsigned width, unsigned height,
             const std::vector<std::vector<std::string>> &apps, std::string *message);

  /* Adds "compositor", "pooled", "audio", "limits", "tier" and, with a
   * [budget], "reservation" to a session object being built. */
  void describe(JsonBuilder *b, const Session &s) const;
  const Cgroups &cgroups() const { return *cgroups_; }
  /* nullptr when pool-size is 0. */
  const Pool *pool() const { return pool_.get(); }
  /* Removes the session at once and stops its processes without blocking;
   * @done runs once they are gone and its runtime dir and cgroup are
   * removed. */
  bool destroy(const std::string &id, std::function<void()> done = {});
  /* Changes the size of the session's output (sway). */
  bool resize(const std::string &id, unsigned width, unsigned height, std::string *message);
  /* Stops every session and waits (iterating the main context) until all
   * their processes are gone. For shutdown. */
  void destroyAll();

  /* Stops what a previous vdid left in the runtime base (after a crash or
   * kill -9): every process whose XDG_RUNTIME_DIR is one of its session
   * dirs, and the dirs. Returns how many sessions were reaped. */
  unsigned reapLeftovers();
  /* Logs the processes the OOM killer ended in each session since the last
   * look (every second). */
  void checkOomKills();

  /* Signalling relay to the session's vdiwebrtcsink (through its worker).
   * addPeer answers asynchronously with the peer id ("" if the session has
   * no running worker); @on_message receives what the element sends that
   * peer. @role "view" makes the element drop the peer's input; @fill adds
   * members to the add-peer command (the viewer's ICE servers). */
  void addPeer(const std::string &id, const std::string &role,
               const std::function<void(JsonBuilder *)> &fill,
               std::function<void(const std::string &message)> on_message,
               std::function<void(const std::string &peer)> done);
  void sendToPeer(const std::string &id, const std::string &peer, const std::string &message);
  void removePeer(const std::string &id, const std::string &peer);
  /* A command for the session's worker (docs/vdid.md, "Worker protocol");
   * false if it has no ready worker. */
  bool workerCommand(const std::string &id, const char *op,
                     const std::function<void(JsonBuilder *)> &fill);
  /* The same with a "ref"; @reply gets the event that answers it, or
   * nullptr if the worker went away first. */
  bool workerRequest(const std::string &id, const char *op,
                     const std::function<void(JsonBuilder *)> &fill,
                     std::function<void(JsonObject *answer)> reply);
  /* Extra vdid-worker arguments for a session (HLS dir, SRT FIFO), asked
   * for each time a worker starts. */
  std::function<std::vector<std::string>(const Session &)> worker_arguments;
  /* The worker's HLS branch failed (its "hls-failed" event). */
  std::function<void(const std::string &id, const std::string &message)> on_hls_failed;
  unsigned viewers(const std::string &id) const;
  /* PIDs of every process of a session that vdid started (for CPU/RSS). */
  std::vector<pid_t> pids(const Session &s) const;

  /* Called when a session changes state (for logs and metrics). */
  std::function<void(const Session &)> on_state_changed;
  /* A running session moved to another encode tier (checkTiers). */
  std::function<void(const Session &)> on_tier_changed;

  /* Where runtime dirs go: /run/vdi as root, else $XDG_RUNTIME_DIR/vdi. */
  std::string runtimeBase() const { return runtime_base_; }

private:
  void setState(Session &s, SessionState state, const std::string &reason = "");
  void launchApps(Session &s);
  /* Extra vdid-worker arguments for @s (--max-bitrate of its tier,
   * --software-only past the hardware encoder cap); called by startWorker. */
  std::vector<std::string> workerArgs(Session &s);
  std::string producerMeta(const Session &s) const;
  pid_t spawnAs(const Session &s, const std::vector<std::string> &argv,
                const std::vector<std::string> &env, std::string *message, int *stdin_fd = nullptr,
                int *stdout_fd = nullptr);
  bool startWorker(Session &s, std::string *message);
  /* WorkerLink handlers of session @id. */
  void workerEvent(const std::string &id, const std::string &event, JsonObject *o);
  void workerGone(const std::string &id, const std::string &reason);
  /* Fails the sessions whose worker, once ready, said nothing for
   * kWorkerSilenceUs (it sends "stats" every 2 s): stopped or hung.
   * Before "ready" the start time-out holds. */
  void checkWorkers();
  /* Moves running sessions between tiers by their CPU (session-tiers.cpp). */
  void checkTiers();
  /* Tells the worker of @s its tier's caps (fps, bitrate, the size its
   * stream is scaled to). */
  void sendTier(Session &s);
  /* Moves @s to tier @tier for @reason: reservation, frame-rate cap,
   * metrics, the signal, the worker. */
  void moveTier(Session &s, size_t tier, const std::string &reason);
  void checkReady(const std::string &id);
  /* The session's services changed: start the compositor once the bus
   * listens, the apps and the worker once sound is settled. */
  void servicesChanged(const std::string &id);
  bool spawnCompositor(Session &s, std::string *message);
  /* Apps and worker, once the compositor and the sound server are ready. */
  void launchSession(Session &s);
  /* Ends every process group of @s without blocking; @done runs once the
   * last one is reaped. */
  void stopProcesses(Session &s, std::function<void()> done = {});
  static void onCompositorExit(GPid pid, gint status, gpointer data);
  /* GNOME Shell / Mutter: waits for org.gnome.Mutter.ScreenCast. */
  bool startScreenCastWait(Session &s, std::string *message);
  void reapIdle();

  const Config &config_;
  std::string runtime_base_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  guint idle_timer_ = 0;
  guint heartbeat_timer_ = 0;
  std::unique_ptr<Cgroups> cgroups_;
  std::map<std::string, guint64> refused_; /* creates refused, by budget */
  guint tier_timer_ = 0;
  std::map<std::string, guint64> tier_moves_;
  HostCpu host_cpu_mark_; /* the host's CPU at the last checkTiers() */
  std::unique_ptr<Pool> pool_;
  ProcessReaper reaper_;
};

} // namespace vdid
