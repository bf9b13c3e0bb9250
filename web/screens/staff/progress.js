// The follow-up of mentors: who is where (status only, never answers or note text), filtered
// by municipality, stage and inactivity, searched by name and sorted; the report as CSV; and
// reminders to the inactive, with what a reminder would do shown first.

import { api, download } from '../../api.js';
import { locale, t } from '../../i18n.js';
import { alertBox, explain, go, h, render } from '../../ui.js';
import { allPages, dataTable, label, scopeOf } from './common.js';

const shortDate = (iso) => new Intl.DateTimeFormat(locale(), { timeZone: 'Europe/Oslo', dateStyle: 'short' }).format(new Date(iso));

const stageFilter = () => [
  ['', t('Alle trinn')],
  ['not_started', t('Ikke startet')],
  ['in_progress', t('Påbegynt')],
  ['path_completed', t('Læringssti fullført')],
  ['note_submitted', t('Notat sendt inn')],
  ['in_series', t('I webinarserie')],
  ['completed', t('Fullført')],
];

const columns = () => [
  ['name', t('Navn')],
  ['municipality', t('Kommune')],
  ['workplace', t('Arbeidssted')],
  ['modules_done', t('Moduler')],
  ['note_status', t('Notat')],
  ['webinar_status', t('Webinar')],
  ['programme_completed', t('Kursbevis')],
  ['last_active_at', t('Sist aktiv')],
];

// What each column sorts by; people never active come last when sorting by activity.
const SORT_KEY = {
  name: (m) => m.name.toLowerCase(),
  municipality: (m) => m.municipality.name,
  workplace: (m) => (m.workplace || '').toLowerCase(),
  modules_done: (m) => m.modules_done,
  note_status: (m) => ['none', 'draft', 'submitted'].indexOf(m.note_status),
  webinar_status: (m) => ['none', 'waitlisted', 'confirmed', 'completed'].indexOf(m.webinar_status),
  programme_completed: (m) => (m.programme_completed ? 1 : 0),
  last_active_at: (m) => (m.last_active_at ? Date.parse(m.last_active_at) : -Infinity),
};

function cell(key, mentor) {
  switch (key) {
    case 'name':
      return h('span', { class: 'person' }, mentor.name, h('span', { class: 'muted email' }, mentor.email));
    case 'municipality':
      return mentor.municipality.name;
    case 'modules_done':
      return t('{count} av {total}', { count: mentor.modules_done, total: mentor.modules_total });
    case 'programme_completed':
      return mentor.programme_completed ? t('Ja') : t('Nei');
    case 'last_active_at':
      return mentor.last_active_at ? shortDate(mentor.last_active_at) : t('Aldri');
    case 'workplace':
      return mentor.workplace || '–';
    default:
      return label(key, mentor[key]);
  }
}

export async function progressScreen(query) {
  const scope = await scopeOf(query, (usht) => go(`/coordinator/progress?usht=${usht}`));
  const me = await api('/me');
  const municipalities = await allPages(`/admin/municipalities${scope.filter('?')}`);
  const ushtId = scope.usht?.id || me.usht?.id;
  if (!municipalities.length) {
    render(t('Fremdrift'), scope.picker, h('p', {}, t('Ingen kommuner er meldt inn ennå.')),
      h('p', {}, h('a', { href: `/coordinator/municipalities${scope.keep}` }, t('Meld inn en kommune'))));
    return;
  }

  const place = h('select', { id: 'filter-municipality' },
    ushtId && h('option', { value: '' }, t('Alle kommuner')),
    municipalities.map((m) => h('option', { value: m.id, selected: m.id === query.get('municipality') }, `${m.name} (${m.number})`)));
  const stage = h('select', { id: 'filter-stage' },
    stageFilter().map(([value, text]) => h('option', { value, selected: value === (query.get('stage') || '') }, text)));
  const inactive = h('input', {
    id: 'filter-inactive', type: 'number', min: '1', max: '3650', inputmode: 'numeric',
    value: query.get('inactive_days') || '', 'aria-describedby': 'filter-inactive-hint',
  });
  const search = h('input', { id: 'filter-search', type: 'search', autocomplete: 'off', value: query.get('q') || '' });
  const area = h('div');
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  let mentors = [];
  let sort = { key: 'last_active_at', descending: true };

  // The choices live in the address, so a reload or a shared link shows the same list.
  function remember() {
    const kept = new URLSearchParams();
    if (scope.usht) kept.set('usht', scope.usht.id);
    if (place.value) kept.set('municipality', place.value);
    if (stage.value) kept.set('stage', stage.value);
    if (inactive.value) kept.set('inactive_days', inactive.value);
    if (search.value.trim()) kept.set('q', search.value.trim());
    const text = kept.toString();
    history.replaceState(null, '', `/coordinator/progress${text ? `?${text}` : ''}`);
  }

  function draw() {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const shown = mentors.filter((m) => words.every((w) => m.name.toLowerCase().includes(w)));
    const by = SORT_KEY[sort.key];
    shown.sort((a, b) => {
      const [x, y] = [by(a), by(b)];
      // Equal values keep alphabetical order whichever way the column is sorted.
      if (x === y) return a.name.localeCompare(b.name, locale());
      // Words in Norwegian order (æ, ø, å last), numbers and dates by value.
      const order = typeof x === 'string' ? x.localeCompare(y, locale()) : (x < y ? -1 : 1);
      return sort.descending ? -order : order;
    });
    let counted;
    if (shown.length !== mentors.length) counted = t('{shown} av {count} mentorer passer søket.', { shown: shown.length, count: mentors.length });
    else counted = mentors.length === 1 ? t('1 mentor.') : t('{count} mentorer.', { count: mentors.length });
    summary.textContent = counted;
    if (!shown.length) {
      area.replaceChildren(h('p', { class: 'muted' }, mentors.length ? t('Ingen passer søket.') : t('Ingen mentorer passer filtrene.')));
      return;
    }
    const headings = columns();
    const table = dataTable({ id: 'progress', caption: t('Mentorenes fremdrift'), columns: headings, rows: shown, cell });
    // Each heading sorts by its column; a second press turns the order around.
    table.querySelectorAll('thead th').forEach((th, i) => {
      const [key, heading] = headings[i];
      const active = sort.key === key;
      if (active) th.setAttribute('aria-sort', sort.descending ? 'descending' : 'ascending');
      th.replaceChildren(h('button', {
        type: 'button', class: 'sort', onclick: () => {
          sort = { key, descending: active ? !sort.descending : key === 'last_active_at' };
          draw();
          area.querySelector(`thead th:nth-child(${i + 1}) button`)?.focus();
        },
      }, heading, active ? (sort.descending ? ' ↓' : ' ↑') : ''));
    });
    area.replaceChildren(table);
  }

  // Filters change faster than answers come: only the newest request's answer is shown.
  let latest = 0;
  async function load() {
    const asked = ++latest;
    remember();
    const filters = new URLSearchParams();
    if (stage.value) filters.set('stage', stage.value);
    const days = Number(inactive.value);
    if (inactive.value && (!Number.isInteger(days) || days < 1 || days > 3650)) {
      area.replaceChildren(alertBox(t('Antall dager må være et helt tall fra 1 til 3650.')));
      return;
    }
    if (days) filters.set('inactive_days', String(days));
    const path = place.value ? `/admin/municipalities/${place.value}/progress` : `/admin/ushts/${ushtId}/progress`;
    try {
      const answer = await allPages(`${path}?${filters}`);
      if (asked !== latest) return;
      mentors = answer;
      draw();
    } catch (error) {
      if (asked === latest) area.replaceChildren(alertBox(explain(error)));
    }
    showNudge();
  }

  // Reminders go to one municipality's inactive mentors at a time.
  const nudgeArea = h('div', { 'aria-live': 'polite' });
  const nudgeDays = h('input', { id: 'nudge-days', type: 'number', min: '1', max: '3650', value: '14', inputmode: 'numeric' });
  let nudgeAsked = 0;
  async function showNudge(done) {
    const asked = ++nudgeAsked;
    const id = place.value;
    nudgeArea.replaceChildren();
    if (done) {
      nudgeArea.append(done);
      done.setAttribute('tabindex', '-1');
      done.focus();
    }
    if (!id) {
      nudgeArea.append(h('p', { class: 'muted' }, t('Velg en kommune over for å sende påminnelser.')));
      return;
    }
    const days = Number(nudgeDays.value);
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      nudgeArea.append(alertBox(t('Antall dager må være et helt tall fra 1 til 3650.')));
      return;
    }
    try {
      const preview = await api(`/admin/municipalities/${id}/nudges?inactive_days=${days}`);
      if (asked !== nudgeAsked) return;
      const name = municipalities.find((m) => m.id === id).name;
      let would = t('Ingen i {municipality} får en påminnelse nå.', { municipality: name });
      if (preview.would_nudge === 1) would = t('1 mentor i {municipality} får en påminnelse nå.', { municipality: name });
      else if (preview.would_nudge > 1) would = t('{count} mentorer i {municipality} får en påminnelse nå.', { count: preview.would_nudge, municipality: name });
      nudgeArea.append(
        h('p', {}, would,
          preview.recently_nudged
            ? ` ${t('{count} fikk en påminnelse den siste uka og får ikke en til.', { count: preview.recently_nudged })}`
            : ''),
        preview.would_nudge > 0 && h('button', {
          type: 'button', class: 'primary', onclick: async (event) => {
            event.target.disabled = true;
            try {
              const sent = await api(`/admin/municipalities/${id}/nudges`, { method: 'POST', body: { inactive_days: days } });
              await showNudge(alertBox(sent.nudged === 1
                ? t('Påminnelse sendt til 1 mentor.')
                : t('Påminnelse sendt til {count} mentorer.', { count: sent.nudged }), 'success'));
            } catch (error) {
              event.target.disabled = false;
              nudgeArea.append(alertBox(explain(error)));
            }
          },
        }, t('Send påminnelse til {count}', { count: preview.would_nudge })));
    } catch (error) {
      if (asked === nudgeAsked) nudgeArea.append(alertBox(explain(error)));
    }
  }

  const labels = h('select', { id: 'csv-labels' },
    h('option', { value: 'norwegian' }, t('Norske overskrifter og norsk tid (for Excel)')),
    h('option', { value: 'codes' }, t('Koder og UTC (for andre programmer)')));
  const csvError = h('div');
  const csvButton = h('button', {
    type: 'button', class: 'secondary', onclick: async () => {
      csvError.replaceChildren();
      // One press, one report: each download is logged in every listed mentor's access log.
      csvButton.disabled = true;
      const report = new URLSearchParams({ delimiter: 'semicolon', labels: labels.value });
      const chosen = municipalities.find((m) => m.id === place.value);
      if (chosen) report.set('municipality_id', chosen.id);
      else if (ushtId) report.set('usht_id', ushtId);
      try {
        await download(`/admin/reports/progress.csv?${report}`, t('fremdrift-{which}.csv', { which: chosen ? chosen.number : 'alle' }));
      } catch (error) {
        csvError.append(alertBox(explain(error)));
      } finally {
        csvButton.disabled = false;
      }
    },
  }, t('Last ned som CSV'));

  for (const control of [place, stage]) control.addEventListener('change', load);
  inactive.addEventListener('change', load);
  search.addEventListener('input', () => {
    remember();
    draw();
  });
  nudgeDays.addEventListener('change', () => showNudge());

  render(t('Fremdrift'),
    scope.picker,
    h('p', { class: 'lead' }, t('Hvor langt mentorene har kommet. Svar og notater er private og vises ikke.')),
    h('div', { class: 'filters', role: 'group', 'aria-label': t('Filtre') },
      h('div', { class: 'field' }, h('label', { for: 'filter-municipality' }, t('Kommune')), place),
      h('div', { class: 'field' }, h('label', { for: 'filter-stage' }, t('Trinn')), stage),
      h('div', { class: 'field' },
        h('label', { for: 'filter-inactive' }, t('Inaktiv i minst')),
        h('p', { class: 'hint', id: 'filter-inactive-hint' }, t('Antall dager; tomt viser alle.')),
        inactive),
      h('div', { class: 'field' }, h('label', { for: 'filter-search' }, t('Søk på navn')), search)),
    summary,
    area,
    h('section', { 'aria-labelledby': 'csv-heading' },
      h('h2', { id: 'csv-heading' }, t('Rapport')),
      h('div', { class: 'field' }, h('label', { for: 'csv-labels' }, t('Format')), labels),
      csvButton, csvError),
    h('section', { 'aria-labelledby': 'nudge-heading' },
      h('h2', { id: 'nudge-heading' }, t('Påminnelse til inaktive')),
      h('div', { class: 'field' }, h('label', { for: 'nudge-days' }, t('Inaktiv i minst (dager)')), nudgeDays),
      nudgeArea));
  await load();
}
