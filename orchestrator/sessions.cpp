/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "sessions.h"

#include "auth.h"
#include "encoder-tier.h"
#include "pool.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <ftw.h>
#include <glib-unix.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vdid {

namespace {

constexpr gint64 kStartTimeoutUs = 15 * G_USEC_PER_SEC;
constexpr guint kWorkerTimeoutMs = 20000;

struct UnixUser {
  uid_t uid;
  gid_t gid;
  std::string name, home, shell;
  std::vector<gid_t> groups;
};

bool lookupUser(const std::string &name, UnixUser *out)
{
  passwd pw_buf, *pw = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw_buf, buf.data(), buf.size(), &pw) != 0 || !pw)
    return false;
  out->uid = pw->pw_uid;
  out->gid = pw->pw_gid;
  out->name = pw->pw_name;
  out->home = pw->pw_dir;
  out->shell = pw->pw_shell;
  int n = 64;
  out->groups.resize(static_cast<size_t>(n));
  if (getgrouplist(pw->pw_name, pw->pw_gid, out->groups.data(), &n) < 0) {
    out->groups.resize(static_cast<size_t>(n));
    getgrouplist(pw->pw_name, pw->pw_gid, out->groups.data(), &n);
  }
  out->groups.resize(static_cast<size_t>(n));
  return true;
}

/* What the forked child does before exec: only async-signal-safe calls. */
struct ChildSetup {
  bool switch_user;
  uid_t uid;
  gid_t gid;
  const std::vector<gid_t> *groups;
  const std::vector<std::string> *cgroup_procs; /* of the session's cgroups */
  int nice;                                     /* kPoolNice for a pooled session, else 0 */
};

/* Pre-warmed sessions start at a lower priority, so that filling the pool
 * never slows down sessions people use; a claim restores it. */
constexpr int kPoolNice = 10;

/* Sets the nice value of every thread of @pid (setpriority() on a pid only
 * changes its main thread). */
void reniceProcess(pid_t pid, int nice)
{
  if (pid <= 0)
    return;
  g_autofree char *dir = g_strdup_printf("/proc/%d/task", pid);
  g_autoptr(GDir) tasks = g_dir_open(dir, 0, nullptr);
  const char *tid;
  while (tasks && (tid = g_dir_read_name(tasks)))
    setpriority(PRIO_PROCESS, static_cast<id_t>(atoi(tid)), nice);
}

void childSetup(gpointer data)
{
  auto *c = static_cast<ChildSetup *>(data);
  /* Into the session's cgroup before anything runs, so that nothing of the
   * session ever runs outside its limits. */
  for (const auto &procs : *c->cgroup_procs)
    if (!Cgroups::joinFromChild(procs.c_str()))
      _exit(125);
  setsid();
  if (c->switch_user) {
    if (setgroups(c->groups->size(), c->groups->data()) < 0 || setgid(c->gid) < 0 ||
        setuid(c->uid) < 0)
      _exit(126);
  }
  if (c->nice)
    setpriority(PRIO_PROCESS, 0, c->nice);
}

std::string findEntry(const std::string &dir, const char *prefix, const char *not_suffix)
{
  g_autoptr(GDir) d = g_dir_open(dir.c_str(), 0, nullptr);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_prefix(name, prefix) && !(not_suffix && g_str_has_suffix(name, not_suffix)))
      return name;
  return "";
}

} // namespace

static int removeEntry(const char *path, const struct stat *, int, struct FTW *)
{
  return remove(path);
}

void removeTree(const std::string &dir)
{
  if (!dir.empty())
    nftw(dir.c_str(), removeEntry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *sessionStateName(SessionState state)
{
  switch (state) {
  case SessionState::Starting:
    return "starting";
  case SessionState::Running:
    return "running";
  case SessionState::Failed:
    return "failed";
  case SessionState::Stopped:
    return "stopped";
  }
  return "unknown";
}

SessionManager::SessionManager(const Config &config) : config_(config)
{
  if (!config.runtime_dir.empty()) {
    runtime_base_ = config.runtime_dir;
  } else if (geteuid() == 0) {
    runtime_base_ = "/run/vdi";
  } else {
    const char *rt = g_getenv("XDG_RUNTIME_DIR");
    runtime_base_ = std::string(rt ? rt : g_get_tmp_dir()) + "/vdi";
  }
  g_mkdir_with_parents(runtime_base_.c_str(), 0755);
  Limits limits;
  limits.cpu = config.cpu_limit;
  limits.memory = config.memory_limit;
  limits.pids = config.pids_limit;
  cgroups_ = std::make_unique<Cgroups>(limits);
  if (config_.pool_size > 0)
    pool_ = std::make_unique<Pool>(config_, *this);
  if (config_.idle_timeout.count() > 0) {
    idle_timer_ = g_timeout_add_seconds(
      1,
      [](gpointer data) -> gboolean {
        static_cast<SessionManager *>(data)->reapIdle();
        return G_SOURCE_CONTINUE;
      },
      this);
  }
  heartbeat_timer_ = g_timeout_add_seconds(
    1,
    [](gpointer data) -> gboolean {
      static_cast<SessionManager *>(data)->checkWorkers();
      static_cast<SessionManager *>(data)->checkOomKills();
      return G_SOURCE_CONTINUE;
    },
    this);
  if (config_.budget.downgrade && config_.budget.cpu > 0)
    tier_timer_ = g_timeout_add_seconds(
      config_.budget.tier_window_s,
      [](gpointer data) -> gboolean {
        static_cast<SessionManager *>(data)->checkTiers();
        return G_SOURCE_CONTINUE;
      },
      this);
}

SessionManager::~SessionManager()
{
  if (idle_timer_)
    g_source_remove(idle_timer_);
  if (tier_timer_)
    g_source_remove(tier_timer_);
  g_source_remove(heartbeat_timer_);
  pool_.reset(); /* no refill while everything stops */
  destroyAll();
}

void SessionManager::setState(Session &s, SessionState state, const std::string &reason)
{
  s.state = state;
  if (!reason.empty())
    s.reason = reason;
  g_message("session %s (%s): %s%s%s", s.id.c_str(), s.user.c_str(), sessionStateName(state),
            reason.empty() ? "" : ": ", reason.c_str());
  if (on_state_changed)
    on_state_changed(s);
}

pid_t SessionManager::spawnAs(const Session &s, const std::vector<std::string> &argv,
                              const std::vector<std::string> &extra_env, std::string *message,
                              int *stdin_fd, int *stdout_fd)
{
  UnixUser user;
  if (!lookupUser(s.user, &user)) {
    *message = "there is no Unix account named \"" + s.user + "\"";
    return -1;
  }
  std::vector<std::string> env = {
    "HOME=" + user.home,
    "USER=" + user.name,
    "LOGNAME=" + user.name,
    "SHELL=" + user.shell,
    "PATH=/usr/local/bin:/usr/bin:/bin",
    "LANG=C.UTF-8",
    "XDG_RUNTIME_DIR=" + s.runtime_dir,
  };
  if (s.services)
    for (auto &e : s.services->environment())
      env.push_back(std::move(e));
  env.insert(env.end(), extra_env.begin(), extra_env.end());

  std::vector<char *> cargv, cenv;
  for (const auto &a : argv)
    cargv.push_back(const_cast<char *>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto &e : env)
    cenv.push_back(const_cast<char *>(e.c_str()));
  cenv.push_back(nullptr);

  ChildSetup setup{geteuid() == 0, user.uid,        user.gid,
                   &user.groups,   &s.cgroup_procs, s.in_pool ? kPoolNice : 0};
  GPid pid = 0;
  g_autoptr(GError) error = nullptr;
  const char *cwd = g_file_test(user.home.c_str(), G_FILE_TEST_IS_DIR) ? user.home.c_str() : "/";
  if (!g_spawn_async_with_pipes(
        cwd, cargv.data(), cenv.data(),
        static_cast<GSpawnFlags>(G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH_FROM_ENVP),
        childSetup, &setup, &pid, stdin_fd, stdout_fd, nullptr, &error)) {
    *message = std::string("cannot start ") + argv[0] + ": " + error->message;
    return -1;
  }
  return pid;
}

std::shared_ptr<Session> SessionManager::create(const std::string &user, const SessionSpec &spec,
                                                Error *error_code, std::string *message)
{
  auto fail = [&](Error code, const std::string &text) -> std::shared_ptr<Session> {
    *error_code = code;
    *message = text;
    return nullptr;
  };
  unsigned w = spec.width ? spec.width : config_.width;
  unsigned h = spec.height ? spec.height : config_.height;
  unsigned fps = spec.fps ? spec.fps : config_.fps;
  if (w < 64 || w > 8192 || h < 64 || h > 8192 || (w % 2) || (h % 2))
    return fail(Error::BadRequest, "width and height must be even numbers from 64 to 8192");
  if (fps < 1 || fps > 240)
    return fail(Error::BadRequest, "fps must be from 1 to 240");
  for (const auto &app : spec.apps)
    if (app.empty() || app[0].empty())
      return fail(Error::BadRequest, "each entry of apps must be a non-empty command array");

  if (countFor(user) >= config_.max_sessions_per_user)
    return fail(Error::LimitReached, "you already have " +
                                       std::to_string(config_.max_sessions_per_user) +
                                       " sessions, the most allowed per user");
  std::string why;
  Error why_code = Error::None;
  if (!mayRunAs(user, &why, &why_code))
    return fail(why_code, why);

  /* Pooled sessions run the configured compositor. */
  bool configured = spec.compositor.empty() || spec.compositor == config_.compositor;
  if (pool_ && configured) {
    if (auto s = pool_->take(user, w, h, fps, spec.apps)) {
      *error_code = Error::None;
      return s;
    }
  }
  /* Unclaimed pooled sessions give up their slot (and reservation) to a
   * real one; it takes the best tier that fits (tier-ladder.h). */
  Refusal refusal;
  auto placeNew = [&] {
    return place(config_.tiers, config_.budget, reserved(), live(), &refusal);
  };
  std::optional<Placement> placed = placeNew();
  while ((live() >= config_.max_sessions || !placed || placed->tier > 0) && pool_ &&
         pool_->evictOne())
    placed = placeNew();
  if (live() >= config_.max_sessions)
    return fail(Error::LimitReached, "this host already runs its maximum of " +
                                       std::to_string(config_.max_sessions) + " sessions");
  if (!placed) {
    refused_[refusal.budget]++;
    g_message("refused a session of %s: %s", user.c_str(), refusal.message.c_str());
    return fail(Error::LimitReached, refusal.message);
  }
  unsigned requested_fps = fps;
  applyTier(config_.tiers[placed->tier], &w, &h, &fps);
  auto s = start(user, w, h, fps, spec.apps, spec.compositor, false, error_code, message, &*placed);
  if (s)
    s->requested_fps = requested_fps;
  return s;
}

bool SessionManager::mayRunAs(const std::string &user, std::string *why, Error *code) const
{
  Error ignored;
  if (!code)
    code = &ignored;
  *code = Error::NoSuchUser;
  UnixUser unix_user;
  if (!lookupUser(user, &unix_user)) {
    *why = "there is no Unix account named \"" + user +
           "\" for this vdid user; sessions run as that account";
    return false;
  }
  if (unix_user.uid == 0) {
    *why = "sessions never run as root";
    return false;
  }
  if (geteuid() != 0 && unix_user.uid != geteuid()) {
    *code = Error::Failed;
    *why = "vdid runs as an unprivileged user and can only start sessions for that same user";
    return false;
  }
  return true;
}

std::shared_ptr<Session> SessionManager::start(const std::string &user, unsigned w, unsigned h,
                                               unsigned fps,
                                               const std::vector<std::vector<std::string>> &apps,
                                               const std::string &compositor, bool pooled,
                                               Error *error_code, std::string *message,
                                               const Placement *placement)
{
  auto fail = [&](Error code, const std::string &text) -> std::shared_ptr<Session> {
    *error_code = code;
    *message = text;
    return nullptr;
  };
  UnixUser unix_user;
  if (!lookupUser(user, &unix_user))
    return fail(Error::NoSuchUser, "there is no Unix account named \"" + user + "\"");

  auto s = std::make_shared<Session>();
  /* Behind a front door the id starts with the node's ("n1-..."): the
   * door's proxy routes by it (docs/fleet.md). */
  std::string prefix = config_.node_id.empty() ? "" : config_.node_id + "-";
  do {
    s->id = randomToken().substr(0, 12);
  } while (s->id.find_first_of("-_") != std::string::npos ||
           sessions_.count(s->id = prefix + s->id));
  s->user = user;
  s->width = w;
  s->height = h;
  s->fps = fps;
  s->created = g_get_real_time() / G_USEC_PER_SEC;
  s->last_viewer = g_get_monotonic_time();
  s->app_commands = apps;
  s->pooled = s->in_pool = pooled;
  Placement top{0, {config_.tiers[0].cpu, config_.budget.session.memory}, "pooled: the top tier"};
  if (!placement)
    placement = &top;
  s->tier = placement->tier;
  s->tier_reason = placement->reason;
  s->reservation = placement->reservation;
  s->requested_fps = fps;
  s->runtime_dir = runtime_base_ + "/" + s->id;

  if (mkdir(s->runtime_dir.c_str(), 0700) < 0 ||
      (geteuid() == 0 && chown(s->runtime_dir.c_str(), unix_user.uid, unix_user.gid) < 0))
    return fail(Error::Failed, "cannot create " + s->runtime_dir + ": " + g_strerror(errno));
  if (cgroups_->enforced()) {
    std::string error;
    s->cgroup_procs = cgroups_->create(s->id, &error);
    if (s->cgroup_procs.empty()) {
      removeTree(s->runtime_dir);
      return fail(Error::Failed, error);
    }
  }

  std::string plan_error;
  if (!planCompositor(compositor.empty() ? config_.compositor : compositor, s->id, s->runtime_dir,
                      w, h, fps, &s->plan, &plan_error)) {
    removeTree(s->runtime_dir);
    cgroups_->remove(s->id);
    return fail(Error::Failed, plan_error);
  }
  sessions_[s->id] = s;
  std::string id = s->id;
  /* Mutter's ScreenCast hands frames over PipeWire: GNOME sessions run it
   * whatever [sessions] audio says (the worker streams sound only with
   * audio=true). */
  s->services = std::make_unique<SessionServices>(
    s->id, s->runtime_dir, config_.audio || s->plan.usesMutter(),
    [this, id](const std::vector<std::string> &argv, const std::vector<std::string> &env,
               std::string *error, int *stdout_fd) -> pid_t {
      auto s = get(id);
      return s ? spawnAs(*s, argv, env, error, nullptr, stdout_fd) : -1;
    },
    [this](pid_t leader, int grace_ms, std::function<void()> done) {
      reaper_.stop(leader, grace_ms, std::move(done));
    },
    [this, id]() { servicesChanged(id); });
  if (s->plan.usesMutter())
    s->services->addSystemBus();
  std::string error;
  if (!s->services->start(&error)) {
    sessions_.erase(s->id);
    removeTree(s->runtime_dir);
    cgroups_->remove(s->id);
    return fail(Error::Failed, error);
  }
  setState(*s, SessionState::Starting);
  s->start_deadline = g_get_monotonic_time() + kStartTimeoutUs;
  if (s->services->busSettled() && !spawnCompositor(*s, &error)) {
    sessions_.erase(s->id);
    s->services->stop([this, s] {
      removeTree(s->runtime_dir);
      cgroups_->remove(s->id);
    });
    return fail(Error::Failed, error);
  }
  *error_code = Error::None;
  return s;
}

bool SessionManager::spawnCompositor(Session &s, std::string *message)
{
  if (s.plan.usesMutter() && (!s.services || !s.services->busReady())) {
    *message = s.plan.name + " needs the session's D-Bus session and system buses, and " +
               "dbus-daemon did not start them";
    return false;
  }
  s.compositor = spawnAs(s, s.plan.argv, s.plan.env, message);
  if (s.compositor < 0)
    return false;
  if (s.plan.usesMutter() && !startScreenCastWait(s, message)) {
    reaper_.stop(s.compositor, 2000);
    s.compositor = -1;
    return false;
  }
  s.watch = g_child_watch_add_full(G_PRIORITY_DEFAULT, s.compositor, onCompositorExit,
                                   new SessionRef{this, s.id}, SessionRef::free);
  s.ready_poll = g_timeout_add_full(
    G_PRIORITY_DEFAULT, 20,
    [](gpointer d) -> gboolean {
      auto *ref = static_cast<SessionRef *>(d);
      ref->self->checkReady(ref->id);
      auto s = ref->self->get(ref->id);
      /* Poll until the compositor's socket exists (or the session ended). */
      return s && s->state == SessionState::Starting && s->socket_name.empty() ? G_SOURCE_CONTINUE
                                                                               : G_SOURCE_REMOVE;
    },
    new SessionRef{this, s.id}, SessionRef::free);
  return true;
}

bool SessionManager::startScreenCastWait(Session &s, std::string *message)
{
  gint64 left_s = (s.start_deadline - g_get_monotonic_time()) / G_USEC_PER_SEC + 1;
  s.screencast_wait =
    spawnAs(s, mutterReadyCommand(static_cast<unsigned>(std::max<gint64>(left_s, 1))), {}, message);
  if (s.screencast_wait < 0)
    return false;
  s.screencast_watch = g_child_watch_add_full(
    G_PRIORITY_DEFAULT, s.screencast_wait,
    [](GPid pid, gint status, gpointer d) {
      auto *ref = static_cast<SessionRef *>(d);
      auto s = ref->self->get(ref->id);
      if (!s || s->screencast_wait != pid)
        return;
      s->screencast_wait = -1;
      s->screencast_watch = 0;
      /* A time-out is reported by checkReady() at the start deadline. */
      s->screencast_ready = g_spawn_check_wait_status(status, nullptr);
      ref->self->checkReady(ref->id);
    },
    new SessionRef{this, s.id}, SessionRef::free);
  return true;
}

void SessionManager::servicesChanged(const std::string &id)
{
  auto s = get(id);
  if (!s || s->state != SessionState::Starting || !s->services)
    return;
  if (s->compositor < 0 && s->services->busSettled() && !s->ready_poll && s->socket_name.empty()) {
    std::string error;
    if (!spawnCompositor(*s, &error)) {
      stopProcesses(*s);
      setState(*s, SessionState::Failed, error);
    }
    return;
  }
  if (!s->socket_name.empty() && !s->launched && s->services->audioSettled())
    launchSession(*s);
}

void SessionManager::checkReady(const std::string &id)
{
  auto s = get(id);
  /* Called by the poll and by the ScreenCast wait: once is enough. */
  if (!s || s->state != SessionState::Starting || !s->socket_name.empty())
    return;
  std::string sock = findEntry(s->runtime_dir, "wayland-", ".lock");
  /* sway: its IPC socket (resizing needs it); GNOME Shell / Mutter: their
   * ScreenCast service (capture needs it). */
  bool service = s->plan.kind == CompositorKind::Sway
                   ? !findEntry(s->runtime_dir, "sway-ipc.", nullptr).empty()
                   : !s->plan.usesMutter() || s->screencast_ready;
  if (!sock.empty() && service) {
    s->socket_name = sock;
    s->ready_poll = 0;
    /* Apps and worker wait for the sound server (ready or failed). */
    if (!s->services || s->services->audioSettled())
      launchSession(*s);
    return;
  }
  if (g_get_monotonic_time() > s->start_deadline) {
    s->ready_poll = 0;
    stopProcesses(*s);
    setState(*s, SessionState::Failed,
             sock.empty() || !s->plan.usesMutter()
               ? "the compositor did not open its Wayland socket in 15 s"
               : s->plan.name + " did not offer " + kMutterScreenCast +
                   " on the session bus in 15 s");
  }
}

void SessionManager::launchSession(Session &s)
{
  s.launched = true;
  launchApps(s);
  if (!config_.stream) {
    setState(s, SessionState::Running);
    return;
  }
  std::string error;
  if (!startWorker(s, &error)) {
    stopProcesses(s);
    setState(s, SessionState::Failed, error);
    return;
  }
  /* Running once the worker says its pipeline plays; failed if it does not
   * within the start time-out. */
  g_timeout_add_full(
    G_PRIORITY_DEFAULT, kWorkerTimeoutMs,
    [](gpointer d) -> gboolean {
      auto *ref = static_cast<SessionRef *>(d);
      auto s = ref->self->get(ref->id);
      if (s && s->state == SessionState::Starting) {
        ref->self->stopProcesses(*s);
        ref->self->setState(*s, SessionState::Failed, "the pipeline worker did not start in time");
      }
      return G_SOURCE_REMOVE;
    },
    new SessionRef{this, s.id}, SessionRef::free);
}

void SessionManager::launchApps(Session &s)
{
  for (const auto &app : s.app_commands) {
    std::string error;
    pid_t pid = spawnAs(s, app, {"WAYLAND_DISPLAY=" + s.socket_name}, &error);
    if (pid < 0) {
      g_warning("session %s: %s", s.id.c_str(), error.c_str());
      continue;
    }
    s.apps.push_back(pid);
    /* Reap it when it exits on its own. */
    g_child_watch_add(
      pid, [](GPid, gint, gpointer) {}, nullptr);
  }
}

bool SessionManager::claim(Session &s, unsigned width, unsigned height,
                           const std::vector<std::vector<std::string>> &apps, std::string *message)
{
  if (!s.in_pool || s.state != SessionState::Running) {
    *message = "the session is not a ready pooled session";
    return false;
  }
  if ((width != s.width || height != s.height) && !resize(s.id, width, height, message))
    return false;
  s.in_pool = false;
  /* Back to normal priority (only root may lower a nice value). */
  for (pid_t pid : pids(s))
    reniceProcess(pid, 0);
  s.created = g_get_real_time() / G_USEC_PER_SEC;
  s.last_viewer = g_get_monotonic_time();
  s.app_commands = apps;
  launchApps(s);
  g_message("session %s (%s): claimed from the pool", s.id.c_str(), s.user.c_str());
  if (on_state_changed)
    on_state_changed(s);
  return true;
}

void SessionManager::describe(JsonBuilder *b, const Session &s) const
{
  json_builder_set_member_name(b, "compositor");
  json_builder_add_string_value(b, s.plan.name.c_str());
  json_builder_set_member_name(b, "pooled");
  json_builder_add_boolean_value(b, s.pooled);
  if (s.services) {
    s.services->describe(b);
  } else {
    json_builder_set_member_name(b, "audio");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, "off");
    json_builder_end_object(b);
  }
  cgroups_->describe(b, s.id, !s.cgroup_procs.empty());
  describeTier(b, config_.tiers[s.tier], s.tier_reason,
               config_.budget.any() ? &s.reservation : nullptr);
}

void SessionManager::onCompositorExit(GPid pid, gint status, gpointer data)
{
  auto *wd = static_cast<SessionRef *>(data);
  auto s = wd->self->get(wd->id);
  if (!s || s->compositor != pid)
    return;
  s->watch = 0;
  s->compositor = -1;
  if (s->state == SessionState::Stopped)
    return;
  g_autofree char *how = WIFSIGNALED(status)
                           ? g_strdup_printf("was killed by signal %d", WTERMSIG(status))
                           : g_strdup_printf("exited with status %d", WEXITSTATUS(status));
  wd->self->stopProcesses(*s);
  wd->self->setState(*s, SessionState::Failed,
                     "the compositor (" + s->plan.name + ") " + std::string(how));
}

void SessionManager::stopProcesses(Session &s, std::function<void()> done)
{
  Countdown all(std::move(done));
  if (s.ready_poll) {
    g_source_remove(s.ready_poll);
    s.ready_poll = 0;
  }
  if (s.worker) {
    /* EOF on its stdin tells it to stop; pending requests get nullptr. */
    auto worker = std::move(s.worker);
    s.worker_status = WorkerStatus();
    pid_t pid = worker->close();
    if (pid > 0)
      reaper_.stop(pid, 2000, all.part());
  }
  for (pid_t app : s.apps)
    reaper_.stop(app, 1000, all.part());
  s.apps.clear();
  if (s.screencast_wait > 0) {
    if (s.screencast_watch)
      g_source_remove(s.screencast_watch);
    s.screencast_watch = 0;
    reaper_.stop(s.screencast_wait, 500, all.part());
    s.screencast_wait = -1;
  }
  if (s.compositor > 0) {
    if (s.watch) {
      g_source_remove(s.watch);
      s.watch = 0;
    }
    reaper_.stop(s.compositor, 2000, all.part());
    s.compositor = -1;
  }
  if (s.services)
    s.services->stop(all.part());
  all.arm();
}

std::shared_ptr<Session> SessionManager::get(const std::string &id) const
{
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Session>> SessionManager::list(bool include_pool) const
{
  std::vector<std::shared_ptr<Session>> out;
  for (const auto &[id, s] : sessions_)
    if (include_pool || !s->in_pool)
      out.push_back(s);
  std::sort(out.begin(), out.end(),
            [](const auto &a, const auto &b) { return a->created < b->created; });
  return out;
}

unsigned SessionManager::countFor(const std::string &user) const
{
  unsigned n = 0;
  for (const auto &[id, s] : sessions_)
    if (s->user == user && !s->in_pool &&
        (s->state == SessionState::Starting || s->state == SessionState::Running))
      n++;
  return n;
}

Reservation SessionManager::reserved() const
{
  Reservation r;
  for (const auto &[id, s] : sessions_)
    if (s->state == SessionState::Starting || s->state == SessionState::Running)
      r += s->reservation;
  return r;
}

unsigned SessionManager::live() const
{
  unsigned n = 0;
  for (const auto &[id, s] : sessions_)
    if (s->state == SessionState::Starting || s->state == SessionState::Running)
      n++;
  return n;
}

std::vector<std::string> SessionManager::workerArgs(Session &s)
{
  std::vector<EncoderUse> live_uses;
  for (const auto &[id, other] : sessions_)
    if (other.get() != &s && other->worker &&
        (other->state == SessionState::Starting || other->state == SessionState::Running))
      live_uses.push_back({other->encoder, other->software_only});
  s.software_only = mustUseSoftware(config_.max_hardware_sessions, live_uses);
  std::vector<std::string> args;
  if (unsigned cap = config_.tiers[s.tier].max_bitrate)
    args.insert(args.end(), {"--max-bitrate", std::to_string(cap)});
  if (!s.software_only)
    return args;
  g_message("session %s: max-hardware-sessions (%u) reached: software encoders only", s.id.c_str(),
            config_.max_hardware_sessions);
  args.emplace_back("--software-only");
  return args;
}

bool SessionManager::destroy(const std::string &id, std::function<void()> done)
{
  auto s = get(id);
  if (!s)
    return false;
  s->state = SessionState::Stopped;
  sessions_.erase(id);
  setState(*s, SessionState::Stopped);
  /* The dir and the cgroup go once nothing of the session runs in them. */
  stopProcesses(*s, [this, s, done = std::move(done)] {
    removeTree(s->runtime_dir);
    cgroups_->remove(s->id);
    if (done)
      done();
  });
  return true;
}

void SessionManager::destroyAll()
{
  std::vector<std::string> ids;
  for (const auto &[id, s] : sessions_)
    ids.push_back(id);
  /* Every session is told at once, so that stopping many takes as long as
   * stopping one. */
  for (const auto &id : ids)
    destroy(id);
  reaper_.drain(5000);
}

bool SessionManager::resize(const std::string &id, unsigned width, unsigned height,
                            std::string *message)
{
  auto s = get(id);
  if (!s || s->state != SessionState::Running) {
    *message = "the session is not running";
    return false;
  }
  if (width < 64 || width > 8192 || height < 64 || height > 8192 || (width % 2) || (height % 2)) {
    *message = "width and height must be even numbers from 64 to 8192";
    return false;
  }
  if (s->plan.usesMutter()) {
    *message = "resizing is not supported for " + s->plan.name +
               " sessions: Mutter 43's headless virtual monitor keeps the size it started with";
    return false;
  }
  std::string ipc = findEntry(s->runtime_dir, "sway-ipc.", nullptr);
  if (ipc.empty()) {
    *message = "resizing needs sway; this session's compositor does not offer sway IPC";
    return false;
  }
  std::string sock = s->runtime_dir + "/" + ipc;
  std::string mode = std::to_string(width) + "x" + std::to_string(height);
  const char *argv[] = {"swaymsg",    "-s",         sock.c_str(), "output",
                        "HEADLESS-1", "resolution", mode.c_str(), nullptr};
  gint status = 0;
  g_autofree char *err = nullptr;
  g_autoptr(GError) error = nullptr;
  if (!g_spawn_sync(nullptr, const_cast<char **>(argv), nullptr, G_SPAWN_SEARCH_PATH, nullptr,
                    nullptr, nullptr, &err, &status, &error) ||
      !g_spawn_check_wait_status(status, nullptr)) {
    *message = std::string("the compositor refused the new size: ") +
               (error ? error->message : (err ? err : ""));
    return false;
  }
  /* A tier's size cap follows the new size. */
  const Tier &tier = config_.tiers[s->tier];
  unsigned old_w = 0, old_h = 0, new_w = 0, new_h = 0;
  streamSize(tier, s->width, s->height, &old_w, &old_h);
  streamSize(tier, width, height, &new_w, &new_h);
  bool was_scaled = old_w != s->width || old_h != s->height;
  s->width = width;
  s->height = height;
  if (was_scaled || new_w != width || new_h != height)
    sendTier(*s);
  return true;
}

std::vector<pid_t> SessionManager::pids(const Session &s) const
{
  std::vector<pid_t> out;
  if (s.compositor > 0)
    out.push_back(s.compositor);
  if (s.worker && s.worker->pid() > 0)
    out.push_back(s.worker->pid());
  out.insert(out.end(), s.apps.begin(), s.apps.end());
  if (s.services)
    for (pid_t p : s.services->pids())
      out.push_back(p);
  return out;
}

} // namespace vdid
