/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The web client (web/src/app) in real Chromium against a real vdid with
 * real sway sessions: tests/browser/webclient.mjs drives the page like a
 * user and prints what it observed ("check NAME {json}"); the checks are
 * here. Screenshots go to BUILD/tests/webclient-screenshots.
 */

#include "browser-checks.h"
#include "vdid-fixture.h"

#include <algorithm>
#include <iostream>
#include <map>

using namespace vdi::test;

namespace {

/* Runs webclient.mjs; returns the checks it printed by name, and the result. */
std::map<std::string, std::string> runBrowser(const std::vector<std::string> &args,
                                              std::string *result)
{
  return runBrowserScript("webclient.mjs", args, result);
}

std::string screenshotDir()
{
  return std::string(g_getenv("VDI_BUILD_ROOT")) + "/tests/webclient-screenshots";
}

} // namespace

TEST_CASE("the web client signs in, creates, shows, types, clicks, copies, resizes, reconnects",
          "[webclient][browser]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_BROWSER();
  if (!g_file_test((std::string(g_getenv("VDI_BUILD_ROOT")) + "/web/app/app.js").c_str(),
                   G_FILE_TEST_EXISTS))
    VDI_SKIP("the web client was not built");
  SessionVdid v("stream=true\n");
  std::string result;
  auto checks = runBrowser({"full", v.vdid->base, v.user, "pw1", "bob", "pw2", v.base,
                            helperPath("vdi-input-client"), screenshotDir()},
                           &result);
  INFO(result);
  if (result.rfind("skip ", 0) == 0)
    VDI_SKIP(result.substr(5));
  CHECK(result.find("\"error\"") == std::string::npos);

  /* sign-in, with a clear message for a wrong password */
  CHECKED_IF(checks.count("signin") == 1)
  {
    Json j(checks["signin"]);
    CHECK(j.str("wrongPasswordMessage").find("Wrong user name or password") != std::string::npos);
    CHECK(j.str("whoami") == v.user);
  }
  /* sessions created from the form and the page's API are listed */
  CHECKED_IF(checks.count("created") == 1)
  {
    Json j(checks["created"]);
    CHECK(j.str("terminal").size() == 12);
    CHECK(j.str("recorder").size() == 12);
    CHECK(j.num("rows") == 2);
  }
  /* the video shows the desktop, with stats */
  CHECKED_IF(checks.count("video") == 1)
  {
    Json j(checks["video"]);
    INFO(checks["video"]);
    CHECK(j.num("width") == 640);
    CHECK(j.num("height") == 480);
    CHECK(j.num("frames") >= 10);
    /* foot's text on its background: not one flat colour. */
    CHECK(j.num("stddev") > 2);
    CHECK(j.num("levels") >= 2);
    std::string stats = j.str("stats");
    CHECK(stats.find("640×480") != std::string::npos);
    CHECK(stats.find("x264enc") != std::string::npos);
    CHECK(stats.find("jitter buffer") != std::string::npos);
    CHECK(std::regex_search(stats, std::regex("bitrate +[0-9.]+ Mbit/s")));
    CHECK(std::regex_search(j.str("latency"), std::regex("^[0-9]+ ms$")));
  }
  /* typing in the page changes the terminal */
  CHECKED_IF(checks.count("typing") == 1)
  {
    Json j(checks["typing"]);
    INFO(checks["typing"]);
    /* "echo gst-vdi-ok", its output and a new prompt: hundreds of pixels,
     * far more than without input. */
    CHECK(j.num("typedChangedPixels") > 300);
    CHECK(j.num("typedChangedPixels") > 5 * j.num("idleChangedPixels") + 100);
  }
  /* a click lands where clicked */
  CHECKED_IF(checks.count("click") == 1)
  {
    Json j(checks["click"]);
    INFO(checks["click"]);
    std::smatch m;
    std::string motion = j.str("motion");
    CHECKED_IF(std::regex_search(motion, m, std::regex("([0-9.]+) ([0-9.]+)")))
    {
      CHECK(std::abs(std::stod(m[1]) - 200) <= 1.5);
      CHECK(std::abs(std::stod(m[2]) - 150) <= 1.5);
    }
  }
  /* the de layout round-trips @€ß */
  CHECKED_IF(checks.count("layout") == 1)
  {
    Json j(checks["layout"]);
    INFO(checks["layout"]);
    CHECK(j.str("keymap").find("German") != std::string::npos);
    CHECK(j.strings("pressed") == std::vector<std::string>{"at", "EuroSign", "ssharp"});
  }
  /* dead keys, a composition and inserted text type the composed characters */
  CHECKED_IF(checks.count("dead-keys") == 1)
  {
    Json j(checks["dead-keys"]);
    INFO(checks["dead-keys"]);
    CHECK(j.str("keymap").find("German") != std::string::npos);
    CHECK(j.strings("pressed") == std::vector<std::string>{"eacute", "udiaeresis", "ntilde"});
  }
  /* Ctrl+V: the pasted text is the session's clipboard before Ctrl+V arrives */
  CHECKED_IF(checks.count("paste") == 1)
  {
    Json j(checks["paste"]);
    INFO(checks["paste"]);
    CHECK(j.str("inSession") == "ctrl-v-ñ3");
    auto log = j.strings("log");
    auto find = [&](const std::string &prefix) {
      return std::find_if(log.begin(), log.end(),
                          [&](const std::string &l) { return l.rfind(prefix, 0) == 0; });
    };
    auto ctrl = find("key pressed 29 Control_L");
    auto selection = find("selection text/plain");
    auto v = find("key pressed 47 v");
    CHECKED_IF(v != log.end())
    {
      CHECK((ctrl < v));
      CHECK((selection < v));
      CHECK(std::count(log.begin(), log.end(), *v) == 1);
      /* Control is held (depressed mask 4) when v goes down */
      auto mods = std::find_if(std::make_reverse_iterator(v), log.rend(),
                               [](const std::string &l) { return l.rfind("modifiers ", 0) == 0; });
      CHECKED_IF(mods != log.rend())
      CHECK((std::stoi(mods->substr(10)) & 4) == 4);
    }
  }
  /* touch: a tap clicks where tapped, two fingers scroll without clicking */
  CHECKED_IF(checks.count("touch") == 1)
  {
    Json j(checks["touch"]);
    INFO(checks["touch"]);
    auto tap = j.strings("tap");
    auto press = std::find(tap.begin(), tap.end(), "button 272 pressed");
    CHECKED_IF(press != tap.end())
    {
      CHECK(std::find(press, tap.end(), "button 272 released") != tap.end());
      auto motion =
        std::find_if(std::make_reverse_iterator(press), tap.rend(), [](const std::string &l) {
          return l.rfind("motion ", 0) == 0 || l.rfind("pointer-enter ", 0) == 0;
        });
      std::smatch m;
      CHECKED_IF(
        (motion != tap.rend() && std::regex_search(*motion, m, std::regex("([0-9.]+) ([0-9.]+)$"))))
      {
        CHECK(std::abs(std::stod(m[1]) - j.num("tapTarget.0")) <= 1.5);
        CHECK(std::abs(std::stod(m[2]) - j.num("tapTarget.1")) <= 1.5);
      }
    }
    auto scroll = j.strings("scroll");
    CHECK(std::none_of(scroll.begin(), scroll.end(),
                       [](const std::string &l) { return l.rfind("button ", 0) == 0; }));
    CHECK(std::find(scroll.begin(), scroll.end(), "axis-source 2") != scroll.end());
    /* fingers moving up scroll down (positive), by half their travel */
    CHECK(j.num("scrollWant") > 5);
    CHECK(std::abs(j.num("scrollSum") - j.num("scrollWant")) <= 1.5);
  }
  /* pointer lock: motion arrives as relative motion */
  CHECKED_IF(checks.count("pointer-lock") == 1)
  {
    Json j(checks["pointer-lock"]);
    INFO(checks["pointer-lock"]);
    CHECK(j.str("locked") == "surface");
    auto motion = j.strings("motion");
    std::smatch m;
    CHECKED_IF(
      (!motion.empty() && std::regex_search(motion.back(), m, std::regex("([0-9.]+) ([0-9.]+)$"))))
    {
      CHECK(std::abs(std::stod(m[1]) - j.num("want.0")) <= 1.5);
      CHECK(std::abs(std::stod(m[2]) - j.num("want.1")) <= 1.5);
    }
  }
  /* clipboard both ways */
  CHECKED_IF(checks.count("clipboard") == 1)
  {
    Json j(checks["clipboard"]);
    INFO(checks["clipboard"]);
    CHECK(j.str("fromSession") == "from-session-42");
    CHECK(j.str("pageClipboard") == "from-session-42");
    CHECK(j.str("inSession") == "from-page-ü7");
  }
  /* resize-to-window changes the session size */
  CHECKED_IF(checks.count("resize") == 1)
  {
    Json j(checks["resize"]);
    INFO(checks["resize"]);
    CHECK(j.has("session"));
    CHECK(j.num("session.0") == j.num("want.0"));
    CHECK(j.num("session.1") == j.num("want.1"));
    CHECK(j.num("want.0") != 640);
    CHECK(j.num("video.0") == j.num("want.0"));
    CHECK(j.num("video.1") == j.num("want.1"));
  }
  /* a dropped connection reconnects, input works again */
  CHECKED_IF(checks.count("reconnect") == 1)
  {
    Json j(checks["reconnect"]);
    INFO(checks["reconnect"]);
    CHECK(j.num("reconnects") >= 1);
    CHECK(j.num("framesAfter") > j.num("framesBefore") + 10);
    CHECKED_IF(checks.count("after-reconnect") == 1)
    CHECK(Json(checks["after-reconnect"]).strings("keys").size() >= 1);
  }
  /* an ended session says so */
  CHECKED_IF(checks.count("ended") == 1)
  {
    CHECK(Json(checks["ended"]).str("message").find("no desktop") != std::string::npos);
  }
  /* another user cannot open the session */
  CHECKED_IF(checks.count("other-user") == 1)
  {
    Json j(checks["other-user"]);
    INFO(checks["other-user"]);
    CHECK(j.num("listed") == 0);
    CHECK(j.str("message").find("no desktop") != std::string::npos);
    CHECK(j.num("frames") == 0);
  }
  /* keyboard navigation and a phone-sized screen */
  CHECKED_IF(checks.count("keyboard-navigation") == 1)
  {
    auto focusable = Json(checks["keyboard-navigation"]).strings("focusable");
    INFO(checks["keyboard-navigation"]);
    unsigned labelled = 0;
    unsigned controls = 0;
    for (const auto &f : focusable) {
      if (f.rfind("body:", 0) == 0) /* focus wrapped around the page */
        continue;
      controls++;
      if (f.find(':') + 1 < f.size())
        labelled++;
    }
    CHECK(controls >= 5);
    CHECK(labelled == controls);
    CHECK(std::find(focusable.begin(), focusable.end(), "button:Sign out") != focusable.end());
    CHECKED_IF(checks.count("responsive") == 1)
    {
      Json r(checks["responsive"]);
      CHECK(r.num("scrollWidth") <= r.num("width"));
    }
  }
}

TEST_CASE("the web client falls back to HLS, view only, when WebRTC cannot connect",
          "[webclient][browser]")
{
  REQUIRE_SESSIONS_POSSIBLE();
  REQUIRE_BROWSER();
  SessionVdid v("stream=true\nhls=true\n");
  Client c;
  /* Does this vdid serve HLS? */
  Response r = c.request("POST", v.vdid->base + "/api/v1/sessions", "{}", v.owner);
  REQUIRE(r.status == 201);
  std::string id = member(r.body, "id");
  std::string url = v.vdid->base + "/api/v1/sessions/" + id;
  REQUIRE(waitState(c, url, v.owner) == "running");
  if (c.request("GET", url, "", v.owner).body.find("\"hls\"") == std::string::npos)
    VDI_SKIP("vdid does not list urls.hls for sessions (HLS not built)");
  c.request("DELETE", url, "", v.owner);

  std::string result;
  auto checks = runBrowser({"hls", v.vdid->base, v.user, "pw1", screenshotDir()}, &result);
  INFO(result);
  if (result.rfind("skip ", 0) == 0)
    VDI_SKIP(result.substr(5));
  CHECK(result.find("\"error\"") == std::string::npos);
  REQUIRE(checks.count("hls"));
  Json j(checks["hls"]);
  INFO(checks["hls"]);
  CHECK(j.str("state") == "hls");
  CHECK(j.num("frames") >= 10);
  CHECK(j.num("picture.width") == 640);
  CHECK(j.num("picture.stddev") > 1);
  CHECK(j.str("banner").find("View only") != std::string::npos);
  CHECK(j.boolean("viewOnly"));
}
