/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* vdid's session limits: the values written into cgroup v2 and v1 files,
 * the encoder tier cap, and their configuration keys (with the pool's). The
 * choice of hierarchy: test-vdid-cgroups.cpp. */

#include "auth.h"
#include "cgroup-limits.h"
#include "config.h"
#include "encoder-tier.h"
#include "test-util.h"
#include "vdid-config-util.h"

#include <fstream>
#include <unistd.h>

using namespace vdid;

using vdi::test::writeConfig;

TEST_CASE("cpu-limit parses cores and becomes cpu.max or cpu.cfs_quota_us", "[vdid][limits]")
{
  double cores = 0;
  std::string error;
  REQUIRE(parseCpuLimit("1.5", &cores, &error));
  CHECK(cores == 1.5);
  CHECK(cpuMaxValue(cores) == "150000 100000");
  REQUIRE(parseCpuLimit(" 2 ", &cores, &error));
  CHECK(cpuMaxValue(cores) == "200000 100000");
  REQUIRE(parseCpuLimit("0.25", &cores, &error));
  CHECK(cpuMaxValue(cores) == "25000 100000");
  /* The kernel refuses quotas under 1 ms. */
  REQUIRE(parseCpuLimit("0.01", &cores, &error));
  CHECK(cpuMaxValue(cores) == "1000 100000");
  CHECK(cpuMaxValue(0) == "max 100000");
  /* cgroup v1: the quota alone, with the same 100 ms cpu.cfs_period_us. */
  CHECK(kCpuPeriodUs == 100000);
  CHECK(cfsQuotaValue(0.5) == "50000");
  CHECK(cfsQuotaValue(1.5) == "150000");
  CHECK(cfsQuotaValue(0.01) == "1000");
  CHECK(cfsQuotaValue(4096) == "409600000");
  CHECK(cfsQuotaValue(0) == "-1");
  for (const char *bad : {"", "abc", "-1", "0", "0.001", "1.5x", "nan", "inf", "5000"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parseCpuLimit(bad, &cores, &error));
    CHECK(error.rfind("must be a number of cores", 0) == 0);
  }
}

TEST_CASE("memory-limit parses sizes and becomes memory.max or memory.limit_in_bytes",
          "[vdid][limits]")
{
  guint64 bytes = 0;
  std::string error;
  struct Good {
    const char *text;
    guint64 bytes;
  };
  for (const Good &g : std::vector<Good>{{"512M", 512ull << 20},
                                         {"2G", 2ull << 30},
                                         {"2g", 2ull << 30},
                                         {"1GiB", 1ull << 30},
                                         {"64MB", 64ull << 20},
                                         {"8388608", 8388608},
                                         {"4096K", 4096ull << 10},
                                         {"1T", 1ull << 40}}) {
    INFO(g.text);
    REQUIRE(parseByteSize(g.text, &bytes, &error));
    CHECK(bytes == g.bytes);
  }
  CHECK(memoryMaxValue(512ull << 20) == "536870912");
  CHECK(memoryMaxValue(0) == "max");
  CHECK(memoryLimitInBytesValue(512ull << 20) == "536870912");
  CHECK(memoryLimitInBytesValue(1ull << 40) == "1099511627776");
  CHECK(memoryLimitInBytesValue(0) == "-1");
  for (const char *bad :
       {"", "M", "-5M", "12X", "1.5G", "100", "1M", "99999999999999999999", "20000000000T"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parseByteSize(bad, &bytes, &error));
    CHECK(error.rfind("must be bytes", 0) == 0);
  }
}

TEST_CASE("pids-limit parses a task count and becomes pids.max", "[vdid][limits]")
{
  guint64 tasks = 0;
  std::string error;
  REQUIRE(parsePidsLimit("256", &tasks, &error));
  CHECK(tasks == 256);
  CHECK(pidsMaxValue(tasks) == "256");
  REQUIRE(parsePidsLimit(" 8 ", &tasks, &error));
  CHECK(tasks == 8);
  REQUIRE(parsePidsLimit("4194304", &tasks, &error));
  CHECK(pidsMaxValue(0) == "max");
  for (const char *bad :
       {"", "x", "-5", "7", "0", "4194305", "12k", "1.5", "99999999999999999999"}) {
    INFO(bad);
    error.clear();
    CHECK_FALSE(parsePidsLimit(bad, &tasks, &error));
    CHECK(error.rfind("must be a whole number of processes", 0) == 0);
  }
}

TEST_CASE("the controllers each limit needs", "[vdid][limits]")
{
  Limits l;
  CHECK_FALSE(l.any());
  CHECK(l.controllers().empty());
  l.pids = 100;
  CHECK(l.any());
  CHECK(l.controllers() == std::vector<std::string>{"pids"});
  l.cpu = 0.5;
  l.memory = 64ull << 20;
  CHECK(l.controllers() == std::vector<std::string>{"cpu", "memory", "pids"});
}

TEST_CASE("the hardware encoder cap", "[vdid][encoders]")
{
  CHECK(isHardwareEncoder("nvh264enc"));
  CHECK(isHardwareEncoder("vah264enc"));
  CHECK_FALSE(isHardwareEncoder("x264enc"));
  CHECK_FALSE(isHardwareEncoder("openh264enc"));

  const std::vector<EncoderUse> none;
  const std::vector<EncoderUse> two_hw = {{"nvh264enc", false}, {"vah264enc", false}};
  const std::vector<EncoderUse> software = {
    {"x264enc", false}, {"x264enc", true}, {"openh264enc", false}, {"", true}};

  SECTION("cap 0: always software")
  {
    CHECK(mustUseSoftware(0, none));
    CHECK(mustUseSoftware(0, software));
  }
  SECTION("cap not reached")
  {
    CHECK_FALSE(mustUseSoftware(1, none));
    CHECK_FALSE(mustUseSoftware(3, two_hw));
  }
  SECTION("cap reached")
  {
    CHECK(mustUseSoftware(2, two_hw));
    CHECK(mustUseSoftware(1, two_hw));
  }
  SECTION("software sessions do not count")
  {
    CHECK(hardwareSessions(software) == 0);
    CHECK_FALSE(mustUseSoftware(1, software));
    std::vector<EncoderUse> mixed = software;
    mixed.push_back({"nvh264enc", false});
    CHECK(hardwareSessions(mixed) == 1);
    CHECK(mustUseSoftware(1, mixed));
    CHECK_FALSE(mustUseSoftware(2, mixed));
  }
  SECTION("a starting worker that may still pick hardware counts")
  {
    std::vector<EncoderUse> pending = {{"", false}};
    CHECK(hardwareSessions(pending) == 1);
    CHECK(mustUseSoftware(1, pending));
  }
}

TEST_CASE("limit and pool keys in the config file", "[vdid][config]")
{
  std::string hash = hashPassword("pw");
  std::string good =
    writeConfig("[users]\nalice=" + hash + "\nbob=" + hash +
                "\n[sessions]\npool-size=2\npool-users=bob\ncpu-limit=1.5\n"
                "memory-limit=2G\npids-limit=512\n[encoders]\nmax-hardware-sessions=0\n");
  Config c;
  GError *error = nullptr;
  REQUIRE(Config::load(good, &c, &error));
  CHECK(c.pool_size == 2);
  CHECK(c.pool_users == std::vector<std::string>{"bob"});
  CHECK(c.cpu_limit == 1.5);
  CHECK(c.memory_limit == 2ull << 30);
  CHECK(c.pids_limit == 512);
  CHECK(c.max_hardware_sessions == 0);
  unlink(good.c_str());

  Config defaults;
  CHECK(defaults.pool_size == 0);
  CHECK(defaults.pool_users.empty());
  CHECK(defaults.cpu_limit == 0);
  CHECK(defaults.memory_limit == 0);
  CHECK(defaults.pids_limit == 0);
  CHECK(defaults.max_hardware_sessions == 4);

  vdi::test::checkConfigsRefused({
    {"[sessions]\ncpu-limit=lots\n", "[sessions] cpu-limit"},
    {"[sessions]\nmemory-limit=12X\n", "[sessions] memory-limit"},
    {"[sessions]\npids-limit=3\n", "[sessions] pids-limit"},
    {"[sessions]\npool-users=ghost\n", "ghost"},
    {"[sessions]\npool-size=101\n", "pool-size"},
    {"[sessions]\ncompositor=\n", "[sessions] compositor is neither sway, gnome, mutter"},
    {"[sessions]\ncompositor=sway 'unclosed\n", "[sessions] compositor is neither"},
  });
  g_clear_error(&error);
}

TEST_CASE("the embedded default names its user", "[vdid][config]")
{
  Config d = Config::embeddedDefault();
  CHECK(d.demo_user == "demo");
  CHECK(d.users.count("demo") == 1);
  Config named = Config::embeddedDefault("vditest");
  CHECK(named.demo_user == "vditest");
  CHECK(named.users.count("vditest") == 1);
  CHECK(named.users.count("demo") == 0);
  CHECK(named.admins == std::vector<std::string>{"vditest"});
  CHECK(isSupportedHash(named.users["vditest"]));
}
