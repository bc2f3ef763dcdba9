/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "worker-link.h"

#include "json.h"
#include "worker-protocol.h"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <glib-unix.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

namespace vdid {

namespace {

/* write() that turns a closed pipe into EPIPE without raising SIGPIPE in
 * the process (vdid does not ignore it: its children must not inherit
 * that). SIGPIPE of a write goes to the writing thread, so blocking it
 * there and taking the pending one is enough. */
ssize_t writeNoSigpipe(int fd, const char *data, size_t size)
{
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = write(fd, data, size);
  int saved = errno;
  if (n < 0 && errno == EPIPE) {
    struct timespec zero = {0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

std::string commandLine(const char *op, const std::function<void(JsonBuilder *)> &fill)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "op");
  json_builder_add_string_value(b, op);
  fill(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return vdi::json::toString(root) + "\n";
}

} // namespace

WorkerLink::WorkerLink(pid_t pid, int in_fd, int out_fd, Handlers handlers)
  : pid_(pid), in_fd_(in_fd), out_fd_(out_fd), handlers_(std::move(handlers))
{
  if (out_fd_ >= 0) {
    g_unix_set_fd_nonblocking(out_fd_, TRUE, nullptr);
    in_source_ = g_unix_fd_add(out_fd_, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                               onReadable, this);
  }
  if (in_fd_ >= 0)
    g_unix_set_fd_nonblocking(in_fd_, TRUE, nullptr);
  if (pid_ > 0)
    exit_watch_ = g_child_watch_add(pid_, onExit, this);
}

WorkerLink::~WorkerLink()
{
  *alive_ = false;
  close();
}

bool WorkerLink::unread() const
{
  if (out_fd_ < 0)
    return false;
  pollfd p{out_fd_, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

pid_t WorkerLink::close()
{
  stopReading();
  closeInput();
  if (exit_watch_) {
    g_source_remove(exit_watch_);
    exit_watch_ = 0;
  }
  pid_t pid = pid_;
  pid_ = -1;
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto &[ref, reply] : pending)
    reply(nullptr);
  return pid;
}

void WorkerLink::stopReading()
{
  if (in_source_) {
    g_source_remove(in_source_);
    in_source_ = 0;
  }
  if (out_fd_ >= 0) {
    ::close(out_fd_);
    out_fd_ = -1;
  }
  buffer_.clear();
}

void WorkerLink::closeInput()
{
  if (out_source_) {
    g_source_remove(out_source_);
    out_source_ = 0;
  }
  if (in_fd_ >= 0) {
    ::close(in_fd_);
    in_fd_ = -1;
  }
  queued_.clear();
}

void WorkerLink::fail(const std::string &why)
{
  stopReading();
  closeInput();
  auto alive = alive_;
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto &[ref, reply] : pending)
    reply(nullptr);
  /* Copies: a handler may destroy the link, and so itself. */
  if (*alive && handlers_.failed)
    std::function<void(const std::string &)>(handlers_.failed)(why);
}

bool WorkerLink::command(const char *op, const Fill &fill)
{
  if (in_fd_ < 0)
    return false;
  queued_ += commandLine(op, fill);
  if (queued_.size() > kMaxQueued) {
    fail("the worker does not read its commands (" + std::to_string(queued_.size()) +
         " bytes waiting)");
    return false;
  }
  flush();
  return true;
}

bool WorkerLink::request(const char *op, const Fill &fill, Reply reply)
{
  if (in_fd_ < 0)
    return false;
  unsigned ref = next_ref_++;
  pending_[ref] = std::move(reply);
  bool sent = command(op, [&](JsonBuilder *b) {
    json_builder_set_member_name(b, "ref");
    json_builder_add_int_value(b, ref);
    fill(b);
  });
  /* A failed link has answered the request with nullptr already. */
  return sent;
}

void WorkerLink::flush()
{
  while (!queued_.empty() && in_fd_ >= 0) {
    ssize_t n = writeNoSigpipe(in_fd_, queued_.data(), queued_.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) {
      if (!out_source_)
        out_source_ =
          g_unix_fd_add(in_fd_, static_cast<GIOCondition>(G_IO_OUT | G_IO_ERR), onWritable, this);
      return;
    }
    if (n <= 0) {
      /* The worker is gone (its exit is reported by the exit watch). */
      g_warning("cannot write to the pipeline worker: %s", g_strerror(errno));
      closeInput();
      return;
    }
    queued_.erase(0, static_cast<size_t>(n));
  }
  if (out_source_) {
    g_source_remove(out_source_);
    out_source_ = 0;
  }
}

gboolean WorkerLink::onWritable(gint, GIOCondition, gpointer data)
{
  auto *self = static_cast<WorkerLink *>(data);
  guint source = self->out_source_;
  self->flush();
  /* flush() removed the source once the queue is empty. */
  return self->out_source_ == source && source ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

gboolean WorkerLink::onReadable(gint, GIOCondition, gpointer data)
{
  auto *self = static_cast<WorkerLink *>(data);
  auto alive = self->alive_;
  guint source = self->in_source_;
  bool go_on = self->readAvailable();
  if (!*alive)
    return G_SOURCE_REMOVE;
  return go_on && self->in_source_ == source ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

bool WorkerLink::readAvailable()
{
  auto alive = alive_;
  while (out_fd_ >= 0) {
    char chunk[65536];
    ssize_t n = read(out_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return true;
    if (n <= 0) {
      /* EOF (or an error): the exit watch says why the worker went. */
      std::string rest = std::move(buffer_);
      stopReading();
      if (!rest.empty() && handlers_.bad_line)
        std::function<void(const std::string &)>(handlers_.bad_line)(
          "the worker's output ended in the middle of a line (" + std::to_string(rest.size()) +
          " bytes)");
      return false;
    }
    last_heard_ = g_get_monotonic_time();
    /* Only what is new can hold the next newline. */
    size_t search = buffer_.size(), from = 0, nl;
    buffer_.append(chunk, static_cast<size_t>(n));
    while ((nl = buffer_.find('\n', search)) != std::string::npos) {
      std::string line = buffer_.substr(from, nl - from);
      from = search = nl + 1;
      if (!dispatch(line) || !*alive)
        return false;
      if (out_fd_ < 0)
        return false; /* a handler closed the link */
    }
    buffer_.erase(0, from);
    if (buffer_.size() > kMaxLine) {
      fail("the worker sent a line longer than " + std::to_string(kMaxLine) + " bytes");
      return false;
    }
  }
  return false;
}

bool WorkerLink::dispatch(const std::string &line)
{
  auto alive = alive_;
  vdi::json::Document doc;
  std::string error;
  JsonObject *o = doc.parseObject(line.data(), line.size(), &error);
  if (!o) {
    if (handlers_.bad_line)
      std::function<void(const std::string &)>(handlers_.bad_line)(
        "the worker sent a bad line (" + error + "): " + line.substr(0, 80));
    return *alive;
  }
  WorkerEvent event = readWorkerEvent(o);
  if (event.has_ref) {
    auto it = pending_.find(event.ref);
    if (it != pending_.end()) {
      auto reply = std::move(it->second);
      pending_.erase(it);
      reply(o);
      return *alive;
    }
  }
  if (handlers_.event)
    std::function<void(const std::string &, JsonObject *)>(handlers_.event)(event.event, o);
  return *alive;
}

void WorkerLink::onExit(GPid pid, gint status, gpointer data)
{
  auto *self = static_cast<WorkerLink *>(data);
  auto alive = self->alive_;
  self->exit_watch_ = 0; /* removed after this returns */
  if (self->pid_ != pid)
    return;
  /* What it wrote before it went ("error" lines say why) comes first. */
  if (self->out_fd_ >= 0)
    self->readAvailable();
  if (!*alive)
    return;
  self->pid_ = -1;
  if (self->handlers_.exited)
    std::function<void(int)>(self->handlers_.exited)(status);
}

} // namespace vdid
