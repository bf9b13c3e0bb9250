// For coordinators: the progress of the mentors in a municipality (status only, never answers
// or note text), page by page, and the progress report as CSV.

import { api, download } from '../api.js';
import { STATUS, alertBox, explain, formatDate, h, render } from '../ui.js';

const COLUMNS = [
  ['name', 'Navn'],
  ['email', 'E-post'],
  ['workplace', 'Arbeidssted'],
  ['modules_done', 'Moduler fullført'],
  ['path_status', 'Læringssti'],
  ['note_status', 'Notat'],
  ['webinar_status', 'Webinar'],
  ['last_active_at', 'Sist aktiv'],
];

const items = (answer) => (Array.isArray(answer) ? answer : answer?.items || []);

function cell(key, value) {
  if (value === null || value === undefined || value === '') return '–';
  if (key === 'last_active_at') return formatDate(value);
  if (key.endsWith('_status')) return STATUS[value] || value;
  return String(value);
}

export async function coordinatorScreen() {
  const municipalities = items(await api('/admin/municipalities?limit=100'));
  if (!municipalities.length) {
    render('Fremdrift', h('p', {}, 'Ingen kommuner er knyttet til deg ennå.'));
    return;
  }
  const select = h('select', { id: 'municipality' },
    municipalities.map((m) => h('option', { value: m.id }, `${m.name} (${m.number})`)));
  const area = h('div', { 'aria-live': 'polite' });
  const csvError = h('div');

  async function show(cursor) {
    const id = select.value;
    const municipality = municipalities.find((m) => m.id === id);
    const query = new URLSearchParams({ limit: '50' });
    if (cursor) query.set('cursor', cursor);
    const page = await api(`/admin/municipalities/${id}/progress?${query}`);
    let body = area.querySelector('tbody');
    if (!cursor || !body) {
      body = h('tbody');
      area.replaceChildren(h('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': 'progress-caption', tabindex: '0' },
        h('table', {},
          h('caption', { id: 'progress-caption' }, `Mentorer i ${municipality.name}`),
          h('thead', {}, h('tr', {}, COLUMNS.map(([, label]) => h('th', { scope: 'col' }, label)))),
          body)));
    }
    for (const mentor of items(page)) {
      body.append(h('tr', {}, COLUMNS.map(([key], i) => (i === 0
        ? h('th', { scope: 'row' }, cell(key, mentor[key]))
        : h('td', {}, cell(key, mentor[key]))))));
    }
    if (!body.children.length) area.replaceChildren(h('p', { class: 'muted' }, 'Ingen mentorer i denne kommunen ennå.'));
    area.querySelector('.more')?.remove();
    if (page.next_cursor) {
      area.append(h('button', { type: 'button', class: 'secondary more', onclick: () => show(page.next_cursor).catch(fail) }, 'Vis flere'));
    }
  }
  const fail = (error) => area.replaceChildren(alertBox(explain(error)));

  select.addEventListener('change', () => show().catch(fail));
  render('Fremdrift',
    h('p', { class: 'lead' }, 'Her ser du hvor langt mentorene har kommet. Svar og notater er private og vises ikke.'),
    h('div', { class: 'field' }, h('label', { for: 'municipality' }, 'Kommune'), select),
    h('button', {
      type: 'button', class: 'secondary', onclick: async () => {
        csvError.replaceChildren();
        const municipality = municipalities.find((m) => m.id === select.value);
        try {
          await download(`/admin/reports/progress.csv?municipality_id=${encodeURIComponent(select.value)}`, `fremdrift-${municipality.number}.csv`);
        } catch (error) {
          csvError.append(alertBox(explain(error)));
        }
      },
    }, 'Last ned som CSV'),
    csvError,
    area);
  await show().catch(fail);
}
