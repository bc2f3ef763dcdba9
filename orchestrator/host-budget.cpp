/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "host-budget.h"

namespace vdid {

namespace {

/* Reservations are sums of decimal cores: 3 x 0.1 must fit in 0.3. */
constexpr double kEpsilon = 1e-9;

std::string sessions(unsigned n)
{
  return std::to_string(n) + (n == 1 ? " session" : " sessions");
}

} // namespace

std::string cores(double n)
{
  char text[32];
  g_snprintf(text, sizeof text, "%g", n);
  return std::string(text) + (n == 1 ? " core" : " cores");
}

std::string bytes(guint64 n)
{
  /* Not g_format_size(): it puts a no-break space before the unit. */
  static const char *const kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  unsigned unit = 0;
  while (v >= 1024 && unit + 1 < G_N_ELEMENTS(kUnits)) {
    v /= 1024;
    unit++;
  }
  char text[32];
  g_snprintf(text, sizeof text, "%.1f", v);
  std::string out = text;
  if (out.size() > 2 && out.compare(out.size() - 2, 2, ".0") == 0)
    out.resize(out.size() - 2);
  return out + " " + kUnits[unit];
}

Refusal admit(const HostBudget &budget, const Reservation &reserved, unsigned live,
              const Reservation &want)
{
  if (budget.cpu > 0 && reserved.cpu + want.cpu > budget.cpu + kEpsilon)
    return {"cpu", "the host's CPU budget is exhausted: " + sessions(live) + " reserve " +
                     cores(reserved.cpu) + " of " + cores(budget.cpu) + " and a session needs " +
                     cores(want.cpu) + " ([budget] cpu)"};
  if (budget.memory > 0 && reserved.memory + want.memory > budget.memory)
    return {"memory", "the host's memory budget is exhausted: " + sessions(live) + " reserve " +
                        bytes(reserved.memory) + " of " + bytes(budget.memory) +
                        " and a session needs " + bytes(want.memory) + " ([budget] memory)"};
  return {};
}

void describeBudget(JsonBuilder *b, const HostBudget &budget, const Reservation &reserved)
{
  json_builder_set_member_name(b, "host");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "cpu");
  if (budget.cpu > 0) {
    json_builder_begin_object(b);
    for (auto [name, value] : {std::pair<const char *, double>{"total", budget.cpu},
                               {"reserved", reserved.cpu},
                               {"session", budget.session.cpu}}) {
      json_builder_set_member_name(b, name);
      json_builder_add_double_value(b, value);
    }
    json_builder_end_object(b);
  } else {
    json_builder_add_null_value(b);
  }
  json_builder_set_member_name(b, "memory");
  if (budget.memory > 0) {
    json_builder_begin_object(b);
    for (auto [name, value] : {std::pair<const char *, guint64>{"total", budget.memory},
                               {"reserved", reserved.memory},
                               {"session", budget.session.memory}}) {
      json_builder_set_member_name(b, name);
      json_builder_add_int_value(b, static_cast<gint64>(value));
    }
    json_builder_end_object(b);
  } else {
    json_builder_add_null_value(b);
  }
  json_builder_set_member_name(b, "downgrade");
  json_builder_add_boolean_value(b, budget.downgrade);
  json_builder_end_object(b);
}

bool settleBudget(HostBudget *budget, double cpu_limit, guint64 memory_limit, std::string *error)
{
  if (cpu_limit > 0)
    budget->session.cpu = cpu_limit;
  if (memory_limit > 0)
    budget->session.memory = memory_limit;
  if (budget->cpu > 0 && budget->session.cpu <= 0) {
    *error = "[budget] cpu needs what a session reserves: set [sessions] cpu-limit or "
             "[budget] session-cpu";
    return false;
  }
  if (budget->memory > 0 && budget->session.memory == 0) {
    *error = "[budget] memory needs what a session reserves: set [sessions] memory-limit or "
             "[budget] session-memory";
    return false;
  }
  if (budget->cpu > 0 && budget->session.cpu > budget->cpu + kEpsilon) {
    *error = "[budget] cpu (" + cores(budget->cpu) + ") is less than one session reserves (" +
             cores(budget->session.cpu) + "): no session could start";
    return false;
  }
  if (budget->memory > 0 && budget->session.memory > budget->memory) {
    *error = "[budget] memory (" + bytes(budget->memory) + ") is less than one session reserves (" +
             bytes(budget->session.memory) + "): no session could start";
    return false;
  }
  return true;
}

} // namespace vdid
