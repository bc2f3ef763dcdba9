/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "cgroup-limits.h"

#include <cerrno>
#include <cmath>
#include <utility>

namespace vdid {

namespace {

constexpr guint64 kMinMemory = 4 * 1024 * 1024;
constexpr guint64 kMinPids = 8;
constexpr guint64 kMaxPids = 4194304;

std::string trimmed(const std::string &text)
{
  size_t a = text.find_first_not_of(" \t");
  size_t b = text.find_last_not_of(" \t");
  return a == std::string::npos ? "" : text.substr(a, b - a + 1);
}

/* The CFS quota for @cores in µs per kCpuPeriodUs. */
guint64 cfsQuota(double cores)
{
  auto quota = static_cast<guint64>(std::llround(cores * kCpuPeriodUs));
  return quota < 1000 ? 1000 : quota; /* the kernel's minimum quota is 1 ms */
}

} // namespace

std::vector<std::string> Limits::controllers() const
{
  std::vector<std::string> out;
  if (cpu > 0)
    out.emplace_back("cpu");
  if (memory > 0)
    out.emplace_back("memory");
  if (pids > 0)
    out.emplace_back("pids");
  return out;
}

bool parseCpuLimit(const std::string &text, double *cores, std::string *error)
{
  const std::string t = trimmed(text);
  char *end = nullptr;
  double v = g_ascii_strtod(t.c_str(), &end);
  if (t.empty() || *end || !std::isfinite(v) || v < 0.01 || v > 4096) {
    *error = "must be a number of cores from 0.01 to 4096 (e.g. 1.5), not \"" + text + "\"";
    return false;
  }
  *cores = v;
  return true;
}

bool parseByteSize(const std::string &text, guint64 *bytes, std::string *error)
{
  auto bad = [&]() {
    *error = "must be bytes with an optional K, M, G or T suffix (e.g. 512M, 2G), "
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

bool parsePidsLimit(const std::string &text, guint64 *tasks, std::string *error)
{
  const std::string t = trimmed(text);
  char *end = nullptr;
  errno = 0;
  guint64 v = t.empty() || !g_ascii_isdigit(t[0]) ? 0 : g_ascii_strtoull(t.c_str(), &end, 10);
  if (t.empty() || errno || !end || *end || v < kMinPids || v > kMaxPids) {
    *error = "must be a whole number of processes and threads from " + std::to_string(kMinPids) +
             " to " + std::to_string(kMaxPids) + ", not \"" + text + "\"";
    return false;
  }
  *tasks = v;
  return true;
}

std::string cpuMaxValue(double cores)
{
  if (cores <= 0)
    return "max " + std::to_string(kCpuPeriodUs);
  return std::to_string(cfsQuota(cores)) + " " + std::to_string(kCpuPeriodUs);
}

std::string memoryMaxValue(guint64 bytes)
{
  return bytes ? std::to_string(bytes) : "max";
}

std::string pidsMaxValue(guint64 tasks)
{
  return tasks ? std::to_string(tasks) : "max";
}

std::string cfsQuotaValue(double cores)
{
  return cores > 0 ? std::to_string(cfsQuota(cores)) : "-1";
}

std::string memoryLimitInBytesValue(guint64 bytes)
{
  return bytes ? std::to_string(bytes) : "-1";
}

} // namespace vdid
