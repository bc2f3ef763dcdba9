/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The host budget's admission (host-budget.h) and its [budget] keys. */

#include "auth.h"
#include "host-budget.h"
#include "vdid-config-util.h"

#include <catch2/catch.hpp>

using namespace vdid;

TEST_CASE("a session is admitted while its reservation fits every budget", "[vdid][budget]")
{
  HostBudget b;
  b.cpu = 2;
  b.memory = 3ull << 30;
  b.session = {0.75, 1ull << 30};
  CHECK(b.maxSessions() == 2); /* CPU holds 2 (1.5 of 2), memory 3 */
  CHECK_FALSE(admit(b, 0));
  CHECK_FALSE(admit(b, 1));
  Refusal r = admit(b, 2);
  REQUIRE(r);
  CHECK(r.budget == "cpu");
  CHECK(r.message ==
        "the host's CPU budget is exhausted: 2 sessions reserve 1.5 cores of 2 cores and a "
        "session needs 0.75 cores ([budget] cpu)");

  b.cpu = 0; /* memory alone now */
  CHECK(b.maxSessions() == 3);
  CHECK_FALSE(admit(b, 2));
  r = admit(b, 3);
  REQUIRE(r);
  CHECK(r.budget == "memory");
  CHECK(r.message == "the host's memory budget is exhausted: 3 sessions reserve 3 GiB of "
                     "3 GiB and a session needs 1 GiB ([budget] memory)");
}

TEST_CASE("reservations that add up exactly to the budget fit", "[vdid][budget]")
{
  HostBudget b;
  b.cpu = 0.3;
  b.session.cpu = 0.1; /* 3 x 0.1 is 0.30000000000000004 in doubles */
  CHECK(b.maxSessions() == 3);
  CHECK_FALSE(admit(b, 2));
  CHECK(admit(b, 3));
}

TEST_CASE("without a budget every session is admitted", "[vdid][budget]")
{
  HostBudget b;
  CHECK_FALSE(b.any());
  CHECK(b.maxSessions() == G_MAXUINT);
  CHECK_FALSE(admit(b, 10000));
}

TEST_CASE("budget figures read as an operator writes them", "[vdid][budget]")
{
  CHECK(cores(1) == "1 core");
  CHECK(cores(0.75) == "0.75 cores");
  CHECK(bytes(512) == "512 bytes");
  CHECK(bytes(1536ull << 20) == "1.5 GiB");
  CHECK(bytes(512ull << 20) == "512 MiB");
}

TEST_CASE("a session reserves its limits, else the [budget] defaults", "[vdid][budget]")
{
  std::string error;
  HostBudget b;
  b.cpu = 4;
  b.session.cpu = 0.5;
  REQUIRE(settleBudget(&b, 1.5, 0, &error));
  CHECK(b.session.cpu == 1.5); /* cpu-limit wins over session-cpu */
  HostBudget d;
  d.cpu = 4;
  d.session.cpu = 0.5;
  REQUIRE(settleBudget(&d, 0, 0, &error));
  CHECK(d.session.cpu == 0.5);

  HostBudget none;
  none.cpu = 4;
  CHECK_FALSE(settleBudget(&none, 0, 0, &error));
  CHECK(error.find("set [sessions] cpu-limit or [budget] session-cpu") != std::string::npos);
  HostBudget small;
  small.memory = 8ull << 20;
  CHECK_FALSE(settleBudget(&small, 0, 1ull << 30, &error));
  CHECK(error.find("no session could start") != std::string::npos);
}

TEST_CASE("[budget] keys in the config file", "[vdid][config][budget]")
{
  std::string hash = hashPassword("pw");
  std::string path = vdi::test::writeConfig("[users]\nalice=" + hash +
                                            "\n[sessions]\nmemory-limit=1G\n"
                                            "[budget]\ncpu=3\nsession-cpu=0.5\nmemory=4G\n");
  Config c;
  GError *error = nullptr;
  REQUIRE(Config::load(path, &c, &error));
  CHECK(c.budget.cpu == 3);
  CHECK(c.budget.memory == 4ull << 30);
  CHECK(c.budget.session.cpu == 0.5);
  CHECK(c.budget.session.memory == 1ull << 30); /* its memory-limit */
  CHECK(c.budget.maxSessions() == 4);
  unlink(path.c_str());

  vdi::test::checkConfigsRefused({
    {"[budget]\ncpu=many\n", "[budget] cpu must be a number of cores"},
    {"[budget]\nmemory=12X\n", "[budget] memory must be bytes"},
    {"[budget]\ncpu=2\n", "[budget] cpu needs what a session reserves"},
    {"[budget]\nmemory=4G\n", "set [sessions] memory-limit or [budget] session-memory"},
    {"[budget]\ncpu=1\nsession-cpu=2\n", "no session could start"},
    {"[budget]\ncores=2\n", "cores"},
  });
}
