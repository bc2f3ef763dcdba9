/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the kernel says a process uses, from /proc/PID/stat: CPU time and
 * resident memory. vdid's metrics sum it over a session's processes.
 */

#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vdid {

struct ProcessUsage {
  double cpu_seconds = 0; /* user + system */
  double rss_bytes = 0;

  ProcessUsage &operator+=(const ProcessUsage &o)
  {
    cpu_seconds += o.cpu_seconds;
    rss_bytes += o.rss_bytes;
    return *this;
  }
};

/* Parses the text of /proc/PID/stat; false if it is not one. */
bool parseProcStat(const char *text, ProcessUsage *out);

/* The usage of @pid, zero when it is gone. */
ProcessUsage processUsage(pid_t pid);

/* The sum over @pids. */
ProcessUsage processUsage(const std::vector<pid_t> &pids);

/* The host's CPU time so far, from /proc/stat's "cpu" line, in clock
 * ticks: busy (all but idle and iowait) and in all. */
struct HostCpu {
  unsigned long long busy = 0, total = 0;
};
/* Parses the text of /proc/stat; false without a "cpu" line. */
bool parseHostCpu(const char *text, HostCpu *out);
HostCpu hostCpu();

/* The processes whose environment holds @entry (KEY=VALUE) exactly. */
std::vector<pid_t> processesWithEnv(const std::string &entry);

} // namespace vdid
