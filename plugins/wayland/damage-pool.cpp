/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "damage-pool.h"

#include <gst/video/gstvideopool.h>

#include <vector>

namespace {

struct VdiDamagePool {
  GstVideoBufferPool parent;
};
struct VdiDamagePoolClass {
  GstVideoBufferPoolClass parent_class;
};

GType vdi_damage_pool_get_type();
G_DEFINE_TYPE(VdiDamagePool, vdi_damage_pool, GST_TYPE_VIDEO_BUFFER_POOL)

GQuark generationQuark()
{
  static GQuark q = g_quark_from_static_string("vdi-damage-generation");
  return q;
}

GQuark shieldQuark()
{
  static GQuark q = g_quark_from_static_string("vdi-damage-shield");
  return q;
}

/* The memories of a buffer downstream, each with a reference and an
 * exclusive lock of ours. */
struct Shield {
  std::vector<GstMemory *> memories;
};

void freeShield(gpointer data)
{
  auto *shield = static_cast<Shield *>(data);
  for (GstMemory *m : shield->memories) {
    gst_memory_unlock(m, GST_LOCK_FLAG_EXCLUSIVE);
    gst_memory_unref(m);
  }
  delete shield;
}

void vdi_damage_pool_release_buffer(GstBufferPool *pool, GstBuffer *buffer)
{
  /* Drops the shield (calls freeShield) so the pool sees its own lock
   * only; replaced memory (someone drew into a copy) makes the pool
   * discard the buffer. */
  gst_mini_object_set_qdata(GST_MINI_OBJECT_CAST(buffer), shieldQuark(), nullptr, nullptr);
  if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_TAG_MEMORY))
    gst_mini_object_set_qdata(GST_MINI_OBJECT_CAST(buffer), generationQuark(), nullptr, nullptr);
  GST_BUFFER_POOL_CLASS(vdi_damage_pool_parent_class)->release_buffer(pool, buffer);
}

void vdi_damage_pool_class_init(VdiDamagePoolClass *klass)
{
  GST_BUFFER_POOL_CLASS(klass)->release_buffer = vdi_damage_pool_release_buffer;
}

void vdi_damage_pool_init(VdiDamagePool *) {}

} // namespace

namespace vdi {

GstBufferPool *damagePoolNew()
{
  return GST_BUFFER_POOL(g_object_new(vdi_damage_pool_get_type(), nullptr));
}

void damagePoolMark(GstBuffer *buffer, uint64_t generation)
{
  auto *mini = GST_MINI_OBJECT_CAST(buffer);
  gst_mini_object_set_qdata(mini, generationQuark(), GSIZE_TO_POINTER(generation), nullptr);
  auto *shield = new Shield;
  for (guint i = 0; i < gst_buffer_n_memory(buffer); i++) {
    GstMemory *m = gst_buffer_peek_memory(buffer, i);
    /* Fails while the memory is mapped for writing: mark after unmapping. */
    if (!gst_memory_lock(m, GST_LOCK_FLAG_EXCLUSIVE)) {
      GST_WARNING("cannot protect memory %p of %p (mapped?)", m, buffer);
      continue;
    }
    shield->memories.push_back(gst_memory_ref(m));
  }
  gst_mini_object_set_qdata(mini, shieldQuark(), shield, freeShield);
}

uint64_t damagePoolGeneration(GstBuffer *buffer)
{
  return GPOINTER_TO_SIZE(
    gst_mini_object_get_qdata(GST_MINI_OBJECT_CAST(buffer), generationQuark()));
}

} // namespace vdi
