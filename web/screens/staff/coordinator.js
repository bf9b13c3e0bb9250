// A coordinator's start page (the USHT's municipalities: mentors by stage, per municipality
// and as a funnel, each chart also a table) and the enrolment of municipalities from Norway's
// register. An administrator sees the same for a USHT of their choice.

import { api } from '../../api.js';
import { t } from '../../i18n.js';
import { alertBox, explain, formatDate, go, h, render } from '../../ui.js';
import { allPages, dataTable, scopeOf } from './common.js';

// Stages in the order a mentor passes them, with the colour of their part of a bar. The
// colours keep 3:1 against white and against their neighbours' labels (WCAG 1.4.11).
const STAGES = [
  ['invited', '#6b6f76', (c) => c.pending_invitations],
  ['not_started', '#a33b20', (c) => c.not_started],
  ['in_progress', '#9a5b00', (c) => c.in_progress],
  ['path_completed', '#4d6b00', (c) => c.path_completed],
  ['note_submitted', '#00716a', (c) => c.note_submitted],
  ['in_series', '#2f5fa7', (c) => c.in_series],
  ['completed', '#5b3e96', (c) => c.completed],
];

/** A stage's name in the current written form. */
const stageName = (key) => ({
  invited: t('Invitert'),
  not_started: t('Ikke startet'),
  in_progress: t('Påbegynt'),
  path_completed: t('Læringssti fullført'),
  note_submitted: t('Notat sendt inn'),
  in_series: t('I webinarserie'),
  completed: t('Fullført'),
})[key];

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

const counted = (municipality) => STAGES.map(([key, , count]) => [key, count(municipality.mentors) || 0]);
const people = (municipality) => counted(municipality).reduce((sum, [, n]) => sum + n, 0);

/** A stacked bar per municipality; what it shows is in the table beside it. */
function stageChart(municipalities) {
  const widest = Math.max(1, ...municipalities.map(people));
  const rowHeight = 34;
  const labelWidth = 150;
  const barWidth = 600;
  const chart = svg('svg', {
    viewBox: `0 0 ${labelWidth + barWidth + 50} ${municipalities.length * rowHeight + 4}`,
    role: 'img',
    'aria-labelledby': 'stage-chart-title',
    class: 'chart',
  }, svg('title', { id: 'stage-chart-title' }, t('Mentorer etter trinn per kommune. Tallene står i tabellen under.')));
  municipalities.forEach((municipality, row) => {
    const y = row * rowHeight + 4;
    chart.append(svg('text', { x: 0, y: y + 19, class: 'chart-label' }, municipality.name));
    let x = labelWidth;
    for (const [key, n] of counted(municipality)) {
      if (!n) continue;
      const width = (n / widest) * barWidth;
      const colour = STAGES.find(([k]) => k === key)[1];
      chart.append(svg('rect', { x, y, width, height: rowHeight - 10, fill: colour },
        svg('title', {}, `${municipality.name}: ${n} ${stageName(key).toLowerCase()}`)));
      x += width;
    }
    chart.append(svg('text', { x: x + 6, y: y + 19, class: 'chart-label' }, String(people(municipality))));
  });
  return chart;
}

function legend() {
  return h('ul', { class: 'legend', 'aria-hidden': 'true' },
    STAGES.map(([key, colour]) => h('li', {},
      svg('svg', { width: 14, height: 14, viewBox: '0 0 14 14' }, svg('rect', { width: 14, height: 14, fill: colour })),
      stageName(key))));
}

/**
 * How many of the USHT's people have come at least this far: everyone invited, those who made
 * an account, and so on to those with a certificate.
 */
export function funnelOf(municipalities) {
  const sum = (pick) => municipalities.reduce((total, m) => total + (pick(m.mentors) || 0), 0);
  const completed = sum((c) => c.completed);
  const inSeries = completed + sum((c) => c.in_series);
  const note = inSeries + sum((c) => c.note_submitted);
  const path = note + sum((c) => c.path_completed);
  const started = path + sum((c) => c.in_progress);
  const accounts = started + sum((c) => c.not_started);
  const invited = accounts + sum((c) => c.pending_invitations);
  return [
    [t('Invitert eller registrert'), invited],
    [t('Har konto'), accounts],
    [t('Startet på læringsstien'), started],
    [t('Læringssti fullført'), path],
    [t('Notat sendt inn'), note],
    [t('I webinarserie'), inSeries],
    [t('Fullført med kursbevis'), completed],
  ];
}

function funnelChart(funnel) {
  const top = Math.max(1, funnel[0][1]);
  const rowHeight = 30;
  const chart = svg('svg', {
    viewBox: `0 0 760 ${funnel.length * rowHeight + 4}`,
    role: 'img',
    'aria-labelledby': 'funnel-title',
    class: 'chart',
  }, svg('title', { id: 'funnel-title' }, t('Hvor mange som har kommet minst så langt. Tallene står i tabellen under.')));
  funnel.forEach(([text, n], row) => {
    const width = Math.max(2, (n / top) * 420);
    const y = row * rowHeight + 4;
    chart.append(
      svg('text', { x: 0, y: y + 17, class: 'chart-label' }, text),
      svg('rect', { x: 230, y, width, height: rowHeight - 8, fill: '#2f5fa7' }),
      svg('text', { x: 230 + width + 6, y: y + 17, class: 'chart-label' }, `${n} (${Math.round((n / top) * 100)} %)`));
  });
  return chart;
}

export async function overviewScreen(query) {
  const scope = await scopeOf(query, (usht) => go(`/coordinator?usht=${usht}`));
  const municipalities = await allPages(`/admin/municipalities${scope.filter('?')}`);
  const links = h('p', { class: 'actions' },
    h('a', { href: `/coordinator/municipalities${scope.keep}` }, t('Meld inn en kommune')),
    h('a', { href: `/coordinator/invitations${scope.keep}` }, t('Inviter mentorer')),
    h('a', { href: `/coordinator/progress${scope.keep}` }, t('Se fremdriften')));
  if (!municipalities.length) {
    render(t('Oversikt'), scope.picker,
      h('p', {}, t('Ingen kommuner er meldt inn ennå. Begynn med å melde inn en kommune, og inviter så mentorene.')),
      links);
    return;
  }
  const funnel = funnelOf(municipalities);
  render(t('Oversikt'),
    scope.picker,
    h('p', { class: 'lead' }, t('Hvor mentorene i kommunene dine er i programmet. Svar og notater er private og vises aldri her.')),
    links,
    h('section', { 'aria-labelledby': 'stages-heading' },
      h('h2', { id: 'stages-heading' }, t('Mentorer etter trinn')),
      h('div', { class: 'chart-wrap' }, stageChart(municipalities)),
      legend(),
      dataTable({
        id: 'stage-table',
        caption: t('Mentorer etter trinn per kommune'),
        columns: [['name', t('Kommune')], ...STAGES.map(([key]) => [key, stageName(key)]), ['total', t('I alt')]],
        rows: municipalities,
        cell: (key, m) => {
          if (key === 'name') return h('a', { href: `/coordinator/progress?municipality=${m.id}${scope.also}` }, m.name);
          if (key === 'total') return String(people(m));
          return String(STAGES.find(([k]) => k === key)[2](m.mentors) || 0);
        },
      })),
    h('section', { 'aria-labelledby': 'funnel-heading' },
      h('h2', { id: 'funnel-heading' }, t('Hele USHT-en: hvor langt har de kommet?')),
      h('div', { class: 'chart-wrap' }, funnelChart(funnel)),
      dataTable({
        id: 'funnel-table',
        caption: t('Antall som har kommet minst så langt'),
        columns: [['step', t('Trinn')], ['count', t('Antall')], ['share', t('Andel')]],
        rows: funnel,
        cell: (key, [text, n]) => {
          if (key === 'step') return text;
          if (key === 'count') return String(n);
          return `${Math.round((n / Math.max(1, funnel[0][1])) * 100)} %`;
        },
      })));
}

// Norway's register, fetched once per visit (it changes at most once a year).
let register;
async function registerOfMunicipalities() {
  if (!register) register = await api('/municipality-register');
  return register;
}

/** The municipality a typed text means: "3203", "3203 Asker" or "Asker" (if only one is). */
export function findInRegister(all, typed) {
  const text = typed.trim().toLowerCase();
  if (!text) return null;
  const number = /^(\d{4})\b/.exec(text)?.[1];
  if (number) return all.find((m) => m.number === number) || null;
  const byName = all.filter((m) => m.name.toLowerCase() === text
    || m.name.toLowerCase().split(' - ').includes(text)
    || m.name.toLowerCase().replace(/ \(.*\)$/, '') === text);
  return byName.length === 1 ? byName[0] : null;
}

export async function municipalitiesScreen(query) {
  const scope = await scopeOf(query, (usht) => go(`/coordinator/municipalities?usht=${usht}`));
  if (scope.picker && !scope.usht) {
    render(t('Kommuner'), scope.picker, h('p', {}, t('Opprett en USHT først; kommuner meldes inn i en USHT.')),
      h('p', {}, h('a', { href: '/admin' }, t('Til USHT-ene'))));
    return;
  }
  const [{ municipalities: all, source, valid_from: validFrom }, enrolled] = await Promise.all([
    registerOfMunicipalities(),
    allPages(`/admin/municipalities${scope.filter('?')}`),
  ]);
  const listArea = h('div');
  const showEnrolled = (list) => {
    listArea.replaceChildren(list.length
      ? dataTable({
        id: 'enrolled',
        caption: t('Innmeldte kommuner'),
        columns: [['name', t('Kommune')], ['number', t('Nummer')], ['mentors', t('Mentorer')], ['pending', t('Ventende invitasjoner')], ['enrolled_at', t('Meldt inn')]],
        rows: list,
        cell: (key, m) => {
          if (key === 'mentors') return String(m.mentors.total);
          if (key === 'pending') return String(m.mentors.pending_invitations);
          if (key === 'enrolled_at') return formatDate(m.enrolled_at);
          return m[key];
        },
      })
      : h('p', { class: 'muted' }, t('Ingen kommuner er meldt inn ennå.')));
  };
  showEnrolled(enrolled);

  const input = h('input', {
    id: 'municipality', name: 'municipality', list: 'register', autocomplete: 'off', required: true,
    'aria-describedby': 'municipality-hint',
  });
  const taken = new Set(enrolled.map((m) => m.number));
  const options = h('datalist', { id: 'register' },
    all.filter((m) => !taken.has(m.number)).map((m) => h('option', { value: `${m.number} ${m.name}` })));
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('Meld inn'));
  const enrol = h('form', { novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'municipality' }, t('Kommune')),
      h('p', { class: 'hint', id: 'municipality-hint' }, t('Skriv navn eller kommunenummer, og velg fra listen.')),
      input, options),
    status, button);
  enrol.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const typed = input.value;
    const chosen = findInRegister(all, typed);
    if (!chosen) {
      status.append(alertBox(typed.trim()
        ? t('Finner ikke «{typed}» i kommuneregisteret. Velg en kommune fra listen, eller skriv det firesifrede kommunenummeret.', { typed: typed.trim() })
        : t('Velg en kommune først.')));
      input.focus();
      return;
    }
    if (taken.has(chosen.number)) {
      status.append(alertBox(t('{name} er allerede meldt inn.', { name: chosen.name })));
      return;
    }
    button.disabled = true;
    try {
      const body = { number: chosen.number };
      if (scope.usht) body.usht_id = scope.usht.id;
      const created = await api('/admin/municipalities', { method: 'POST', body });
      taken.add(created.number);
      options.querySelector(`option[value="${chosen.number} ${chosen.name}"]`)?.remove();
      enrolled.push(created);
      enrolled.sort((a, b) => a.number.localeCompare(b.number));
      showEnrolled(enrolled);
      input.value = '';
      status.append(alertBox(t('{name} er meldt inn. Nå kan du invitere mentorer derfra.', { name: created.name }), 'success'),
        h('p', {}, h('a', { href: `/coordinator/invitations?municipality=${created.id}${scope.also}` }, t('Inviter mentorer i {name}', { name: created.name }))));
    } catch (error) {
      status.append(alertBox(error.code === 'municipality_exists'
        ? t('{name} er allerede meldt inn, kanskje av en annen USHT.', { name: chosen.name })
        : explain(error)));
    } finally {
      button.disabled = false;
    }
  });

  render(t('Kommuner'),
    scope.picker,
    h('section', { 'aria-labelledby': 'enrol-heading' },
      h('h2', { id: 'enrol-heading' }, t('Meld inn en kommune')),
      enrol,
      h('p', { class: 'muted' }, t('Kommunelisten er fra {source}, gyldig fra {date}.', { source, date: formatDate(validFrom) }))),
    h('section', { 'aria-labelledby': 'enrolled-heading' },
      h('h2', { id: 'enrolled-heading' }, t('Kommuner som er meldt inn')),
      listArea));
}
