/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The session's clipboard through wlr-data-control, without keyboard focus:
 * set() makes our data the selection of the seat (serving every paste from
 * memory), and every selection another client sets is read through a pipe
 * and handed to a callback.
 *
 * Event-thread only. Transfers never block the event thread: the pipe ends
 * are non-blocking and a transfer that would block is resumed a moment
 * later by a timer on the event thread.
 */

#pragma once

#include "wayland-connection.h"

#include <glib.h>
#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

struct zwlr_data_control_manager_v1;
struct zwlr_data_control_device_v1;
struct zwlr_data_control_source_v1;
struct zwlr_data_control_offer_v1;

namespace vdi {

class Clipboard
{
public:
  /* A selection another client set: its MIME type and content. */
  using ChangedCallback = std::function<void(const std::string &mime, GBytes *data)>;
  /* A transfer that was refused or failed (e.g. larger than the limit). */
  using WarningCallback = std::function<void(const std::string &message)>;

  /* Binds data control on @conn's seat. Returns nullptr if the compositor
   * does not offer zwlr_data_control_manager_v1. */
  static std::unique_ptr<Clipboard> create(WaylandConnection &conn, size_t limit,
                                           ChangedCallback changed, WarningCallback warning);
  ~Clipboard();

  /* Makes @data (@mime) the selection. Text types are offered under the
   * usual aliases too (text/plain, UTF8_STRING, ...). */
  bool set(const std::string &mime, GBytes *data, std::string *error);
  void setLimit(size_t limit) { limit_ = limit; }

  /* The MIME type we read when an offer has several. */
  static std::string pickMime(const std::vector<std::string> &mimes);

  /* The `vdi-clipboard` structure both elements report a session clipboard
   * with (bus message of vdiinputsink and vdiwaylandsrc, downstream event of
   * vdiwaylandsrc): mime (string), data (string, base64), bytes (GBytes),
   * size (guint64). */
  static GstStructure *reportStructure(const std::string &mime, GBytes *data);

private:
  explicit Clipboard(WaylandConnection &conn);

  struct Offer;
  struct Transfer;
  struct Source;

  static void deviceDataOffer(void *data, zwlr_data_control_device_v1 *,
                              zwlr_data_control_offer_v1 *);
  static void deviceSelection(void *data, zwlr_data_control_device_v1 *,
                              zwlr_data_control_offer_v1 *);
  static void deviceFinished(void *data, zwlr_data_control_device_v1 *);
  static void devicePrimarySelection(void *data, zwlr_data_control_device_v1 *,
                                     zwlr_data_control_offer_v1 *);
  static void offerOffer(void *data, zwlr_data_control_offer_v1 *, const char *mime);
  static void sourceSend(void *data, zwlr_data_control_source_v1 *, const char *mime, int32_t fd);
  static void sourceCancelled(void *data, zwlr_data_control_source_v1 *);

  void destroyOffer(zwlr_data_control_offer_v1 *offer);
  void startRead(zwlr_data_control_offer_v1 *offer);
  void pump(const std::shared_ptr<Transfer> &t);
  void finish(const std::shared_ptr<Transfer> &t);

  WaylandConnection &conn_;
  zwlr_data_control_manager_v1 *manager_ = nullptr;
  zwlr_data_control_device_v1 *device_ = nullptr;
  size_t limit_ = 0;
  ChangedCallback changed_;
  WarningCallback warning_;
  std::vector<std::unique_ptr<Offer>> offers_;
  zwlr_data_control_offer_v1 *selection_ = nullptr;
  std::vector<std::unique_ptr<Source>> sources_; /* ours; the last is the live one */
  std::vector<std::shared_ptr<Transfer>> transfers_;
  uint64_t read_serial_ = 0;
};

/* Default largest clipboard content, either way. */
constexpr guint64 kDefaultClipboardLimit = 16 * 1024 * 1024;

/* The `clipboard-limit` property of the elements that move clipboards
 * (vdiinputsink, vdiwaylandsrc). */
GParamSpec *clipboardLimitParamSpec();

} // namespace vdi
