/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <catch2/catch.hpp>

#include <gio/gio.h>
#include <glib.h>

#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

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

/* Runs @argv (searched in PATH) to its end; returns its exit status (-1:
 * killed or not started) and what it printed, stdout then stderr, in @out. */
inline int run(const std::vector<std::string> &argv, std::string *out)
{
  std::vector<char *> cargv;
  for (const auto &a : argv)
    cargv.push_back(const_cast<char *>(a.c_str()));
  cargv.push_back(nullptr);
  g_autofree char *stdout_text = nullptr;
  g_autofree char *stderr_text = nullptr;
  int status = 0;
  g_autoptr(GError) error = nullptr;
  if (!g_spawn_sync(nullptr, cargv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                    &stdout_text, &stderr_text, &status, &error)) {
    *out = error->message;
    return -1;
  }
  *out = std::string(stdout_text ? stdout_text : "") + (stderr_text ? stderr_text : "");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A loopback port free for both UDP and TCP, between 20000 and 30000 (the
 * ports above it are free-ish too, for servers that take a range); 0 and a
 * failed check if none is found. */
inline unsigned freePort()
{
  for (int attempt = 0; attempt < 50; attempt++) {
    unsigned p = static_cast<unsigned>(g_random_int_range(20000, 30000));
    g_autoptr(GSocket) u =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, nullptr);
    g_autoptr(GSocket) t =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) a = g_inet_socket_address_new(lo, p);
    if (g_socket_bind(u, a, FALSE, nullptr) && g_socket_bind(t, a, FALSE, nullptr))
      return p;
  }
  FAIL("no free loopback port");
  return 0;
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
