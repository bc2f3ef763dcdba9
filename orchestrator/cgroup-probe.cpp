/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "cgroup-probe.h"

#include <algorithm>
#include <sstream>
#include <unistd.h>

namespace vdid {

namespace {

struct Mount {
  std::string root;                 /* the cgroup the mount shows at its top */
  std::string point;                /* where it is mounted */
  std::string type;                 /* "cgroup" or "cgroup2" (others are skipped) */
  std::vector<std::string> options; /* super options: v1 controllers among them */
};

std::vector<std::string> split(const std::string &text, char sep)
{
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep))
    out.push_back(item);
  return out;
}

bool contains(const std::vector<std::string> &list, const std::string &word)
{
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string joined(const std::vector<std::string> &list)
{
  std::string out;
  for (const auto &w : list)
    out += (out.empty() ? "" : ", ") + w;
  return out;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
std::string unescaped(const std::string &text)
{
  std::string out;
  for (size_t i = 0; i < text.size(); i++) {
    auto octal = [&](size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '7'; };
    if (text[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out +=
        static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + text[i + 3] - '0');
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<Mount> cgroupMounts(const std::string &mountinfo)
{
  std::vector<Mount> out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream words(line);
    std::string w;
    while (words >> w)
      f.push_back(w);
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || sep == f.end() || f.end() - sep < 4)
      continue;
    Mount m{unescaped(f[3]), unescaped(f[4]), sep[1], split(sep[3], ',')};
    if (m.type == "cgroup" || m.type == "cgroup2")
      out.push_back(std::move(m));
  }
  return out;
}

/* The directory of cgroup @path in mount @m, or "" when the mount does not
 * show it. */
std::string dirOf(const Mount &m, const std::string &path)
{
  if (m.root == "/")
    return path == "/" ? m.point : m.point + path;
  if (path == m.root)
    return m.point;
  if (path.rfind(m.root + "/", 0) == 0)
    return m.point + path.substr(m.root.size());
  return "";
}

/* The cgroup path of this process in the hierarchy whose /proc/self/cgroup
 * line matches @controller ("" for the v2 line "0::PATH"). */
bool ownPath(const std::string &self_cgroup, const std::string &controller, std::string *path)
{
  std::istringstream in(self_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos)
      continue;
    std::string id = line.substr(0, a), names = line.substr(a + 1, b - a - 1);
    if (controller.empty() ? (id == "0" && names.empty())
                           : contains(split(names, ','), controller)) {
      *path = line.substr(b + 1);
      return true;
    }
  }
  return false;
}

/* cgroup v2: "" and @plan filled, or why not. */
std::string planV2(const std::vector<std::string> &needed, const std::vector<Mount> &mounts,
                   const std::string &self_cgroup, CgroupPlan *plan)
{
  auto m =
    std::find_if(mounts.begin(), mounts.end(), [](const Mount &x) { return x.type == "cgroup2"; });
  if (m == mounts.end())
    return "no cgroup v2 hierarchy is mounted";
  std::string own;
  if (!ownPath(self_cgroup, "", &own))
    return "this process has no cgroup v2 path in /proc/self/cgroup";
  std::string dir = dirOf(*m, own);
  if (dir.empty())
    return "vdid's cgroup " + own + " is not inside the mount at " + m->point;
  std::vector<std::string> available;
  std::istringstream in(readCgroupFile(dir + "/cgroup.controllers"));
  std::string w;
  while (in >> w)
    available.push_back(w);
  std::vector<std::string> missing;
  for (const auto &c : needed)
    if (!contains(available, c))
      missing.push_back(c);
  if (!missing.empty())
    return "the " + joined(missing) + " controller" + (missing.size() > 1 ? "s are" : " is") +
           " not available in " + dir +
           " (held by cgroup v1, or not delegated: with systemd, Delegate=" + joined(needed) +
           " in the unit)";
  if (access((dir + "/cgroup.subtree_control").c_str(), W_OK) < 0)
    return dir + " is not writable (run vdid as root, or delegate its cgroup)";
  plan->hierarchies = {{dir, needed}};
  plan->at_root = own == "/";
  return "";
}

/* cgroup v1: "" and @plan filled, or why not. */
std::string planV1(const std::vector<std::string> &needed, const std::vector<Mount> &mounts,
                   const std::string &self_cgroup, CgroupPlan *plan)
{
  std::vector<CgroupHierarchy> out;
  for (const auto &c : needed) {
    auto m = std::find_if(mounts.begin(), mounts.end(), [&](const Mount &x) {
      return x.type == "cgroup" && contains(x.options, c);
    });
    if (m == mounts.end())
      return "no cgroup v1 hierarchy has the " + c + " controller";
    std::string own;
    if (!ownPath(self_cgroup, c, &own))
      return "this process has no cgroup v1 path for " + c + " in /proc/self/cgroup";
    std::string dir = dirOf(*m, own);
    if (dir.empty())
      return "vdid's " + c + " cgroup " + own + " is not inside the mount at " + m->point;
    if (access(dir.c_str(), W_OK) < 0)
      return dir + " is not writable (run vdid as root)";
    auto same =
      std::find_if(out.begin(), out.end(), [&](const CgroupHierarchy &h) { return h.dir == dir; });
    if (same != out.end())
      same->controllers.push_back(c);
    else
      out.push_back({dir, {c}});
  }
  plan->hierarchies = std::move(out);
  return "";
}

} // namespace

std::string readCgroupFile(const std::string &path)
{
  g_autofree char *data = nullptr;
  if (!g_file_get_contents(path.c_str(), &data, nullptr, nullptr))
    return "";
  return data;
}

const char *cgroupVersionName(CgroupVersion version)
{
  switch (version) {
  case CgroupVersion::V2:
    return "v2";
  case CgroupVersion::V1:
    return "v1";
  case CgroupVersion::None:
    break;
  }
  return "none";
}

CgroupPlan planCgroups(const Limits &limits, const std::string &mountinfo,
                       const std::string &self_cgroup)
{
  CgroupPlan plan;
  const std::vector<std::string> needed = limits.controllers();
  if (needed.empty()) {
    plan.reason = "no cpu-limit, memory-limit or pids-limit is configured";
    return plan;
  }
  const std::vector<Mount> mounts = cgroupMounts(mountinfo);
  std::string v2 = planV2(needed, mounts, self_cgroup, &plan);
  if (v2.empty()) {
    plan.version = CgroupVersion::V2;
    return plan;
  }
  std::string v1 = planV1(needed, mounts, self_cgroup, &plan);
  if (v1.empty()) {
    plan.version = CgroupVersion::V1;
    return plan;
  }
  plan.reason = "cgroup v2: " + v2 + "; cgroup v1: " + v1;
  return plan;
}

} // namespace vdid
