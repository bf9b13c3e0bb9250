// The client's two written forms. Every string a person reads is written in bokmål in the code
// and passed through `t()`; in nynorsk it is looked up in a catalogue (`i18n/nn*.js`) that maps
// the bokmål text to its nynorsk text. Catalogues are fetched only when nynorsk is chosen, so a
// bokmål reader downloads none of them. Placeholders are `{name}`, filled from `params`.

const STORED = 'mentorsti.language';
const LANGUAGES = ['nb', 'nn'];

let current = 'nb';
const loaded = new Map();
const entries = new Map();

/** The form the browser's languages ask for (bokmål when they name neither). */
function browserLanguage() {
  const preferred = (navigator.languages || [navigator.language || '']).map((l) => l.toLowerCase());
  for (const tag of preferred) {
    if (tag.startsWith('nn')) return 'nn';
    if (tag.startsWith('nb') || tag === 'no' || tag.startsWith('no-')) return 'nb';
  }
  return 'nb';
}

/** The form to start in before anyone has signed in: the last one chosen here, else the browser's. */
export function initialLanguage() {
  try {
    const stored = localStorage.getItem(STORED);
    if (LANGUAGES.includes(stored)) return stored;
  } catch {
    // Storage may be off (private mode); the browser's languages still tell.
  }
  return browserLanguage();
}

/** The form strings are shown in now: `nb` or `nn`. */
export const language = () => current;

// Some browsers (Chromium among them) carry no nynorsk dates: asked for `nn-NO` they answer in
// their own language, often English. Those get bokmål's, whose months nynorsk writes alike, with
// the weekdays put right by `dateText`.
const NYNORSK_DATES = Intl.DateTimeFormat.supportedLocalesOf(['nn-NO']).length > 0;
const WEEKDAYS = {
  mandag: 'måndag', tirsdag: 'tysdag', lørdag: 'laurdag', søndag: 'sundag',
  'man.': 'mån.', 'tir.': 'tys.', 'lør.': 'lau.', 'søn.': 'sun.',
};
const WEEKDAY = /(^|[^\p{L}])(mandag|tirsdag|lørdag|søndag|man\.|tir\.|lør\.|søn\.)/gu;

/** The locale for dates and numbers in the current form (one the browser can write). */
export const locale = () => (current === 'nn' && NYNORSK_DATES ? 'nn-NO' : 'nb-NO');

/** A date as `Intl.DateTimeFormat(locale())` wrote it, in the current form. */
export function dateText(text) {
  if (current !== 'nn' || NYNORSK_DATES) return text;
  return text.replace(WEEKDAY, (whole, before, day) => before + WEEKDAYS[day]);
}

/**
 * Switches the form, fetching the catalogues that are in use, and remembers the choice on this
 * device, so the sign-in screen is in it next time. Only a choice the browser would not make by
 * itself is kept: a device left by someone who reads as their browser does keeps nothing of
 * them (phones and nursing-home PCs are shared). The page's `lang` follows, so screen readers
 * read with the right voice.
 */
export async function setLanguage(lang) {
  const next = LANGUAGES.includes(lang) ? lang : 'nb';
  current = next;
  document.documentElement.lang = next;
  try {
    if (next === browserLanguage()) localStorage.removeItem(STORED);
    else localStorage.setItem(STORED, next);
  } catch {
    // Not remembered on this device; the profile still keeps it.
  }
  if (next === 'nn') await Promise.all([...loaded.keys()].map(load));
}

/** Makes a catalogue part of the client (`''` for `i18n/nn.js`, `'staff'` for `i18n/nn-staff.js`). */
export async function useCatalogue(name = '') {
  if (!loaded.has(name)) loaded.set(name, false);
  if (current === 'nn') await load(name);
}

async function load(name) {
  if (loaded.get(name)) return;
  let module;
  try {
    module = await import(name ? `./i18n/nn-${name}.js` : './i18n/nn.js');
  } catch (error) {
    // Offline, say: the screens still work, in bokmål, and the next switch tries again.
    console.error(`The nynorsk catalogue ${name || 'nn'} could not be loaded:`, error);
    return;
  }
  for (const [bokmal, nynorsk] of Object.entries(module.default)) entries.set(bokmal, nynorsk);
  loaded.set(name, true);
}

/** `text` (bokmål) in the current form, with `{placeholders}` filled from `params`. */
export function t(text, params) {
  const shown = current === 'nn' ? entries.get(text) ?? text : text;
  if (!params) return shown;
  return shown.replace(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}
