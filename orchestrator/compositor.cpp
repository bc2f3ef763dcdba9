/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "compositor.h"

#include <glib.h>
#include <glib/gstdio.h>

#include <fstream>

namespace vdid {

namespace {

bool parseCommand(const std::string &setting, std::vector<std::string> *argv, std::string *error)
{
  g_auto(GStrv) parsed = nullptr;
  if (!g_shell_parse_argv(setting.c_str(), nullptr, &parsed, nullptr) || !parsed[0]) {
    *error = "[sessions] compositor is neither sway, gnome, mutter nor a valid command line";
    return false;
  }
  for (char **a = parsed; *a; a++)
    argv->emplace_back(*a);
  return true;
}

CompositorKind kindOfProgram(const std::string &program, std::string *name)
{
  g_autofree char *base = g_path_get_basename(program.c_str());
  *name = base;
  if (*name == "sway")
    return CompositorKind::Sway;
  if (*name == "gnome-shell")
    return CompositorKind::Gnome;
  if (*name == "mutter")
    return CompositorKind::Mutter;
  return CompositorKind::Other;
}

} // namespace

bool isCompositorKindName(const std::string &name)
{
  return name == "sway" || name == "gnome" || name == "mutter";
}

CompositorKind compositorKind(const std::string &setting)
{
  if (setting == "gnome")
    return CompositorKind::Gnome;
  std::vector<std::string> argv;
  std::string name, ignored;
  if (!parseCommand(setting, &argv, &ignored))
    return CompositorKind::Other;
  return kindOfProgram(argv[0], &name);
}

bool validCompositorSetting(const std::string &setting, std::string *error)
{
  std::vector<std::string> argv;
  return setting == "gnome" || parseCommand(setting, &argv, error);
}

bool planCompositor(const std::string &setting, const std::string &session_id,
                    const std::string &runtime_dir, unsigned width, unsigned height, unsigned fps,
                    CompositorPlan *plan, std::string *error)
{
  CompositorPlan p;
  std::string size = std::to_string(width) + "x" + std::to_string(height);
  if (setting == "gnome" || setting == "mutter") {
    p.kind = setting == "gnome" ? CompositorKind::Gnome : CompositorKind::Mutter;
    p.name = setting == "gnome" ? "gnome-shell" : "mutter";
    p.argv = {p.name, "--headless", "--virtual-monitor", size, "--wayland", "--no-x11"};
  } else {
    if (!parseCommand(setting, &p.argv, error))
      return false;
    p.kind = kindOfProgram(p.argv[0], &p.name);
  }
  if (p.kind == CompositorKind::Sway) {
    std::string conf = runtime_dir + "/sway.conf";
    std::ofstream out(conf);
    out << "# written by vdid for session " << session_id << "\n"
        << "xwayland disable\n"
        << "default_border none\n"
        << "output HEADLESS-1 resolution " << size << "@" << fps << "Hz position 0 0\n";
    out.close();
    if (!out) {
      *error = "cannot write " + conf;
      return false;
    }
    g_chmod(conf.c_str(), 0644);
    p.argv.insert(p.argv.end(), {"-c", conf});
  }
  if (p.usesMutter()) {
    /* A session of its own: no gnome-session, no X11. */
    p.env = {"XDG_SESSION_TYPE=wayland", "XDG_CURRENT_DESKTOP=GNOME"};
  } else {
    p.env = {"WLR_BACKENDS=headless", "WLR_LIBINPUT_NO_DEVICES=1"};
    if (!g_file_test("/dev/dri", G_FILE_TEST_IS_DIR))
      p.env.push_back("WLR_RENDERER=pixman");
  }
  *plan = std::move(p);
  return true;
}

std::vector<std::string> mutterReadyCommand(unsigned timeout_s)
{
  return {"gdbus", "wait", "--session", "--timeout", std::to_string(timeout_s), kMutterScreenCast};
}

} // namespace vdid
