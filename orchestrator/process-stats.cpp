/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "process-stats.h"

#include <glib.h>

#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace vdid {

bool parseProcStat(const char *text, ProcessUsage *out)
{
  /* The command name is in parentheses and may hold spaces or ')': the
   * fields start after the last ')'. utime is the 14th field of the line,
   * stime the 15th, rss (pages) the 24th. */
  const char *p = text ? strrchr(text, ')') : nullptr;
  if (!p || p[1] != ' ')
    return false;
  g_auto(GStrv) f = g_strsplit(p + 2, " ", 0);
  if (g_strv_length(f) <= 21)
    return false;
  static const long ticks = sysconf(_SC_CLK_TCK);
  static const long page = sysconf(_SC_PAGESIZE);
  out->cpu_seconds = (g_ascii_strtod(f[11], nullptr) + g_ascii_strtod(f[12], nullptr)) / ticks;
  out->rss_bytes = g_ascii_strtod(f[21], nullptr) * page;
  return true;
}

bool parseHostCpu(const char *text, HostCpu *out)
{
  unsigned long long v[8] = {};
  if (strncmp(text, "cpu ", 4) != 0 ||
      sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
             &v[5], &v[6], &v[7]) < 4)
    return false;
  /* user nice system idle iowait irq softirq steal */
  out->total = 0;
  for (unsigned long long x : v)
    out->total += x;
  out->busy = out->total - v[3] - v[4];
  return true;
}

HostCpu hostCpu()
{
  HostCpu cpu;
  g_autofree char *text = nullptr;
  if (g_file_get_contents("/proc/stat", &text, nullptr, nullptr))
    parseHostCpu(text, &cpu);
  return cpu;
}

ProcessUsage processUsage(pid_t pid)
{
  ProcessUsage usage;
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
  g_autofree char *stat = nullptr;
  if (g_file_get_contents(path, &stat, nullptr, nullptr) && !parseProcStat(stat, &usage))
    usage = ProcessUsage();
  return usage;
}

ProcessUsage processUsage(const std::vector<pid_t> &pids)
{
  ProcessUsage sum;
  for (pid_t pid : pids)
    sum += processUsage(pid);
  return sum;
}

std::vector<pid_t> processesWithEnv(const std::string &entry)
{
  std::vector<pid_t> pids;
  g_autoptr(GDir) proc = g_dir_open("/proc", 0, nullptr);
  const char *name;
  while (proc && (name = g_dir_read_name(proc))) {
    if (!g_ascii_isdigit(name[0]))
      continue;
    g_autofree char *path = g_strdup_printf("/proc/%s/environ", name);
    g_autofree gchar *data = nullptr;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, nullptr))
      continue;
    std::string env(data, len);
    size_t pos = env.find(entry);
    if (pos != std::string::npos && (pos == 0 || env[pos - 1] == '\0') &&
        (pos + entry.size() == env.size() || env[pos + entry.size()] == '\0'))
      pids.push_back(static_cast<pid_t>(atoi(name)));
  }
  return pids;
}

} // namespace vdid
