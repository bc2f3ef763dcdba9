/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * One event-loop primitive for every thread of the project that waits on
 * file descriptors or timers: a GMainContext run by its own thread.
 *
 * - post() queues work, from any thread, in order;
 * - invoke() runs work on the loop thread and waits for it, on a condition
 *   variable (no polling), or runs it at once when called on the loop thread;
 * - addTimeout() / addOneShot() attach timers, cancelled with remove();
 * - stop() ends the thread after the work already queued: later posts are
 *   dropped and invoke() returns false.
 *
 * Users that watch a file descriptor attach their own GSource to context()
 * (the Wayland display needs libwayland's prepare-read protocol anyway). Every callback runs on the
 * loop thread.
 */

#pragma once

#include <glib.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace vdi {

class EventLoop
{
public:
  /* @name names the thread (15 characters at most are shown). */
  explicit EventLoop(const std::string &name);
  ~EventLoop(); /* stop()s */
  EventLoop(const EventLoop &) = delete;
  EventLoop &operator=(const EventLoop &) = delete;

  /* Starts the loop thread. Idempotent. */
  void start();
  /* Lets the work queued so far run, then ends the thread and joins it.
   * Called on the loop thread, the thread ends after the current iteration
   * (what is still queued is dropped) and is not joined. Idempotent. */
  void stop();

  bool running() const { return running_.load(); }
  bool isLoopThread() const;
  GMainContext *context() const { return context_; }

  /* Runs @fn on the loop thread, after the work posted before it. Dropped
   * when the loop is stopped. Any thread. */
  void post(std::function<void()> fn);

  /* Runs @fn on the loop thread and waits for it (directly when called on
   * the loop thread). Returns false, without running @fn, when the loop is
   * not running. */
  bool invoke(const std::function<void()> &fn);

  /* Calls @fn on the loop thread every @interval_ms until it returns false
   * or remove() is called. Returns a source id (never 0) or 0 when the loop
   * is stopped. Any thread. */
  guint addTimeout(unsigned interval_ms, std::function<bool()> fn);
  /* The same with a nanosecond delay, called once. */
  guint addOneShot(uint64_t delay_ns, std::function<void()> fn);

  /* Removes a timeout (no-op for 0 or a source that ended).
   * Any thread; once it returns on the loop thread the callback will not
   * run again. */
  void remove(guint id);

private:
  guint attach(GSource *source);

  std::string name_;
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::mutex lock_; /* serialises start/stop against post */
};

} // namespace vdi
