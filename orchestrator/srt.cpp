/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "srt.h"

#include "json.h"

#include "api.h"
#include "control-socket.h"

#include <glib-unix.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vdid {

namespace {

constexpr gint64 kReadyWaitUs = 5 * G_USEC_PER_SEC;

struct DropTo {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

/* In the child: die with vdid, and never run as root. */
void relaySetup(gpointer data)
{
  auto *d = static_cast<DropTo *>(data);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (d->drop && (setgroups(0, nullptr) < 0 || setgid(d->gid) < 0 || setuid(d->uid) < 0))
    _exit(126);
}

std::string fifoPath(const Session &s)
{
  return s.runtime_dir + "/srt.fifo";
}

} // namespace

SrtService::SrtService(const Config &config, Auth &auth, SessionManager &sessions)
  : config_(config), auth_(auth), sessions_(sessions)
{
}

SrtService::~SrtService()
{
  if (restart_timer_)
    g_source_remove(restart_timer_);
  if (child_watch_)
    g_source_remove(child_watch_);
  for (auto &[id, fd] : fifos_)
    close(fd);
  if (watch_)
    g_source_remove(watch_);
  if (sock_ >= 0)
    close(sock_); /* EOF: vdid-srt stops */
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 200 && waitpid(pid_, nullptr, WNOHANG) == 0; i++)
      g_usleep(10000);
    if (waitpid(pid_, nullptr, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
}

bool SrtService::start(std::string *message)
{
  if (config_.srt_address.empty())
    return true;
  return spawn(true, message);
}

bool SrtService::spawn(bool wait, std::string *message)
{
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    *message = std::string("socketpair: ") + g_strerror(errno);
    return false;
  }
  unsigned port = last_port_ ? last_port_ : config_.srt_port;
  std::string listen = config_.srt_address + ":" + std::to_string(port);
  if (config_.srt_address.find(':') != std::string::npos)
    listen = "[" + config_.srt_address + "]:" + std::to_string(port);
  std::string program = helperPath("vdid-srt", "VDID_SRT");
  std::vector<char *> argv = {program.data(), const_cast<char *>("--listen"), listen.data(),
                              nullptr};
  /* As root, run as nobody: the relay parses what session workers send. */
  DropTo drop;
  if (geteuid() == 0) {
    struct passwd *pw = getpwnam("nobody");
    if (!pw) {
      *message = "there is no \"nobody\" account to run vdid-srt as";
      close(pair[0]);
      close(pair[1]);
      return false;
    }
    drop = {true, pw->pw_uid, pw->pw_gid};
  }
  int source_fds[] = {pair[1]};
  int target_fds[] = {3};
  GPid pid = 0;
  g_autoptr(GError) error = nullptr;
  bool ok = g_spawn_async_with_pipes_and_fds("/", argv.data(), nullptr, G_SPAWN_DO_NOT_REAP_CHILD,
                                             relaySetup, &drop, -1, -1, -1, source_fds, target_fds,
                                             1, &pid, nullptr, nullptr, nullptr, &error);
  close(pair[1]);
  if (!ok) {
    close(pair[0]);
    *message = "cannot start " + program + ": " + error->message;
    return false;
  }
  pid_ = pid;
  sock_ = pair[0];
  child_watch_ = g_child_watch_add(
    pid,
    [](GPid pid, gint status, gpointer data) {
      auto *self = static_cast<SrtService *>(data);
      g_spawn_close_pid(pid);
      if (self->pid_ != pid)
        return;
      self->child_watch_ = 0;
      self->relayGone(status);
    },
    this);
  /* At start, wait (a little) for the port, so that the first sessions
   * have SRT too and "SRT on" comes before "listening"; a restart tells
   * "ready" through the watch. */
  for (gint64 deadline = g_get_monotonic_time() + kReadyWaitUs; wait && port_ == 0;) {
    gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
    struct pollfd p = {sock_, POLLIN, 0};
    if (left_ms <= 0 || poll(&p, 1, static_cast<int>(left_ms)) <= 0)
      break;
    std::string text;
    int passed = -1;
    if (!controlReceive(sock_, &text, &passed))
      break;
    if (passed >= 0)
      close(passed);
    handle(text);
    if (text.find("\"error\"") != std::string::npos)
      break;
  }
  if (wait && port_ == 0)
    g_warning("vdid-srt is not listening yet: SRT comes when it does");
  watch_ =
    g_unix_fd_add(sock_, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR), onControl, this);
  return true;
}

void SrtService::relayGone(int status)
{
  pid_ = -1;
  port_ = 0;
  if (watch_) {
    g_source_remove(watch_);
    watch_ = 0;
  }
  if (sock_ >= 0) {
    close(sock_);
    sock_ = -1;
  }
  g_warning("vdid-srt %s; restarting it in %u ms", WIFSIGNALED(status) ? "was killed" : "exited",
            backoff_ms_);
  /* Its callers are gone: the workers stop writing their TS. */
  for (const auto &[id, fd] : fifos_)
    sessions_.workerCommand(id, "srt", [](JsonBuilder *b) {
      json_builder_set_member_name(b, "active");
      json_builder_add_boolean_value(b, FALSE);
    });
  restart_timer_ = g_timeout_add(
    backoff_ms_,
    [](gpointer data) -> gboolean {
      auto *self = static_cast<SrtService *>(data);
      self->restart_timer_ = 0;
      self->restarts_++;
      std::string message;
      if (!self->spawn(false, &message)) {
        g_warning("vdid-srt: %s", message.c_str());
        self->relayGone(0);
      }
      return G_SOURCE_REMOVE;
    },
    this);
  backoff_ms_ = std::min(backoff_ms_ * 2, 30000u);
}

bool SrtService::addStream(const std::string &id, int fd)
{
  return controlSend(sock_,
                     controlMessage("op", "add",
                                    [&](JsonBuilder *b) {
                                      json_builder_set_member_name(b, "stream");
                                      json_builder_add_string_value(b, id.c_str());
                                    }),
                     fd);
}

gboolean SrtService::onControl(gint fd, GIOCondition, gpointer data)
{
  auto *self = static_cast<SrtService *>(data);
  std::string text;
  int passed = -1;
  if (!controlReceive(fd, &text, &passed)) {
    self->watch_ = 0;
    return G_SOURCE_REMOVE;
  }
  if (passed >= 0)
    close(passed);
  self->handle(text);
  return G_SOURCE_CONTINUE;
}

void SrtService::handle(const std::string &text)
{
  vdi::json::Document doc;
  std::string error;
  JsonObject *o = doc.parseObject(text.data(), text.size(), &error);
  if (!o)
    return;
  /* vdid-srt runs as an unprivileged user: read its events as untrusted. */
  std::string event = vdi::json::stringOr(o, "event");
  auto str = [o](const char *name) { return vdi::json::stringOr(o, name); };
  if (event == "ready") {
    int64_t port = vdi::json::intOr(o, "port");
    port_ = port > 0 && port <= 65535 ? static_cast<unsigned>(port) : 0;
    printf("vdid: SRT on srt://%s:%u (streamid=read:SESSION:USER:PASSWORD)\n",
           config_.srt_address.c_str(), port_);
    fflush(stdout);
    if (port_) {
      last_port_ = port_;
      /* After a restart: every session's stream again. */
      for (const auto &[id, stream_fd] : fifos_)
        addStream(id, stream_fd);
      if (restarts_)
        g_message("vdid-srt is back (restart %u): %zu session stream(s) handed to it", restarts_,
                  fifos_.size());
    }
  } else if (event == "auth") {
    gint64 ref = vdi::json::intOr(o, "ref");
    bool ok = admit(str("stream"), str("user"), str("password"), str("address"));
    controlSend(sock_, controlMessage("op", "auth-result", [&](JsonBuilder *b) {
                  json_builder_set_member_name(b, "ref");
                  json_builder_add_int_value(b, ref);
                  json_builder_set_member_name(b, "ok");
                  json_builder_add_boolean_value(b, ok);
                }));
  } else if (event == "callers") {
    bool active = vdi::json::intOr(o, "count") > 0;
    sessions_.workerCommand(str("stream"), "srt", [active](JsonBuilder *b) {
      json_builder_set_member_name(b, "active");
      json_builder_add_boolean_value(b, active);
    });
  } else if (event == "keyframe") {
    sessions_.workerCommand(str("stream"), "keyframe", [](JsonBuilder *) {});
  } else if (event == "error") {
    g_warning("vdid-srt: %s", str("message").c_str());
  }
}

/* USER:PASSWORD of someone who may see the session, or share:TOKEN. */
bool SrtService::admit(const std::string &stream, const std::string &user,
                       const std::string &password, const std::string &address)
{
  auto s = sessions_.get(stream);
  if (!s || s->state != SessionState::Running)
    return false;
  std::optional<Identity> id;
  if (user == "share") {
    id = auth_.checkShare(password);
  } else {
    Identity who;
    /* The address carries the caller's port: count failures per host. */
    std::string host = address.substr(0, address.rfind(':'));
    if (auth_.checkPassword(host, user, password, &who) == Auth::Result::Ok)
      id = who;
  }
  bool ok = id && Api::maySee(*id, *s);
  g_message("SRT caller %s for session %s: %s", address.c_str(), stream.c_str(),
            ok ? "admitted" : "refused");
  return ok;
}

std::vector<std::string> SrtService::workerArguments(const Session &s)
{
  if (config_.srt_address.empty())
    return {};
  /* The FIFO belongs to the session's user, like its runtime dir. */
  std::string path = fifoPath(s);
  struct stat st;
  if (stat(s.runtime_dir.c_str(), &st) < 0)
    return {};
  unlink(path.c_str());
  if (mkfifo(path.c_str(), 0600) < 0 || chown(path.c_str(), st.st_uid, st.st_gid) < 0) {
    g_warning("session %s: no SRT: cannot make %s: %s", s.id.c_str(), path.c_str(),
              g_strerror(errno));
    return {};
  }
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return {};
  auto old = fifos_.find(s.id);
  if (old != fifos_.end())
    close(old->second);
  fifos_[s.id] = fd;
  /* While vdid-srt is down (or not up yet) it gets the stream when it
   * says "ready". */
  if (port_ != 0 && sock_ >= 0)
    addStream(s.id, fd);
  return {"--srt-fifo", path};
}

void SrtService::describeUrls(JsonBuilder *b, const Session &s) const
{
  if (port_ == 0 || !config_.stream)
    return;
  std::string host = config_.srt_address.find(':') != std::string::npos
                       ? "[" + config_.srt_address + "]"
                       : config_.srt_address;
  json_builder_set_member_name(b, "srt");
  json_builder_add_string_value(
    b, ("srt://" + host + ":" + std::to_string(port_) + "?streamid=read:" + s.id).c_str());
}

void SrtService::sessionChanged(const Session &s)
{
  if (s.state != SessionState::Stopped && s.state != SessionState::Failed)
    return;
  auto it = fifos_.find(s.id);
  if (it != fifos_.end()) {
    close(it->second);
    fifos_.erase(it);
  }
  if (sock_ < 0)
    return;
  controlSend(sock_, controlMessage("op", "remove", [&](JsonBuilder *b) {
                json_builder_set_member_name(b, "stream");
                json_builder_add_string_value(b, s.id.c_str());
              }));
}

} // namespace vdid
