// For coordinators: the progress of the mentors in a municipality (status only, never answers
// or note text), page by page, and the progress report as CSV.

import { api, download } from '../api.js';
import { alertBox, explain, h, render } from '../ui.js';

const shortDate = new Intl.DateTimeFormat('nb-NO', { timeZone: 'Europe/Oslo', dateStyle: 'short' });

const LABELS = {
  path_status: { not_started: 'Ikke startet', in_progress: 'Påbegynt', completed: 'Fullført' },
  note_status: { none: 'Ikke påbegynt', draft: 'Utkast', submitted: 'Sendt inn' },
  webinar_status: { none: 'Ikke påmeldt', waitlisted: 'Venteliste', confirmed: 'Påmeldt', completed: 'Fullført' },
};

const COLUMNS = [
  ['name', 'Navn'],
  ['email', 'E-post'],
  ['workplace', 'Arbeidssted'],
  ['modules_done', 'Moduler'],
  ['path_status', 'Læringssti'],
  ['note_status', 'Notat'],
  ['webinar_status', 'Webinar'],
  ['last_active_at', 'Sist aktiv'],
];

const items = (answer) => (Array.isArray(answer) ? answer : answer?.items || []);

function cell(key, mentor) {
  const value = mentor[key];
  if (value === null || value === undefined || value === '') return '–';
  if (key === 'last_active_at') return shortDate.format(new Date(value));
  if (key === 'modules_done' && mentor.modules_total) return `${value} av ${mentor.modules_total}`;
  if (LABELS[key]) return LABELS[key][value] || value;
  return String(value);
}

function option(municipality) {
  const total = municipality.mentors?.total;
  const count = total === undefined ? '' : ` – ${total} ${total === 1 ? 'mentor' : 'mentorer'}`;
  return h('option', { value: municipality.id }, `${municipality.name} (${municipality.number})${count}`);
}

export async function coordinatorScreen() {
  const municipalities = items(await api('/admin/municipalities?limit=100'));
  if (!municipalities.length) {
    render('Fremdrift', h('p', {}, 'Ingen kommuner er knyttet til deg ennå.'));
    return;
  }
  const select = h('select', { id: 'municipality' },
    municipalities.map(option));
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
        ? h('th', { scope: 'row' }, cell(key, mentor))
        : h('td', {}, cell(key, mentor))))));
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
          // Semicolons: what spreadsheet programs set up for Norwegian expect.
          const query = new URLSearchParams({ municipality_id: select.value, delimiter: 'semicolon' });
          await download(`/admin/reports/progress.csv?${query}`, `fremdrift-${municipality.number}.csv`);
        } catch (error) {
          csvError.append(alertBox(explain(error)));
        }
      },
    }, 'Last ned som CSV'),
    csvError,
    area);
  await show().catch(fail);
}
