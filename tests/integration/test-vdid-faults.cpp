/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid under faults of its own processes (issue 16): a worker that stops
 * (SIGSTOP). Each
 * test proves that vdid notices, reports it and that the other session
 * keeps streaming.
 */

#include "vdid-fixture.h"
#include "ws-client.h"

#include <csignal>
#include <fstream>
#include <iostream>
#include <sys/stat.h>

using namespace vdi::test;

namespace {

/* The vdid-worker of the session whose runtime dir is @dir. */
pid_t workerOf(const std::string &dir)
{
  for (pid_t p : processesOf(dir))
    if (cmdline(p).find("vdid-worker") != std::string::npos)
      return p;
  return -1;
}

/* A signalling viewer of the session at @url that got the producer's
 * offer. */
std::unique_ptr<WsClient> startViewer(const std::string &url, const std::string &auth)
{
  auto viewer = std::make_unique<WsClient>("ws" + url.substr(4) + "/signalling", auth);
  REQUIRE(viewer->open());
  REQUIRE_FALSE(viewer->waitFor("welcome", 20s).empty());
  viewer->send(R"({"type":"list"})");
  std::string list = viewer->waitFor("list", 10s);
  std::smatch m;
  REQUIRE(std::regex_search(list, m, std::regex("\"id\":\"([^\"]+)\"")));
  viewer->send(R"({"type":"startSession","peerId":")" + m[1].str() + R"("})");
  REQUIRE(viewer->waitFor("peer", 15s).find("\"sdp\"") != std::string::npos);
  return viewer;
}

} // namespace

TEST_CASE("a SIGSTOPped worker fails only its session, with a reason, within seconds",
          "[vdid][sessions][faults]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  SessionVdid v("stream=true\n");
  Client c;
  std::string a, b;
  std::string url_a = startStreamingSession(v, c, &a);
  std::string url_b = startStreamingSession(v, c, &b);
  pid_t worker = workerOf(v.base + "/" + a);
  REQUIRE(worker > 0);

  kill(worker, SIGSTOP);
  gint64 t0 = g_get_monotonic_time();
  std::string body;
  bool failed = eventually(
    20s,
    [&] { return member(body = c.request("GET", url_a, "", v.owner).body, "state") == "failed"; },
    100ms);
  double noticed_s = (g_get_monotonic_time() - t0) / 1e6;
  INFO(body);
  REQUIRE(failed);
  /* Four missed 2 s heartbeats, then the next 1 s check. */
  CHECK(noticed_s < 12);
  CHECK(member(body, "reason").find("pipeline worker sent nothing for 8 s") != std::string::npos);
  std::cout << "figures: SIGSTOP to failed " << noticed_s << " s\n";
  /* The stopped worker is killed with the rest of the session. */
  std::string left;
  bool gone = eventually(
    8s, [&] { return (left = allProcesses(v.base + "/" + a)).empty(); }, 50ms);
  INFO("still running: " << left);
  CHECK(gone);

  /* B streams on: a new viewer gets an offer through vdid. */
  CHECK(member(c.request("GET", url_b, "", v.owner).body, "state") == "running");
  startViewer(url_b, v.owner);
}
