/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The host budget's admission (host-budget.h) and its [budget] keys. */

#include "auth.h"
#include "host-budget.h"
#include "tier-ladder.h"
#include "vdid-config-util.h"

#include <catch2/catch.hpp>

using namespace vdid;

namespace {

/* What @n sessions reserving @each reserve together. */
Reservation times(unsigned n, Reservation each)
{
  Reservation r;
  for (unsigned i = 0; i < n; i++)
    r += each;
  return r;
}

} // namespace

TEST_CASE("a session is admitted while its reservation fits every budget", "[vdid][budget]")
{
  HostBudget b;
  b.cpu = 2;
  b.memory = 3ull << 30;
  Reservation one{0.75, 1ull << 30};
  CHECK_FALSE(admit(b, times(0, one), 0, one));
  CHECK_FALSE(admit(b, times(1, one), 1, one));
  Refusal r = admit(b, times(2, one), 2, one); /* 2.25 of 2 cores */
  REQUIRE(r);
  CHECK(r.budget == "cpu");
  CHECK(r.message ==
        "the host's CPU budget is exhausted: 2 sessions reserve 1.5 cores of 2 cores and a "
        "session needs 0.75 cores ([budget] cpu)");
  CHECK_FALSE(admit(b, times(2, one), 2, {0.5, 1ull << 30})); /* a smaller one still fits */

  b.cpu = 0; /* memory alone now */
  CHECK_FALSE(admit(b, times(2, one), 2, one));
  r = admit(b, times(3, one), 3, one);
  REQUIRE(r);
  CHECK(r.budget == "memory");
  CHECK(r.message == "the host's memory budget is exhausted: 3 sessions reserve 3 GiB of "
                     "3 GiB and a session needs 1 GiB ([budget] memory)");
}

TEST_CASE("reservations that add up exactly to the budget fit", "[vdid][budget]")
{
  HostBudget b;
  b.cpu = 0.3;
  Reservation tenth{0.1, 0}; /* 3 x 0.1 is 0.30000000000000004 in doubles */
  CHECK_FALSE(admit(b, times(2, tenth), 2, tenth));
  CHECK(admit(b, times(3, tenth), 3, tenth));
}

TEST_CASE("without a budget every session is admitted", "[vdid][budget]")
{
  HostBudget b;
  CHECK_FALSE(b.any());
  CHECK_FALSE(admit(b, times(10000, {1, 1ull << 30}), 10000, {1, 1ull << 30}));
}

TEST_CASE("a new session takes the best tier that fits, lower ones only with downgrade",
          "[vdid][budget][tiers]")
{
  HostBudget b;
  b.cpu = 2;
  b.session.cpu = 1;
  std::vector<Tier> ladder = defaultLadder(1); /* full 1, half 0.7, low 0.5 cores */
  REQUIRE(ladder.size() == 3);
  Refusal refusal;
  auto p = place(ladder, b, {1, 0}, 1, &refusal);
  REQUIRE(p);
  CHECK(p->tier == 0);
  CHECK(p->reservation.cpu == 1);
  CHECK(p->reason == "the host had room for the top tier");

  /* 1.6 of 2 cores reserved: no room for full; without downgrade, 429. */
  CHECK_FALSE(place(ladder, b, {1.6, 0}, 2, &refusal));
  CHECK(refusal.budget == "cpu");
  CHECK(refusal.message.find("a session needs 1 core") != std::string::npos);

  b.downgrade = true;
  p = place(ladder, b, {1.4, 0}, 2, &refusal);
  REQUIRE(p);
  CHECK(ladder[p->tier].name == "low"); /* 0.6 left: half (0.7) does not fit */
  CHECK(p->reservation.cpu == 0.5);
  CHECK(p->reason.find("tier \"full\" did not fit (the host's CPU budget is exhausted") == 0);
  p = place(ladder, b, {1.25, 0}, 2, &refusal);
  REQUIRE(p);
  CHECK(ladder[p->tier].name == "half");

  CHECK_FALSE(place(ladder, b, {1.9, 0}, 3, &refusal));
  CHECK(refusal.message.find("a session needs 0.5 cores") != std::string::npos);
  CHECK(refusal.message.find("not even on tier \"low\"") != std::string::npos);

  HostBudget none;
  p = place(ladder, none, {100, 0}, 100, &refusal);
  REQUIRE(p);
  CHECK(p->tier == 0);
}

TEST_CASE("a tier caps the frame rate and scales the size down, aspect kept", "[vdid][tiers]")
{
  std::vector<Tier> ladder = defaultLadder(1);
  unsigned w = 1920, h = 1080, fps = 60;
  applyTier(ladder[0], &w, &h, &fps);
  CHECK((w == 1920 && h == 1080 && fps == 60));
  applyTier(ladder[1], &w, &h, &fps);
  CHECK((w == 1920 && h == 1080 && fps == 30));
  applyTier(ladder[2], &w, &h, &fps);
  CHECK((w == 1280 && h == 720 && fps == 15));
  w = 1000, h = 2000, fps = 10; /* portrait: the height is the cap */
  applyTier(ladder[2], &w, &h, &fps);
  CHECK((w == 360 && h == 720 && fps == 10));
  w = 640, h = 480;
  applyTier(ladder[2], &w, &h, &fps);
  CHECK((w == 640 && h == 480)); /* never scaled up */
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

TEST_CASE("[budget] and [tier NAME] keys in the config file", "[vdid][config][budget][tiers]")
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
  CHECK_FALSE(c.budget.downgrade);
  REQUIRE(c.tiers.size() == 3); /* the default ladder from session-cpu */
  CHECK(c.tiers[0].cpu == 0.5);
  CHECK(c.tiers[1].cpu == Approx(0.35));
  CHECK(c.tiers[2].cpu == 0.25);
  unlink(path.c_str());

  path = vdi::test::writeConfig("[users]\nalice=" + hash +
                                "\n[budget]\ncpu=2\ndowngrade=true\ntiers=hd; sd\n"
                                "[tier hd]\ncpu=1\n"
                                "[tier sd]\ncpu=0.3\nfps=20\nmax-size=960x540\n"
                                "max-bitrate=1200\n");
  REQUIRE(Config::load(path, &c, &error));
  CHECK(c.budget.downgrade);
  REQUIRE(c.tiers.size() == 2);
  CHECK(c.tiers[0].name == "hd");
  CHECK(c.budget.session.cpu == 1); /* the top tier's */
  CHECK((c.tiers[1].fps == 20 && c.tiers[1].max_width == 960 && c.tiers[1].max_height == 540 &&
         c.tiers[1].max_bitrate == 1200 && c.tiers[1].cpu == 0.3));
  unlink(path.c_str());

  vdi::test::checkConfigsRefused({
    {"[budget]\ncpu=many\n", "[budget] cpu must be a number of cores"},
    {"[budget]\nmemory=12X\n", "[budget] memory must be bytes"},
    {"[budget]\ncpu=2\n", "[budget] cpu needs what a session reserves"},
    {"[budget]\nmemory=4G\n", "set [sessions] memory-limit or [budget] session-memory"},
    {"[budget]\ncpu=1\nsession-cpu=2\n", "no session could start"},
    {"[budget]\ncores=2\n", "cores"},
    {"[budget]\ndowngrade=maybe\n", "[budget] downgrade must be true or false"},
    {"[budget]\ntiers=hd\n", "[budget] tiers names \"hd\", but there is no [tier hd] group"},
    {"[tier hd]\nfps=30\n", "[tier hd] is not listed in [budget] tiers"},
    {"[budget]\ncpu=2\ntiers=hd\n[tier hd]\nfps=30\n", "[tier hd] needs cpu"},
    {"[budget]\ntiers=hd\n[tier hd]\nmax-size=wide\n", "[tier hd] max-size must be WIDTHxHEIGHT"},
    {"[budget]\ntiers=hd\n[tier hd]\nfps=0\n", "[tier hd] fps must be a whole number"},
    {"[budget]\ntiers=hd\n[tier hd]\nbitrate=5\n", "unknown key \"bitrate\" in [tier hd]"},
  });
}

TEST_CASE("a running session moves down when it uses more than its tier reserves, up when calm",
          "[vdid][tiers]")
{
  HostBudget b;
  b.cpu = 2;
  b.downgrade = true;
  std::vector<Tier> ladder = defaultLadder(0.4); /* 0.4, 0.28, 0.2 cores */
  unsigned calm = 0;
  TierMove m = nextTier(ladder, 0, {0.45, 10}, &calm, b, {0.4, 0});
  CHECK(m.tier == 0); /* 0.45 is within 1.25 x 0.4 */
  m = nextTier(ladder, 0, {0.6, 10}, &calm, b, {0.4, 0});
  CHECK(m.tier == 1);
  CHECK(m.reason ==
        "moved down: the session used 0.6 cores over 10 s, more than 1.25 x the 0.4 cores "
        "reserved on \"full\"");
  m = nextTier(ladder, 2, {0.6, 10}, &calm, b, {0.2, 0});
  CHECK(m.tier == 2); /* the bottom tier has nowhere to go */

  /* Up only after kCalmWindows calm windows in a row. */
  calm = 0;
  CHECK(nextTier(ladder, 2, {0.05, 10}, &calm, b, {0.2, 0}).tier == 2);
  CHECK(nextTier(ladder, 2, {0.05, 10}, &calm, b, {0.2, 0}).tier == 2);
  CHECK(nextTier(ladder, 2, {0.15, 10}, &calm, b, {0.2, 0}).tier == 2); /* not calm: restart */
  CHECK(calm == 0);
  for (unsigned i = 1; i < kCalmWindows; i++)
    CHECK(nextTier(ladder, 2, {0.05, 10}, &calm, b, {0.2, 0}).tier == 2);
  m = nextTier(ladder, 2, {0.05, 10}, &calm, b, {0.2, 0});
  CHECK(m.tier == 1);
  CHECK(m.reason.find("moved up: the session used 0.05 cores over 10 s, less than 0.5 x the "
                      "0.28 cores \"half\" reserves, 3 windows in a row") == 0);

  /* No room for the higher tier's reservation: it stays. */
  calm = 0;
  for (unsigned i = 0; i < kCalmWindows + 1; i++)
    CHECK(nextTier(ladder, 1, {0.05, 10}, &calm, b, {1.9, 0}).tier == 1);
}

TEST_CASE("a session whose frames take longer than its tier's frame rate allows moves down",
          "[vdid][tiers]")
{
  HostBudget b;
  b.cpu = 2;
  b.downgrade = true;
  std::vector<Tier> ladder = defaultLadder(0.4); /* full: no fps cap; half 30, low 15 */
  unsigned calm = 0;
  /* At 60 fps a frame has 16.7 ms: 12 ms fits within 0.8 x that, 15 ms does
   * not, however little CPU the session used (a cpu-limit throttles it),
   * when coding took most of the window (here 80 %). */
  CHECK(nextTier(ladder, 0, {0.1, 10, 12, 60, 0.8}, &calm, b, {0.4, 0}).tier == 0);
  TierMove m = nextTier(ladder, 0, {0.1, 10, 15, 60, 0.8}, &calm, b, {0.4, 0});
  CHECK(m.tier == 1);
  CHECK(m.reason == "moved down: a frame took 15 ms to code, more than 0.8 x the 16.7 ms a "
                    "frame has at 60 fps on \"full\", and coding took 80 % of the time");
  /* Frames in flight overlap (busy 2.1): the reason says all of the time. */
  calm = 0;
  CHECK(nextTier(ladder, 0, {0.1, 10, 100, 60, 2.1}, &calm, b, {0.4, 0}).reason ==
        "moved down: a frame took 100 ms to code, more than 0.8 x the 16.7 ms a frame has at "
        "60 fps on \"full\", and coding took 100 % of the time");
  /* On half (30 fps: 33.3 ms a frame) 15 ms fits. */
  CHECK(nextTier(ladder, 1, {0.1, 10, 15, 60, 0.8}, &calm, b, {0.2, 0}).tier == 1);
  /* No frames (a still screen): no frame-time pressure. */
  CHECK(nextTier(ladder, 0, {0.1, 10, 0, 60, 0}, &calm, b, {0.4, 0}).tier == 0);

  /* Up only when the frames would fit the higher tier too: 15 ms is more
   * than 0.5 x the 16.7 ms of full, and at full's 60 fps instead of half's
   * 30 coding would take 2 x 40 % of the time, so half never counts a calm
   * window. */
  calm = 0;
  for (unsigned i = 0; i < kCalmWindows + 1; i++)
    CHECK(nextTier(ladder, 1, {0.05, 10, 15, 60, 0.4}, &calm, b, {0.2, 0}).tier == 1);
  CHECK(calm == 0);
  for (unsigned i = 1; i < kCalmWindows; i++)
    CHECK(nextTier(ladder, 1, {0.05, 10, 5, 60, 0.4}, &calm, b, {0.2, 0}).tier == 1);
  CHECK(nextTier(ladder, 1, {0.05, 10, 5, 60, 0.4}, &calm, b, {0.2, 0}).tier == 0);
}

TEST_CASE("a session whose few frames are slow keeps its tier", "[vdid][tiers]")
{
  HostBudget b;
  b.cpu = 2;
  b.downgrade = true;
  std::vector<Tier> ladder = defaultLadder(0.4);
  unsigned calm = 0;
  /* Full-screen changes twice a second, 35 ms each (7 % of the time): each
   * frame is slow, but the session drops none; a lower tier would only
   * cost its user frames and a renegotiation, and back up it would come. */
  for (int i = 0; i < 10; i++)
    CHECK(nextTier(ladder, 0, {0.1, 10, 35, 60, 0.07}, &calm, b, {0.4, 0}).tier == 0);
  /* Moved down by its CPU, such a session comes back up: at full's 60 fps
   * its frames would still take only 2 x 7 % of the time. */
  calm = 0;
  for (unsigned i = 1; i < kCalmWindows; i++)
    CHECK(nextTier(ladder, 1, {0.05, 10, 35, 60, 0.07}, &calm, b, {0.2, 0}).tier == 1);
  CHECK(nextTier(ladder, 1, {0.05, 10, 35, 60, 0.07}, &calm, b, {0.2, 0}).tier == 0);
}

TEST_CASE("a session its cpu-limit holds back moves down, and up only once it is free",
          "[vdid][tiers]")
{
  HostBudget b;
  b.cpu = 2;
  b.downgrade = true;
  std::vector<Tier> ladder = defaultLadder(0.4);
  unsigned calm = 0;
  /* 0.15 cores used, far below what full reserves, and fast frames: only
   * the throttling says it is starved. */
  CHECK(nextTier(ladder, 0, {0.15, 10, 5, 60, 0.1, 0.4}, &calm, b, {0.4, 0}).tier == 0);
  TierMove m = nextTier(ladder, 0, {0.15, 10, 5, 60, 0.1, 0.9}, &calm, b, {0.4, 0});
  CHECK(m.tier == 1);
  CHECK(m.reason ==
        "moved down: its cpu-limit held it back in 90 % of the scheduler's periods over 10 s");
  /* The bottom is the bottom. */
  CHECK(nextTier(ladder, 2, {0.15, 10, 5, 60, 0.1, 0.9}, &calm, b, {0.1, 0}).tier == 2);
  /* Held back in 30 % of its periods: not calm, it stays. */
  calm = 0;
  for (unsigned i = 0; i < kCalmWindows + 1; i++)
    CHECK(nextTier(ladder, 1, {0.05, 10, 5, 60, 0.1, 0.3}, &calm, b, {0.2, 0}).tier == 1);
  for (unsigned i = 1; i < kCalmWindows; i++)
    CHECK(nextTier(ladder, 1, {0.05, 10, 5, 60, 0.1, 0}, &calm, b, {0.2, 0}).tier == 1);
  CHECK(nextTier(ladder, 1, {0.05, 10, 5, 60, 0.1, 0}, &calm, b, {0.2, 0}).tier == 0);
}

TEST_CASE("a host out of cores moves down the biggest session that falls behind, one a window",
          "[vdid][tiers]")
{
  std::vector<Tier> ladder = defaultLadder(0.4); /* full, half (30 fps), low (15 fps) */
  std::string reason;
  std::vector<HostCandidate> c = {
    {0, 0.45, 24, 30}, /* behind (24 of 30 fps) */
    {0, 0.55, 23, 30}, /* behind, and the biggest */
    {0, 0.70, 29, 30}, /* bigger, but holds its rate */
    {0, 0.90, 5, 30},  /* biggest, but its picture hardly moves (a still screen, a typist) */
    {2, 0.95, 10, 15}, /* behind, but at the bottom already */
  };
  /* Only a host whose cores are (nearly) all busy. */
  CHECK_FALSE(hostPressurePick(ladder, 0.9, c, &reason));
  auto pick = hostPressurePick(ladder, 0.99, c, &reason);
  REQUIRE(pick);
  CHECK(*pick == 1);
  CHECK(reason == "moved down: the host's cores were 99 % busy, and it coded 23 frames a second "
                  "of the 30 \"full\" allows, with 0.55 cores, the most of those behind");
  /* Nobody behind: nobody moves. */
  CHECK_FALSE(hostPressurePick(ladder, 1.0, {{0, 0.7, 30, 30}, {1, 0.3, 2, 30}}, &reason));
  /* While the host is that busy, a session whose picture moves (20 of
   * half's 30 fps) does not climb, whatever its own CPU; a still one does. */
  HostBudget b;
  b.cpu = 2;
  b.downgrade = true;
  unsigned calm = 0;
  for (unsigned i = 0; i < kCalmWindows + 2; i++)
    CHECK(nextTier(ladder, 1, {0.05, 10, 5, 60, 0.1, 0, 0.97, 20}, &calm, b, {0.2, 0}).tier == 1);
  for (unsigned i = 1; i < kCalmWindows; i++)
    CHECK(nextTier(ladder, 1, {0.05, 10, 5, 60, 0.1, 0, 0.97, 1}, &calm, b, {0.2, 0}).tier == 1);
  CHECK(nextTier(ladder, 1, {0.05, 10, 5, 60, 0.1, 0, 0.97, 1}, &calm, b, {0.2, 0}).tier == 0);
}
