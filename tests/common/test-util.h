/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <catch2/catch.hpp>

#include <glib.h>

#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>

namespace vdi::test {
extern int g_cases_started;
extern int g_cases_skipped;

/* A new temporary file (g_file_open_tmp @name_template) holding @text;
 * returns its path. */
inline std::string writeTempFile(const char *name_template, const std::string &text)
{
  g_autofree char *path = nullptr;
  int fd = g_file_open_tmp(name_template, &path, nullptr);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

/* Checks @pred every @poll until it holds or @timeout has passed; returns
 * whether it held. The one way tests wait for a state nothing notifies them
 * of (a process count, an HTTP answer): never a fixed sleep. */
template <typename Pred>
bool eventually(std::chrono::milliseconds timeout, Pred pred,
                std::chrono::milliseconds poll = std::chrono::milliseconds(10))
{
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(poll);
  }
}

/* Number of open file descriptors of this process. */
inline int openFds()
{
  int n = 0;
  if (DIR *d = opendir("/proc/self/fd")) {
    while (readdir(d))
      n++;
    closedir(d);
  }
  return n - 3; /* ".", ".." and the DIR's own fd */
}

/* Resident set size of this process in kB. */
inline long rssKb()
{
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}
/* Whether @got holds a whole HTTP response: its headers and the
 * Content-Length bytes of body after them (none without the header). */
inline bool httpResponseComplete(const std::string &got)
{
  size_t end = got.find("\r\n\r\n");
  if (end == std::string::npos)
    return false;
  std::string head = got.substr(0, end);
  for (char &c : head)
    c = char(g_ascii_tolower(c));
  size_t at = head.find("\r\ncontent-length:");
  size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 17));
  return got.size() >= end + 4 + length;
}

} // namespace vdi::test

/* Ends the current test case as skipped, printing why. Catch2 2.x has no
 * skip; a binary whose every case skipped exits 77 (see test-main.cpp). */
#define VDI_SKIP(reason)                                                                           \
  do {                                                                                             \
    std::string vdi_skip_reason_ = (reason);                                                       \
    fprintf(stderr, "SKIPPED: %s\n", vdi_skip_reason_.c_str());                                    \
    WARN("skipped: " << vdi_skip_reason_);                                                         \
    vdi::test::g_cases_skipped++;                                                                  \
    return;                                                                                        \
  } while (0)
