/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* vdid's process statistics (process-stats.h). */

#include "process-stats.h"
#include "test-util.h"

#include <chrono>
#include <ctime>
#include <unistd.h>

using namespace vdid;

TEST_CASE("a /proc stat line gives CPU seconds and resident bytes", "[vdid][process-stats]")
{
  /* A command name with a space and a ')' must not shift the fields. */
  const char *line = "4242 (my ) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
                     "250 150 0 0 20 0 3 0 12345 1000000 300 18446744073709551615";
  ProcessUsage u;
  REQUIRE(parseProcStat(line, &u));
  long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  CHECK(u.cpu_seconds == Approx(400.0 / ticks));
  CHECK(u.rss_bytes == Approx(300.0 * page));
  CHECK_FALSE(parseProcStat("garbage", &u));
  CHECK_FALSE(parseProcStat("1 (x) S 1 2", &u));
  CHECK_FALSE(parseProcStat(nullptr, &u));
}

TEST_CASE("the usage of this process grows with the CPU it burns", "[vdid][process-stats]")
{
  ProcessUsage before = processUsage(getpid());
  CHECK(before.rss_bytes > 0);
  /* Burn 200 ms of CPU (not of wall time: the machine may be busy). */
  auto cpu = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
  };
  double start = cpu();
  volatile unsigned long spin = 0;
  while (cpu() - start < 0.2)
    spin = spin + 1;
  ProcessUsage after = processUsage(std::vector<pid_t>{getpid(), 999999999});
  CHECK(after.cpu_seconds >= before.cpu_seconds + 0.1);
  /* A process that does not exist adds nothing. */
  CHECK(processUsage(999999999).cpu_seconds == 0);
}

/* ---- ProcessReaper ------------------------------------------------------- */

#include "process-reaper.h"

#include <csignal>
#include <sys/wait.h>

namespace {

/* A child in a process group of its own, with the default SIGTERM action
 * (Catch2's handlers are not inherited) or, with @ignore_term, one that
 * survives SIGTERM. Returns once the child has set that up. */
pid_t spawnChild(bool ignore_term)
{
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
    if (write(ready[1], "r", 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  setpgid(pid, pid);
  char c;
  REQUIRE(read(ready[0], &c, 1) == 1);
  close(ready[0]);
  close(ready[1]);
  return pid;
}

/* Runs the default main context until @done or @timeout_ms. */
bool iterateUntil(const bool &done, int timeout_ms)
{
  bool expired = false;
  guint guard = g_timeout_add(
    timeout_ms,
    [](gpointer d) -> gboolean {
      *static_cast<bool *>(d) = true;
      return G_SOURCE_REMOVE;
    },
    &expired);
  while (!done && !expired)
    g_main_context_iteration(nullptr, TRUE);
  if (!expired)
    g_source_remove(guard);
  return done;
}

} // namespace

TEST_CASE("the reaper stops a group without blocking the main loop", "[vdid][reaper]")
{
  ProcessReaper reaper;
  pid_t polite = spawnChild(false), stubborn = spawnChild(true);
  bool polite_done = false, stubborn_done = false, all_done = false;
  Countdown all([&] { all_done = true; });
  gint64 start = g_get_monotonic_time();
  reaper.stop(polite, 3000, [&, f = all.part()] {
    polite_done = true;
    f();
  });
  reaper.stop(stubborn, 300, [&, f = all.part()] {
    stubborn_done = true;
    f();
  });
  all.arm();
  /* stop() returned at once; the loop keeps running while they go. */
  CHECK(g_get_monotonic_time() - start < 100000);
  /* The stubborn one at least (the polite one may be gone already). */
  CHECK(reaper.pending() >= 1);
  REQUIRE(iterateUntil(polite_done, 2000));
  CHECK_FALSE(stubborn_done); /* it ignores SIGTERM: waits for the grace */
  REQUIRE(iterateUntil(all_done, 3000));
  CHECK(stubborn_done);
  CHECK(g_get_monotonic_time() - start >= 300000);
  CHECK(reaper.pending() == 0);
  /* Both were reaped: no zombie is left to wait for. */
  CHECK(waitpid(polite, nullptr, WNOHANG) == -1);
  CHECK(waitpid(stubborn, nullptr, WNOHANG) == -1);
}

TEST_CASE("stopping a process that is not a child finishes at once", "[vdid][reaper]")
{
  ProcessReaper reaper;
  bool done = false;
  reaper.stop(999999999, 1000, [&] { done = true; });
  CHECK(done);
  CHECK(reaper.pending() == 0);
  bool armed = false;
  Countdown none([&] { armed = true; });
  none.arm();
  CHECK(armed);
}

TEST_CASE("the host's busy and total CPU come from /proc/stat's cpu line", "[vdid][tiers]")
{
  HostCpu cpu;
  CHECK(parseHostCpu("cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\n", &cpu));
  CHECK(cpu.total == 1000);
  CHECK(cpu.busy == 160); /* all but idle (800) and iowait (40) */
  CHECK_FALSE(parseHostCpu("intr 1 2 3\n", &cpu));
  CHECK_FALSE(parseHostCpu("cpu  1 2\n", &cpu));
}
