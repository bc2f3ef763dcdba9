/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The output buffer pool of vdidamageconvert. A damage-following converter
 * writes only what changed into a recycled buffer, so it must know what a
 * buffer coming back from the pool holds, and that nobody changed it while
 * it was away:
 *
 *  - each buffer remembers the frame generation its pixels show
 *    (damagePoolMark(); a buffer the pool made anew shows generation 0,
 *    i.e. nothing known);
 *  - while a marked buffer is downstream its memory is write-protected (an
 *    extra exclusive lock, as a second owner would hold): an element that
 *    wants to draw into it in place gets a copy of the memory instead, the
 *    buffer comes back with replaced memory and the pool drops it. The lock
 *    is released when the buffer returns to the pool, before the pool's
 *    own "all memory writable" check.
 *
 * A buffer still held downstream is never handed out again (GstBufferPool),
 * so the converter never writes into pixels someone is reading.
 */

#pragma once

#include <gst/gst.h>

#include <cstdint>

namespace vdi {

/* A new pool (a GstVideoBufferPool subclass); configure it as usual. */
GstBufferPool *damagePoolNew();

/* @buffer (from a damage pool) now shows frame @generation; protects its
 * memory until it returns to the pool. Call it with @buffer unmapped: a
 * memory mapped for writing cannot take the lock. */
void damagePoolMark(GstBuffer *buffer, uint64_t generation);

/* The generation @buffer shows, 0 when unknown. */
uint64_t damagePoolGeneration(GstBuffer *buffer);

} // namespace vdi
