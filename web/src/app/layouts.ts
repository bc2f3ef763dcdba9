// Keyboard layouts offered for the desktop (xkb names, "layout:variant").

export const LAYOUTS: Array<[string, string]> = [
  ['us', 'English (US)'],
  ['us:intl', 'English (US, international, dead keys)'],
  ['gb', 'English (UK)'],
  ['de', 'German'],
  ['de:nodeadkeys', 'German (no dead keys)'],
  ['ch', 'German (Switzerland)'],
  ['ch:fr', 'French (Switzerland)'],
  ['at', 'German (Austria)'],
  ['fr', 'French (AZERTY)'],
  ['be', 'Belgian'],
  ['es', 'Spanish'],
  ['latam', 'Spanish (Latin America)'],
  ['pt', 'Portuguese'],
  ['br', 'Portuguese (Brazil)'],
  ['it', 'Italian'],
  ['nl', 'Dutch'],
  ['se', 'Swedish'],
  ['no', 'Norwegian'],
  ['dk', 'Danish'],
  ['fi', 'Finnish'],
  ['pl', 'Polish'],
  ['cz', 'Czech'],
  ['hu', 'Hungarian'],
  ['ru', 'Russian'],
  ['ua', 'Ukrainian'],
  ['tr', 'Turkish'],
  ['gr', 'Greek'],
  ['il', 'Hebrew'],
  ['jp', 'Japanese'],
  ['kr', 'Korean'],
  ['cn', 'Chinese'],
];

/** The layout for a browser language ("de-CH" → "ch"), else "us". */
export function defaultLayout(language: string): string {
  const [lang, region = ''] = language.toLowerCase().split('-');
  const byRegion: Record<string, string> = { gb: 'gb', ch: 'ch', at: 'at', be: 'be', br: 'br' };
  if (byRegion[region] && LAYOUTS.some(([v]) => v === byRegion[region])) return byRegion[region];
  const byLang: Record<string, string> = {
    de: 'de', fr: 'fr', es: 'es', pt: 'pt', it: 'it', nl: 'nl', sv: 'se', nb: 'no', no: 'no', da: 'dk',
    fi: 'fi', pl: 'pl', cs: 'cz', hu: 'hu', ru: 'ru', uk: 'ua', tr: 'tr', el: 'gr', he: 'il', ja: 'jp', ko: 'kr',
  };
  return byLang[lang] ?? 'us';
}
