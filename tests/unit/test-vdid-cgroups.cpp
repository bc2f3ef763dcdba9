/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Which cgroup hierarchy enforces the session limits (v2, v1 or none) and
 * what vdid writes there, against a plain directory tree standing in for the
 * cgroupfs mounts (named by a mountinfo text of the test's own). That the
 * kernel enforces what is written: tests/integration/test-vdid-budgets.cpp,
 * on the real hierarchy. */

#include "cgroups.h"
#include "test-util.h"

#include <fstream>
#include <sys/stat.h>

using namespace vdid;

namespace {

/* A temp dir with cgroup "mounts" in it, and the mountinfo that names them. */
struct FakeCgroupfs {
  std::string root;
  std::string mountinfo;
  int next_id = 30;

  FakeCgroupfs()
  {
    g_autofree char *dir = g_dir_make_tmp("vdid-cgroupfs-XXXXXX", nullptr);
    root = dir;
  }
  ~FakeCgroupfs()
  {
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", root.c_str());
    (void)!system(rm);
  }
  /* A mount of @type ("cgroup" or "cgroup2") at root/@point showing the
   * cgroup @cgroup_root at its top; @options: the v1 controllers. */
  std::string mount(const std::string &point, const std::string &type,
                    const std::string &options = "", const std::string &cgroup_root = "/")
  {
    std::string dir = root + "/" + point;
    g_mkdir_with_parents(dir.c_str(), 0755);
    std::string escaped;
    for (char ch : dir)
      escaped += ch == ' ' ? std::string("\\040") : std::string(1, ch);
    int id = next_id++;
    mountinfo += std::to_string(id) + " 23 0:" + std::to_string(id) + " " + cgroup_root + " " +
                 escaped + " rw,relatime - " + type + " " + type + " rw" +
                 (options.empty() ? "" : "," + options) + "\n";
    return dir;
  }
  std::string dir(const std::string &path)
  {
    std::string d = root + "/" + path;
    g_mkdir_with_parents(d.c_str(), 0755);
    return d;
  }
  void write(const std::string &path, const std::string &text)
  {
    std::ofstream(root + "/" + path) << text;
  }
  std::string read(const std::string &path) const
  {
    g_autofree char *data = nullptr;
    if (!g_file_get_contents((root + "/" + path).c_str(), &data, nullptr, nullptr))
      return "<missing>";
    return data;
  }
  bool exists(const std::string &path) const
  {
    return g_file_test((root + "/" + path).c_str(), G_FILE_TEST_EXISTS);
  }
};

Limits allThree()
{
  Limits l;
  l.cpu = 0.5;
  l.memory = 64ull << 20;
  l.pids = 128;
  return l;
}

/* This test machine: cgroup v1 controllers, each in its own hierarchy, an
 * empty unified hierarchy beside them (hybrid mode), and vdid's memory
 * cgroup below the root. */
constexpr const char *kHybridSelf = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/job1\n"
                                    "2:cpuacct:/\n1:cpu:/\n0::/\n";

void mountHybrid(FakeCgroupfs &fs)
{
  fs.mount("cpu", "cgroup", "cpu");
  fs.mount("cpuacct", "cgroup", "cpuacct");
  fs.mount("memory", "cgroup", "memory");
  fs.dir("memory/process_api/job1");
  fs.mount("pids", "cgroup", "pids");
  fs.mount("systemd", "cgroup", "name=systemd");
  fs.mount("unified", "cgroup2");
  fs.write("unified/cgroup.controllers", "\n");
}

} // namespace

TEST_CASE("cgroup v2 with the controllers delegated enforces the limits", "[vdid][cgroups]")
{
  FakeCgroupfs fs;
  fs.mount("cg", "cgroup2");
  fs.dir("cg/system.slice/vdid.service");
  fs.write("cg/system.slice/vdid.service/cgroup.controllers", "cpuset cpu io memory pids\n");
  fs.write("cg/system.slice/vdid.service/cgroup.subtree_control", "");
  const std::string self = "0::/system.slice/vdid.service\n";

  CgroupPlan plan = planCgroups(allThree(), fs.mountinfo, self);
  REQUIRE(plan.version == CgroupVersion::V2);
  REQUIRE(plan.hierarchies.size() == 1);
  CHECK(plan.hierarchies[0].dir == fs.root + "/cg/system.slice/vdid.service");
  CHECK(plan.hierarchies[0].controllers == std::vector<std::string>{"cpu", "memory", "pids"});
  CHECK_FALSE(plan.at_root);

  Cgroups cg(allThree(), fs.mountinfo, self);
  REQUIRE(cg.enforced());
  CHECK(cg.version() == CgroupVersion::V2);
  /* vdid moved itself into a leaf, then handed the controllers down. */
  CHECK(fs.read("cg/system.slice/vdid.service/vdid/cgroup.procs") == "0");
  CHECK(fs.read("cg/system.slice/vdid.service/cgroup.subtree_control") == "+cpu +memory +pids");
  const std::string parent = "cg/system.slice/vdid.service/vdi.slice";
  CHECK(cg.parents() == std::vector<std::string>{fs.root + "/" + parent});
  CHECK(fs.read(parent + "/cgroup.subtree_control") == "+cpu +memory +pids");

  std::string error;
  auto procs = cg.create("s1", &error);
  INFO(error);
  CHECK(procs == std::vector<std::string>{fs.root + "/" + parent + "/s1/cgroup.procs"});
  CHECK(fs.read(parent + "/s1/cpu.max") == "50000 100000");
  CHECK(fs.read(parent + "/s1/memory.max") == "67108864");
  CHECK(fs.read(parent + "/s1/pids.max") == "128");
  /* Only what is configured is written: cpu alone needs only cpu. */
  Limits cpu_only;
  cpu_only.cpu = 2;
  CgroupPlan cpu_plan = planCgroups(cpu_only, fs.mountinfo, self);
  REQUIRE(cpu_plan.version == CgroupVersion::V2);
  CHECK(cpu_plan.hierarchies[0].controllers == std::vector<std::string>{"cpu"});

  /* In the root cgroup vdid stays where it is. */
  FakeCgroupfs top;
  top.mount("cg", "cgroup2");
  top.write("cg/cgroup.controllers", "cpu memory pids\n");
  top.write("cg/cgroup.subtree_control", "");
  CgroupPlan root_plan = planCgroups(allThree(), top.mountinfo, "0::/\n");
  REQUIRE(root_plan.version == CgroupVersion::V2);
  CHECK(root_plan.at_root);
  CHECK(root_plan.hierarchies[0].dir == top.root + "/cg");
}

TEST_CASE("cgroup v1 enforces the limits where cgroup v2 has no controllers", "[vdid][cgroups]")
{
  FakeCgroupfs fs;
  mountHybrid(fs);
  CgroupPlan plan = planCgroups(allThree(), fs.mountinfo, kHybridSelf);
  REQUIRE(plan.version == CgroupVersion::V1);
  REQUIRE(plan.hierarchies.size() == 3);
  CHECK(plan.hierarchies[0].dir == fs.root + "/cpu");
  CHECK(plan.hierarchies[0].controllers == std::vector<std::string>{"cpu"});
  /* vdid's own memory cgroup, not the root: sessions stay inside what
   * limits vdid. */
  CHECK(plan.hierarchies[1].dir == fs.root + "/memory/process_api/job1");
  CHECK(plan.hierarchies[2].dir == fs.root + "/pids");

  Cgroups cg(allThree(), fs.mountinfo, kHybridSelf);
  REQUIRE(cg.enforced());
  CHECK(cg.version() == CgroupVersion::V1);
  CHECK(cg.parents() == std::vector<std::string>{fs.root + "/cpu/vdid",
                                                 fs.root + "/memory/process_api/job1/vdid",
                                                 fs.root + "/pids/vdid"});
  std::string error;
  auto procs = cg.create("s1", &error);
  INFO(error);
  CHECK(procs == std::vector<std::string>{fs.root + "/cpu/vdid/s1/cgroup.procs",
                                          fs.root + "/memory/process_api/job1/vdid/s1/cgroup.procs",
                                          fs.root + "/pids/vdid/s1/cgroup.procs"});
  CHECK(fs.read("cpu/vdid/s1/cpu.cfs_period_us") == "100000");
  CHECK(fs.read("cpu/vdid/s1/cpu.cfs_quota_us") == "50000");
  CHECK(fs.read("memory/process_api/job1/vdid/s1/memory.limit_in_bytes") == "67108864");
  CHECK(fs.read("pids/vdid/s1/pids.max") == "128");
  /* Nothing of another controller where it does not belong. */
  CHECK_FALSE(fs.exists("cpu/vdid/s1/memory.limit_in_bytes"));
  CHECK_FALSE(fs.exists("cpuacct/vdid"));
  /* An existing cgroup of that name (another vdid's) is not taken over. */
  CHECK(cg.create("s1", &error).empty());
  CHECK(error.find("cannot create the session's cgroup") != std::string::npos);
  CHECK(fs.read("cpu/vdid/s1/cpu.cfs_quota_us") == "50000");
}

TEST_CASE("co-mounted cgroup v1 controllers share one session cgroup", "[vdid][cgroups]")
{
  FakeCgroupfs fs;
  fs.mount("cpu,cpuacct", "cgroup", "cpu,cpuacct");
  fs.mount("memory", "cgroup", "memory");
  /* A container's mount showing only its own part of the hierarchy. */
  fs.mount("pids", "cgroup", "pids", "/docker/c1");
  const std::string self = "3:pids:/docker/c1/inner\n2:memory:/\n1:cpu,cpuacct:/user.slice\n";
  fs.dir("cpu,cpuacct/user.slice");
  fs.dir("pids/inner");
  CgroupPlan plan = planCgroups(allThree(), fs.mountinfo, self);
  REQUIRE(plan.version == CgroupVersion::V1);
  REQUIRE(plan.hierarchies.size() == 3);
  CHECK(plan.hierarchies[0].dir == fs.root + "/cpu,cpuacct/user.slice");
  CHECK(plan.hierarchies[1].dir == fs.root + "/memory");
  CHECK(plan.hierarchies[2].dir == fs.root + "/pids/inner");

  FakeCgroupfs all;
  all.mount("all", "cgroup", "cpu,cpuacct,memory,pids");
  CgroupPlan one = planCgroups(allThree(), all.mountinfo, "1:cpu,cpuacct,memory,pids:/\n");
  REQUIRE(one.version == CgroupVersion::V1);
  REQUIRE(one.hierarchies.size() == 1);
  CHECK(one.hierarchies[0].controllers == std::vector<std::string>{"cpu", "memory", "pids"});

  FakeCgroupfs spaced;
  spaced.mount("my cgroups/cpu", "cgroup", "cpu");
  Limits cpu_only;
  cpu_only.cpu = 1;
  CgroupPlan s = planCgroups(cpu_only, spaced.mountinfo, "1:cpu:/\n");
  REQUIRE(s.version == CgroupVersion::V1);
  CHECK(s.hierarchies[0].dir == spaced.root + "/my cgroups/cpu");
}

TEST_CASE("cgroup limits are refused with the reason of both versions", "[vdid][cgroups]")
{
  Limits none;
  Cgroups off(none, "", "");
  CHECK_FALSE(off.enforced());
  CHECK(off.reason().find("no cpu-limit, memory-limit or pids-limit") != std::string::npos);
  std::string error;
  CHECK(off.create("x", &error).empty());
  CHECK(error.empty());

  Cgroups nothing(allThree(), "", "");
  CHECK_FALSE(nothing.enforced());
  CHECK(nothing.reason() == "cgroup v2: no cgroup v2 hierarchy is mounted; cgroup v1: no cgroup "
                            "v1 hierarchy has the cpu controller");
  CHECK(nothing.create("abc", &error).empty());

  /* Hybrid mode without a pids hierarchy: pids-limit cannot be enforced. */
  FakeCgroupfs fs;
  fs.mount("cpu", "cgroup", "cpu");
  fs.mount("memory", "cgroup", "memory");
  fs.mount("unified", "cgroup2");
  fs.write("unified/cgroup.controllers", "\n");
  {
    Cgroups cg(allThree(), fs.mountinfo, "2:memory:/\n1:cpu:/\n0::/\n");
    CHECK_FALSE(cg.enforced());
    CHECK(cg.reason().find("cgroup v2: the cpu, memory, pids controllers are not available in " +
                           fs.root + "/unified") == 0);
    CHECK(cg.reason().find("cgroup v1: no cgroup v1 hierarchy has the pids controller") !=
          std::string::npos);
    CHECK(cg.create("abc", &error).empty());
  }
  CHECK_FALSE(fs.exists("cpu/vdid")); /* nothing written for a refusal */

  /* vdid's cgroup outside what the mount shows. */
  FakeCgroupfs outside;
  outside.mount("cpu", "cgroup", "cpu", "/docker/c1");
  Limits cpu_only;
  cpu_only.cpu = 1;
  CgroupPlan plan = planCgroups(cpu_only, outside.mountinfo, "1:cpu:/elsewhere\n");
  CHECK(plan.version == CgroupVersion::None);
  CHECK(plan.reason.find("vdid's cpu cgroup /elsewhere is not inside the mount at " + outside.root +
                         "/cpu") != std::string::npos);

  /* A v2 hierarchy whose controllers are not all there falls to v1. */
  FakeCgroupfs partial;
  partial.mount("cg", "cgroup2");
  partial.write("cg/cgroup.controllers", "cpu pids\n");
  partial.mount("memory", "cgroup", "memory");
  CgroupPlan mixed = planCgroups(allThree(), partial.mountinfo, "2:memory:/\n0::/\n");
  CHECK(mixed.version == CgroupVersion::None);
  CHECK(mixed.reason.find("the memory controller is not available") != std::string::npos);
  CHECK(mixed.reason.find("no cgroup v1 hierarchy has the cpu controller") != std::string::npos);
}
