/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Per-session resource limits with cgroup v2: `[sessions] cpu-limit` (cores)
 * and `memory-limit` (bytes). At start-up vdid checks that /sys/fs/cgroup is
 * a cgroup v2 hierarchy it may write, with the cpu and memory controllers
 * available, and prepares a parent cgroup (vdi.slice) with both controllers
 * enabled for its children. Each session gets a child cgroup with cpu.max and
 * memory.max; the session's processes join it in the forked child before
 * exec, so none runs outside it even for a moment. After the session the
 * cgroup is killed (cgroup.kill) and removed.
 *
 * When that is not possible (cgroup v1 or hybrid, read-only, controllers not
 * delegated) vdid says why once and runs sessions without limits; sessions
 * and /metrics report that the limits are not enforced.
 */

#pragma once

#include <glib.h>

#include <string>

namespace vdid {

struct Limits {
  double cpu = 0;     /* cores; 0: unlimited */
  guint64 memory = 0; /* bytes; 0: unlimited */
  bool any() const { return cpu > 0 || memory > 0; }
};

/* "1.5" -> 1.5 cores: a positive decimal number of at most 4096 cores, at
 * least 0.01. */
bool parseCpuLimit(const std::string &text, double *cores, std::string *error);
/* "512M", "2G", "1048576", "64K" (powers of 1024; K/M/G/T, optional B or iB
 * suffix, case-insensitive) -> bytes; at least 4 MiB. */
bool parseByteSize(const std::string &text, guint64 *bytes, std::string *error);

/* What vdid writes into cpu.max for @cores: "QUOTA PERIOD" with a 100 ms
 * period ("150000 100000" for 1.5), or "max 100000" for 0. */
std::string cpuMaxValue(double cores);
/* What vdid writes into memory.max: the byte count, or "max" for 0. */
std::string memoryMaxValue(guint64 bytes);

class Cgroups
{
public:
  /* Checks @root (normally /sys/fs/cgroup) and, when @limits has any limit,
   * prepares the parent cgroup. */
  explicit Cgroups(const Limits &limits, const std::string &root = "/sys/fs/cgroup");
  ~Cgroups();
  Cgroups(const Cgroups &) = delete;
  Cgroups &operator=(const Cgroups &) = delete;

  const Limits &limits() const { return limits_; }
  /* True when sessions get their limits. */
  bool enforced() const { return enforced_; }
  /* Why not, when limits are configured but not enforced. */
  const std::string &reason() const { return reason_; }

  /* Creates the cgroup of session @id with the limits written. Returns the
   * path of its cgroup.procs (for the forked child to write its pid into),
   * or "" with @error. Returns "" without error when limits are not
   * enforced. */
  std::string create(const std::string &id, std::string *error);
  /* Kills whatever is left in the session's cgroup and removes it. */
  void remove(const std::string &id);

  /* For the forked child (async-signal-safe): moves the calling process into
   * the cgroup whose cgroup.procs is @procs_path. */
  static bool joinFromChild(const char *procs_path);

private:
  bool prepare(std::string *why);

  Limits limits_;
  std::string root_;
  std::string parent_; /* the vdi.slice dir, when enforced */
  bool enforced_ = false;
  std::string reason_;
};

} // namespace vdid
