/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Per-session resource limits: `[sessions] cpu-limit` (cores),
 * `memory-limit` (bytes of RAM and swap) and `pids-limit` (tasks), enforced
 * with cgroup v2 where vdid's cgroup has the controllers delegated, else
 * with the cgroup v1 hierarchies (cgroup-probe.h decides).
 *
 * cgroup v2: vdid prepares a parent cgroup (vdi.slice) with the controllers
 * enabled for its children; each session gets vdi.slice/ID with cpu.max,
 * memory.max (and memory.swap.max 0) and pids.max. cgroup v1: each session
 * gets vdid/ID in every hierarchy with a needed controller, with
 * cpu.cfs_period_us/cpu.cfs_quota_us, memory.limit_in_bytes (and
 * memory.memsw.limit_in_bytes where swap is accounted) and pids.max.
 *
 * The session's processes join its cgroups in the forked child before exec,
 * so none runs outside them even for a moment. After the session whatever
 * is left in them is killed and they are removed.
 *
 * When neither is possible vdid says why once and runs sessions without
 * limits; sessions and /metrics report that the limits are not enforced.
 */

#pragma once

#include "cgroup-limits.h"
#include "cgroup-probe.h"

#include <json-glib/json-glib.h>

#include <string>
#include <vector>

namespace vdid {

class Cgroups
{
public:
  /* Looks at this process's cgroups and mounts and, when @limits has any
   * limit, prepares the parent cgroups. */
  explicit Cgroups(const Limits &limits);
  /* The same from the text of @mountinfo and @self_cgroup (for tests). */
  Cgroups(const Limits &limits, const std::string &mountinfo, const std::string &self_cgroup);
  ~Cgroups();
  Cgroups(const Cgroups &) = delete;
  Cgroups &operator=(const Cgroups &) = delete;

  const Limits &limits() const { return limits_; }
  /* True when sessions get their limits. */
  bool enforced() const { return version_ != CgroupVersion::None; }
  CgroupVersion version() const { return version_; }
  /* Why not, when limits are configured but not enforced. */
  const std::string &reason() const { return reason_; }
  /* The parent directories of the session cgroups (one with v2, one per
   * hierarchy with v1). */
  std::vector<std::string> parents() const;

  /* Creates the cgroups of session @id with the limits written. Returns the
   * paths of their cgroup.procs (for the forked child to write its pid
   * into), or none with @error. Returns none without error when limits are
   * not enforced. */
  std::vector<std::string> create(const std::string &id, std::string *error);
  /* Kills whatever is left in the session's cgroups and removes them. */
  void remove(const std::string &id);
  /* How many processes of session @id the OOM killer has killed for
   * memory-limit. */
  guint64 oomKills(const std::string &id) const;
  /* The CFS periods of session @id so far, and in how many of them its
   * cpu-limit held it back (cpu.stat; zeros without a cpu controller). */
  struct Throttling {
    guint64 periods = 0, throttled = 0;
  };
  Throttling cpuThrottling(const std::string &id) const;
  /* The "limits" member of a session object; @joined: its processes are in
   * its cgroups. */
  void describe(JsonBuilder *b, const std::string &id, bool joined) const;
  /* Its "cpu", "memory" and "pids" members (null when unset). */
  void describeValues(JsonBuilder *b) const;

  /* For the forked child (async-signal-safe): moves the calling process into
   * the cgroup whose cgroup.procs is @procs_path. */
  static bool joinFromChild(const char *procs_path);

private:
  bool prepare(const CgroupPlan &plan, std::string *why);
  bool writeLimits(const std::string &dir, const std::vector<std::string> &controllers,
                   std::string *error) const;

  Limits limits_;
  CgroupVersion version_ = CgroupVersion::None;
  /* The parent of the session cgroups in each hierarchy, with the needed
   * controllers it holds. */
  std::vector<CgroupHierarchy> parents_;
  std::string reason_;
};

} // namespace vdid
