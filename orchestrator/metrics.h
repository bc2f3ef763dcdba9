/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Prometheus text exposition (format 0.0.4) for vdid's /metrics: counters and
 * gauges with labels, plus collectors called at scrape time.
 */

#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vdid {

using Labels = std::map<std::string, std::string>;

class Metrics
{
public:
  enum class Type { Counter, Gauge };

  /* Declares a metric family once, with its help text. */
  void declare(const std::string &name, Type type, const std::string &help);
  void add(const std::string &name, const Labels &labels = {}, double by = 1);
  void set(const std::string &name, const Labels &labels, double value);
  /* Drops every sample of a family (per-session families, before a
   * collector sets the sessions that still exist). */
  void clear(const std::string &name);

  /* Called at every scrape to set gauges that are cheaper to read than to
   * keep up to date (sessions, viewers, per-session CPU). */
  void addCollector(std::function<void(Metrics &)> collector);

  std::string render();

  /* Escapes a label value per the exposition format. */
  static std::string escape(const std::string &value);

private:
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, double> samples;
  };
  std::mutex lock_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(Metrics &)>> collectors_;
};

} // namespace vdid
