/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Session limits enforced by the kernel, on whichever cgroup hierarchy the
 * host has (this test machine: cgroup v1): a busy loop held at cpu-limit
 * while another session streams, an allocation past memory-limit
 * OOM-killed inside its session only, a fork bomb stopped at pids-limit,
 * and nothing of a session's cgroups left once it is gone. Real vdid, real
 * sessions as the test Unix user, measured from /proc and the cgroup files.
 * The allocation and the fork bomb wait for a file the test creates only
 * once it has read the limit in the session's cgroup.
 */

#include "vdid-fixture.h"

#include <json-glib/json-glib.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

/* The "limits" member of a session object. */
struct SessionLimits {
  bool enforced = false;
  std::string cgroup; /* "v1" or "v2" */
  std::vector<std::string> dirs;
  gint64 oom_kills = -1;
  std::string reason;
};

SessionLimits limitsOf(const std::string &body)
{
  SessionLimits l;
  g_autoptr(JsonParser) p = json_parser_new();
  if (!json_parser_load_from_data(p, body.c_str(), -1, nullptr) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
    return l;
  JsonObject *o =
    json_object_get_object_member(json_node_get_object(json_parser_get_root(p)), "limits");
  if (!o)
    return l;
  l.enforced = json_object_get_boolean_member_with_default(o, "enforced", FALSE);
  l.cgroup = json_object_get_string_member_with_default(o, "cgroup", "");
  l.reason = json_object_get_string_member_with_default(o, "reason", "");
  l.oom_kills = json_object_get_int_member_with_default(o, "oom_kills", -1);
  if (JsonArray *a = json_object_get_array_member(o, "cgroups"))
    for (guint i = 0; i < json_array_get_length(a); i++)
      l.dirs.emplace_back(json_array_get_string_element(a, i));
  return l;
}

std::string readText(const std::string &path)
{
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/* The session cgroup that has the control file @file. */
std::string dirWith(const SessionLimits &l, const std::string &file)
{
  for (const auto &d : l.dirs)
    if (g_file_test((d + "/" + file).c_str(), G_FILE_TEST_EXISTS))
      return d;
  return "";
}

/* The N of "KEY N" in the file at @path, or -1. */
long long keyed(const std::string &path, const std::string &key)
{
  std::istringstream in(readText(path));
  std::string k;
  long long v;
  while (in >> k >> v)
    if (k == key)
      return v;
  return -1;
}

/* CPU time of @pid (user + system), in seconds; -1 when it is gone. */
double cpuSeconds(pid_t pid)
{
  std::string stat = readText("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos)
    return -1;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
  for (int i = 0; i < 11 && in >> field; i++) {
  }
  in >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/* The process of the session in @dir whose command line has @needle. */
pid_t processWith(const std::string &dir, const std::string &needle)
{
  for (pid_t p : processesOf(dir))
    if (cmdline(p).find(needle) != std::string::npos)
      return p;
  return -1;
}

std::string commOf(pid_t pid)
{
  std::string comm = readText("/proc/" + std::to_string(pid) + "/comm");
  return comm.empty() ? comm : comm.substr(0, comm.size() - 1);
}

/* The process of the session in @dir whose command name is @comm. */
pid_t processNamed(const std::string &dir, const std::string &comm)
{
  for (pid_t p : processesOf(dir))
    if (commOf(p) == comm)
      return p;
  return -1;
}

long long currentTasks(const std::string &pids_dir)
{
  long long n = -1;
  std::ifstream(pids_dir + "/pids.current") >> n;
  return n;
}

/* Creates a session with @apps (a JSON array of command arrays) and waits
 * until it runs. */
std::string startSession(SessionVdid &v, Client &c, const std::string &apps, std::string *id,
                         const std::string &more = "")
{
  Response r =
    c.request("POST", v.vdid->base + "/api/v1/sessions", "{\"apps\":" + apps + more + "}", v.owner);
  REQUIRE(r.status == 201);
  *id = member(r.body, "id");
  std::string url = v.vdid->base + "/api/v1/sessions/" + *id;
  REQUIRE(waitState(c, url, v.owner) == "running");
  return url;
}

/* An app that runs @script (sh) once the test creates $XDG_RUNTIME_DIR/go. */
std::string onGo(const std::string &script)
{
  return "[[\"sh\",\"-c\",\"while [ ! -e \\\"$XDG_RUNTIME_DIR/go\\\" ]; do sleep 0.05; done; " +
         script + "\"]]";
}

void go(const SessionVdid &v, const std::string &id)
{
  std::ofstream(v.base + "/" + id + "/go") << "";
}

/* An app (a JSON command array) running vdi-test-client animated at @fps
 * once it is configured (it refuses commands before that: a fifo feeds it
 * "animate" once it said so) and, if @start is given, $XDG_RUNTIME_DIR/@start
 * exists; it stops animating when $XDG_RUNTIME_DIR/@stop exists, if @stop
 * is given. One per session. */
std::string animatedClient(unsigned fps, const std::string &stop = "",
                           const std::string &start = "")
{
  auto waitFile = [](const std::string &name) {
    return "while [ ! -e \\\"$XDG_RUNTIME_DIR/" + name + "\\\" ]; do sleep 0.05; done; ";
  };
  return "[\"sh\",\"-c\",\"f=\\\"$XDG_RUNTIME_DIR/anim\\\"; mkfifo \\\"$f\\\"; { until grep -q "
         "configured \\\"$f.out\\\" 2>/dev/null; do sleep 0.05; done; " +
         (start.empty() ? "" : waitFile(start)) + "echo animate " + std::to_string(fps) + "; " +
         (stop.empty() ? "" : waitFile(stop) + "echo stop; ") +
         "exec tail -f /dev/null; } > \\\"$f\\\" & exec " + helperPath("vdi-test-client") +
         " < \\\"$f\\\" > \\\"$f.out\\\"\"]";
}

/* Busy loops outside every session, one per core, at nice @nice (as root:
 * above the sessions' nice 0), for as long as it lives. */
struct HostContention {
  std::vector<pid_t> loops;
  explicit HostContention(int nice)
  {
    for (unsigned i = 0; i < g_get_num_processors(); i++) {
      pid_t pid = fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        /* With autogroups (sched_autogroup_enabled) a nice value weighs
         * only against its own group: each loop gets a group of its own,
         * and the group the nice value. */
        setsid();
        if (FILE *group = fopen("/proc/self/autogroup", "w")) {
          fprintf(group, "%d", nice);
          fclose(group);
        }
        if (setpriority(PRIO_PROCESS, 0, nice) != 0)
          _exit(1);
        for (volatile unsigned long n = 0;; n++) {
        }
      }
      loops.push_back(pid);
    }
  }
  ~HostContention()
  {
    for (pid_t pid : loops)
      kill(pid, SIGKILL);
    for (pid_t pid : loops)
      waitpid(pid, nullptr, 0);
  }
};

/* Skips when this host cannot enforce limits (then vdid says why). */
#define REQUIRE_ENFORCED(l)                                                                        \
  do {                                                                                             \
    if (!(l).enforced)                                                                             \
      VDI_SKIP("vdid cannot enforce session limits here: " + (l).reason);                          \
  } while (0)

/* Every session cgroup is gone within a few seconds. */
void checkCgroupsGone(const std::vector<std::string> &dirs)
{
  std::string left;
  bool gone = eventually(
    10s,
    [&] {
      left.clear();
      for (const auto &d : dirs)
        if (g_file_test(d.c_str(), G_FILE_TEST_EXISTS))
          left += d + " ";
      return left.empty();
    },
    20ms);
  INFO("left: " << left);
  CHECK(gone);
}

/* The per-session metric @name (e.g. vdi_session_fps) of session @id, or -1. */
double sessionMetric(Client &c, SessionVdid &v, const std::string &id, const std::string &name)
{
  std::string text = c.request("GET", v.vdid->base + "/metrics", "", v.owner).body;
  std::smatch m;
  if (!std::regex_search(
        text, m,
        std::regex(name + "\\{session=\"" + id + "\",user=\"" + v.user + "\"\\} ([0-9.e+]+)")))
    return -1;
  return std::stod(m[1]);
}

/* An app (a JSON command array) that spins until $XDG_RUNTIME_DIR/calm. */
const char *kBusyUntilCalm = "[\"sh\",\"-c\",\"while [ ! -e \\\"$XDG_RUNTIME_DIR/calm\\\" ]; do :; "
                             "done; exec tail -f /dev/null\"]";

/* The name of the tier a session object @body names, or "". */
std::string tierName(const std::string &body)
{
  std::smatch m;
  return std::regex_search(body, m, std::regex("\"tier\":\\{\"name\":\"([a-z]+)\""))
           ? m[1].str()
           : std::string();
}

/* The SRT URL a reader of the session object @body uses, with its
 * credentials. */
std::string srtReadUrl(const std::string &body, const SessionVdid &v)
{
  std::smatch m;
  REQUIRE(std::regex_search(body, m, std::regex("\"srt\":\"(srt://[^\"]+)\"")));
  return m[1].str() + ":" + v.user + ":pw1&timeout=20000000";
}

/* An ffprobe reading @url that writes @entries (e.g. "frame=pts_time") of
 * every frame to @log, a line each as they come. */
std::unique_ptr<Process> frameLogger(const std::string &url, const std::string &entries,
                                     const std::string &log)
{
  return std::make_unique<Process>(std::vector<std::string>{
    "sh", "-c",
    "exec stdbuf -oL ffprobe -v error -rw_timeout 20000000 -show_entries " + entries +
      " -of csv=p=0 -i '" + url + "' > " + log});
}

} // namespace

TEST_CASE("a busy loop stays at cpu-limit while another session streams", "[vdid][limits][budgets]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  if (!g_find_program_in_path("ffmpeg"))
    VDI_SKIP("ffmpeg not installed (apt-get install ffmpeg)");
  SessionVdid v("cpu-limit=0.5\n");
  Client c;
  std::string busy, other;
  std::string busy_url = startSession(v, c, onGo("while :; do :; done"), &busy);
  SessionLimits l = limitsOf(c.request("GET", busy_url, "", v.owner).body);
  REQUIRE_ENFORCED(l);
  std::string cpu_dir = dirWith(l, l.cgroup == "v2" ? "cpu.max" : "cpu.cfs_quota_us");
  REQUIRE_FALSE(cpu_dir.empty());
  if (l.cgroup == "v1")
    CHECK(readText(cpu_dir + "/cpu.cfs_quota_us") == "50000\n");

  /* The other session animates at 30 fps with an SRT viewer (which gets 30
   * frames a second). */
  std::string other_url = startSession(v, c, "[" + animatedClient(30) + "]", &other);
  std::string body = c.request("GET", other_url, "", v.owner).body;
  Process viewer({"ffmpeg", "-v", "error", "-nostats", "-rw_timeout", "20000000", "-i",
                  srtReadUrl(body, v), "-f", "null", "-"});
  REQUIRE(eventually(
    20s, [&] { return sessionMetric(c, v, other, "vdi_session_coded_fps") >= 20; }, 200ms));

  /* The other session's encoded frame rate every 0.5 s for @span; with
   * @loop, that process's CPU time (cores) and its cgroup's throttled
   * periods over the same time. */
  struct Window {
    std::vector<double> fps;
    double cores = 0;
    long long throttled = 0;
    double median() const { return fps[fps.size() / 2]; }
  };
  auto measure = [&](std::chrono::seconds span, pid_t loop) {
    Window w;
    double cpu0 = loop > 0 ? cpuSeconds(loop) : 0;
    long long throttled0 = keyed(cpu_dir + "/cpu.stat", "nr_throttled");
    auto t0 = std::chrono::steady_clock::now();
    eventually(
      span + 2s,
      [&] {
        w.fps.push_back(sessionMetric(c, v, other, "vdi_session_coded_fps"));
        return std::chrono::steady_clock::now() - t0 >= span;
      },
      500ms);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (loop > 0)
      w.cores = (cpuSeconds(loop) - cpu0) / elapsed;
    w.throttled = keyed(cpu_dir + "/cpu.stat", "nr_throttled") - throttled0;
    std::sort(w.fps.begin(), w.fps.end());
    return w;
  };
  Window before = measure(4s, -1);
  pid_t loop = processWith(v.base + "/" + busy, "while :");
  REQUIRE(loop > 0);
  go(v, busy);
  Window during = measure(6s, loop);
  std::string load = readText("/proc/loadavg");
  INFO("busy loop " << during.cores << " cores, throttled " << during.throttled
                    << " periods; other session fps median " << before.median() << " before, "
                    << during.median() << " during (min " << during.fps.front() << "); load "
                    << load);
  WARN("cpu-limit=0.5 (cgroup " << l.cgroup << "): busy loop at " << during.cores
                                << " cores; other session " << before.median() << " fps before, "
                                << during.median() << " during; load " << load);
  CHECK(during.cores <= 0.55);
  CHECK(during.cores >= 0.2); /* it ran: the limit, not the load, held it */
  CHECK(during.throttled > 0);
  CHECK(before.throttled == 0);
  CHECK(during.median() >= 24);
  CHECK(during.median() >= 0.8 * before.median());
  viewer.stop();

  CHECK(c.request("DELETE", busy_url, "", v.owner).status == 204);
  checkCgroupsGone(l.dirs);
}

TEST_CASE("an app past memory-limit is OOM-killed inside its session only",
          "[vdid][limits][budgets]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  std::string log = writeTempFile("vdid-log-XXXXXX", "");
  SessionVdid v("stream=false\nmemory-limit=256M\n", "", log);
  Client c;
  std::string hog, calm;
  /* tail keeps all of a file without newlines; head bounds it at 2 GiB
   * should the limit ever fail. */
  std::string hog_url =
    startSession(v, c, onGo("head -c 2147483648 /dev/zero | tail > /dev/null; sleep 3600"), &hog);
  std::string calm_url = startSession(v, c, "[[\"sleep\",\"3600\"]]", &calm);
  SessionLimits l = limitsOf(c.request("GET", hog_url, "", v.owner).body);
  REQUIRE_ENFORCED(l);
  std::string mem_dir = dirWith(l, l.cgroup == "v2" ? "memory.max" : "memory.limit_in_bytes");
  REQUIRE_FALSE(mem_dir.empty());
  CHECK(readText(mem_dir + (l.cgroup == "v2" ? "/memory.max" : "/memory.limit_in_bytes")) ==
        "268435456\n");
  if (l.cgroup == "v1" &&
      g_file_test((mem_dir + "/memory.memsw.limit_in_bytes").c_str(), G_FILE_TEST_EXISTS))
    CHECK(readText(mem_dir + "/memory.memsw.limit_in_bytes") == "268435456\n");
  CHECK(l.oom_kills == 0);
  std::vector<pid_t> calm_before = processesOf(v.base + "/" + calm);
  std::vector<pid_t> hog_before = processesOf(v.base + "/" + hog);
  REQUIRE_FALSE(calm_before.empty());

  go(v, hog);
  SessionLimits after;
  CHECK(eventually(
    20s,
    [&] {
      after = limitsOf(c.request("GET", hog_url, "", v.owner).body);
      return after.oom_kills >= 1 && processNamed(v.base + "/" + hog, "tail") < 0;
    },
    50ms));
  INFO(c.request("GET", hog_url, "", v.owner).body);
  WARN("memory-limit=256M (cgroup " << l.cgroup << "): " << after.oom_kills
                                    << " OOM kill(s) in the session");
  /* The session goes on, the rest of it untouched: only tail died (the
   * waiting shell's short sleeps come and go). */
  CHECK(member(c.request("GET", hog_url, "", v.owner).body, "state") == "running");
  for (pid_t p : hog_before) {
    std::string comm = commOf(p);
    INFO(p << " " << comm);
    if (comm != "sleep" && comm != "tail" && comm != "head" && !comm.empty())
      CHECK(kill(p, 0) == 0);
  }
  /* The other session: no OOM kill, every process still there. */
  Response r = c.request("GET", calm_url, "", v.owner);
  CHECK(member(r.body, "state") == "running");
  CHECK(limitsOf(r.body).oom_kills == 0);
  for (pid_t p : calm_before)
    CHECK(kill(p, 0) == 0);

  /* And vdid says so in its log (within its 1 s look). */
  std::string text;
  CHECK(eventually(
    5s,
    [&] {
      text = readText(log);
      return text.find("session " + hog + " (" + v.user +
                       "): the OOM killer ended 1 process(es) at memory-limit") !=
             std::string::npos;
    },
    50ms));
  CHECK(text.find("session " + calm + " (" + v.user + "): the OOM killer") == std::string::npos);
  unlink(log.c_str());

  CHECK(c.request("DELETE", hog_url, "", v.owner).status == 204);
  checkCgroupsGone(l.dirs);
}

TEST_CASE("a fork bomb stops at pids-limit and goes with its session", "[vdid][limits][budgets]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  constexpr long long kLimit = 96;
  SessionVdid v("stream=false\npids-limit=96\n");
  Client c;
  std::string bomb, calm;
  std::string bomb_url = startSession(v, c, onGo("f() { f | f & }; f; sleep 3600"), &bomb);
  std::string calm_url = startSession(v, c, "[[\"sleep\",\"3600\"]]", &calm);
  SessionLimits l = limitsOf(c.request("GET", bomb_url, "", v.owner).body);
  REQUIRE_ENFORCED(l);
  std::string pids_dir = dirWith(l, "pids.max");
  REQUIRE_FALSE(pids_dir.empty());
  REQUIRE(readText(pids_dir + "/pids.max") == std::to_string(kLimit) + "\n");
  long long idle = currentTasks(pids_dir);
  INFO("tasks before the bomb: " << idle);
  REQUIRE(idle < kLimit);

  go(v, bomb);
  /* The kernel refuses forks past the limit, and counts each refusal. */
  CHECK(eventually(
    15s, [&] { return keyed(pids_dir + "/pids.events", "max") > 0; }, 20ms));
  long long peak = 0;
  for (int i = 0; i < 20; i++) {
    peak = std::max(peak, currentTasks(pids_dir));
    CHECK(processesOf(v.base + "/" + bomb).size() <= static_cast<size_t>(kLimit));
  }
  CHECK(peak <= kLimit);
  WARN("pids-limit=" << kLimit << ": " << idle << " tasks before the bomb, at most " << peak
                     << " during, " << keyed(pids_dir + "/pids.events", "max") << " forks refused");
  /* vdid and the other session are unaffected. */
  Response r = c.request("GET", calm_url, "", v.owner);
  CHECK(r.status == 200);
  CHECK(member(r.body, "state") == "running");

  /* DELETE ends every last process of the bomb, and its cgroups. */
  CHECK(c.request("DELETE", bomb_url, "", v.owner).status == 204);
  checkSessionGone(v.base + "/" + bomb, 15s);
  checkCgroupsGone(l.dirs);
  SessionLimits calm_l = limitsOf(c.request("GET", calm_url, "", v.owner).body);
  CHECK(v.vdid->proc->stop(15000ms) == 0);
  checkCgroupsGone(calm_l.dirs);
}

TEST_CASE("session cgroups left by a killed vdid are removed at its next start",
          "[vdid][limits][budgets]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  std::string base;
  SessionLimits l;
  {
    SessionVdid first("stream=false\ncpu-limit=1\nmemory-limit=1G\npids-limit=512\n");
    first.keep_base = true;
    base = first.base;
    Client c;
    std::string id;
    std::string url = startSession(first, c, "[[\"sleep\",\"3600\"]]", &id);
    l = limitsOf(c.request("GET", url, "", first.owner).body);
    REQUIRE_ENFORCED(l);
    CHECK(l.dirs.size() == (l.cgroup == "v2" ? 1u : 3u));
    for (const auto &d : l.dirs)
      CHECK(readText(d + "/cgroup.procs").size() > 0);
    kill(first.vdid->proc->pid(), SIGKILL);
    first.vdid->proc->wait(5000ms);
    for (const auto &d : l.dirs)
      CHECK(g_file_test(d.c_str(), G_FILE_TEST_IS_DIR));
  }
  SessionVdid second("stream=false\ncpu-limit=1\nmemory-limit=1G\npids-limit=512\n", base);
  checkCgroupsGone(l.dirs);
}

TEST_CASE("every process of a session runs in its cgroups with the limits written",
          "[vdid][limits][budgets]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  std::string log = writeTempFile("vdid-log-XXXXXX", "");
  SessionVdid v("cpu-limit=1.5\nmemory-limit=512M\npids-limit=1000\n", "", log);
  Client c;
  std::string id;
  std::string url = startSession(v, c, "[[\"sleep\",\"3600\"]]", &id);
  Response r = c.request("GET", url, "", v.owner);
  INFO(r.body);
  CHECK(r.body.find("\"cpu\":1.5,\"memory\":536870912,\"pids\":1000") != std::string::npos);
  SessionLimits l = limitsOf(r.body);
  std::string metrics = c.request("GET", v.vdid->base + "/metrics", "", v.owner).body;
  if (!l.enforced) {
    /* Neither version usable: one warning at start-up, and the truth in the
     * session object and /metrics. */
    CHECK(readText(log).find("vdid: warning: session limits (cpu-limit, memory-limit, "
                             "pids-limit) are NOT enforced: cgroup v2: ") != std::string::npos);
    CHECK(l.reason.find("; cgroup v1: ") != std::string::npos);
    CHECK(metrics.find("\nvdi_cgroup_limits_enforced 0\n") != std::string::npos);
    unlink(log.c_str());
    VDI_SKIP("vdid cannot enforce session limits here: " + l.reason);
  }
  CHECK(metrics.find("\nvdi_cgroup_limits_enforced 1\n") != std::string::npos);
  CHECK(readText(log).find("NOT enforced") == std::string::npos);
  const bool v2 = l.cgroup == "v2";
  REQUIRE(l.dirs.size() == (v2 ? 1u : 3u));
  for (const auto &d : l.dirs)
    CHECK(d.find(v2 ? "/vdi.slice/" + id : "/vdid/" + id) != std::string::npos);
  struct Expected {
    const char *file, *value;
  };
  std::vector<Expected> files = v2 ? std::vector<Expected>{{"cpu.max", "150000 100000"},
                                                           {"memory.max", "536870912"},
                                                           {"pids.max", "1000"}}
                                   : std::vector<Expected>{{"cpu.cfs_period_us", "100000"},
                                                           {"cpu.cfs_quota_us", "150000"},
                                                           {"memory.limit_in_bytes", "536870912"},
                                                           {"pids.max", "1000"}};
  for (const auto &e : files) {
    INFO(e.file);
    std::string dir = dirWith(l, e.file);
    REQUIRE_FALSE(dir.empty());
    CHECK(readText(dir + "/" + e.file) == std::string(e.value) + "\n");
  }
  /* Compositor, sound server, session bus, worker and app: all inside,
   * in every hierarchy. */
  std::vector<pid_t> procs;
  eventually(10s, [&] {
    procs = processesOf(v.base + "/" + id);
    return processNamed(v.base + "/" + id, "sleep") > 0 &&
           (!workerBuilt() || workerOf(v.base + "/" + id) > 0);
  });
  std::set<std::string> names;
  for (pid_t p : procs) {
    names.insert(commOf(p));
    for (const auto &d : l.dirs) {
      std::istringstream in(readText(d + "/cgroup.procs"));
      std::set<pid_t> members;
      pid_t m;
      while (in >> m)
        members.insert(m);
      INFO(p << " " << cmdline(p) << " in " << d);
      CHECK(members.count(p) == 1);
    }
  }
  CHECK(names.count("sway") == 1);
  CHECK(names.count("sleep") == 1);
  if (workerBuilt())
    CHECK(names.count("vdid-worker") == 1);
  CHECK(v.vdid->proc->stop(15000ms) == 0);
  checkCgroupsGone(l.dirs);
  unlink(log.c_str());
}

TEST_CASE("a create past the host's CPU budget is refused with 429 until a session ends",
          "[vdid][budget]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  /* No cpu-limit: each session reserves [budget] session-cpu. */
  SessionVdid v("stream=false\naudio=false\n[budget]\ncpu=1\nsession-cpu=0.5\n");
  Client c;
  std::string a, b;
  std::string a_url = startSession(v, c, "[]", &a);
  startSession(v, c, "[]", &b);
  CHECK(c.request("GET", a_url, "", v.owner).body.find("\"reservation\":{\"cpu\":0.5") !=
        std::string::npos);
  std::string budget = c.request("GET", v.vdid->base + "/api/v1/budgets", "", v.owner).body;
  INFO(budget);
  CHECK(budget.find("\"host\":{\"cpu\":{\"total\":1.0,\"reserved\":1.0,\"session\":0.5}") !=
        std::string::npos);
  CHECK(budget.find("\"live\":2") != std::string::npos);
  CHECK(budget.find("\"tiers\":[{\"name\":\"full\",\"fps\":null") != std::string::npos);

  Response refused = c.request("POST", v.vdid->base + "/api/v1/sessions", "{}", v.owner);
  CHECK(refused.status == 429);
  CHECK(member(refused.body, "error") ==
        "the host's CPU budget is exhausted: 2 sessions reserve 1 core of 1 core and a session "
        "needs 0.5 cores ([budget] cpu)");
  std::string metrics = c.request("GET", v.vdid->base + "/metrics", "", v.owner).body;
  CHECK(metrics.find("vdi_sessions_refused_total{budget=\"cpu\"} 1") != std::string::npos);
  CHECK(metrics.find("vdi_budget_cpu_cores{kind=\"reserved\"} 1") != std::string::npos);

  /* The reservation goes with its session. */
  CHECK(c.request("DELETE", a_url, "", v.owner).status == 204);
  std::string c_id;
  startSession(v, c, "[]", &c_id);
  CHECK(c.request("GET", v.vdid->base + "/api/v1/budgets", "", v.owner).body.find("\"live\":2") !=
        std::string::npos);
}

TEST_CASE("with downgrade a session that does not fit starts on a lower tier", "[vdid][budget]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  /* Default ladder from session-cpu 0.5: full 0.5, half 0.35, low 0.25;
   * after two on full 0.3 is left. */
  SessionVdid v("stream=false\naudio=false\n[budget]\ncpu=1.3\nsession-cpu=0.5\n"
                "downgrade=true\n");
  Client c;
  std::string a, b, low;
  std::string a_url = startSession(v, c, "[]", &a);
  startSession(v, c, "[]", &b);
  std::string low_url = startSession(v, c, "[]", &low);
  std::string body = c.request("GET", low_url, "", v.owner).body;
  INFO(body);
  CHECK(body.find("\"tier\":{\"name\":\"low\",\"fps\":15,") != std::string::npos);
  CHECK(body.find("\"reason\":\"tier \\\"full\\\" did not fit") != std::string::npos);
  CHECK(member(body, "fps") == "15");
  CHECK(body.find("\"max_bitrate\":1500") != std::string::npos);
  CHECK(body.find("\"reservation\":{\"cpu\":0.25") != std::string::npos);
  CHECK(c.request("GET", a_url, "", v.owner).body.find("\"tier\":{\"name\":\"full\"") !=
        std::string::npos);
  /* Now not even the lowest tier fits. */
  Response refused = c.request("POST", v.vdid->base + "/api/v1/sessions", "{}", v.owner);
  CHECK(refused.status == 429);
  CHECK(member(refused.body, "error").find("not even on tier \"low\"") != std::string::npos);
}

TEST_CASE("a session's tier caps its worker's bitrate and frame rate", "[vdid][budget]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  SessionVdid v("stream=true\naudio=false\n[budget]\ncpu=1\ntiers=sd\n"
                "[tier sd]\ncpu=0.5\nfps=20\nmax-bitrate=1200\n");
  Client c;
  std::string id;
  std::string url = startStreamingSession(v, c, &id);
  /* The worker is ready (it says its encoder) with the tier's caps. */
  REQUIRE(eventually(
    15s, [&] { return !member(c.request("GET", url, "", v.owner).body, "encoder").empty(); },
    50ms));
  pid_t worker = workerOf(v.base + "/" + id);
  REQUIRE(worker > 0);
  std::string args = cmdline(worker);
  INFO(args);
  CHECK(args.find(" --fps 20 ") != std::string::npos);
  CHECK(args.find(" --max-bitrate 1200") != std::string::npos);
}

TEST_CASE("a busy session moves down the tiers without losing its viewer and back up when calm",
          "[vdid][budget][tiers]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  if (!g_find_program_in_path("ffmpeg"))
    VDI_SKIP("ffmpeg not installed (apt-get install ffmpeg)");
  /* A busy loop (until $XDG_RUNTIME_DIR/calm exists) makes the session use
   * far more than full's 0.3 cores (half 0.21, low 0.15); the animation
   * gives the worker frames to code; still, the session uses ~0.01. */
  SessionVdid v("stream=true\naudio=false\nfps=60\n[budget]\ncpu=4\nsession-cpu=0.3\n"
                "downgrade=true\ntier-window=1\n");
  Client c;
  std::string id;
  std::string url = startSession(
    v, c, std::string("[") + kBusyUntilCalm + "," + animatedClient(60, "calm") + "]", &id);
  auto tierOf = [&] { return tierName(c.request("GET", url, "", v.owner).body); };
  CHECK(tierOf() == "full");
  /* An SRT viewer watches throughout: a tier move must not end its stream. */
  std::string body = c.request("GET", url, "", v.owner).body;
  std::string frames_log = writeTempFile("vdid-frames-XXXXXX", "");
  auto viewer = frameLogger(srtReadUrl(body, v), "frame=pts_time", frames_log);

  REQUIRE(eventually(
    20s, [&] { return tierOf() == "low"; }, 200ms));
  body = c.request("GET", url, "", v.owner).body;
  INFO(body);
  CHECK(body.find("\"reason\":\"moved down: the session used") != std::string::npos);
  CHECK(member(body, "fps") == "15");
  /* The worker codes at most 15 frames a second now. */
  double fps = -1;
  bool capped = eventually(
    10s, [&] { return (fps = sessionMetric(c, v, id, "vdi_session_coded_fps")) > 0 && fps <= 16; },
    200ms);
  INFO("encoded fps on low: " << fps);
  CHECK(capped);
  std::string metrics = c.request("GET", v.vdid->base + "/metrics", "", v.owner).body;
  CHECK(metrics.find("vdi_tier_moves_total{direction=\"down\"} 2") != std::string::npos);
  CHECK(metrics.find("tier=\"low\"") != std::string::npos);

  std::ofstream(v.base + "/" + id + "/calm") << "";
  REQUIRE(eventually(
    40s, [&] { return tierOf() == "full"; }, 200ms));
  body = c.request("GET", url, "", v.owner).body;
  CHECK(body.find("\"reason\":\"moved up: the session used") != std::string::npos);
  CHECK(member(body, "fps") == "60");
  /* The SRT reader still gets frames (a still screen is repeated every
   * second): its stream went on through three tier moves. */
  size_t before = readText(frames_log).size();
  CHECK(before > 0);
  CHECK(viewer->running());
  CHECK(eventually(
    10s, [&] { return readText(frames_log).size() > before; }, 200ms));
  viewer->stop();
  unlink(frames_log.c_str());
}

TEST_CASE("a session its cpu-limit starves moves down because the limit holds it back",
          "[vdid][budget][tiers]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  /* A busy loop uses all of the session's 0.15-core quota, so every process
   * of the session, the worker too, waits for its next period: the session
   * codes far fewer than the 60 frames a second its animation asks for,
   * and a frame that waits for a period takes 100 ms. Its CPU stays at its
   * limit, far below 1.25 x the 0.6 cores "fast" reserves, and the frames
   * it does code are mostly fast: the scheduler's throttling moves it. */
  SessionVdid v("stream=true\naudio=false\nfps=60\ncpu-limit=0.15\n[budget]\ncpu=4\n"
                "downgrade=true\ntier-window=1\ntiers=fast;slow\n[tier fast]\ncpu=0.6\n"
                "[tier slow]\nfps=20\ncpu=0.4\n");
  Client c;
  std::string id;
  /* The busy loop starts once the session runs (a starved start could
   * miss the worker's start time-out). */
  std::string busy = onGo("while :; do :; done");
  std::string url =
    startSession(v, c, busy.substr(0, busy.size() - 1) + "," + animatedClient(60) + "]", &id);
  std::string body = c.request("GET", url, "", v.owner).body;
  SessionLimits l = limitsOf(body);
  REQUIRE_ENFORCED(l);
  go(v, id);
  bool moved = eventually(
    30s,
    [&] {
      body = c.request("GET", url, "", v.owner).body;
      return body.find("\"reason\":\"moved down: its cpu-limit held it back in ") !=
             std::string::npos;
    },
    200ms);
  INFO(body);
  std::string mine; /* the session's own metrics lines */
  std::istringstream metrics(c.request("GET", v.vdid->base + "/metrics", "", v.owner).body);
  for (std::string line; std::getline(metrics, line);)
    if (line.find(id) != std::string::npos)
      mine += line + "\n";
  INFO(mine);
  CHECK(moved);
  CHECK(body.find("\"tier\":{\"name\":\"slow\"") != std::string::npos);
  CHECK(mine.find("vdi_session_coded_fps{") != std::string::npos);
}

TEST_CASE("a session whose frames a contended host codes too late moves down by its frame time",
          "[vdid][budget][tiers]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  if (geteuid() != 0)
    VDI_SKIP("busy loops above the session's priority need root (nice -10)");
  /* Busy loops outside the session at nice -10 (about 9 x the weight of
   * its nice-0 processes) on every core: the worker gets a tenth of a core
   * for a 1920x1080 animation at 60 fps, so its frames wait far longer than
   * the 16.7 ms they have (100-300 ms measured) and coding fills the time.
   * Its own CPU stays far below the 2 cores "fast" reserves and no
   * cpu-limit throttles it: only its frame time can move it first. */
  SessionVdid v("stream=true\naudio=false\nfps=60\nwidth=1920\nheight=1080\n[budget]\ncpu=8\n"
                "downgrade=true\ntier-window=1\ntiers=fast;slow\n[tier fast]\ncpu=2\n"
                "[tier slow]\nfps=20\ncpu=1\n");
  Client c;
  std::string id;
  /* The animation starts once the host is busy: from the first window in
   * which the picture moves, its frames are late (the host-pressure rule
   * would move it too, but only where no measure of its own did). */
  std::string url = startSession(v, c, "[" + animatedClient(60, "", "go") + "]", &id);
  std::string body;
  bool moved = false;
  {
    HostContention busy(-10);
    go(v, id);
    moved = eventually(
      30s,
      [&] {
        body = c.request("GET", url, "", v.owner).body;
        return tierName(body) != "fast";
      },
      200ms);
  }
  INFO(body);
  CHECK(moved);
  CHECK(tierName(body) == "slow");
  CHECK(body.find("\"reason\":\"moved down: a frame took ") != std::string::npos);
}

TEST_CASE("a session moved to a tier with a smaller size cap streams scaled and then whole again",
          "[vdid][budget][tiers]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  if (!workerBuilt())
    VDI_SKIP("vdid-worker was not built");
  if (!g_find_program_in_path("ffprobe"))
    VDI_SKIP("ffprobe not installed (apt-get install ffmpeg)");
  /* A busy loop (until $XDG_RUNTIME_DIR/calm) moves a 640x480 session from
   * "big" down to "small" (at most 320x240); once calm (and still: the
   * climb back must bring a still screen back to its whole size too) it
   * climbs back. */
  SessionVdid v("stream=true\naudio=false\nfps=30\nwidth=640\nheight=480\n[budget]\ncpu=4\n"
                "downgrade=true\ntier-window=1\ntiers=big;small\n[tier big]\ncpu=0.3\n"
                "[tier small]\nmax-size=320x240\ncpu=0.1\n");
  Client c;
  std::string id;
  std::string url = startSession(
    v, c, std::string("[") + kBusyUntilCalm + "," + animatedClient(30, "calm") + "]", &id);
  std::string body = c.request("GET", url, "", v.owner).body;
  /* One SRT reader throughout: each decoded frame's size, one per line. */
  std::string sizes_log = writeTempFile("vdid-sizes-XXXXXX", "");
  auto reader = frameLogger(srtReadUrl(body, v), "frame=width,height", sizes_log);
  auto lastSize = [&] {
    std::string text = readText(sizes_log);
    size_t end = text.rfind('\n');
    if (end == std::string::npos || end == 0)
      return std::string();
    size_t start = text.rfind('\n', end - 1);
    return text.substr(start == std::string::npos ? 0 : start + 1,
                       end - (start == std::string::npos ? 0 : start + 1));
  };
  auto tierOf = [&] { return tierName(body = c.request("GET", url, "", v.owner).body); };

  REQUIRE(eventually(
    20s, [&] { return tierOf() == "small"; }, 200ms));
  INFO(body);
  /* The desktop keeps its size; what viewers get is scaled. */
  CHECK(body.find("\"width\":640,\"height\":480,\"stream\":{\"width\":320,\"height\":240}") !=
        std::string::npos);
  std::string size;
  CHECK(eventually(
    15s, [&] { return (size = lastSize()) == "320,240"; }, 200ms));
  INFO("frames read: " << readText(sizes_log).size() << " bytes, last " << size);
  CHECK(readText(sizes_log).find("640,480\n") != std::string::npos); /* before the move */

  std::ofstream(v.base + "/" + id + "/calm") << "";
  REQUIRE(eventually(
    30s, [&] { return tierOf() == "big"; }, 200ms));
  CHECK(body.find("\"stream\":{\"width\":640,\"height\":480}") != std::string::npos);
  CHECK(eventually(
    15s, [&] { return (size = lastSize()) == "640,480"; }, 200ms));
  /* The same reader all along: the stream went on through both moves. */
  CHECK(reader->running());
  reader->stop();
  unlink(sizes_log.c_str());
}
