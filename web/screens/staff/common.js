// What the staff screens share: tables that stay readable on a phone, status words, and the
// USHT an administrator is looking at.

import { api } from '../../api.js';
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

/** Every item of a paginated list, following `next_cursor` (at most `pages` pages). */
export async function allPages(path, pages = 20) {
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

export const LABELS = {
  stage: {
    invited: 'Invitert',
    not_started: 'Ikke startet',
    in_progress: 'Påbegynt',
    path_done: 'Læringssti fullført',
    note_submitted: 'Notat sendt inn',
    in_series: 'I webinarserie',
    completed: 'Fullført',
  },
  path_status: { not_started: 'Ikke startet', in_progress: 'Påbegynt', completed: 'Fullført' },
  note_status: { none: 'Ikke påbegynt', draft: 'Utkast', submitted: 'Sendt inn' },
  webinar_status: { none: 'Ikke påmeldt', waitlisted: 'Venteliste', confirmed: 'Påmeldt', completed: 'Fullført' },
  invitation: { pending: 'Venter', accepted: 'Akseptert', expired: 'Utløpt', withdrawn: 'Trukket tilbake' },
  role: { mentor: 'Mentor', facilitator: 'Veileder', coordinator: 'Koordinator', admin: 'Administrator' },
};

export const label = (kind, value) => LABELS[kind]?.[value] || value || '–';

/**
 * A table in a scrollable region: its first column is the row's header and stays in place
 * when the rest scrolls sideways on a phone. `columns` are `[key, heading]`, `cell(key, row)`
 * gives a cell's content (text or an element).
 */
export function dataTable({ id, caption, columns, rows, cell = (key, row) => row[key] ?? '–' }) {
  const captionId = `${id}-caption`;
  return h('div', { class: 'table-wrap sticky-first', role: 'region', 'aria-labelledby': captionId, tabindex: '0' },
    h('table', { id },
      h('caption', { id: captionId }, caption),
      h('thead', {}, h('tr', {}, columns.map(([, heading]) => h('th', { scope: 'col' }, heading)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([key], i) => (i === 0
        ? h('th', { scope: 'row' }, cell(key, row))
        : h('td', {}, cell(key, row)))))))));
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
  if (!ushts.length) return { usht: null, picker: h('p', { class: 'muted' }, 'Det finnes ingen USHT-er ennå.') };
  const select = h('select', { id: 'usht', onchange: () => onChange(select.value) },
    ushts.map((u) => h('option', { value: u.id, selected: u.id === chosen.id }, u.name)));
  return { usht: chosen, picker: h('div', { class: 'field' }, h('label', { for: 'usht' }, 'USHT'), select) };
}
