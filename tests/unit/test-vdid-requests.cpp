/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "requests.h"
#include "test-util.h"

#include <cstring>

using namespace vdid;

namespace {
template <typename T>
bool parse(bool (*fn)(const char *, size_t, T *, std::string *), const std::string &text, T *out,
           std::string *error)
{
  return fn(text.data(), text.size(), out, error);
}
} // namespace

TEST_CASE("session request bodies", "[vdid][requests]")
{
  SessionSpec spec;
  std::string error;
  REQUIRE(parse(parseSessionRequest,
                R"({"width":1280,"height":720,"fps":30,"apps":[["foot"],["sh","-c","x"]]})", &spec,
                &error));
  CHECK(spec.width == 1280);
  CHECK(spec.height == 720);
  CHECK(spec.fps == 30);
  REQUIRE(spec.apps.size() == 2);
  CHECK(spec.apps[1] == std::vector<std::string>{"sh", "-c", "x"});

  REQUIRE(parse(parseSessionRequest, "", &spec, &error));
  CHECK(spec.width == 0);
  CHECK(spec.apps.empty());

  for (const char *bad : {"{", "[]", "1", R"({"width":0})", R"({"width":1.5})", R"({"width":"1"})",
                          R"({"fps":241})", R"({"apps":[["", "x"]]})", R"({"apps":[[]]})",
                          R"({"apps":{}})", R"({"apps":[["a",null]]})"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parse(parseSessionRequest, bad, &spec, &error));
    CHECK_FALSE(error.empty());
  }
  std::string huge(2 * 1024 * 1024, ' ');
  CHECK_FALSE(parse(parseSessionRequest, huge, &spec, &error));
  CHECK(error.find("1 MiB") != std::string::npos);
}

TEST_CASE("a session request chooses a compositor kind, never a command", "[vdid][requests]")
{
  SessionSpec spec;
  std::string error;
  for (const char *kind : {"sway", "gnome", "mutter"}) {
    REQUIRE(
      parse(parseSessionRequest, std::string(R"({"compositor":")") + kind + "\"}", &spec, &error));
    CHECK(spec.compositor == kind);
  }
  REQUIRE(parse(parseSessionRequest, "{}", &spec, &error));
  CHECK(spec.compositor.empty()); /* the configured one */
  for (const char *bad : {R"({"compositor":"weston"})", R"({"compositor":"sway -d"})",
                          R"({"compositor":"/usr/bin/gnome-shell"})", R"({"compositor":1})",
                          R"({"compositor":null})"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parse(parseSessionRequest, bad, &spec, &error));
    CHECK(error == "\"compositor\" must be \"sway\", \"gnome\" or \"mutter\"");
  }
}

TEST_CASE("login, resize and share bodies", "[vdid][requests]")
{
  std::string error;
  LoginRequest login;
  CHECK(parse(parseLoginRequest, R"({"user":"a","password":""})", &login, &error));
  CHECK(login.user == "a");
  CHECK_FALSE(parse(parseLoginRequest, R"({"user":"a"})", &login, &error));
  CHECK_FALSE(parse(parseLoginRequest, R"({"user":1,"password":"x"})", &login, &error));

  ResizeRequest resize;
  CHECK(parse(parseResizeRequest, R"({"width":800,"height":600})", &resize, &error));
  CHECK(resize.width == 800);
  CHECK_FALSE(parse(parseResizeRequest, R"({"width":800})", &resize, &error));
  CHECK_FALSE(parse(parseResizeRequest, R"({"width":9000,"height":600})", &resize, &error));

  ShareRequest share;
  CHECK(parse(parseShareRequest, "{}", &share, &error));
  CHECK(share.role == Role::View);
  CHECK(share.expires_in == 3600);
  CHECK(parse(parseShareRequest, R"({"role":"control","expiresIn":60})", &share, &error));
  CHECK(share.role == Role::Control);
  CHECK(share.expires_in == 60);
  CHECK_FALSE(parse(parseShareRequest, R"({"role":"admin"})", &share, &error));
  CHECK(error.find("view") != std::string::npos);
}

TEST_CASE("unknown fields are refused, naming the field", "[vdid][requests]")
{
  std::string error;
  SessionSpec spec;
  CHECK_FALSE(parse(parseSessionRequest, R"({"app":[["foot"]]})", &spec, &error));
  CHECK(error == "unknown field \"app\"");
  LoginRequest login;
  CHECK_FALSE(
    parse(parseLoginRequest, R"({"user":"a","password":"b","remember":true})", &login, &error));
  CHECK(error == "unknown field \"remember\"");
  ResizeRequest resize;
  CHECK_FALSE(parse(parseResizeRequest, R"({"width":640,"height":480,"dpi":2})", &resize, &error));
  CHECK(error == "unknown field \"dpi\"");
  ShareRequest share;
  CHECK_FALSE(parse(parseShareRequest, R"({"roles":"view"})", &share, &error));
  CHECK(error == "unknown field \"roles\"");
}
