/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Which cgroup hierarchy can enforce the session limits: cgroup v2 where
 * vdid's own cgroup has the needed controllers and may be written (the
 * unified hierarchy at /sys/fs/cgroup, or at /sys/fs/cgroup/unified in
 * hybrid mode, usually without controllers), else the cgroup v1 hierarchies
 * that hold the needed controllers (one per controller, or co-mounted like
 * cpu,cpuacct), else none, with the reason. Decided from the text of
 * /proc/self/mountinfo and /proc/self/cgroup, so that a test can point it at
 * a tree of its own.
 */

#pragma once

#include "cgroup-limits.h"

#include <string>
#include <vector>

namespace vdid {

enum class CgroupVersion { None, V1, V2 };

/* "v2", "v1" or "none". */
const char *cgroupVersionName(CgroupVersion version);

/* A hierarchy that holds some of the needed controllers. */
struct CgroupHierarchy {
  std::string dir;                      /* vdid's own cgroup in it */
  std::vector<std::string> controllers; /* the needed ones it holds */
};

struct CgroupPlan {
  CgroupVersion version = CgroupVersion::None;
  /* V2: one entry; V1: one per hierarchy (each needed controller is in
   * exactly one). */
  std::vector<CgroupHierarchy> hierarchies;
  /* V2: vdid's own cgroup is the root of the hierarchy (no leaf needed). */
  bool at_root = false;
  /* None: why neither version can enforce the limits. */
  std::string reason;
};

/* The text of the file at @path (a control file, /proc/self/cgroup), or "". */
std::string readCgroupFile(const std::string &path);

/* @mountinfo: the text of /proc/self/mountinfo; @self_cgroup: the text of
 * /proc/self/cgroup. Checks what the files of the chosen directories say
 * (cgroup.controllers, writability). */
CgroupPlan planCgroups(const Limits &limits, const std::string &mountinfo,
                       const std::string &self_cgroup);

} // namespace vdid
