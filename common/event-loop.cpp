/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "event-loop.h"

#include <pthread.h>

namespace vdi {

namespace {

template <typename Fn>
GSource *withCallback(GSource *source, Fn &&fn, gboolean (*call)(gpointer))
{
  using F = std::decay_t<Fn>;
  g_source_set_callback(source, call, new F(std::forward<Fn>(fn)),
                        [](gpointer d) { delete static_cast<F *>(d); });
  return source;
}

/* Posted work runs at the default priority, like timers and the Wayland
 * display source,
 * so that GLib dispatches it in order with them (idle sources would wait
 * behind every busy fd). */
GSource *taskSource()
{
  GSource *source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  return source;
}

gboolean callOnce(gpointer d)
{
  (*static_cast<std::function<void()> *>(d))();
  return G_SOURCE_REMOVE;
}

gboolean callRepeating(gpointer d)
{
  return (*static_cast<std::function<bool()> *>(d))() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

} // namespace

EventLoop::EventLoop(const std::string &name) : name_(name.substr(0, 15))
{
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
}

EventLoop::~EventLoop()
{
  stop();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void EventLoop::start()
{
  std::lock_guard<std::mutex> l(lock_);
  if (running_ || thread_.joinable())
    return;
  running_ = true;
  /* The thread holds its own references and never touches `this`: stop()
   * called on the loop thread (e.g. from the destructor of an object the
   * last task dropped) detaches it, and it ends after the current task. */
  GMainContext *context = g_main_context_ref(context_);
  GMainLoop *loop = g_main_loop_ref(loop_);
  thread_ = std::thread([context, loop, name = name_] {
    pthread_setname_np(pthread_self(), name.c_str());
    /* Async GIO operations started on this thread (GDBus, libsoup)
     * complete here too. */
    g_main_context_push_thread_default(context);
    g_main_loop_run(loop);
    g_main_context_pop_thread_default(context);
    g_main_loop_unref(loop);
    g_main_context_unref(context);
  });
}

void EventLoop::stop()
{
  {
    std::lock_guard<std::mutex> l(lock_);
    if (!thread_.joinable())
      return;
    if (running_) {
      running_ = false;
      if (isLoopThread()) {
        /* Ends after this iteration; what is queued is dropped. */
        g_main_loop_quit(loop_);
      } else {
        /* After everything posted so far: same priority, attached last. */
        GMainLoop *loop = loop_;
        attach(withCallback(taskSource(), std::function<void()>([loop] { g_main_loop_quit(loop); }),
                            callOnce));
      }
    }
  }
  if (isLoopThread())
    thread_.detach();
  else
    thread_.join();
  thread_ = std::thread();
}

bool EventLoop::isLoopThread() const
{
  return g_main_context_is_owner(context_);
}

guint EventLoop::attach(GSource *source)
{
  guint id = g_source_attach(source, context_);
  g_source_unref(source);
  return id;
}

void EventLoop::post(std::function<void()> fn)
{
  std::lock_guard<std::mutex> l(lock_);
  if (!running_)
    return;
  attach(withCallback(taskSource(), std::move(fn), callOnce));
}

bool EventLoop::invoke(const std::function<void()> &fn)
{
  if (isLoopThread()) {
    fn();
    return true;
  }
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  {
    std::lock_guard<std::mutex> l(lock_);
    if (!running_)
      return false;
    attach(withCallback(taskSource(), std::function<void()>([&] {
                          fn();
                          std::lock_guard<std::mutex> ml(m);
                          done = true;
                          cv.notify_all();
                        }),
                        callOnce));
  }
  /* Posted before any quit, so it runs before the thread ends. */
  std::unique_lock<std::mutex> ml(m);
  cv.wait(ml, [&] { return done; });
  return true;
}

guint EventLoop::addTimeout(unsigned interval_ms, std::function<bool()> fn)
{
  std::lock_guard<std::mutex> l(lock_);
  if (!running_)
    return 0;
  return attach(withCallback(g_timeout_source_new(interval_ms), std::move(fn), callRepeating));
}

guint EventLoop::addOneShot(uint64_t delay_ns, std::function<void()> fn)
{
  std::lock_guard<std::mutex> l(lock_);
  if (!running_)
    return 0;
  /* g_timeout_source_new() counts in ms; round up so work is never early. */
  guint ms = static_cast<guint>((delay_ns + 999999) / 1000000);
  return attach(withCallback(g_timeout_source_new(ms), std::move(fn), callOnce));
}

void EventLoop::remove(guint id)
{
  if (!id)
    return;
  if (GSource *s = g_main_context_find_source_by_id(context_, id))
    g_source_destroy(s);
}

} // namespace vdi
