/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target: the worker protocol both ways (worker-link.h,
 * worker-protocol.h). The worker runs as the session's user, so vdid reads
 * its output as hostile: the first byte picks the direction.
 * - even: the rest is what a worker writes on its stdout, read by a real
 *   WorkerLink from a pipe (framing, bad lines, replies to a pending
 *   request by ref), each event read with readWorkerEvent();
 * - odd: the rest is lines vdid sends, each read with parseWorkerCommand()
 *   as vdid-worker does.
 * Invariants: no crash or leak; every string read is valid UTF-8; a
 * command has an op or an error; a WHEP resource is a bare id.
 */

#include "worker-link.h"
#include "worker-protocol.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void mustBeUtf8(const std::string &s)
{
  if (!g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr))
    abort();
}

void checkEvent(JsonObject *o)
{
  vdid::WorkerEvent e = vdid::readWorkerEvent(o);
  for (const std::string *s : {&e.event, &e.encoder, &e.peer, &e.message, &e.body, &e.resource})
    mustBeUtf8(*s);
  if (e.resource.find_first_of("\r\n/ ") != std::string::npos || e.status < 100 || e.status > 599 ||
      !(e.fps >= 0) || !(e.bitrate >= 0))
    abort();
}

void workerOutput(const uint8_t *data, size_t size)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    abort();
  if (size > 65536)
    fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  size_t off = 0;
  while (off < size) {
    ssize_t n = write(fds[1], data + off, size - off);
    if (n <= 0)
      abort();
    off += size_t(n);
  }
  close(fds[1]);
  int sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
  vdid::WorkerLink::Handlers h;
  h.event = [](const std::string &, JsonObject *o) { checkEvent(o); };
  h.bad_line = [](const std::string &what) {
    if (what.empty())
      abort();
  };
  h.failed = [](const std::string &why) {
    if (why.empty())
      abort();
  };
  vdid::WorkerLink link(-1, sink, fds[0], h);
  bool answered = false;
  link.request(
    "add-peer", [](JsonBuilder *) {},
    [&](JsonObject *answer) {
      answered = true;
      if (answer)
        checkEvent(answer);
    });
  /* Everything is in the pipe already: one read to its end. */
  for (int i = 0; i < 8 && g_main_context_iteration(nullptr, FALSE); i++) {
  }
  link.close();
  if (!answered)
    abort(); /* close() answers what is still pending */
  /* Let the context free the link's removed sources now, not during the
   * next input (libFuzzer runs a leak check after every input that freed
   * less than it allocated: that would be every input). */
  while (g_main_context_iteration(nullptr, FALSE)) {
  }
}

void vdidCommands(const uint8_t *data, size_t size)
{
  std::string_view all(reinterpret_cast<const char *>(data), size);
  size_t from = 0;
  while (from <= all.size()) {
    size_t nl = all.find('\n', from);
    std::string_view line = all.substr(from, nl == std::string_view::npos ? nl : nl - from);
    vdid::WorkerCommand c = vdid::parseWorkerCommand(line);
    if (c.op.empty() == c.error.empty() && c.op.empty())
      abort();
    for (const std::string *s :
         {&c.op, &c.role, &c.peer, &c.message, &c.sdp, &c.resource, &c.fragment, &c.stun_server})
      mustBeUtf8(*s);
    for (const auto &t : c.turn_servers)
      mustBeUtf8(t);
    if (nl == std::string_view::npos)
      break;
    from = nl + 1;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  if (data[0] % 2 == 0)
    workerOutput(data + 1, size - 1);
  else
    vdidCommands(data + 1, size - 1);
  return 0;
}
