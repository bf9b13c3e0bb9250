// What the staff screens share: tables that stay readable on a phone, status words, and the
// USHT an administrator is looking at.

import { api } from '../../api.js';
import { t } from '../../i18n.js';
import { h } from '../../ui.js';

// The staff screens' styles come with them, before any of them renders.
const stylesheet = new URL('./staff.css', import.meta.url).href;
if (!document.querySelector(`link[href="${stylesheet}"]`)) {
  await new Promise((resolve) => {
    const link = h('link', { rel: 'stylesheet', href: stylesheet, onload: resolve, onerror: resolve });
    document.head.append(link);
  });
}

/** The list inside an answer: a bare array, or a page's `items`. */
export const items = (answer) => (Array.isArray(answer) ? answer : answer?.items || []);

/**
 * Every item of a paginated list, following `next_cursor` (at most `pages` pages: 10,000
 * items, more than a USHT has mentors or a municipality invitations).
 */
export async function allPages(path, pages = 100) {
  const all = [];
  let cursor = null;
  for (let i = 0; i < pages; i += 1) {
    const query = new URLSearchParams({ limit: '100' });
    if (cursor) query.set('cursor', cursor);
    const page = await api(`${path}${path.includes('?') ? '&' : '?'}${query}`);
    all.push(...items(page));
    cursor = page?.next_cursor;
    if (!cursor) break;
  }
  return all;
}

/** The words for each API status, in the current written form (looked up at every call). */
export const labels = () => ({
  stage: {
    invited: t('Invitert'),
    not_started: t('Ikke startet'),
    in_progress: t('Påbegynt'),
    path_done: t('Læringssti fullført'),
    note_submitted: t('Notat sendt inn'),
    in_series: t('I webinarserie'),
    completed: t('Fullført'),
  },
  path_status: { not_started: t('Ikke startet'), in_progress: t('Påbegynt'), completed: t('Fullført') },
  note_status: { none: t('Ikke påbegynt'), draft: t('Utkast'), submitted: t('Sendt inn') },
  webinar_status: { none: t('Ikke påmeldt'), waitlisted: t('Venteliste'), confirmed: t('Påmeldt'), completed: t('Fullført') },
  invitation: { pending: t('Venter'), accepted: t('Akseptert'), expired: t('Utløpt'), withdrawn: t('Trukket tilbake') },
  role: { mentor: t('Mentor'), facilitator: t('Veileder'), coordinator: t('Koordinator'), admin: t('Administrator') },
  series: { upcoming: t('Kommende'), running: t('Pågår'), finished: t('Avsluttet'), cancelled: t('Avlyst') },
});

/**
 * Where a webinar series is, by the clock: `cancelled`, `finished` (its last session held is
 * over), `running` (its first has begun) or `upcoming`.
 */
export function seriesState(series, now = Date.now()) {
  if (series.cancelled) return 'cancelled';
  const held = series.sessions.filter((s) => !s.cancelled);
  if (!held.length || Date.parse(held.at(-1).ends_at) <= now) return 'finished';
  if (Date.parse(held[0].starts_at) <= now) return 'running';
  return 'upcoming';
}

export const label = (kind, value) => labels()[kind]?.[value] || value || '–';

/**
 * A table in a scrollable region: its first column is the row's header and stays in place
 * when the rest scrolls sideways on a phone (unless `sticky` is false: a wide first column
 * would cover the rest). `columns` are `[key, heading]`, `cell(key, row)`
 * gives a cell's content (text or an element).
 */
export function dataTable({ id, caption, columns, rows, cell = (key, row) => row[key] ?? '–', sticky = true }) {
  const captionId = `${id}-caption`;
  return h('div', { class: sticky ? 'table-wrap wide sticky-first' : 'table-wrap wide', role: 'region', 'aria-labelledby': captionId, tabindex: '0' },
    h('table', { id },
      h('caption', { id: captionId }, caption),
      h('thead', {}, h('tr', {}, columns.map(([, heading]) => h('th', { scope: 'col' }, heading)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([key], i) => (i === 0
        ? h('th', { scope: 'row' }, cell(key, row))
        : h('td', {}, cell(key, row)))))))));
}

/**
 * A select that changes the whole screen: it acts on its "Vis" button, not on every change,
 * since arrowing through a closed select fires a change at each step (WCAG 3.2.2).
 */
export function choice({ id, label: text, select, onChoose }) {
  const form = h('form', { class: 'choice', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: id }, text), select),
    h('button', { type: 'submit', class: 'secondary' }, t('Vis')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onChoose(select.value);
  });
  return form;
}

/**
 * For an administrator, who sees every USHT: a choice of USHT kept in the address (`?usht=`).
 * Resolves to `{ usht, picker }`; for a coordinator `usht` is null (the server scopes to
 * their own) and there is no picker.
 */
export async function ushtChoice(user, query, onChange) {
  if (user.role !== 'admin') return { usht: null, picker: null };
  const ushts = items(await api('/admin/ushts'));
  const chosen = ushts.find((u) => u.id === query.get('usht')) || ushts[0] || null;
  if (!ushts.length) return { usht: null, picker: h('p', { class: 'muted' }, t('Det finnes ingen USHT-er ennå.')) };
  const select = h('select', { id: 'usht' },
    ushts.map((u) => h('option', { value: u.id, selected: u.id === chosen.id }, u.name)));
  return { usht: chosen, picker: choice({ id: 'usht', label: t('USHT'), select, onChoose: onChange }) };
}

/**
 * Whose municipalities a coordinator screen shows: a coordinator's own USHT (the server scopes
 * to it), or for an administrator the USHT chosen in the picker. `filter(prefix)` is the query
 * for the API (`?usht_id=` or nothing), `keep`/`also` carry the choice into the client's links.
 */
export async function scopeOf(query, onChange) {
  const user = await api('/me');
  const { usht, picker } = await ushtChoice(user, query, onChange);
  const id = usht?.id;
  return {
    usht,
    picker,
    filter: (prefix) => (id ? `${prefix}usht_id=${id}` : ''),
    keep: id ? `?usht=${id}` : '',
    also: id ? `&usht=${id}` : '',
    name: usht?.name || user.usht?.name || '',
  };
}

/**
 * The written form an invitation is sent in (its email and the invitee's account start in it):
 * a pair of radios named `name`, bokmål chosen at first. The names of the two forms are written
 * in the forms themselves, so they are the same whichever form the screen is in.
 */
export function languageChoice(name) {
  const option = (value, text) => h('label', { class: 'adm-role' },
    h('input', { type: 'radio', name, value, checked: value === 'nb' }), ` ${text}`);
  return h('fieldset', { class: 'adm-roles language-choice' },
    h('legend', {}, t('Skriftform for invitasjonen')),
    option('nb', 'Bokmål'),
    option('nn', 'Nynorsk'));
}

/** The written form chosen in a `languageChoice` inside `element`: `nb` or `nn`. */
export const chosenLanguage = (element, name) => (element.querySelector(`input[name="${name}"]:checked`)?.value === 'nn' ? 'nn' : 'nb');

/** A mark for an invitation sent in nynorsk; nothing for bokmål (the default) or an unknown form. */
export const languageMark = (invitation) => (invitation.language === 'nn'
  ? h('span', { class: 'badge badge-language', lang: 'nn' }, 'Nynorsk')
  : null);
