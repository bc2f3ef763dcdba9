/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * libFuzzer target for the input message parser (input-message.h), the
 * code that reads untrusted lines from the network. Any input must give
 * either a valid event or an error string, never a crash, a leak, undefined
 * behaviour or a hang. Built with clang++ -fsanitize=fuzzer,address,undefined
 * by tests/meson.build and run for a bounded time by `meson test` (suite
 * fuzz) through run-fuzzer.sh.
 */

#include "input-message.h"

#include <gst/gst.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  gst_init(argc, argv);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  std::string_view line(reinterpret_cast<const char *>(data), size);
  vdi::InputMessage msg = vdi::parseInputMessage(line);
  if (msg.ok()) {
    /* A parsed event must pass the checks the injector applies. */
    std::string error;
    if (!vdi::isInputEvent(msg.event.get()) || !vdi::validateInputEvent(msg.event.get(), &error))
      abort();
    (void)vdi::controlResponse(msg.id, "");
  } else {
    if (msg.error.empty())
      abort();
    (void)vdi::controlResponse(msg.id, msg.error);
  }
  return 0;
}
