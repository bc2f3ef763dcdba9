/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The container image and the pod of the Kubernetes manifests (issue 18,
 * docs/deploying.md), with real podman: ./scripts/image builds the image
 * (its Debian base cached in podman's storage), a container of it answers
 * /health and streams a session to ffprobe over HLS and SRT, a bad config
 * stops it with vdid's reason, and the DaemonSet's pod with its ConfigMap
 * and Secrets runs under `podman kube play`. Its own meson suite, "image"
 * (.ci/run runs it after the main suite; ./scripts/test --suite image).
 */

#include "vdid-fixture.h"

#include <fstream>
#include <regex>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

const std::string kImage = "localhost/gst-vdi:latest";
/* A user of the image's sessions: no account of the Debian base has the name. */
const std::string kUser = "alice";

std::string source(const std::string &rel)
{
  return std::string(g_getenv("VDI_SOURCE_ROOT")) + "/" + rel;
}

double secondsSince(std::chrono::steady_clock::time_point t0)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/* Root, podman with runc, and (to build) mmdebstrap: else a skip. podman
 * runs here only with runc and no default ulimits (docs/deploying.md), so
 * the test gives it that config as ./scripts/image does. */
std::string unavailableReason()
{
  if (geteuid() != 0)
    return "podman, mmdebstrap and the image's sessions need root";
  for (const char *tool : {"podman", "runc", "mmdebstrap", "catatonit", "ffprobe", "node"}) {
    g_autofree char *path = g_find_program_in_path(tool);
    if (!path)
      return std::string(tool) + " is not installed (run ./scripts/setup)";
  }
  static std::string conf;
  if (conf.empty()) {
    conf = writeTempFile("vdi-containers-XXXXXX.conf",
                         "[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = \"runc\"\n");
    g_setenv("CONTAINERS_CONF", conf.c_str(), TRUE);
  }
  return "";
}

#define REQUIRE_PODMAN()                                                                           \
  do {                                                                                             \
    std::string why_ = unavailableReason();                                                        \
    if (!why_.empty())                                                                             \
      VDI_SKIP(why_);                                                                              \
  } while (0)

/* Builds the image once for every case (the first one that needs it). */
bool imageBuilt(std::string *log)
{
  static int status = -2;
  static std::string output;
  if (status == -2) {
    g_setenv("VDI_IMAGE_BUILD_DIR",
             (std::string(g_getenv("VDI_BUILD_ROOT")) + "/image-build").c_str(), TRUE);
    auto t0 = std::chrono::steady_clock::now();
    status = run({source("scripts/image")}, &output);
    printf("scripts/image took %.1f s:\n%s\n", secondsSince(t0), output.c_str());
  }
  *log = output;
  return status == 0;
}

#define REQUIRE_IMAGE()                                                                            \
  do {                                                                                             \
    REQUIRE_PODMAN();                                                                              \
    std::string log_;                                                                              \
    INFO(log_);                                                                                    \
    REQUIRE(imageBuilt(&log_));                                                                    \
  } while (0)

/* Removes what a case made in podman, whatever happens to the case. */
struct Cleanup {
  std::vector<std::vector<std::string>> commands;
  ~Cleanup()
  {
    std::string out;
    for (auto it = commands.rbegin(); it != commands.rend(); ++it)
      run(*it, &out);
  }
};

/* A vdid config for a container on the host network, on free loopback
 * ports, its users in the mounted users file; and that file. */
struct NodeFiles {
  unsigned http_port = freePort();
  unsigned srt_port = freePort();
  std::string dir;
  std::string base() const { return "http://127.0.0.1:" + std::to_string(http_port); }

  explicit NodeFiles(const std::string &users_text = "", const std::string &extra = "")
  {
    g_autofree char *d = g_dir_make_tmp("vdi-image-XXXXXX", nullptr);
    dir = d;
    std::ofstream(dir + "/vdid.conf")
      << "[server]\nlisten=127.0.0.1:" << http_port << "\nsrt-listen=127.0.0.1:" << srt_port
      << "\n[auth]\nusers-file=/etc/vdid/users/users\n"
      << "[sessions]\nwidth=640\nheight=480\nfps=30\n[dbus]\nbus=none\n"
      << extra;
    std::ofstream(dir + "/users") << (users_text.empty()
                                        ? "[users]\n" + kUser + "=" + hashOf("pw") + "\n"
                                        : users_text);
  }
  ~NodeFiles()
  {
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir.c_str());
    (void)!system(cmd);
  }
  std::vector<std::string> mounts() const
  {
    return {"-v", dir + "/vdid.conf:/etc/vdid/vdid.conf:ro", "-v",
            dir + "/users:/etc/vdid/users/users:ro"};
  }
};

/* Whether vdid at @base answers /health (no answer yet is no failure). */
bool healthy(const std::string &base)
{
  g_autoptr(SoupSession) s = soup_session_new_with_options("timeout", 2, nullptr);
  g_autoptr(SoupMessage) m = soup_message_new("GET", (base + "/health").c_str());
  g_autoptr(GBytes) body = soup_session_send_and_read(s, m, nullptr, nullptr);
  return body && soup_message_get_status(m) == 200;
}

/* ffprobe's "codec,width,height" of @url's first video stream. */
std::string probe(const std::string &url)
{
  std::string out;
  run({"ffprobe", "-v", "error", "-rw_timeout", "20000000", "-select_streams", "v:0",
       "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", url},
      &out);
  return out;
}

/* Lines "USER PID COMMAND" of the processes of container @name. */
std::string processes(const std::string &name)
{
  std::string out;
  run({"podman", "top", name, "user", "pid", "comm"}, &out);
  return out;
}

} // namespace

TEST_CASE("scripts/image builds the image, and a second build reuses its Debian base", "[image]")
{
  REQUIRE_IMAGE();
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(run({source("scripts/image")}, &out) == 0);
  double cached = secondsSince(t0);
  INFO(out);
  CHECK(out.find("image: Debian base cached: localhost/gst-vdi-base:all-") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex("image: " + kImage + ": ([0-9]+) MB")));
  printf("image size %s MB; a rebuild with the base cached took %.1f s\n", m[1].str().c_str(),
         cached);

  /* The image says which commit it holds, and tini is what it starts. */
  std::string head;
  REQUIRE(run({"git", "-C", source(""), "rev-parse", "HEAD"}, &head) == 0);
  run({"podman", "image", "inspect", "--format",
       "{{index .Labels \"org.opencontainers.image.revision\"}} {{.Config.Entrypoint}}", kImage},
      &out);
  CHECK(out.find(head.substr(0, 40)) == 0);
  CHECK(out.find("[/usr/bin/tini -- /usr/libexec/gst-vdi/vdid-entrypoint]") != std::string::npos);
}

TEST_CASE("a container of the image answers /health and streams a session over HLS and SRT",
          "[image]")
{
  REQUIRE_IMAGE();
  NodeFiles files;
  std::string name = "vdi-image-test-" + std::to_string(getpid());
  Cleanup cleanup;
  cleanup.commands.push_back({"podman", "rm", "-f", "-t", "0", name});
  Client c;
  std::string owner = basic(kUser, "pw");

  /* Cold start: container start -> /health -> a session runs -> it streams. */
  std::vector<std::string> argv = {"podman", "run", "-d", "--name", name, "--network", "host"};
  for (const auto &m : files.mounts())
    argv.push_back(m);
  argv.push_back(kImage);
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(run(argv, &out) == 0);
  REQUIRE(eventually(
    60s, [&] { return healthy(files.base()); }, 20ms));
  double health = secondsSince(t0);
  Response r =
    c.request("POST", files.base() + "/api/v1/sessions", "{\"apps\":[[\"foot\"]]}", owner);
  REQUIRE(r.status == 201);
  std::string id = member(r.body, "id");
  std::string url = files.base() + "/api/v1/sessions/" + id;
  REQUIRE(waitState(c, url, owner) == "running");
  double running = secondsSince(t0);
  std::string token = shareToken(c, url, owner, "view");
  std::string hls = probe(files.base() + "/hls/" + id + "/index.m3u8?token=" + token);
  double streaming = secondsSince(t0);
  INFO("ffprobe over HLS: " << hls);
  CHECK(hls.find("h264,640,480") != std::string::npos);
  printf("cold start of a node: container start -> /health %.2f s -> session running %.2f s -> "
         "HLS streams %.2f s\n",
         health, running, streaming);

  std::string srt = probe("srt://127.0.0.1:" + std::to_string(files.srt_port) +
                          "?streamid=read:" + id + ":" + kUser + ":pw&timeout=20000000");
  INFO("ffprobe over SRT: " << srt);
  CHECK(srt.find("h264,640,480") != std::string::npos);

  /* tini is PID 1; vdid runs as root, its session as the user's account
   * the entrypoint made, never as root. */
  std::string ps = processes(name);
  INFO(ps);
  CHECK(std::regex_search(ps, std::regex("root +1 +tini")));
  CHECK(std::regex_search(ps, std::regex("root +[0-9]+ +vdid\n")));
  CHECK(std::regex_search(ps, std::regex(kUser + " +[0-9]+ +sway")));
  CHECK(std::regex_search(ps, std::regex(kUser + " +[0-9]+ +vdid-worker")));
  CHECK_FALSE(std::regex_search(ps, std::regex("root +[0-9]+ +(sway|vdid-worker|foot)")));

  /* SIGTERM through tini: vdid stops the session and exits 0. */
  REQUIRE(run({"podman", "stop", "-t", "20", name}, &out) == 0);
  run({"podman", "inspect", "--format", "{{.State.ExitCode}}", name}, &out);
  CHECK(out == "0\n");
  run({"podman", "logs", name}, &out);
  CHECK(out.find("vdid: stopped") != std::string::npos);
}

TEST_CASE("a bad config or users file stops the container at once with the reason", "[image]")
{
  REQUIRE_IMAGE();
  std::string hash = hashOf("pw");
  struct Bad {
    std::string users;
    std::string expect;
  };
  for (const Bad &bad : std::vector<Bad>{
         {"[users]\n" + kUser + "=plaintext\n", "[users] " + kUser + ": not a $y$"},
         {"[users]\ndaemon=" + hash + "\n", "user \"daemon\" is a system account of the image"},
       }) {
    NodeFiles files(bad.users);
    std::vector<std::string> argv = {"podman", "run", "--rm", "--network", "none"};
    for (const auto &m : files.mounts())
      argv.push_back(m);
    argv.push_back(kImage);
    std::string out;
    int status = run(argv, &out);
    INFO(out);
    CHECK(status == 2);
    CHECK(out.find(bad.expect) != std::string::npos);
  }
}

TEST_CASE("the manifests' pod runs under podman kube play with its ConfigMap and Secrets",
          "[image][kubernetes]")
{
  REQUIRE_IMAGE();
  /* An overlay of the base as an operator writes one: the config (a free
   * port, a small budget), the users, and resources to match. */
  NodeFiles files("", "[budget]\ncpu=1\nmemory=2G\nsession-cpu=0.5\nsession-memory=512M\n");
  std::string base = source("deploy/kubernetes/base");
  std::string up;
  for (const char *p = files.dir.c_str(); *p; p++)
    if (*p == '/')
      up += "../";
  std::ofstream(files.dir + "/turn-secret") << "";
  std::ofstream(files.dir + "/kustomization.yaml")
    << "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    << "resources:\n  - " << up << base.substr(1) << "\n"
    << "configMapGenerator:\n  - name: vdid-config\n    behavior: replace\n"
    << "    files: [vdid.conf]\n"
    << "secretGenerator:\n  - name: vdid-users\n    behavior: replace\n    files: [users]\n"
    << "patches:\n  - target: {kind: DaemonSet, name: vdid}\n    patch: |-\n"
    << "      - op: replace\n        path: /spec/template/spec/containers/0/ports/0/containerPort\n"
    << "        value: " << files.http_port << "\n"
    << "      - op: replace\n        path: /spec/template/spec/containers/0/resources\n"
    << "        value: {requests: {cpu: 1250m, memory: 2304Mi}, limits: {cpu: 1250m, memory: "
       "2304Mi}}\n";
  std::string version, secrets;
  REQUIRE(run({"podman", "version", "--format", "{{.Client.Version}}"}, &version) == 0);
  std::string play = files.dir + "/play";
  int status =
    run({"node", source("tests/deploy/kube-pod.mjs"), files.dir, play, version}, &secrets);
  INFO(secrets);
  REQUIRE(status == 0);

  Cleanup cleanup;
  std::string out;
  std::istringstream names(secrets);
  for (std::string secret; std::getline(names, secret);) {
    run({"podman", "secret", "rm", secret}, &out);
    REQUIRE(
      run({"podman", "secret", "create", secret, play + "/secret-" + secret + ".yaml"}, &out) == 0);
    cleanup.commands.push_back({"podman", "secret", "rm", secret});
  }
  /* A pod left by a run that was killed would make the play fail. */
  run({"podman", "pod", "rm", "-f", "vdid"}, &out);
  cleanup.commands.push_back({"podman", "kube", "down", play + "/pod.yaml"});
  auto t0 = std::chrono::steady_clock::now();
  status = run({"podman", "kube", "play", play + "/pod.yaml"}, &out);
  INFO(out);
  REQUIRE(status == 0);
  Client c;
  REQUIRE(eventually(
    60s, [&] { return healthy(files.base()); }, 20ms));
  printf("podman kube play -> /health %.2f s\n", secondsSince(t0));

  /* The pod's security context holds: vdid has the six capabilities the
   * manifest grants, and its sessions still start as the user. */
  run({"podman", "inspect", "--format", "{{.EffectiveCaps}}", "vdid-vdid"}, &out);
  CHECK(out == "[CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_KILL CAP_SETGID CAP_SETUID]\n");
  std::string owner = basic(kUser, "pw");
  Response r = c.request("POST", files.base() + "/api/v1/sessions", "{}", owner);
  REQUIRE(r.status == 201);
  std::string url = files.base() + "/api/v1/sessions/" + member(r.body, "id");
  CHECK(waitState(c, url, owner) == "running");
  /* The budget from the ConfigMap is the one vdid admits by. */
  r = c.request("GET", files.base() + "/api/v1/budgets", "", owner);
  INFO(r.body);
  CHECK(std::regex_search(r.body, std::regex("\"host\":\\{\"cpu\":\\{\"total\":1(\\.0)?[,}]")));
  std::string ps = processes("vdid-vdid");
  INFO(ps);
  CHECK(std::regex_search(ps, std::regex(kUser + " +[0-9]+ +vdid-worker")));
}
