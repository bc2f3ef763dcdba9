/* gst-vdi
 * Copyright (C) 2026 gst-vdi developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Keysym lookup and temporary keys (keymap.h), with real xkb layouts. */

#include "keymap.h"
#include "test-util.h"

#include <linux/input-event-codes.h>

using namespace vdi;

namespace {

/* What a client with this keymap gets for @loc: the keysym xkbcommon
 * resolves with the location's modifiers and layout. */
xkb_keysym_t resolve(const Keymap &km, const KeyLocation &loc)
{
  xkb_state *state = xkb_state_new(km.keymap());
  xkb_state_update_mask(state, loc.mods, 0, 0, 0, 0, loc.layout);
  xkb_keysym_t sym = xkb_state_key_get_one_sym(state, loc.keycode);
  xkb_state_unref(state);
  return sym;
}

xkb_mod_mask_t modMask(const Keymap &km, const char *name)
{
  return 1u << xkb_keymap_mod_get_index(km.keymap(), name);
}

} // namespace

TEST_CASE("key names: keysym names, browser names, characters", "[keymap]")
{
  CHECK(keysymFromKeyName("a") == XKB_KEY_a);
  CHECK(keysymFromKeyName("EuroSign") == XKB_KEY_EuroSign);
  CHECK(keysymFromKeyName("ssharp") == XKB_KEY_ssharp);
  CHECK(keysymFromKeyName("Return") == XKB_KEY_Return);
  CHECK(keysymFromKeyName("Enter") == XKB_KEY_Return);
  CHECK(keysymFromKeyName("ArrowLeft") == XKB_KEY_Left);
  CHECK(keysymFromKeyName("AltGraph") == XKB_KEY_ISO_Level3_Shift);
  CHECK(keysymFromKeyName(" ") == XKB_KEY_space);
  CHECK(keysymFromKeyName("é") == XKB_KEY_eacute);
  CHECK(keysymFromKeyName("€") == XKB_KEY_EuroSign);
  CHECK(keysymFromKeyName("@") == XKB_KEY_at);
  CHECK(keysymFromKeyName("U20AC") == XKB_KEY_EuroSign);
  CHECK(keysymFromKeyName("NoSuchKeysym") == XKB_KEY_NoSymbol);
  CHECK(keysymFromKeyName("") == XKB_KEY_NoSymbol);
  CHECK(keysymFromKeyName(std::string(100, 'a')) == XKB_KEY_NoSymbol);
  CHECK(keysymFromCodepoint('\n') == XKB_KEY_Return);
  CHECK(keysymFromCodepoint(0x1F600) == 0x1000000 + 0x1F600);
  CHECK(keysymFromCodepoint(7) == XKB_KEY_NoSymbol);
  CHECK(keysymFromCodepoint(0xD800) == XKB_KEY_NoSymbol);
  CHECK(evdevCodeFromDomCode("KeyA") == KEY_A);
  CHECK(evdevCodeFromDomCode("AltRight") == KEY_RIGHTALT);
  CHECK(evdevCodeFromDomCode("Nope") == -1);
  CHECK(isSafeXkbName("de(nodeadkeys),us"));
  CHECK_FALSE(isSafeXkbName("us\"; include"));
}

TEST_CASE("us: shift levels", "[keymap]")
{
  Keymap km;
  std::string error;
  REQUIRE(km.load(KeymapNames{}, &error));
  auto a = km.find(XKB_KEY_a);
  REQUIRE(a);
  CHECK(a->keycode == KEY_A + 8);
  CHECK(a->mods == 0);
  auto at = km.find(XKB_KEY_at);
  REQUIRE(at);
  CHECK(at->keycode == KEY_2 + 8);
  CHECK(at->mods == modMask(km, XKB_MOD_NAME_SHIFT));
  for (xkb_keysym_t sym : {XKB_KEY_at, XKB_KEY_A, XKB_KEY_braceleft, XKB_KEY_bar,
                           XKB_KEY_asciitilde, XKB_KEY_Return, XKB_KEY_space}) {
    auto loc = km.find(sym);
    INFO("keysym " << sym);
    REQUIRE(loc);
    CHECK(resolve(km, *loc) == sym);
  }
  /* Not on us. */
  CHECK_FALSE(km.find(XKB_KEY_eacute));
  CHECK_FALSE(km.find(XKB_KEY_ssharp));
}

TEST_CASE("de: AltGr levels", "[keymap]")
{
  Keymap km;
  std::string error;
  KeymapNames de;
  de.layout = "de";
  REQUIRE(km.load(de, &error));
  xkb_mod_mask_t altgr = modMask(km, "Mod5");
  auto at = km.find(XKB_KEY_at);
  REQUIRE(at);
  CHECK(at->keycode == KEY_Q + 8);
  CHECK(at->mods == altgr);
  auto euro = km.find(XKB_KEY_EuroSign);
  REQUIRE(euro);
  CHECK(euro->keycode == KEY_E + 8);
  CHECK(euro->mods == altgr);
  auto ss = km.find(XKB_KEY_ssharp);
  REQUIRE(ss);
  CHECK(ss->keycode == KEY_MINUS + 8);
  CHECK(ss->mods == 0);
  auto brace = km.find(XKB_KEY_braceleft);
  REQUIRE(brace);
  CHECK(brace->keycode == KEY_7 + 8);
  for (xkb_keysym_t sym : {XKB_KEY_at, XKB_KEY_EuroSign, XKB_KEY_ssharp, XKB_KEY_braceleft,
                           XKB_KEY_bar, XKB_KEY_asciitilde, XKB_KEY_y, XKB_KEY_z, XKB_KEY_mu,
                           XKB_KEY_adiaeresis, XKB_KEY_Adiaeresis}) {
    auto loc = km.find(sym);
    INFO("keysym " << sym);
    REQUIRE(loc);
    CHECK(resolve(km, *loc) == sym);
  }
  CHECK(km.find(XKB_KEY_y)->keycode == KEY_Z + 8);
}

TEST_CASE("layout names: variants, unknown layouts", "[keymap]")
{
  Keymap km;
  std::string error;
  KeymapNames n;
  n.layout = "de(nodeadkeys)";
  REQUIRE(km.load(n, &error));
  CHECK(km.names().layout == "de");
  CHECK(km.names().variant == "nodeadkeys");
  CHECK(std::string(xkb_keymap_layout_get_name(km.keymap(), 0)) == "German (no dead keys)");

  n = KeymapNames{};
  n.layout = "us,de";
  REQUIRE(km.load(n, &error));
  auto ss = km.find(XKB_KEY_ssharp);
  REQUIRE(ss);
  CHECK(ss->layout == 1);
  CHECK(resolve(km, *ss) == XKB_KEY_ssharp);

  n = KeymapNames{};
  n.layout = "xx-no-such-layout";
  CHECK_FALSE(km.load(n, &error));
  CHECK(error.find("xx-no-such-layout") != std::string::npos);
  /* The previous keymap stays. */
  CHECK(km.find(XKB_KEY_ssharp));

  n = KeymapNames{};
  n.layout = "de";
  n.variant = "no-such-variant";
  CHECK_FALSE(km.load(n, &error));
  n.layout = "us\";";
  CHECK_FALSE(km.load(n, &error));
  CHECK(error.find("invalid") != std::string::npos);
}

TEST_CASE("temporary keys for keysyms the layout lacks", "[keymap]")
{
  Keymap km;
  std::string error;
  REQUIRE(km.load(KeymapNames{}, &error));
  bool changed = false;
  auto e = km.findOrAdd(XKB_KEY_eacute, {}, &changed, &error);
  REQUIRE(e);
  CHECK(changed);
  CHECK(e->temporary);
  CHECK(e->keycode <= 255);
  CHECK(resolve(km, *e) == XKB_KEY_eacute);
  /* The serialized keymap carries it: a client compiling it gets it too. */
  xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
  xkb_keymap *client = xkb_keymap_new_from_string(ctx, km.text().c_str(), XKB_KEYMAP_FORMAT_TEXT_V1,
                                                  XKB_KEYMAP_COMPILE_NO_FLAGS);
  REQUIRE(client);
  const xkb_keysym_t *syms = nullptr;
  REQUIRE(xkb_keymap_key_get_syms_by_level(client, e->keycode, 0, 0, &syms) == 1);
  CHECK(syms[0] == XKB_KEY_eacute);
  xkb_keymap_unref(client);
  xkb_context_unref(ctx);

  /* Asking again finds the same key without a change. */
  auto again = km.findOrAdd(XKB_KEY_eacute, {}, &changed, &error);
  REQUIRE(again);
  CHECK_FALSE(changed);
  CHECK(again->keycode == e->keycode);
  /* A keysym the layout has needs none. */
  CHECK(km.findOrAdd(XKB_KEY_b, {}, &changed, &error));
  CHECK_FALSE(changed);

  /* More distinct keysyms than slots: the least recently used are
   * recycled, never one that is held down. */
  std::vector<xkb_keycode_t> busy = {e->keycode};
  for (uint32_t cp = 0x4E00; cp < 0x4E00 + Keymap::kMaxTemporary + 10; cp++) {
    auto loc = km.findOrAdd(keysymFromCodepoint(cp), busy, &changed, &error);
    INFO("U+" << std::hex << cp << " " << error);
    REQUIRE(loc);
    CHECK(loc->keycode != e->keycode);
    CHECK(resolve(km, *loc) == keysymFromCodepoint(cp));
  }
  CHECK(km.temporaryCount() <= Keymap::kMaxTemporary);
  /* eacute was held, so it survived. */
  CHECK(km.find(XKB_KEY_eacute));
  /* A new layout drops the temporary keys. */
  KeymapNames de;
  de.layout = "de";
  REQUIRE(km.load(de, &error));
  CHECK(km.temporaryCount() == 0);
}
