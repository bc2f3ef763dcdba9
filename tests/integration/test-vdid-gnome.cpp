/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * vdid sessions with [sessions] compositor=gnome: a real headless GNOME
 * Shell with its session bus and private system bus, captured and driven
 * through Mutter's ScreenCast and RemoteDesktop, shown in real Chromium by
 * the web client (tests/browser/webclient.mjs, scenario "gnome"), with keys
 * and a click reaching a real Wayland client (vdi-input-client) in the
 * session, layout de through GNOME Shell's input sources, and the
 * clipboard both ways. Then the session's end: a crash
 * of gnome-shell fails it with the reason, and DELETE leaves no process of
 * it behind. A request may choose another kind than the configured one
 * ("compositor":"sway").
 */

#include "browser-checks.h"
#include "vdid-fixture.h"

#include <csignal>
#include <fstream>
#include <iostream>

using namespace std::chrono_literals;
using namespace vdi::test;

namespace {

/* The session's processes whose command line contains @needle. */
std::vector<pid_t> sessionProcesses(const std::string &dir, const std::string &needle)
{
  std::vector<pid_t> out;
  for (pid_t pid : processesOf(dir))
    if (cmdline(pid).find(needle) != std::string::npos)
      out.push_back(pid);
  return out;
}

#define REQUIRE_GNOME_SHELL()                                                                      \
  do {                                                                                             \
    if (!g_find_program_in_path("gnome-shell") || !g_find_program_in_path("gdbus"))                \
      VDI_SKIP("gnome-shell is not installed (run ./scripts/setup)");                              \
  } while (0)

} // namespace

TEST_CASE("a compositor=gnome session shows GNOME Shell in the web client, takes input, stops "
          "cleanly",
          "[vdid][gnome][browser]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_BROWSER();
  REQUIRE_GNOME_SHELL();
  SessionVdid v("compositor=gnome\nwidth=1024\nheight=768\n");
  std::string result;
  auto checks =
    runBrowserScript("webclient.mjs",
                     {"gnome", v.vdid->base, v.user, "pw1", v.base, helperPath("vdi-input-client"),
                      std::string(g_getenv("VDI_BUILD_ROOT")) + "/tests/webclient-screenshots"},
                     &result);
  INFO(result);
  if (result.rfind("skip ", 0) == 0)
    VDI_SKIP(result.substr(5));
  REQUIRE(result.find("\"error\"") == std::string::npos);
  std::string id = member(result, "id");
  REQUIRE_FALSE(id.empty());
  std::string dir = v.base + "/" + id;
  std::string url = v.vdid->base + "/api/v1/sessions/" + id;
  Client c;

  /* The GNOME desktop (top bar, overview), not a black or uniform frame. */
  CHECKED_IF(checks.count("desktop"))
  {
    Json j(checks["desktop"]);
    INFO(checks["desktop"]);
    CHECK(j.str("compositor") == "gnome-shell");
    CHECK(j.num("width") == 1024);
    CHECK(j.num("height") == 768);
    CHECK(j.num("levels") > 8);
    CHECK(j.num("mean") > 10);
  }
  /* The page draws the session's pointer: its position follows the mouse,
   * and a viewer that connects later gets it, shape included, at once. */
  CHECKED_IF(checks.count("cursor"))
  {
    Json j(checks["cursor"]);
    INFO(checks["cursor"]);
    for (const char *when : {"moved", "onConnect"}) {
      std::string at = std::string(when) + ".";
      INFO(when);
      CHECK(std::abs(j.num(at + "x") - 300) <= 1);
      CHECK(std::abs(j.num(at + "y") - 400) <= 1);
      CHECK(j.boolean(at + "visible"));
      CHECK(j.num(at + "shapes") >= 1);
      /* The session's image when it sent one, else the page's own arrow
       * (GNOME Shell 43 headless sends none, docs/input-protocol.md). */
      if (j.num(at + "width") > 0)
        CHECK(j.str(at + "videoCursor").rfind("url(\"data:image/png;base64,", 0) == 0);
      else
        CHECK(j.str(at + "videoCursor") == "default");
    }
  }
  /* A click at video pixel (200, 150) lands there (±2 px) in the client. */
  CHECKED_IF(checks.count("click"))
  {
    Json j(checks["click"]);
    INFO(checks["click"]);
    CHECK(j.boolean("pressed"));
    std::string motion = j.str("motion");
    float x = -1, y = -1;
    CHECK((sscanf(motion.c_str(), "motion %f %f", &x, &y) == 2 ||
           sscanf(motion.c_str(), "pointer-enter %f %f", &x, &y) == 2));
    CHECK(std::abs(x - 200) <= 2);
    CHECK(std::abs(y - 150) <= 2);
  }
  CHECKED_IF(checks.count("keys"))
  {
    INFO(checks["keys"]);
    CHECK(Json(checks["keys"]).strings("pressed") ==
          std::vector<std::string>{"g", "n", "o", "m", "e"});
  }
  /* Layouts from the page: GNOME Shell's input sources follow (fr, then
   * de), and keysyms are typed with the German keymap (@ on AltGr+q, key
   * 16). */
  CHECKED_IF(checks.count("layout") == 1)
  {
    Json j(checks["layout"]);
    INFO(checks["layout"]);
    CHECK(j.boolean("switched.fr"));
    CHECK(j.boolean("switched.de"));
    CHECK(j.str("keymap").find("German") != std::string::npos);
    CHECK(j.strings("pressed") ==
          std::vector<std::string>{"at", "EuroSign", "ssharp", "adiaeresis"});
    CHECK(j.str("atKey") == "key pressed 16 at");
  }
  /* The clipboard both ways through RemoteDesktop's selection API: what
   * the client copies shows in the page (and the computer's clipboard);
   * what the page sends is offered to the focused client and pasted. */
  CHECKED_IF(checks.count("clipboard") == 1)
  {
    Json j(checks["clipboard"]);
    INFO(checks["clipboard"]);
    CHECK(j.str("fromSession") == "from-gnome-42");
    CHECK(j.str("pageClipboard") == "from-gnome-42");
    CHECK(j.str("offered").rfind("selection text/plain", 0) == 0);
    CHECK(j.str("inSession") == "from-page-ü7");
  }

  /* Both buses of the session run as its user. */
  auto system_bus = sessionProcesses(dir, "system-bus.conf");
  auto session_bus = sessionProcesses(dir, "dbus-daemon --session");
  INFO(allProcesses(dir));
  REQUIRE(system_bus.size() == 1);
  REQUIRE(session_bus.size() == 1);
  CHECK(ownerOf(system_bus[0]) == ownerOf(session_bus[0]));

  /* The virtual monitor keeps its size: resizing is refused, with a reason. */
  Response resize = c.request("POST", url + "/resize", R"({"width":800,"height":600})", v.owner);
  CHECK(resize.status == 409);
  CHECK(jsonError(resize.body).find("not supported for gnome-shell") != std::string::npos);

  /* gnome-shell crashing fails the session with the reason... */
  auto shell = sessionProcesses(dir, "gnome-shell --headless");
  REQUIRE(shell.size() == 1);
  kill(shell[0], SIGKILL);
  std::string body;
  CHECK(eventually(
    10s,
    [&] {
      body = c.request("GET", url, "", v.owner).body;
      return member(body, "state") == "failed";
    },
    50ms));
  INFO(body);
  CHECK(member(body, "reason") == "the compositor (gnome-shell) was killed by signal 9");
  /* ... and DELETE answers once nothing of it runs, both buses included. */
  CHECK(c.request("DELETE", url, "", v.owner).status == 204);
  INFO(allProcesses(dir));
  CHECK(processesOf(dir).empty());
  for (pid_t bus : {system_bus[0], session_bus[0]})
    CHECK((kill(bus, 0) < 0 && errno == ESRCH));

  /* The request chooses: sway on this GNOME-by-default vdid. */
  Response sway =
    c.request("POST", v.vdid->base + "/api/v1/sessions", R"({"compositor":"sway"})", v.owner);
  REQUIRE(sway.status == 201);
  CHECK(member(sway.body, "compositor") == "sway");
  std::string sway_url = v.vdid->base + "/api/v1/sessions/" + member(sway.body, "id");
  CHECK(waitState(c, sway_url, v.owner) == "running");
  CHECK(c.request("DELETE", sway_url, "", v.owner).status == 204);
}
