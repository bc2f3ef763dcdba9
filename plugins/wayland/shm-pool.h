/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A small pool of wl_shm buffers (memfd + mmap + wl_buffer) that the
 * compositor copies frames into. The same memory is handed downstream as a
 * GstMemory, without a copy: a buffer is busy while the compositor writes it
 * or while any GstMemory made by wrap() lives, and free again afterwards.
 */

#pragma once

#include "capture-backend.h"
#include "wayland-connection.h"

#include <gst/gst.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace vdi {

class ShmBuffer
{
public:
  ~ShmBuffer();
  ShmBuffer(const ShmBuffer &) = delete;
  ShmBuffer &operator=(const ShmBuffer &) = delete;

  uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  wl_buffer *wlBuffer() const { return wl_buffer_; }
  const FrameFormat &format() const { return format_; }

  /* Allocates a buffer of @format in wl_shm format @shm_format. Event
   * thread. */
  static std::shared_ptr<ShmBuffer> create(const WaylandConnectionPtr &conn,
                                           const FrameFormat &format, uint32_t shm_format,
                                           GError **error);

private:
  ShmBuffer() = default;
  WaylandConnectionPtr conn_;
  FrameFormat format_;
  uint32_t shm_format_ = 0;
  int fd_ = -1;
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
  wl_buffer *wl_buffer_ = nullptr;
};

class ShmPool
{
public:
  ShmPool(WaylandConnectionPtr conn, unsigned max_buffers);

  /* A free buffer of @format, allocating one while the pool holds fewer than
   * max_buffers of that layout. nullptr when all are busy (not an error) or
   * when allocation failed (then @error is set). Event thread. */
  std::shared_ptr<ShmBuffer> acquire(const FrameFormat &format, uint32_t shm_format,
                                     GError **error);

  /* Drops the free buffers (e.g. after a size change); busy ones go when
   * released. */
  void clear();

  unsigned allocated() const { return static_cast<unsigned>(buffers_.size()); }

  /* A GstBuffer whose single memory is @buf's pixels, read-only, with a
   * GstVideoMeta. @released runs (any thread) once the memory is freed. */
  static GstBuffer *wrap(const std::shared_ptr<ShmBuffer> &buf, std::function<void()> released);

private:
  WaylandConnectionPtr conn_;
  unsigned max_buffers_;
  std::vector<std::shared_ptr<ShmBuffer>> buffers_;
};

} // namespace vdi
