/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The host budget (`[budget]`): the CPU cores and memory that all sessions
 * of this vdid may reserve together. A session reserves its limits
 * (`[sessions] cpu-limit`, `memory-limit`), or the `[budget]`
 * `session-cpu` / `session-memory` defaults where a limit is not set.
 * Admission: a session that would take the reservations past a budget is
 * refused (HTTP 429) with which budget is exhausted. Pure functions, so
 * that every decision is unit-tested.
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <string>

namespace vdid {

struct Reservation {
  double cpu = 0;     /* cores */
  guint64 memory = 0; /* bytes */
  Reservation &operator+=(const Reservation &o)
  {
    cpu += o.cpu;
    memory += o.memory;
    return *this;
  }
};

struct HostBudget {
  double cpu = 0;      /* cores all sessions may reserve; 0: no CPU budget */
  guint64 memory = 0;  /* bytes all sessions may reserve; 0: no memory budget */
  Reservation session; /* what one session (of the top tier) reserves */
  /* Sessions that do not fit may start on a lower tier (tier-ladder.h). */
  bool downgrade = false;
  /* Seconds between looks at running sessions' CPU for tier moves. */
  unsigned tier_window_s = 10;

  bool any() const { return cpu > 0 || memory > 0; }
};

/* Why a session reserving @want does not fit beside @live sessions that
 * reserve @reserved together, or nothing. */
struct Refusal {
  std::string budget; /* "cpu" or "memory"; empty: it fits */
  std::string message;
  explicit operator bool() const { return !budget.empty(); }
};
Refusal admit(const HostBudget &budget, const Reservation &reserved, unsigned live,
              const Reservation &want);

/* Adds "host": {"cpu": {"total", "reserved", "session"}, "memory": {...}
 * (null where there is no such budget), "downgrade"} to an object being
 * built (GET /api/v1/budgets, GetBudgets). */
void describeBudget(JsonBuilder *b, const HostBudget &budget, const Reservation &reserved);

/* Completes @budget from the per-session limits (a limit is the session's
 * reservation, else the session-cpu / session-memory default already in
 * @budget) and checks it: a budget needs a reservation, and one session
 * must fit in it. */
bool settleBudget(HostBudget *budget, double cpu_limit, guint64 memory_limit, std::string *error);

/* "1.5 cores", "512 MiB", "2.5 GiB": for messages. */
std::string cores(double n);
std::string bytes(guint64 n);

} // namespace vdid
