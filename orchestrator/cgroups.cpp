/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "cgroups.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace vdid {

namespace {

constexpr guint64 kPeriodUs = 100000; /* cpu.max period: 100 ms */
constexpr guint64 kMinMemory = 4 * 1024 * 1024;

bool writeFile(const std::string &path, const std::string &value, std::string *error)
{
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
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

std::string readFile(const std::string &path)
{
  g_autofree char *data = nullptr;
  if (!g_file_get_contents(path.c_str(), &data, nullptr, nullptr))
    return "";
  return data;
}

bool hasWord(const std::string &list, const char *word)
{
  std::istringstream in(list);
  std::string w;
  while (in >> w)
    if (w == word)
      return true;
  return false;
}

std::string trimmed(const std::string &text)
{
  size_t a = text.find_first_not_of(" \t");
  size_t b = text.find_last_not_of(" \t");
  return a == std::string::npos ? "" : text.substr(a, b - a + 1);
}

/* The cgroup v2 path of this process ("0::/PATH" in /proc/self/cgroup). */
std::string ownCgroup()
{
  std::istringstream in(readFile("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0)
      return line.substr(3);
  return "";
}

} // namespace

bool parseCpuLimit(const std::string &text, double *cores, std::string *error)
{
  const std::string t = trimmed(text);
  char *end = nullptr;
  double v = g_ascii_strtod(t.c_str(), &end);
  if (t.empty() || *end || !std::isfinite(v) || v < 0.01 || v > 4096) {
    *error =
      "cpu-limit must be a number of cores from 0.01 to 4096 (e.g. 1.5), not \"" + text + "\"";
    return false;
  }
  *cores = v;
  return true;
}

bool parseByteSize(const std::string &text, guint64 *bytes, std::string *error)
{
  auto bad = [&]() {
    *error = "memory-limit must be bytes with an optional K, M, G or T suffix (e.g. 512M, 2G), "
             "at least 4M, not \"" +
             text + "\"";
    return false;
  };
  const std::string t = trimmed(text);
  if (t.empty() || !g_ascii_isdigit(t[0]))
    return bad();
  char *end = nullptr;
  errno = 0;
  guint64 v = g_ascii_strtoull(t.c_str(), &end, 10);
  if (errno)
    return bad();
  g_autofree char *lower = g_ascii_strdown(end, -1);
  const std::string suffix = lower;
  static const std::pair<const char *, unsigned> kSuffixes[] = {
    {"", 0},     {"b", 0},  {"k", 10},  {"kb", 10},  {"kib", 10}, {"m", 20},  {"mb", 20},
    {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40},   {"tb", 40}, {"tib", 40},
  };
  int shift = -1;
  for (const auto &[name, bits] : kSuffixes)
    if (suffix == name)
      shift = static_cast<int>(bits);
  if (shift < 0)
    return bad();
  if (shift && v > (G_MAXUINT64 >> shift))
    return bad();
  v <<= shift;
  if (v < kMinMemory)
    return bad();
  *bytes = v;
  return true;
}

std::string cpuMaxValue(double cores)
{
  if (cores <= 0)
    return "max " + std::to_string(kPeriodUs);
  auto quota = static_cast<guint64>(std::llround(cores * kPeriodUs));
  if (quota < 1000) /* the kernel's minimum quota is 1 ms */
    quota = 1000;
  return std::to_string(quota) + " " + std::to_string(kPeriodUs);
}

std::string memoryMaxValue(guint64 bytes)
{
  return bytes ? std::to_string(bytes) : "max";
}

Cgroups::Cgroups(const Limits &limits, const std::string &root) : limits_(limits), root_(root)
{
  if (!limits_.any())
    return;
  std::string why;
  enforced_ = prepare(&why);
  if (!enforced_)
    reason_ = why;
}

Cgroups::~Cgroups()
{
  if (enforced_)
    rmdir(parent_.c_str()); /* fails harmlessly while anything is left */
}

bool Cgroups::prepare(std::string *why)
{
  struct statfs fs;
  if (statfs(root_.c_str(), &fs) < 0) {
    *why = root_ + " is not mounted: " + g_strerror(errno);
    return false;
  }
  if (fs.f_type != CGROUP2_SUPER_MAGIC) {
    *why = root_ + " is not a cgroup v2 hierarchy (cgroup v1 or hybrid mode; boot with "
                   "systemd.unified_cgroup_hierarchy=1)";
    return false;
  }
  std::string own = ownCgroup();
  if (own.empty()) {
    *why = "this process has no cgroup v2 path in /proc/self/cgroup";
    return false;
  }
  std::string base = own == "/" ? root_ : root_ + own;
  std::string available = readFile(base + "/cgroup.controllers");
  if (!hasWord(available, "cpu") || !hasWord(available, "memory")) {
    *why = "the cpu and memory controllers are not available in " + base +
           " (with systemd: Delegate=cpu memory in the unit)";
    return false;
  }
  if (access((base + "/cgroup.subtree_control").c_str(), W_OK) < 0) {
    *why = base + " is not writable (run vdid as root, or delegate its cgroup)";
    return false;
  }
  std::string error;
  if (own != "/") {
    /* A cgroup with processes cannot hand controllers to children (no
     * internal processes): vdid moves itself into a leaf first. */
    std::string leaf = base + "/vdid";
    if ((mkdir(leaf.c_str(), 0755) < 0 && errno != EEXIST) ||
        !writeFile(leaf + "/cgroup.procs", "0", &error)) {
      *why = error.empty() ? "cannot create " + leaf + ": " + g_strerror(errno) : error;
      return false;
    }
  }
  if (!writeFile(base + "/cgroup.subtree_control", "+cpu +memory", &error)) {
    *why = error;
    return false;
  }
  parent_ = base + "/vdi.slice";
  if (mkdir(parent_.c_str(), 0755) < 0 && errno != EEXIST) {
    *why = "cannot create " + parent_ + ": " + g_strerror(errno);
    return false;
  }
  if (!writeFile(parent_ + "/cgroup.subtree_control", "+cpu +memory", &error)) {
    *why = error;
    return false;
  }
  /* Session cgroups a killed vdid left behind. */
  g_autoptr(GDir) dir = g_dir_open(parent_.c_str(), 0, nullptr);
  const char *name;
  while (dir && (name = g_dir_read_name(dir)))
    if (g_file_test((parent_ + "/" + name).c_str(), G_FILE_TEST_IS_DIR))
      remove(name);
  return true;
}

std::string Cgroups::create(const std::string &id, std::string *error)
{
  if (!enforced_)
    return "";
  std::string dir = parent_ + "/" + id;
  if (mkdir(dir.c_str(), 0755) < 0) {
    *error = "cannot create the session's cgroup " + dir + ": " + g_strerror(errno);
    return "";
  }
  if ((limits_.cpu > 0 && !writeFile(dir + "/cpu.max", cpuMaxValue(limits_.cpu), error)) ||
      (limits_.memory > 0 &&
       !writeFile(dir + "/memory.max", memoryMaxValue(limits_.memory), error))) {
    rmdir(dir.c_str());
    return "";
  }
  return dir + "/cgroup.procs";
}

void Cgroups::remove(const std::string &id)
{
  if (parent_.empty())
    return;
  std::string dir = parent_ + "/" + id;
  if (!g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR))
    return;
  std::string ignored;
  /* Anything that escaped the session's process groups dies here. */
  writeFile(dir + "/cgroup.kill", "1", &ignored);
  for (int i = 0; i < 200; i++) {
    if (rmdir(dir.c_str()) == 0 || errno != EBUSY)
      return;
    g_usleep(10000);
  }
  g_warning("cannot remove the cgroup %s: %s", dir.c_str(), g_strerror(errno));
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
