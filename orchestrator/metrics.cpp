/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace vdid {

void Metrics::declare(const std::string &name, Type type, const std::string &help)
{
  std::lock_guard<std::mutex> locker(lock_);
  auto &f = families_[name];
  f.type = type;
  f.help = help;
}

void Metrics::add(const std::string &name, const Labels &labels, double by)
{
  std::lock_guard<std::mutex> locker(lock_);
  families_[name].samples[labels] += by;
}

void Metrics::set(const std::string &name, const Labels &labels, double value)
{
  std::lock_guard<std::mutex> locker(lock_);
  families_[name].samples[labels] = value;
}

void Metrics::clear(const std::string &name)
{
  std::lock_guard<std::mutex> locker(lock_);
  auto it = families_.find(name);
  if (it != families_.end())
    it->second.samples.clear();
}

void Metrics::addCollector(std::function<void(Metrics &)> collector)
{
  std::lock_guard<std::mutex> locker(lock_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::escape(const std::string &value)
{
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Metrics::render()
{
  std::vector<std::function<void(Metrics &)>> collectors;
  {
    std::lock_guard<std::mutex> locker(lock_);
    collectors = collectors_;
  }
  for (auto &c : collectors)
    c(*this);

  std::lock_guard<std::mutex> locker(lock_);
  std::ostringstream out;
  for (const auto &[name, f] : families_) {
    out << "# HELP " << name << " " << f.help << "\n";
    out << "# TYPE " << name << " " << (f.type == Type::Counter ? "counter" : "gauge") << "\n";
    if (f.samples.empty() && f.type == Type::Gauge)
      out << name << " 0\n";
    for (const auto &[labels, value] : f.samples) {
      out << name;
      if (!labels.empty()) {
        out << "{";
        bool first = true;
        for (const auto &[k, v] : labels) {
          out << (first ? "" : ",") << k << "=\"" << escape(v) << "\"";
          first = false;
        }
        out << "}";
      }
      char num[64];
      if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15)
        snprintf(num, sizeof(num), "%.0f", value);
      else
        snprintf(num, sizeof(num), "%.6g", value);
      out << " " << num << "\n";
    }
  }
  return out.str();
}

} // namespace vdid
