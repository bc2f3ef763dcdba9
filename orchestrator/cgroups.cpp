/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "cgroups.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace vdid {

namespace {

/* cgroup v2: the parent of the session cgroups, and the leaf vdid moves
 * itself into when its own cgroup is not the root. cgroup v1: the parent of
 * the session cgroups in each hierarchy. */
constexpr const char *kV2Parent = "vdi.slice";
constexpr const char *kV2Leaf = "vdid";
constexpr const char *kV1Parent = "vdid";

/* Creates @path when it is missing, so that a test can stand in a plain
 * directory tree for a cgroupfs (a cgroupfs refuses new files: a missing
 * control file is still an error there). */
bool writeFile(const std::string &path, const std::string &value, std::string *error)
{
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot open " + path + ": " + g_strerror(errno);
    return false;
  }
  ssize_t n = write(fd, value.data(), value.size());
  int saved = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    *error = "cannot write \"" + value + "\" to " + path + ": " + g_strerror(saved);
    return false;
  }
  return true;
}

bool exists(const std::string &path)
{
  return access(path.c_str(), F_OK) == 0;
}

bool has(const std::vector<std::string> &list, const char *word)
{
  return std::find(list.begin(), list.end(), word) != list.end();
}

/* SIGKILL to every process listed in @procs (never to vdid itself). */
void killListed(const std::string &procs)
{
  std::istringstream in(readCgroupFile(procs));
  long pid;
  while (in >> pid)
    if (pid > 0 && pid != getpid())
      kill(static_cast<pid_t>(pid), SIGKILL);
}

/* The N of the line "KEY N" in @text, or 0. */
guint64 keyedValue(const std::string &text, const std::string &key)
{
  std::istringstream in(text);
  std::string k;
  guint64 v;
  while (in >> k >> v)
    if (k == key)
      return v;
  return 0;
}

} // namespace

Cgroups::Cgroups(const Limits &limits)
  : Cgroups(limits, readCgroupFile("/proc/self/mountinfo"), readCgroupFile("/proc/self/cgroup"))
{
}

Cgroups::Cgroups(const Limits &limits, const std::string &mountinfo, const std::string &self_cgroup)
  : limits_(limits)
{
  CgroupPlan plan = planCgroups(limits_, mountinfo, self_cgroup);
  if (plan.version == CgroupVersion::None) {
    reason_ = plan.reason;
    return;
  }
  std::string why;
  if (prepare(plan, &why))
    version_ = plan.version;
  else
    reason_ = std::string("cgroup ") + cgroupVersionName(plan.version) + ": " + why;
}

Cgroups::~Cgroups()
{
  for (const auto &p : parents_)
    rmdir(p.dir.c_str()); /* fails harmlessly while anything is left */
}

std::vector<std::string> Cgroups::parents() const
{
  std::vector<std::string> out;
  for (const auto &p : parents_)
    out.push_back(p.dir);
  return out;
}

bool Cgroups::prepare(const CgroupPlan &plan, std::string *why)
{
  auto mkdirOk = [why](const std::string &dir) {
    if (mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST)
      return true;
    *why = "cannot create " + dir + ": " + g_strerror(errno);
    return false;
  };
  std::vector<CgroupHierarchy> parents;
  if (plan.version == CgroupVersion::V1) {
    for (const auto &h : plan.hierarchies) {
      std::string dir = h.dir + "/" + kV1Parent;
      if (!mkdirOk(dir))
        return false;
      parents.push_back({dir, h.controllers});
    }
    parents_ = std::move(parents);
    return true;
  }
  const CgroupHierarchy &h = plan.hierarchies.front();
  std::string enable;
  for (const auto &c : h.controllers)
    enable += (enable.empty() ? "+" : " +") + c;
  if (!plan.at_root) {
    /* A cgroup with processes cannot hand controllers to children (no
     * internal processes): vdid moves itself into a leaf first. */
    std::string leaf = h.dir + "/" + kV2Leaf;
    if (!mkdirOk(leaf) || !writeFile(leaf + "/cgroup.procs", "0", why))
      return false;
  }
  std::string parent = h.dir + "/" + kV2Parent;
  if (!writeFile(h.dir + "/cgroup.subtree_control", enable, why) || !mkdirOk(parent) ||
      !writeFile(parent + "/cgroup.subtree_control", enable, why))
    return false;
  parents_ = {{parent, h.controllers}};
  return true;
}

bool Cgroups::writeLimits(const std::string &dir, const std::vector<std::string> &controllers,
                          std::string *error) const
{
  const bool v2 = version_ == CgroupVersion::V2;
  auto put = [&](const char *file, const std::string &value) {
    return writeFile(dir + "/" + file, value, error);
  };
  if (has(controllers, "cpu") && !(v2 ? put("cpu.max", cpuMaxValue(limits_.cpu))
                                      : put("cpu.cfs_period_us", std::to_string(kCpuPeriodUs)) &&
                                          put("cpu.cfs_quota_us", cfsQuotaValue(limits_.cpu))))
    return false;
  if (has(controllers, "memory")) {
    /* RAM and swap together: a session past its limit is OOM-killed instead
     * of swapping. The memsw limit can only be set at or above the RAM one,
     * after it; both files exist only where swap is accounted. */
    const char *swap = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
    if (!(v2 ? put("memory.max", memoryMaxValue(limits_.memory))
             : put("memory.limit_in_bytes", memoryLimitInBytesValue(limits_.memory))) ||
        (exists(dir + "/" + swap) &&
         !put(swap, v2 ? "0" : memoryLimitInBytesValue(limits_.memory))))
      return false;
  }
  return !has(controllers, "pids") || put("pids.max", pidsMaxValue(limits_.pids));
}

std::vector<std::string> Cgroups::create(const std::string &id, std::string *error)
{
  std::vector<std::string> procs, made;
  for (const auto &p : parents_) {
    std::string dir = p.dir + "/" + id;
    bool ok = mkdir(dir.c_str(), 0755) == 0;
    if (!ok)
      *error = "cannot create the session's cgroup " + dir + ": " + g_strerror(errno);
    else
      made.push_back(dir);
    if (!ok || !writeLimits(dir, p.controllers, error)) {
      for (const auto &d : made)
        rmdir(d.c_str());
      return {};
    }
    procs.push_back(dir + "/cgroup.procs");
  }
  return procs;
}

void Cgroups::remove(const std::string &id)
{
  for (const auto &p : parents_) {
    std::string dir = p.dir + "/" + id;
    if (!g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR))
      continue;
    std::string ignored;
    /* Anything that escaped the session's process groups dies here: at
     * once with cgroup.kill (cgroup v2, Linux 5.14), else one by one until
     * none is left (a fork bomb refills the list while it runs). */
    bool killed = version_ == CgroupVersion::V2 && writeFile(dir + "/cgroup.kill", "1", &ignored);
    int i = 0;
    for (; i < 200; i++) {
      if (!killed)
        killListed(dir + "/cgroup.procs");
      if (rmdir(dir.c_str()) == 0 || errno != EBUSY)
        break;
      g_usleep(10000);
    }
    if (i == 200 || (errno && g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR)))
      g_warning("cannot remove the cgroup %s: %s", dir.c_str(), g_strerror(errno));
  }
}

guint64 Cgroups::oomKills(const std::string &id) const
{
  for (const auto &p : parents_)
    if (has(p.controllers, "memory"))
      return keyedValue(
        readCgroupFile(p.dir + "/" + id +
                       (version_ == CgroupVersion::V2 ? "/memory.events" : "/memory.oom_control")),
        "oom_kill");
  return 0;
}

Cgroups::Throttling Cgroups::cpuThrottling(const std::string &id) const
{
  for (const auto &p : parents_)
    if (has(p.controllers, "cpu")) {
      /* The same keys on v1 and v2. */
      std::string stat = readCgroupFile(p.dir + "/" + id + "/cpu.stat");
      return {keyedValue(stat, "nr_periods"), keyedValue(stat, "nr_throttled")};
    }
  return {};
}

void Cgroups::describeValues(JsonBuilder *b) const
{
  json_builder_set_member_name(b, "cpu");
  if (limits_.cpu > 0)
    json_builder_add_double_value(b, limits_.cpu);
  else
    json_builder_add_null_value(b);
  for (const auto &[name, value] :
       {std::pair<const char *, guint64>{"memory", limits_.memory}, {"pids", limits_.pids}}) {
    json_builder_set_member_name(b, name);
    if (value > 0)
      json_builder_add_int_value(b, static_cast<gint64>(value));
    else
      json_builder_add_null_value(b);
  }
}

void Cgroups::describe(JsonBuilder *b, const std::string &id, bool joined) const
{
  json_builder_set_member_name(b, "limits");
  json_builder_begin_object(b);
  describeValues(b);
  json_builder_set_member_name(b, "enforced");
  json_builder_add_boolean_value(b, enforced() && joined);
  if (enforced()) {
    json_builder_set_member_name(b, "cgroup");
    json_builder_add_string_value(b, cgroupVersionName(version_));
    json_builder_set_member_name(b, "cgroups");
    json_builder_begin_array(b);
    for (const auto &p : parents_)
      json_builder_add_string_value(b, (p.dir + "/" + id).c_str());
    json_builder_end_array(b);
    if (limits_.memory > 0) {
      json_builder_set_member_name(b, "oom_kills");
      json_builder_add_int_value(b, static_cast<gint64>(oomKills(id)));
    }
  } else {
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, reason_.c_str());
  }
  json_builder_end_object(b);
}

bool Cgroups::joinFromChild(const char *procs_path)
{
  /* "0" means the writing process itself. */
  int fd = open(procs_path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = write(fd, "0", 1) == 1;
  close(fd);
  return ok;
}

} // namespace vdid
