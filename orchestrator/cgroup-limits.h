/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The per-session limits of `[sessions]` (`cpu-limit` in cores,
 * `memory-limit` in bytes, `pids-limit` in tasks), how they are parsed, and
 * the values vdid writes for them into cgroup v2 and cgroup v1 files.
 */

#pragma once

#include <glib.h>

#include <string>
#include <vector>

namespace vdid {

struct Limits {
  double cpu = 0;     /* cores; 0: unlimited */
  guint64 memory = 0; /* bytes (RAM and swap together); 0: unlimited */
  guint64 pids = 0;   /* processes and threads; 0: unlimited */
  bool any() const { return cpu > 0 || memory > 0 || pids > 0; }
  /* The controllers these limits need, among "cpu", "memory", "pids". */
  std::vector<std::string> controllers() const;
};

/* "1.5" -> 1.5 cores: a positive decimal number of at most 4096 cores, at
 * least 0.01. The parsers' errors start with "must be": the caller names
 * the key. */
bool parseCpuLimit(const std::string &text, double *cores, std::string *error);
/* "512M", "2G", "1048576", "64K" (powers of 1024; K/M/G/T, optional B or iB
 * suffix, case-insensitive) -> bytes; at least 4 MiB. */
bool parseByteSize(const std::string &text, guint64 *bytes, std::string *error);
/* "256" -> 256 tasks: a whole number from 8 to 4194304 (the kernel's
 * pid_max limit). */
bool parsePidsLimit(const std::string &text, guint64 *tasks, std::string *error);

/* The CFS period of both cgroup versions: 100 ms. */
constexpr guint64 kCpuPeriodUs = 100000;

/* cgroup v2 cpu.max for @cores: "QUOTA PERIOD" ("150000 100000" for 1.5),
 * or "max 100000" for 0. */
std::string cpuMaxValue(double cores);
/* cgroup v2 memory.max: the byte count, or "max" for 0. */
std::string memoryMaxValue(guint64 bytes);
/* pids.max (both versions): the count, or "max" for 0. */
std::string pidsMaxValue(guint64 tasks);

/* cgroup v1 cpu.cfs_quota_us for @cores ("150000" for 1.5 with the period
 * kCpuPeriodUs), or "-1" for 0. */
std::string cfsQuotaValue(double cores);
/* cgroup v1 memory.limit_in_bytes and memory.memsw.limit_in_bytes: the byte
 * count, or "-1" for 0. */
std::string memoryLimitInBytesValue(guint64 bytes);

} // namespace vdid
