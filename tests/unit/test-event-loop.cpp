/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* vdi::EventLoop (common/event-loop.h). */

#include "event-loop.h"
#include "test-util.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

using vdi::EventLoop;

namespace {

/* Waits for @pred on a condition variable, at most @ms. */
struct Latch {
  std::mutex m;
  std::condition_variable cv;
  int count = 0;
  void add()
  {
    std::lock_guard<std::mutex> l(m);
    count++;
    cv.notify_all();
  }
  bool waitFor(int n, int ms)
  {
    std::unique_lock<std::mutex> l(m);
    return cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return count >= n; });
  }
};

struct LoopFixture {
  EventLoop loop{"test-loop"};
  LoopFixture() { loop.start(); }
};

} // namespace

TEST_CASE_METHOD(LoopFixture, "posted work runs on the loop thread in order", "[event-loop]")
{
  std::vector<int> order;
  std::thread::id seen;
  for (int i = 0; i < 100; i++)
    loop.post([&, i] {
      order.push_back(i);
      seen = std::this_thread::get_id();
    });
  REQUIRE(loop.invoke([] {}));
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; i++)
    CHECK(order[i] == i);
  CHECK(seen != std::this_thread::get_id());
}

TEST_CASE_METHOD(LoopFixture, "invoke waits for the result and runs inline on the loop thread",
                 "[event-loop]")
{
  int value = 0;
  REQUIRE(loop.invoke([&] {
    CHECK(loop.isLoopThread());
    /* Nested: runs at once instead of dead-locking. */
    CHECK(loop.invoke([&] { value = 42; }));
  }));
  CHECK(value == 42);
  CHECK_FALSE(loop.isLoopThread());
}

TEST_CASE_METHOD(LoopFixture, "work posted from the loop thread is queued, not run inline",
                 "[event-loop]")
{
  std::vector<int> order;
  loop.invoke([&] {
    loop.post([&] { order.push_back(2); });
    order.push_back(1);
  });
  loop.invoke([] {});
  REQUIRE(order == std::vector<int>{1, 2});
}

TEST_CASE_METHOD(LoopFixture, "timeouts repeat until they return false or are removed",
                 "[event-loop]")
{
  Latch fired;
  std::atomic<int> count{0};
  loop.addTimeout(1, [&] {
    fired.add();
    return ++count < 3;
  });
  REQUIRE(fired.waitFor(3, 2000));

  Latch other;
  guint id = loop.addTimeout(1, [&] {
    other.add();
    return true;
  });
  REQUIRE(other.waitFor(2, 2000));
  loop.invoke([&] { loop.remove(id); });
  int before = 0;
  loop.invoke([&] { before = other.count; });
  /* A later one-shot proves the removed timer had its chances to fire. */
  Latch later;
  loop.addOneShot(20 * 1000000ull, [&] { later.add(); });
  REQUIRE(later.waitFor(1, 2000));
  loop.invoke([] {});
  CHECK(other.count == before);
  CHECK(count == 3);
}

TEST_CASE_METHOD(LoopFixture, "a one-shot never fires early", "[event-loop]")
{
  Latch fired;
  gint64 start = g_get_monotonic_time();
  gint64 at = 0;
  loop.addOneShot(30 * 1000000ull, [&] {
    at = g_get_monotonic_time();
    fired.add();
  });
  REQUIRE(fired.waitFor(1, 2000));
  CHECK(at - start >= 30000);
}

TEST_CASE("stop runs the work queued before it and drops what comes after", "[event-loop]")
{
  EventLoop loop("test-stop");
  loop.start();
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; i++)
    loop.post([&] { ran++; });
  loop.stop();
  CHECK(ran == 50);
  CHECK_FALSE(loop.running());
  loop.post([&] { ran++; });
  CHECK_FALSE(loop.invoke([&] { ran++; }));
  CHECK(loop.addTimeout(1, [] { return true; }) == 0);
  CHECK(ran == 50);
  /* And it can run again. */
  loop.start();
  CHECK(loop.invoke([&] { ran++; }));
  CHECK(ran == 51);
}

TEST_CASE("invoke from many threads during stop never hangs", "[event-loop]")
{
  for (int round = 0; round < 20; round++) {
    EventLoop loop("test-race");
    loop.start();
    std::atomic<int> ran{0}, refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++)
      threads.emplace_back([&] {
        for (int i = 0; i < 50; i++)
          if (!loop.invoke([&] { ran++; }))
            refused++;
      });
    loop.stop();
    for (auto &t : threads)
      t.join();
    /* Every invoke either ran or was refused; none is left waiting. */
    CHECK(ran + refused == 200);
  }
}

TEST_CASE_METHOD(LoopFixture, "async GIO work started on the loop completes on it", "[event-loop]")
{
  Latch done;
  bool on_loop = false;
  loop.post([&] {
    /* g_main_context_get_thread_default() is where GIO delivers. */
    CHECK(g_main_context_get_thread_default() == loop.context());
    GSource *s = g_idle_source_new();
    g_source_set_callback(
      s,
      [](gpointer d) -> gboolean {
        auto *p = static_cast<std::pair<EventLoop *, std::pair<bool *, Latch *>> *>(d);
        *p->second.first = p->first->isLoopThread();
        p->second.second->add();
        return G_SOURCE_REMOVE;
      },
      new std::pair<EventLoop *, std::pair<bool *, Latch *>>(&loop, {&on_loop, &done}),
      [](gpointer d) {
        delete static_cast<std::pair<EventLoop *, std::pair<bool *, Latch *>> *>(d);
      });
    g_source_attach(s, g_main_context_get_thread_default());
    g_source_unref(s);
  });
  REQUIRE(done.waitFor(1, 2000));
  CHECK(on_loop);
}
