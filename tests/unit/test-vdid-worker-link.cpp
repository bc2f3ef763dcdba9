/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid's WorkerLink (orchestrator/worker-link.h) against real processes and
 * real pipes: framing, requests by ref, a worker that breaks the protocol,
 * one that dies in the middle of a line, one that does not read. vdid's
 * own use of it (sessions with a real vdid-worker) is in test-vdid*.cpp.
 */

#include "json.h"
#include "test-util.h"
#include "worker-link.h"
#include "worker-protocol.h"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <string>
#include <vector>

using vdi::test::eventually;
using vdid::WorkerLink;
using namespace std::chrono_literals;

namespace {

/* Runs the default main context until @pred holds (or 10 s passed). */
template <typename Pred>
bool loopUntil(Pred pred)
{
  return eventually(10s, [&] {
    while (g_main_context_iteration(nullptr, FALSE))
      ;
    return pred();
  });
}

/* Records everything the link reports. */
struct Recorder {
  std::vector<std::string> events; /* "event" members, in order */
  std::vector<std::string> bad_lines;
  std::string failed;
  int exit_status = -1;
  bool exited = false;
  std::vector<std::string> order; /* "event:X", "bad", "failed", "exit" */

  WorkerLink::Handlers handlers()
  {
    WorkerLink::Handlers h;
    h.event = [this](const std::string &event, JsonObject *) {
      events.push_back(event);
      order.push_back("event:" + event);
    };
    h.bad_line = [this](const std::string &what) {
      bad_lines.push_back(what);
      order.push_back("bad");
    };
    h.failed = [this](const std::string &why) {
      failed = why;
      order.push_back("failed");
    };
    h.exited = [this](int status) {
      exit_status = status;
      exited = true;
      order.push_back("exit");
    };
    return h;
  }
};

/* A child on pipes, as vdid spawns its worker. */
struct Child {
  GPid pid = 0;
  int in_fd = -1, out_fd = -1;
  explicit Child(const std::vector<std::string> &args)
  {
    std::vector<char *> argv;
    for (const auto &a : args)
      argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    g_autoptr(GError) error = nullptr;
    bool ok = g_spawn_async_with_pipes(
      nullptr, argv.data(), nullptr,
      static_cast<GSpawnFlags>(G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH), nullptr, nullptr,
      &pid, &in_fd, &out_fd, nullptr, &error);
    REQUIRE(ok);
  }
};

/* A pipe whose write end the test holds: the link reads what it writes. */
struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe()
  {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe()
  {
    if (write_end >= 0)
      close(write_end);
  }
  void write(const std::string &text) const
  {
    REQUIRE(::write(write_end, text.data(), text.size()) == ssize_t(text.size()));
  }
};

} // namespace

TEST_CASE("worker link: a request is answered by the event carrying its ref, others are events",
          "[vdid][worker-link]")
{
  /* cat echoes every command line back: to the link that is an event. */
  Child cat({"cat"});
  Recorder r;
  auto link = std::make_unique<WorkerLink>(cat.pid, cat.in_fd, cat.out_fd, r.handlers());
  std::string answered_op;
  gint64 answered_ref = 0;
  REQUIRE(link->request(
    "add-peer",
    [](JsonBuilder *b) {
      json_builder_set_member_name(b, "role");
      json_builder_add_string_value(b, "view");
    },
    [&](JsonObject *answer) {
      REQUIRE(answer);
      answered_op = json_object_get_string_member(answer, "op");
      answered_ref = json_object_get_int_member(answer, "ref");
    }));
  REQUIRE(link->pendingRequests() == 1);
  REQUIRE(link->command("stats", [](JsonBuilder *) {}));
  REQUIRE(loopUntil([&] { return !answered_op.empty() && r.events.size() == 1; }));
  CHECK(answered_op == "add-peer");
  CHECK(answered_ref == 1);
  CHECK(link->pendingRequests() == 0);
  CHECK(r.events == std::vector<std::string>{""}); /* the echoed command has no "event" */
  CHECK(r.bad_lines.empty());

  /* close() ends cat through EOF on its stdin; the caller reaps it. */
  pid_t pid = link->close();
  CHECK(pid == cat.pid);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(!link->command("stats", [](JsonBuilder *) {}));
}

TEST_CASE("worker link: lines cut across reads and many lines in one read come out whole, once",
          "[vdid][worker-link]")
{
  Pipe p;
  Recorder r;
  WorkerLink link(-1, -1, p.read_end, r.handlers());
  p.write("{\"event\":\"a\"}\n{\"event\":\"b\"}\n{\"eve");
  REQUIRE(loopUntil([&] { return r.events.size() == 2; }));
  /* The cut line is not dispatched before its end arrives. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration(nullptr, FALSE);
  CHECK(r.events == std::vector<std::string>{"a", "b"});
  p.write("nt\":\"c\"}");
  p.write("\n{\"event\":\"d\"}\n");
  REQUIRE(loopUntil([&] { return r.events.size() == 4; }));
  CHECK(r.events == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(r.bad_lines.empty());
}

TEST_CASE(
  "worker link: a line that is not a JSON object is skipped with a reason, the link goes on",
  "[vdid][worker-link]")
{
  Pipe p;
  Recorder r;
  WorkerLink link(-1, -1, p.read_end, r.handlers());
  p.write("this is not JSON\n[1,2]\n{\"event\":\"after\"}\n");
  REQUIRE(loopUntil([&] { return r.events.size() == 1; }));
  REQUIRE(r.bad_lines.size() == 2);
  CHECK(r.bad_lines[0].find("not valid JSON") != std::string::npos);
  CHECK(r.bad_lines[0].find("this is not JSON") != std::string::npos);
  CHECK(r.bad_lines[1].find("JSON object") != std::string::npos);
  CHECK(r.events == std::vector<std::string>{"after"});
  CHECK(r.failed.empty());
  CHECK(link.open());
}

TEST_CASE("worker link: a worker killed in the middle of a line: the cut line, then its exit",
          "[vdid][worker-link]")
{
  Child sh({"sh", "-c", "printf '{\"event\":\"ready\"}\\n{\"event\":\"cu'; kill -9 $$"});
  Recorder r;
  WorkerLink link(sh.pid, sh.in_fd, sh.out_fd, r.handlers());
  REQUIRE(loopUntil([&] { return r.exited; }));
  CHECK(WIFSIGNALED(r.exit_status));
  CHECK(WTERMSIG(r.exit_status) == SIGKILL);
  REQUIRE(r.bad_lines.size() == 1);
  CHECK(r.bad_lines[0].find("middle of a line") != std::string::npos);
  CHECK(r.order == std::vector<std::string>{"event:ready", "bad", "exit"});
  CHECK(link.pid() == -1);
  CHECK(link.close() == -1); /* already reaped: nothing for the caller to reap */
}

TEST_CASE("worker link: what a worker wrote just before it exited is read before its exit",
          "[vdid][worker-link]")
{
  Child sh({"sh", "-c", "printf '{\"event\":\"error\",\"message\":\"boom\"}\\n'; exit 3"});
  Recorder r;
  WorkerLink link(sh.pid, sh.in_fd, sh.out_fd, r.handlers());
  REQUIRE(loopUntil([&] { return r.exited; }));
  CHECK(WIFEXITED(r.exit_status));
  CHECK(WEXITSTATUS(r.exit_status) == 3);
  CHECK(r.order == std::vector<std::string>{"event:error", "exit"});
}

TEST_CASE("worker link: a handler may destroy the link that called it", "[vdid][worker-link]")
{
  Pipe p;
  std::unique_ptr<WorkerLink> link;
  int events = 0;
  WorkerLink::Handlers h;
  h.event = [&](const std::string &, JsonObject *) {
    events++;
    link.reset();
  };
  link = std::make_unique<WorkerLink>(-1, -1, p.read_end, h);
  p.write("{\"event\":\"a\"}\n{\"event\":\"b\"}\n");
  REQUIRE(loopUntil([&] { return !link; }));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration(nullptr, FALSE);
  CHECK(events == 1); /* nothing after the link is gone */
}

TEST_CASE("worker link: a worker that does not read never blocks vdid, then fails the link",
          "[vdid][worker-link]")
{
  /* sleep never reads its stdin: the pipe fills, commands queue. */
  Child sleeper({"sleep", "60"});
  Recorder r;
  WorkerLink link(sleeper.pid, sleeper.in_fd, sleeper.out_fd, r.handlers());
  bool answered = false, answer_null = false;
  link.request(
    "add-peer", [](JsonBuilder *) {},
    [&](JsonObject *answer) {
      answered = true;
      answer_null = answer == nullptr;
    });
  std::string big(1 << 20, 'x');
  auto start = std::chrono::steady_clock::now();
  int sent = 0;
  while (r.failed.empty() && sent < 40) {
    link.command("message", [&](JsonBuilder *b) {
      json_builder_set_member_name(b, "message");
      json_builder_add_string_value(b, big.c_str());
    });
    sent++;
  }
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < 5s); /* each command returned at once: nothing blocked */
  CHECK(sent <= 17);
  CHECK(r.failed.find("does not read its commands") != std::string::npos);
  CHECK(answered);
  CHECK(answer_null);
  CHECK(!link.command("stats", [](JsonBuilder *) {}));
  pid_t pid = link.close();
  REQUIRE(pid == sleeper.pid);
  kill(pid, SIGKILL);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
}

TEST_CASE("worker link: a line longer than the limit ends the link with a reason",
          "[vdid][worker-link]")
{
  Pipe p;
  Recorder r;
  WorkerLink link(-1, -1, p.read_end, r.handlers());
  /* A writer that never ends its line; the link's read end closes under it. */
  signal(SIGPIPE, SIG_IGN);
  int fd = p.write_end;
  std::thread writer([fd] {
    std::string chunk(65536, 'a');
    while (::write(fd, chunk.data(), chunk.size()) > 0)
      ;
  });
  bool failed = loopUntil([&] { return !r.failed.empty(); });
  close(p.write_end); /* ends the writer if the link did not */
  p.write_end = -1;
  writer.join();
  REQUIRE(failed);
  CHECK(r.failed.find("longer than") != std::string::npos);
  CHECK(r.events.empty());
  CHECK(!link.open());
}

TEST_CASE("worker protocol: members of another type read as absent, never as NULL",
          "[vdid][worker-link]")
{
  /* json-glib's getters give NULL for "peer":1, and a std::string of NULL
   * took vdid down: a session's user can write anything there. */
  vdi::json::Document doc;
  std::string error;
  const char *line = R"({"event":"send","peer":1,"message":{},"ref":"1","status":99999,)"
                     R"("resource":"x\r\nSet-Cookie: a=b","fps":"fast","viewers":-3})";
  JsonObject *o = doc.parseObject(line, strlen(line), &error);
  REQUIRE(o);
  vdid::WorkerEvent e = vdid::readWorkerEvent(o);
  CHECK(e.event == "send");
  CHECK(e.peer.empty());
  CHECK(e.message.empty());
  CHECK_FALSE(e.has_ref);
  CHECK(e.status == 500);
  CHECK(e.resource.empty()); /* it goes into a Location header */
  CHECK(e.fps == 0);
  CHECK(e.viewers == 0);

  vdid::WorkerCommand c = vdid::parseWorkerCommand(R"({"op":1})");
  CHECK(c.op.empty());
  CHECK(c.error == "\"op\" must be a string");
  c =
    vdid::parseWorkerCommand(R"({"op":"add-peer","ref":3,"role":7,"turn-servers":[1,"turn://h"]})");
  CHECK(c.op == "add-peer");
  CHECK(c.ref == 3);
  CHECK(c.role == "control");
  CHECK(c.turn_servers == std::vector<std::string>{"turn://h"});
}
