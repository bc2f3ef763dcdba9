/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid under faults of its own processes (issue 16): a worker that stops
 * (SIGSTOP) and a worker that addresses another session's viewers. Each
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

std::string fileText(const std::string &path)
{
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

/* A worker gone bad, for vdid's VDID_WORKER: the real vdid-worker, whose
 * output is copied to RUNTIME_DIR/worker-out, plus whatever lines the test
 * writes into the FIFO RUNTIME_DIR/inject (as a compromised worker could
 * write anything). Runs as the session's user. */
struct HostileWorker {
  std::string path;
  HostileWorker()
  {
    g_autofree char *p = nullptr;
    int fd = g_file_open_tmp("hostile-worker-XXXXXX", &p, nullptr);
    close(fd);
    path = p;
    std::string real = std::string(g_getenv("VDI_BUILD_ROOT")) + "/orchestrator/vdid-worker";
    std::ofstream(path) << "#!/usr/bin/env python3\n"
                        << "import os, subprocess, sys, threading\n"
                        << "args = sys.argv[1:]\n"
                        << "d = os.path.dirname(args[args.index('--display') + 1])\n"
                        << "os.mkfifo(d + '/inject')\n"
                        << "w = subprocess.Popen(['" << real
                        << "'] + args, stdout=subprocess.PIPE)\n"
                        << "out, lock = sys.stdout.buffer, threading.Lock()\n"
                        << "def inject():\n"
                        << "  f = open(d + '/inject', 'rb')\n"
                        << "  for line in iter(f.readline, b''):\n"
                        << "    with lock: out.write(line); out.flush()\n"
                        << "threading.Thread(target=inject, daemon=True).start()\n"
                        << "log = open(d + '/worker-out', 'wb')\n"
                        << "for line in iter(w.stdout.readline, b''):\n"
                        << "  log.write(line); log.flush()\n"
                        << "  with lock: out.write(line); out.flush()\n"
                        << "sys.exit(w.wait())\n";
    chmod(path.c_str(), 0755);
    g_setenv("VDID_WORKER", path.c_str(), TRUE);
  }
  ~HostileWorker()
  {
    g_unsetenv("VDID_WORKER");
    unlink(path.c_str());
  }
  static void inject(const std::string &dir, const std::string &line)
  {
    std::ofstream(dir + "/inject") << line << "\n";
  }
};

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
  checkSessionGone(v.base + "/" + a, 8s);

  /* B streams on: a new viewer gets an offer through vdid. */
  CHECK(member(c.request("GET", url_b, "", v.owner).body, "state") == "running");
  viewerWithOffer(url_b, v.owner);
}

TEST_CASE("a worker's messages for another session's viewer are refused and logged",
          "[vdid][sessions][faults]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  HostileWorker hostile;
  g_autofree char *log = nullptr;
  close(g_file_open_tmp("vdid-faults-XXXXXX.log", &log, nullptr));
  SessionVdid v("stream=true\n", "", log);
  Client c;
  std::string a, b;
  std::string url_a = startStreamingSession(v, c, &a);
  std::string url_b = startStreamingSession(v, c, &b);
  std::string dir_a = v.base + "/" + a, dir_b = v.base + "/" + b;
  auto viewer = viewerWithOffer(url_b, v.owner);

  /* B's peer id, as B's worker told vdid. */
  std::smatch m;
  std::string out;
  REQUIRE(eventually(5s, [&] {
    out = fileText(dir_b + "/worker-out");
    return std::regex_search(out, m,
                             std::regex(R"re("event":"peer","ref":[0-9]+,"peer":"([^"]+)")re"));
  }));
  std::string peer = m[1];
  auto sendTo = [&](const std::string &marker) {
    return R"({"event":"send","peer":")" + peer +
           R"(","message":"{\"type\":\"peer\",\"sessionId\":\"x\",\"ice\":{\"candidate\":\")" +
           marker + R"(\",\"sdpMLineIndex\":0}}"})";
  };

  /* A's worker writes to B's viewer: refused and logged. */
  HostileWorker::inject(dir_a, sendTo("FROM-SESSION-A"));
  std::string text;
  bool logged = eventually(
    5s,
    [&] {
      text = fileText(log);
      return text.find("session " + a + ": refused the worker's message for peer \"" + peer) !=
             std::string::npos;
    },
    50ms);
  INFO(text);
  CHECK(logged);
  /* B's own worker reaches the same viewer (the control): A's line, sent
   * before, never arrived. */
  HostileWorker::inject(dir_b, sendTo("FROM-SESSION-B"));
  CHECK(viewer->received("FROM-SESSION-B", 5s));
  CHECK_FALSE(viewer->received("FROM-SESSION-A", 0ms));
  CHECK(member(c.request("GET", url_a, "", v.owner).body, "state") == "running");
  unlink(log);
}
