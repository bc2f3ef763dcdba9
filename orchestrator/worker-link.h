/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The JSON-lines link to a session's pipeline worker (vdid-worker, see
 * worker.cpp and docs/vdid.md, "Worker protocol"): one JSON object per
 * line, commands down the worker's stdin, events up its stdout.
 *
 * The link owns both pipe ends and the worker's exit watch. It frames lines
 * (a line may arrive in many reads, many lines in one), parses them, gives
 * an event that carries the "ref" of a request to that request's reply and
 * every other event to the event handler. It never blocks vdid's main
 * loop: commands wait in a queue while the pipe is full. A worker that
 * breaks the protocol is reported, never trusted: a line that is not a JSON
 * object is skipped with a reason (the link goes on), and so is output that
 * ends in the middle of a line; a line over kMaxLine or a queue over
 * kMaxQueued (a worker that does not read) ends the link with a reason.
 * What the worker wrote before it exited is read before its exit is
 * reported.
 *
 * Runs on the thread-default main context of whoever creates it. Handlers
 * may destroy the link.
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace vdid {

class WorkerLink
{
public:
  /* Longest line the worker may send (an SDP with candidates is ~10 KiB). */
  static constexpr size_t kMaxLine = 4 << 20;
  /* Most command bytes that may wait for a worker that does not read. */
  static constexpr size_t kMaxQueued = 16 << 20;

  struct Handlers {
    /* Each event that answers no request: @o is the whole line's object,
     * @event its "event" member ("" if absent). */
    std::function<void(const std::string &event, JsonObject *o)> event;
    /* A line that was skipped (not JSON, not an object, cut off by the
     * end of the output): why. */
    std::function<void(const std::string &what)> bad_line;
    /* The link ended because the worker broke the protocol (see above);
     * nothing is read or written after it. */
    std::function<void(const std::string &why)> failed;
    /* The worker exited (a wait status), after its last output was read. */
    std::function<void(int status)> exited;
  };
  using Fill = std::function<void(JsonBuilder *)>;
  using Reply = std::function<void(JsonObject *answer)>;

  /* Takes @in_fd (the worker's stdin) and @out_fd (its stdout); watches
   * @pid (a child spawned with G_SPAWN_DO_NOT_REAP_CHILD) unless it is
   * <= 0. */
  WorkerLink(pid_t pid, int in_fd, int out_fd, Handlers handlers);
  /* close(). */
  ~WorkerLink();
  WorkerLink(const WorkerLink &) = delete;
  WorkerLink &operator=(const WorkerLink &) = delete;

  /* {"op":@op, ...@fill}. False once the link is closed or failed. */
  bool command(const char *op, const Fill &fill);
  /* The same with a fresh "ref"; @reply gets the event carrying that ref,
   * or nullptr if the link closes first. */
  bool request(const char *op, const Fill &fill, Reply reply);

  /* Closes both pipes (EOF tells the worker to stop), stops watching the
   * process and answers pending requests with nullptr. Returns the pid
   * (or -1 if it already exited), for the caller to reap. */
  pid_t close();

  /* The worker's pid while it runs, else -1. */
  pid_t pid() const { return pid_; }
  bool open() const { return out_fd_ >= 0 || in_fd_ >= 0; }
  size_t pendingRequests() const { return pending_.size(); }
  size_t queuedBytes() const { return queued_.size(); }
  /* Whether the worker wrote something vdid has not read yet (the main
   * loop was busy): then its silence is vdid's, not the worker's. */
  bool unread() const;
  /* Monotonic µs of the link's start or of the last bytes read from the
   * worker (a line, part of one, or a bad one: any sign of life). */
  gint64 lastHeard() const { return last_heard_; }

private:
  static gboolean onReadable(gint fd, GIOCondition cond, gpointer data);
  static gboolean onWritable(gint fd, GIOCondition cond, gpointer data);
  static void onExit(GPid pid, gint status, gpointer data);
  /* Reads what there is; false once the link is gone or stopped reading. */
  bool readAvailable();
  /* Dispatches one line; false if a handler destroyed the link. */
  bool dispatch(const std::string &line);
  void flush();
  void fail(const std::string &why);
  void stopReading();
  void closeInput();

  pid_t pid_ = -1;
  int in_fd_ = -1, out_fd_ = -1;
  guint in_source_ = 0, out_source_ = 0, exit_watch_ = 0;
  gint64 last_heard_ = g_get_monotonic_time();
  std::string buffer_; /* a partial line */
  std::string queued_; /* commands not written yet */
  unsigned next_ref_ = 1;
  std::map<unsigned, Reply> pending_;
  Handlers handlers_;
  /* False once destroyed: handlers may delete the link. */
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace vdid
