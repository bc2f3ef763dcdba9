/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The keymap a virtual keyboard types with (libxkbcommon), free of any
 * Wayland code so that unit tests and the fuzzer can use it:
 *
 *  - compiles a keymap from xkb rules/model/layout/variant/options;
 *  - finds the key, layout and modifiers that produce a keysym (the lowest
 *    shift level that reaches it, e.g. `at` is Shift+2 on `us` and AltGr+q
 *    on `de`);
 *  - adds temporary entries on unused keycodes for keysyms the layout lacks
 *    (`€` on `us`), recycling the least recently used one when they run out;
 *  - serializes the result for zwp_virtual_keyboard_v1.keymap.
 *
 * Keycodes here are XKB keycodes (evdev code + 8).
 */

#pragma once

#include <xkbcommon/xkbcommon.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vdi {

/* An xkb RMLVO description. Empty fields take libxkbcommon's defaults
 * (rules evdev, model pc105). */
struct KeymapNames {
  std::string rules;
  std::string model;
  std::string layout = "us";
  std::string variant;
  std::string options;

  /* "de(nodeadkeys)" in layout is split into layout "de" and variant
   * "nodeadkeys". */
  KeymapNames normalized() const;
  std::string describe() const;
};

/* Where a keysym lives in a keymap. */
struct KeyLocation {
  xkb_keycode_t keycode = 0;
  xkb_layout_index_t layout = 0;
  xkb_level_index_t level = 0;
  xkb_mod_mask_t mods = 0;       /* modifiers that select the level */
  xkb_mod_mask_t level_mask = 0; /* every modifier that changes the key's level */
  bool temporary = false;
};

/* Keysym for a key name: an X keysym name (`a`, `EuroSign`, `Return`,
 * `U20AC`), a browser KeyboardEvent.key name (`Enter`, `ArrowLeft`,
 * `AltGraph`) or a single Unicode character (`é`). XKB_KEY_NoSymbol when it
 * is none of these. */
xkb_keysym_t keysymFromKeyName(const std::string &name);

/* Keysym for a Unicode code point (control characters \n, \t, \b map to
 * Return, Tab, BackSpace). XKB_KEY_NoSymbol for invalid code points. */
xkb_keysym_t keysymFromCodepoint(uint32_t cp);

/* The evdev key code for a browser KeyboardEvent.code (`KeyA` -> KEY_A),
 * or -1. */
int evdevCodeFromDomCode(const std::string &code);

/* Checks that an RMLVO string holds only what xkb names contain (letters,
 * digits, `_-+,:()./`), so that no keymap text can be injected. */
bool isSafeXkbName(const std::string &s);

struct XkbContextUnref {
  void operator()(xkb_context *c) const { xkb_context_unref(c); }
};
struct XkbKeymapUnref {
  void operator()(xkb_keymap *k) const { xkb_keymap_unref(k); }
};
using XkbContextPtr = std::unique_ptr<xkb_context, XkbContextUnref>;
using XkbKeymapPtr = std::unique_ptr<xkb_keymap, XkbKeymapUnref>;

class Keymap
{
public:
  /* How many keysyms missing from the layout can be typed before the
   * least recently used temporary entry is recycled. */
  static constexpr size_t kMaxTemporary = 64;

  Keymap();

  /* Compiles the keymap for @names. On failure the current keymap stays
   * and @error says why. Drops temporary entries. */
  bool load(const KeymapNames &names, std::string *error);

  /* The key that types @sym in the current keymap (layout keys first,
   * then temporary entries), or nullopt. */
  std::optional<KeyLocation> find(xkb_keysym_t sym) const;

  /* Like find(), but adds a temporary entry when the layout lacks @sym.
   * @changed is set when the keymap changed and must be sent again.
   * @busy lists keycodes that are held down and must not be recycled. */
  std::optional<KeyLocation> findOrAdd(xkb_keysym_t sym, const std::vector<xkb_keycode_t> &busy,
                                       bool *changed, std::string *error);

  xkb_keymap *keymap() const { return keymap_.get(); }
  /* The keymap as XKB text v1 (what wl_keyboard.keymap carries), without
   * the terminating NUL. */
  const std::string &text() const { return text_; }
  const KeymapNames &names() const { return names_; }
  size_t temporaryCount() const { return temporary_.size(); }

private:
  bool rebuild(std::string *error);
  std::optional<KeyLocation> search(xkb_keysym_t sym) const;

  struct Temporary {
    xkb_keycode_t keycode;
    xkb_keysym_t sym;
    uint64_t last_used;
  };

  XkbContextPtr context_;
  XkbKeymapPtr base_; /* the layout without temporary entries */
  XkbKeymapPtr keymap_;
  std::string base_text_;
  std::string text_;
  KeymapNames names_;
  std::vector<xkb_keycode_t> free_keycodes_; /* named keycodes without symbols */
  std::vector<Temporary> temporary_;
  uint64_t use_counter_ = 0;
};

} // namespace vdi
