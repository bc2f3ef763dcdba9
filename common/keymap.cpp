/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "keymap.h"

#include <glib.h>
#include <linux/input-event-codes.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace vdi {

namespace {

struct CharPtrFree {
  void operator()(char *p) const { free(p); }
};

/* Browser KeyboardEvent.key names that are not X keysym names. */
const std::unordered_map<std::string, const char *> &domKeyAliases()
{
  static const std::unordered_map<std::string, const char *> map = {
    {"Enter", "Return"},
    {"Backspace", "BackSpace"},
    {"ArrowLeft", "Left"},
    {"ArrowRight", "Right"},
    {"ArrowUp", "Up"},
    {"ArrowDown", "Down"},
    {"PageUp", "Prior"},
    {"PageDown", "Next"},
    {"Shift", "Shift_L"},
    {"Control", "Control_L"},
    {"Alt", "Alt_L"},
    {"AltGraph", "ISO_Level3_Shift"},
    {"Meta", "Super_L"},
    {"OS", "Super_L"},
    {"CapsLock", "Caps_Lock"},
    {"NumLock", "Num_Lock"},
    {"ScrollLock", "Scroll_Lock"},
    {"ContextMenu", "Menu"},
    {"PrintScreen", "Print"},
    {"Esc", "Escape"},
    {"Del", "Delete"},
    {"Spacebar", "space"},
    {" ", "space"},
  };
  return map;
}

} // namespace

KeymapNames KeymapNames::normalized() const
{
  KeymapNames n = *this;
  /* "de(nodeadkeys)" -> layout de, variant nodeadkeys (also per group in
   * "us,de(neo)"). */
  if (n.layout.find('(') != std::string::npos) {
    std::string layouts, variants;
    gchar **parts = g_strsplit(n.layout.c_str(), ",", -1);
    gchar **given_variants = g_strsplit(n.variant.c_str(), ",", -1);
    guint nv = g_strv_length(given_variants);
    for (guint i = 0; parts[i]; i++) {
      std::string p = parts[i];
      std::string var = i < nv ? given_variants[i] : "";
      size_t open = p.find('(');
      if (open != std::string::npos && p.back() == ')') {
        var = p.substr(open + 1, p.size() - open - 2);
        p = p.substr(0, open);
      }
      layouts += (i ? "," : "") + p;
      variants += (i ? "," : "") + var;
    }
    g_strfreev(parts);
    g_strfreev(given_variants);
    n.layout = layouts;
    n.variant = variants.find_first_not_of(',') == std::string::npos ? "" : variants;
  }
  return n;
}

std::string KeymapNames::describe() const
{
  std::string s = layout.empty() ? "us" : layout;
  if (!variant.empty())
    s += "(" + variant + ")";
  if (!model.empty())
    s += " model " + model;
  if (!options.empty())
    s += " options " + options;
  if (!rules.empty())
    s += " rules " + rules;
  return s;
}

xkb_keysym_t keysymFromCodepoint(uint32_t cp)
{
  switch (cp) {
  case '\n':
  case '\r':
    return XKB_KEY_Return;
  case '\t':
    return XKB_KEY_Tab;
  case '\b':
    return XKB_KEY_BackSpace;
  case 0x1b:
    return XKB_KEY_Escape;
  case 0x7f:
    return XKB_KEY_Delete;
  default:
    break;
  }
  if (cp < 0x20 || (cp >= 0x80 && cp < 0xa0) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return XKB_KEY_NoSymbol;
  return xkb_utf32_to_keysym(cp);
}

xkb_keysym_t keysymFromKeyName(const std::string &name)
{
  if (name.empty() || name.size() > 64)
    return XKB_KEY_NoSymbol;
  auto alias = domKeyAliases().find(name);
  if (alias != domKeyAliases().end())
    return xkb_keysym_from_name(alias->second, XKB_KEYSYM_NO_FLAGS);
  /* A single character (what a browser reports for printable keys). */
  if (g_utf8_validate(name.c_str(), static_cast<gssize>(name.size()), nullptr) &&
      g_utf8_strlen(name.c_str(), -1) == 1) {
    xkb_keysym_t sym = keysymFromCodepoint(g_utf8_get_char(name.c_str()));
    if (sym != XKB_KEY_NoSymbol)
      return sym;
  }
  xkb_keysym_t sym = xkb_keysym_from_name(name.c_str(), XKB_KEYSYM_NO_FLAGS);
  if (sym == XKB_KEY_NoSymbol)
    sym = xkb_keysym_from_name(name.c_str(), XKB_KEYSYM_CASE_INSENSITIVE);
  /* Keysyms that name nothing a key can produce. */
  if (sym == XKB_KEY_VoidSymbol)
    return XKB_KEY_NoSymbol;
  /* "U20AC" is the legacy keysym EuroSign where one exists, as layouts
   * name it. */
  if (sym >= 0x1000100 && sym <= 0x110ffff)
    return keysymFromCodepoint(sym - 0x1000000);
  return sym;
}

int evdevCodeFromDomCode(const std::string &code)
{
  static const std::unordered_map<std::string, int> map = {
    {"Escape", KEY_ESC},
    {"Digit1", KEY_1},
    {"Digit2", KEY_2},
    {"Digit3", KEY_3},
    {"Digit4", KEY_4},
    {"Digit5", KEY_5},
    {"Digit6", KEY_6},
    {"Digit7", KEY_7},
    {"Digit8", KEY_8},
    {"Digit9", KEY_9},
    {"Digit0", KEY_0},
    {"Minus", KEY_MINUS},
    {"Equal", KEY_EQUAL},
    {"Backspace", KEY_BACKSPACE},
    {"Tab", KEY_TAB},
    {"KeyQ", KEY_Q},
    {"KeyW", KEY_W},
    {"KeyE", KEY_E},
    {"KeyR", KEY_R},
    {"KeyT", KEY_T},
    {"KeyY", KEY_Y},
    {"KeyU", KEY_U},
    {"KeyI", KEY_I},
    {"KeyO", KEY_O},
    {"KeyP", KEY_P},
    {"BracketLeft", KEY_LEFTBRACE},
    {"BracketRight", KEY_RIGHTBRACE},
    {"Enter", KEY_ENTER},
    {"ControlLeft", KEY_LEFTCTRL},
    {"KeyA", KEY_A},
    {"KeyS", KEY_S},
    {"KeyD", KEY_D},
    {"KeyF", KEY_F},
    {"KeyG", KEY_G},
    {"KeyH", KEY_H},
    {"KeyJ", KEY_J},
    {"KeyK", KEY_K},
    {"KeyL", KEY_L},
    {"Semicolon", KEY_SEMICOLON},
    {"Quote", KEY_APOSTROPHE},
    {"Backquote", KEY_GRAVE},
    {"ShiftLeft", KEY_LEFTSHIFT},
    {"Backslash", KEY_BACKSLASH},
    {"KeyZ", KEY_Z},
    {"KeyX", KEY_X},
    {"KeyC", KEY_C},
    {"KeyV", KEY_V},
    {"KeyB", KEY_B},
    {"KeyN", KEY_N},
    {"KeyM", KEY_M},
    {"Comma", KEY_COMMA},
    {"Period", KEY_DOT},
    {"Slash", KEY_SLASH},
    {"ShiftRight", KEY_RIGHTSHIFT},
    {"NumpadMultiply", KEY_KPASTERISK},
    {"AltLeft", KEY_LEFTALT},
    {"Space", KEY_SPACE},
    {"CapsLock", KEY_CAPSLOCK},
    {"F1", KEY_F1},
    {"F2", KEY_F2},
    {"F3", KEY_F3},
    {"F4", KEY_F4},
    {"F5", KEY_F5},
    {"F6", KEY_F6},
    {"F7", KEY_F7},
    {"F8", KEY_F8},
    {"F9", KEY_F9},
    {"F10", KEY_F10},
    {"F11", KEY_F11},
    {"F12", KEY_F12},
    {"NumLock", KEY_NUMLOCK},
    {"ScrollLock", KEY_SCROLLLOCK},
    {"Numpad7", KEY_KP7},
    {"Numpad8", KEY_KP8},
    {"Numpad9", KEY_KP9},
    {"NumpadSubtract", KEY_KPMINUS},
    {"Numpad4", KEY_KP4},
    {"Numpad5", KEY_KP5},
    {"Numpad6", KEY_KP6},
    {"NumpadAdd", KEY_KPPLUS},
    {"Numpad1", KEY_KP1},
    {"Numpad2", KEY_KP2},
    {"Numpad3", KEY_KP3},
    {"Numpad0", KEY_KP0},
    {"NumpadDecimal", KEY_KPDOT},
    {"IntlBackslash", KEY_102ND},
    {"IntlRo", KEY_RO},
    {"IntlYen", KEY_YEN},
    {"NumpadEnter", KEY_KPENTER},
    {"ControlRight", KEY_RIGHTCTRL},
    {"NumpadDivide", KEY_KPSLASH},
    {"PrintScreen", KEY_SYSRQ},
    {"AltRight", KEY_RIGHTALT},
    {"Home", KEY_HOME},
    {"ArrowUp", KEY_UP},
    {"PageUp", KEY_PAGEUP},
    {"ArrowLeft", KEY_LEFT},
    {"ArrowRight", KEY_RIGHT},
    {"End", KEY_END},
    {"ArrowDown", KEY_DOWN},
    {"PageDown", KEY_PAGEDOWN},
    {"Insert", KEY_INSERT},
    {"Delete", KEY_DELETE},
    {"NumpadEqual", KEY_KPEQUAL},
    {"Pause", KEY_PAUSE},
    {"MetaLeft", KEY_LEFTMETA},
    {"MetaRight", KEY_RIGHTMETA},
    {"OSLeft", KEY_LEFTMETA},
    {"OSRight", KEY_RIGHTMETA},
    {"ContextMenu", KEY_COMPOSE},
  };
  auto it = map.find(code);
  return it == map.end() ? -1 : it->second;
}

bool isSafeXkbName(const std::string &s)
{
  if (s.size() > 256)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return g_ascii_isalnum(c) || strchr("_-+,:()./", c) != nullptr;
  });
}

/* ---- Keymap -------------------------------------------------------------- */

Keymap::Keymap() : context_(xkb_context_new(XKB_CONTEXT_NO_FLAGS)) {}

bool Keymap::load(const KeymapNames &requested, std::string *error)
{
  KeymapNames names = requested.normalized();
  for (const std::string *f :
       {&names.rules, &names.model, &names.layout, &names.variant, &names.options}) {
    if (!isSafeXkbName(*f)) {
      *error = "invalid characters in keyboard layout description \"" + *f + "\"";
      return false;
    }
  }
  if (!context_) {
    *error = "could not create an xkb context";
    return false;
  }
  xkb_rule_names rmlvo = {};
  rmlvo.rules = names.rules.empty() ? nullptr : names.rules.c_str();
  rmlvo.model = names.model.empty() ? nullptr : names.model.c_str();
  rmlvo.layout = names.layout.empty() ? "us" : names.layout.c_str();
  rmlvo.variant = names.variant.empty() ? nullptr : names.variant.c_str();
  rmlvo.options = names.options.empty() ? nullptr : names.options.c_str();
  XkbKeymapPtr km(xkb_keymap_new_from_names(context_.get(), &rmlvo, XKB_KEYMAP_COMPILE_NO_FLAGS));
  if (!km) {
    *error = "xkb could not compile the keyboard layout " + names.describe();
    return false;
  }
  /* libxkbcommon falls back to the default layout for unknown names; a
   * layout that does not exist must be refused, not silently replaced. */
  std::string want = names.layout.empty() ? "us" : names.layout;
  gchar **wanted = g_strsplit(want.c_str(), ",", -1);
  guint nwanted = g_strv_length(wanted);
  g_strfreev(wanted);
  if (xkb_keymap_num_layouts(km.get()) != nwanted) {
    *error = "the keyboard layout " + names.describe() + " does not exist";
    return false;
  }
  std::unique_ptr<char, CharPtrFree> str(
    xkb_keymap_get_as_string(km.get(), XKB_KEYMAP_FORMAT_TEXT_V1));
  if (!str) {
    *error = "could not serialize the keymap";
    return false;
  }
  /* Check the variant too: an unknown variant makes xkbcomp fall back to
   * the layout's default, which the layout name then does not show. */
  if (!names.variant.empty()) {
    xkb_rule_names base = rmlvo;
    base.variant = nullptr;
    XkbKeymapPtr plain(
      xkb_keymap_new_from_names(context_.get(), &base, XKB_KEYMAP_COMPILE_NO_FLAGS));
    if (plain) {
      std::unique_ptr<char, CharPtrFree> plain_str(
        xkb_keymap_get_as_string(plain.get(), XKB_KEYMAP_FORMAT_TEXT_V1));
      bool same_name = true;
      for (xkb_layout_index_t i = 0; i < xkb_keymap_num_layouts(km.get()); i++) {
        const char *a = xkb_keymap_layout_get_name(km.get(), i);
        const char *b = xkb_keymap_layout_get_name(plain.get(), i);
        if (!a || !b || strcmp(a, b) != 0)
          same_name = false;
      }
      if (same_name && plain_str && strcmp(plain_str.get(), str.get()) == 0) {
        *error = "the keyboard layout variant \"" + names.variant + "\" of " + names.layout +
                 " does not exist";
        return false;
      }
    }
  }

  base_ = std::move(km);
  base_text_ = str.get();
  names_ = names;
  temporary_.clear();
  free_keycodes_.clear();
  for (xkb_keycode_t kc = xkb_keymap_min_keycode(base_.get());
       kc <= xkb_keymap_max_keycode(base_.get()); kc++) {
    /* Keycodes up to 255 first: X11 clients (Xwayland) see no others. */
    if (xkb_keymap_key_get_name(base_.get(), kc) &&
        xkb_keymap_num_layouts_for_key(base_.get(), kc) == 0)
      free_keycodes_.push_back(kc);
  }
  std::stable_partition(free_keycodes_.begin(), free_keycodes_.end(),
                        [](xkb_keycode_t kc) { return kc <= 255; });
  return rebuild(error);
}

bool Keymap::rebuild(std::string *error)
{
  if (temporary_.empty()) {
    keymap_.reset(xkb_keymap_ref(base_.get()));
    text_ = base_text_;
    return true;
  }
  std::string extra;
  for (const auto &t : temporary_) {
    char name[64];
    xkb_keysym_get_name(t.sym, name, sizeof(name));
    extra += std::string("\tkey <") + xkb_keymap_key_get_name(base_.get(), t.keycode) + "> { [ " +
             name + " ] };\n";
  }
  std::string text = base_text_;
  size_t symbols = text.find("xkb_symbols");
  size_t end = symbols == std::string::npos ? std::string::npos : text.find("\n};", symbols);
  if (end == std::string::npos) {
    *error = "unexpected keymap text (no xkb_symbols section)";
    return false;
  }
  text.insert(end + 1, extra);
  XkbKeymapPtr km(xkb_keymap_new_from_string(
    context_.get(), text.c_str(), XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS));
  if (!km) {
    *error = "the keymap with temporary keys does not compile";
    return false;
  }
  std::unique_ptr<char, CharPtrFree> str(
    xkb_keymap_get_as_string(km.get(), XKB_KEYMAP_FORMAT_TEXT_V1));
  keymap_ = std::move(km);
  text_ = str ? str.get() : text;
  return true;
}

std::optional<KeyLocation> Keymap::search(xkb_keysym_t sym) const
{
  xkb_keymap *km = keymap_.get();
  if (!km || sym == XKB_KEY_NoSymbol)
    return std::nullopt;
  std::optional<KeyLocation> best;
  int best_cost = 0;
  for (xkb_keycode_t kc = xkb_keymap_min_keycode(km); kc <= xkb_keymap_max_keycode(km); kc++) {
    xkb_layout_index_t layouts = xkb_keymap_num_layouts_for_key(km, kc);
    for (xkb_layout_index_t layout = 0; layout < layouts; layout++) {
      xkb_level_index_t levels = xkb_keymap_num_levels_for_key(km, kc, layout);
      for (xkb_level_index_t level = 0; level < levels; level++) {
        const xkb_keysym_t *syms = nullptr;
        int n = xkb_keymap_key_get_syms_by_level(km, kc, layout, level, &syms);
        if (n != 1 || syms[0] != sym)
          continue;
        xkb_mod_mask_t masks[8];
        size_t nmasks = xkb_keymap_key_get_mods_for_level(km, kc, layout, level, masks, 8);
        if (nmasks == 0)
          continue;
        /* The simplest way there: fewest modifiers, the first layout, then
         * the lowest keycode (main keys before the keypad). */
        xkb_mod_mask_t mods = masks[0];
        for (size_t i = 1; i < nmasks; i++)
          if (__builtin_popcount(masks[i]) < __builtin_popcount(mods))
            mods = masks[i];
        /* Keycodes above 255 are multimedia keys X11 clients never see:
         * AltGr+e is a better way to type a euro sign than KEY_EURO. */
        int cost =
          static_cast<int>(layout) * 100 + __builtin_popcount(mods) * 10 + (kc > 255 ? 50 : 0);
        /* Keypad keys depend on NumLock; prefer the main block. */
        const char *name = xkb_keymap_key_get_name(km, kc);
        if (name && name[0] == 'K' && name[1] == 'P')
          cost += 3;
        if (!best || cost < best_cost) {
          KeyLocation loc;
          loc.keycode = kc;
          loc.layout = layout;
          loc.level = level;
          loc.mods = mods;
          for (xkb_level_index_t l = 0; l < levels; l++) {
            xkb_mod_mask_t lm[8];
            size_t k = xkb_keymap_key_get_mods_for_level(km, kc, layout, l, lm, 8);
            for (size_t i = 0; i < k; i++)
              loc.level_mask |= lm[i];
          }
          best = loc;
          best_cost = cost;
        }
      }
    }
  }
  if (best) {
    for (const auto &t : temporary_)
      if (t.keycode == best->keycode)
        best->temporary = true;
  }
  return best;
}

std::optional<KeyLocation> Keymap::find(xkb_keysym_t sym) const
{
  return search(sym);
}

std::optional<KeyLocation> Keymap::findOrAdd(xkb_keysym_t sym,
                                             const std::vector<xkb_keycode_t> &busy, bool *changed,
                                             std::string *error)
{
  *changed = false;
  if (sym == XKB_KEY_NoSymbol || sym == XKB_KEY_VoidSymbol) {
    *error = "no such keysym";
    return std::nullopt;
  }
  auto loc = search(sym);
  if (loc) {
    for (auto &t : temporary_)
      if (t.keycode == loc->keycode)
        t.last_used = ++use_counter_;
    return loc;
  }
  auto is_busy = [&busy](xkb_keycode_t kc) {
    return std::find(busy.begin(), busy.end(), kc) != busy.end();
  };
  Temporary entry = {0, sym, ++use_counter_};
  if (temporary_.size() < std::min(kMaxTemporary, free_keycodes_.size())) {
    for (xkb_keycode_t kc : free_keycodes_) {
      bool used = std::any_of(temporary_.begin(), temporary_.end(),
                              [kc](const Temporary &t) { return t.keycode == kc; });
      if (!used) {
        entry.keycode = kc;
        break;
      }
    }
    temporary_.push_back(entry);
  } else {
    /* Recycle the least recently used entry that is not held down. */
    Temporary *lru = nullptr;
    for (auto &t : temporary_)
      if (!is_busy(t.keycode) && (!lru || t.last_used < lru->last_used))
        lru = &t;
    if (!lru) {
      *error = "every temporary key is held down";
      return std::nullopt;
    }
    entry.keycode = lru->keycode;
    *lru = entry;
  }
  if (entry.keycode == 0 || !rebuild(error)) {
    if (error->empty())
      *error = "no free keycode for a temporary key";
    temporary_.erase(std::remove_if(temporary_.begin(), temporary_.end(),
                                    [&entry](const Temporary &t) { return t.sym == entry.sym; }),
                     temporary_.end());
    rebuild(error);
    return std::nullopt;
  }
  *changed = true;
  loc = search(sym);
  if (!loc)
    *error = "the temporary key does not produce the keysym";
  return loc;
}

} // namespace vdi
