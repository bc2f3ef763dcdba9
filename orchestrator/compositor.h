/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What [sessions] compositor names, and what each kind of compositor needs
 * (docs/vdid.md, "Compositors"):
 *
 *   sway      headless sway with a config vdid writes (the session's size);
 *             captured through wlr-screencopy, resized through sway IPC
 *   gnome     gnome-shell --headless --virtual-monitor WxH --wayland --no-x11
 *   mutter    mutter --headless --virtual-monitor WxH --wayland --no-x11
 *   other     any other command line, run as it is (a command whose program
 *             is sway, gnome-shell or mutter is treated as that kind)
 *
 * GNOME Shell and Mutter are captured and driven through Mutter's own
 * ScreenCast and RemoteDesktop D-Bus services on the session bus (capture
 * backend "mutter"), need PipeWire for the frames and a system bus (a
 * private one: gnome-shell aborts without any), and are ready once the
 * Wayland socket exists and org.gnome.Mutter.ScreenCast is owned.
 */

#pragma once

#include <string>
#include <vector>

namespace vdid {

enum class CompositorKind { Sway, Gnome, Mutter, Other };

struct CompositorPlan {
  CompositorKind kind = CompositorKind::Other;
  /* What the session object and the producer meta show: "sway",
   * "gnome-shell", "mutter", or the program of another command line. */
  std::string name;
  std::vector<std::string> argv, env;

  /* Captured and driven through Mutter's D-Bus services. */
  bool usesMutter() const
  {
    return kind == CompositorKind::Gnome || kind == CompositorKind::Mutter;
  }
};

/* The name Mutter's screen cast service owns on the session bus. */
inline constexpr const char *kMutterScreenCast = "org.gnome.Mutter.ScreenCast";

/* Builds how to start @setting ([sessions] compositor) for a session of
 * @width x @height at @fps whose runtime dir is @runtime_dir (sway's config
 * is written there). False with @error when @setting is not usable. */
bool planCompositor(const std::string &setting, const std::string &session_id,
                    const std::string &runtime_dir, unsigned width, unsigned height, unsigned fps,
                    CompositorPlan *plan, std::string *error);

/* Whether @setting is a valid [sessions] compositor value (for the config
 * check); @error says why not. */
bool validCompositorSetting(const std::string &setting, std::string *error);

/* "sway", "gnome" or "mutter": what a session request may choose. */
bool isCompositorKindName(const std::string &name);

/* The kind @setting names, without building a plan. */
CompositorKind compositorKind(const std::string &setting);

/* The command that waits (as the session's user, on its session bus) until
 * Mutter's screen cast service is there: exits 0 once it is, non-zero after
 * @timeout_s. */
std::vector<std::string> mutterReadyCommand(unsigned timeout_s);

} // namespace vdid
