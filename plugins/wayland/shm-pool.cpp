/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "shm-pool.h"

#include <gst/video/video.h>

#include <algorithm>
#include <cerrno>
#include <sys/mman.h>
#include <unistd.h>

namespace vdi {

std::shared_ptr<ShmBuffer> ShmBuffer::create(const WaylandConnectionPtr &conn,
                                             const FrameFormat &format, uint32_t shm_format,
                                             GError **error)
{
  std::shared_ptr<ShmBuffer> buf(new ShmBuffer());
  buf->conn_ = conn;
  buf->format_ = format;
  buf->shm_format_ = shm_format;
  buf->size_ = static_cast<size_t>(format.stride) * format.height;

  buf->fd_ = memfd_create("gst-vdi-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (buf->fd_ < 0 || ftruncate(buf->fd_, static_cast<off_t>(buf->size_)) < 0) {
    int err = errno;
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
                "Could not allocate %zu bytes of shared memory for a frame: %s", buf->size_,
                g_strerror(err));
    return nullptr;
  }
  void *data = mmap(nullptr, buf->size_, PROT_READ | PROT_WRITE, MAP_SHARED, buf->fd_, 0);
  if (data == MAP_FAILED) {
    int err = errno;
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
                "Could not map %zu bytes of shared memory: %s", buf->size_, g_strerror(err));
    return nullptr;
  }
  buf->data_ = static_cast<uint8_t *>(data);

  wl_shm_pool *pool = wl_shm_create_pool(conn->shm(), buf->fd_, static_cast<int32_t>(buf->size_));
  buf->wl_buffer_ =
    wl_shm_pool_create_buffer(pool, 0, format.width, format.height, format.stride, shm_format);
  /* The buffer keeps the pool's memory alive on the compositor side. */
  wl_shm_pool_destroy(pool);
  return buf;
}

ShmBuffer::~ShmBuffer()
{
  if (wl_buffer_) {
    wl_buffer *b = wl_buffer_;
    if (conn_->isEventThread())
      wl_buffer_destroy(b);
    else
      conn_->post([b] { wl_buffer_destroy(b); });
  }
  if (data_)
    munmap(data_, size_);
  if (fd_ >= 0)
    close(fd_);
}

ShmPool::ShmPool(WaylandConnectionPtr conn, unsigned max_buffers)
  : conn_(std::move(conn)), max_buffers_(max_buffers)
{
}

std::shared_ptr<ShmBuffer> ShmPool::acquire(const FrameFormat &format, uint32_t shm_format,
                                            GError **error)
{
  /* Buffers of an old layout are dropped as soon as they are free. */
  buffers_.erase(std::remove_if(buffers_.begin(), buffers_.end(),
                                [&format](const auto &b) {
                                  return b.use_count() == 1 && !b->format().sameLayout(format);
                                }),
                 buffers_.end());
  size_t same_layout = 0;
  for (const auto &b : buffers_) {
    if (!b->format().sameLayout(format))
      continue;
    /* Only the pool holds it: nobody downstream, not the compositor. Other
     * threads can only drop references, never take new ones. */
    if (b.use_count() == 1)
      return b;
    same_layout++;
  }
  if (same_layout >= max_buffers_)
    return nullptr;
  auto buf = ShmBuffer::create(conn_, format, shm_format, error);
  if (buf)
    buffers_.push_back(buf);
  return buf;
}

void ShmPool::clear()
{
  buffers_.clear();
}

namespace {
struct MemoryHolder {
  std::shared_ptr<ShmBuffer> buffer;
  std::function<void()> released;
};
} // namespace

GstBuffer *ShmPool::wrap(const std::shared_ptr<ShmBuffer> &buf, std::function<void()> released)
{
  auto holder = std::make_unique<MemoryHolder>(MemoryHolder{buf, std::move(released)});
  GstMemory *mem =
    gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, buf->data(), buf->size(), 0, buf->size(),
                           holder.release(), [](gpointer data) {
                             std::unique_ptr<MemoryHolder> h(static_cast<MemoryHolder *>(data));
                             auto released = std::move(h->released);
                             h.reset();
                             if (released)
                               released();
                           });
  GstBuffer *out = gst_buffer_new();
  gst_buffer_append_memory(out, mem);

  const FrameFormat &f = buf->format();
  gsize offset[GST_VIDEO_MAX_PLANES] = {0};
  gint stride[GST_VIDEO_MAX_PLANES] = {f.stride};
  gst_buffer_add_video_meta_full(out, GST_VIDEO_FRAME_FLAG_NONE, f.format, f.width, f.height, 1,
                                 offset, stride);
  return out;
}

} // namespace vdi
