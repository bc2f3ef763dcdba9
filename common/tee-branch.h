/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A branch added to, and removed from, a playing tee at run time: one bin
 * with a ghost sink pad per tee it hangs off (vdiwebrtcsink's viewers:
 * video and optional audio; vdid-worker's HLS and SRT deliveries: one).
 *
 * attach() adds the bin to the tee's parent, brings it to the parent's state
 * and only then links each of its sink pads to a new request pad of its tee,
 * so that no buffer reaches an element that is not ready for it.
 *
 * detach() unlinks each tee pad when it is idle (never in the middle of a
 * buffer), then releases the pads, sets the bin to NULL and removes it with
 * one gst_bin_remove(). That last part can take a while (webrtcbin closes its
 * ICE agent, a muxer finishes its file) and must not run on the tee's
 * streaming thread, which would stall every other branch: it runs where the
 * caller's `defer` puts it (an event loop of the caller), or at once when
 * `defer` is empty and the caller is not a streaming thread.
 *
 * The branch holds only weak references on its tees and their parent: a
 * branch may outlive the pipeline (a worker that drops its pipeline before
 * its branches, a teardown deferred past the pipeline's end); its bin is
 * then shut down alone and nothing is asked of the elements that are gone.
 */

#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vdi {

class TeeBranch
{
public:
  /* Runs @work later on a thread of the caller's choice. */
  using Defer = std::function<void(std::function<void()> work)>;

  /* Which tee feeds which ghost sink pad of the branch. */
  struct Input {
    GstElement *tee;
    std::string pad; /* name of the branch's sink pad, e.g. "sink", "video" */
  };

  /* Adds @branch (a bin; its floating reference is taken) to the parent of
   * the first tee, syncs its state with that parent and links its pads to
   * new request pads of the tees. On failure everything is undone, @error
   * says what failed and null is returned. */
  static std::unique_ptr<TeeBranch> attach(GstElement *branch, const std::vector<Input> &inputs,
                                           std::string *error);

  /* Removes the branch (see above). Safe from any thread but a streaming
   * thread of the branch itself. */
  static void detach(std::unique_ptr<TeeBranch> branch, Defer defer = {});

  ~TeeBranch();
  TeeBranch(const TeeBranch &) = delete;
  TeeBranch &operator=(const TeeBranch &) = delete;

  GstElement *bin() const { return bin_; }
  /* The request pad of @tee this branch is linked to (not a new reference). */
  GstPad *teePad(GstElement *tee) const;
  /* Hands the stream-start, caps and segment of @tee's stream to the
   * branch now: a new branch gets them only with the next buffer, and a
   * stream that pauses keeps them from it until then (a viewer's answer
   * waits for its audio caps). */
  void sendStickyEvents(GstElement *tee) const;

private:
  TeeBranch();
  struct Link {
    GstElement *tee; /* for teePad() lookups only: read through `alive` */
    std::unique_ptr<GWeakRef> alive;
    GstPad *teePad; /* ref'd */
  };
  GWeakRef parent_; /* the bin the branch was added to */
  GstElement *bin_ = nullptr;
  std::vector<Link> links_;
};

} // namespace vdi
