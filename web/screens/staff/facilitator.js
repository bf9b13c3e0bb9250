// The facilitator's work: the series they lead, each series' participants with their notes,
// and attendance per session, marked with large toggles that save at every tap (made to be
// used on a phone while the webinar runs).

import { ApiError, api } from '../../api.js';
import { locale, t } from '../../i18n.js';
import { alertBox, badge, explain, formatDateTime, formatTime, h, render } from '../../ui.js';
import { dataTable, label, seriesState } from './common.js';

const sessionStateWord = (state) => ({ running: t('pågår nå'), upcoming: t('kommer'), finished: t('ferdig'), cancelled: t('avlyst') })[state];

function sessionState(session, now = Date.now()) {
  if (session.cancelled) return 'cancelled';
  if (Date.parse(session.ends_at) <= now) return 'finished';
  if (Date.parse(session.starts_at) <= now) return 'running';
  return 'upcoming';
}

const stateBadge = (state) => h('span', { class: `badge fac-state fac-state-${state}` }, label('series', state));

/** "tirsdag 12. januar 2027 kl. 13:00–15:00", in Oslo time. */
const when = (session) => `${formatDateTime(session.starts_at)}–${formatTime(session.ends_at)}`;

function sessionList(series) {
  return h('ol', { class: 'sessions fac-sessions' }, series.sessions.map((s) => {
    const state = sessionState(s);
    return h('li', { class: `fac-session-${state}` },
      h('span', { class: 'fac-session-number' }, `${t('Samling {number}:', { number: s.number })} `),
      h('span', { class: s.cancelled ? 'cancelled' : '' }, when(s)),
      h('span', { class: 'fac-session-state' }, ` (${sessionStateWord(state)})`));
  }));
}

const seatsText = (series) => t('{confirmed} av {capacity} plasser tatt.', { confirmed: series.confirmed, capacity: series.capacity });
const seriesPath = (id) => `/facilitator/series/${id}`;

async function ledSeries() {
  return api('/facilitator/series');
}

function notFound(title, text) {
  render(title,
    h('p', {}, text),
    h('p', {}, h('a', { href: '/facilitator' }, t('Til webinarseriene dine'))));
}

export async function seriesListScreen() {
  const list = await ledSeries();
  if (!list.length) {
    render(t('Webinarseriene dine'),
      h('p', {}, t('Du leder ingen webinarserier ennå. Administratoren setter opp seriene og velger hvem som leder dem.')));
    return;
  }
  // Running series first: that is where the work of the day is.
  const order = ['running', 'upcoming', 'finished', 'cancelled'];
  const headings = { running: t('Pågår nå'), upcoming: t('Kommende'), finished: t('Avsluttet'), cancelled: t('Avlyst') };
  const groups = order
    .map((state) => [state, list.filter((s) => seriesState(s) === state)])
    .filter(([, series]) => series.length);
  render(t('Webinarseriene dine'),
    h('p', { class: 'lead' }, t('Seriene du leder. Åpne en serie for å se deltakerne, lese notatene deres og føre oppmøte.')),
    groups.map(([state, series]) => h('section', { 'aria-labelledby': `fac-group-${state}` },
      h('h2', { id: `fac-group-${state}` }, headings[state]),
      h('ul', { class: 'plain' }, series.map((s) => h('li', { class: 'card fac-series' },
        h('h3', {}, h('a', { href: seriesPath(s.id) }, s.title), ' ', stateBadge(state)),
        h('p', { class: 'fac-seats' }, seatsText(s)),
        sessionList(s)))))));
}

// A facilitator opens the page a little before the webinar: a session this close is the one.
const SOON = 30 * 60 * 1000;

/** The session to mark attendance for: the one asked for, the one happening now (or soon), or the latest one held. */
function defaultSession(series, asked) {
  const chosen = series.sessions.find((s) => String(s.number) === asked);
  if (chosen) return chosen.number;
  const soon = Date.now() + SOON;
  const begun = series.sessions.filter((s) => !s.cancelled && Date.parse(s.starts_at) <= soon);
  return (begun.at(-1) || series.sessions[0]).number;
}

const attendedAll = (participant) => participant.attendance.length > 0 && participant.attendance.every((a) => a === true);

function attendanceWord(value) {
  if (value === true) return t('Til stede');
  if (value === false) return t('Ikke til stede');
  return t('Ikke ført');
}

function noteCell(series, participant) {
  if (participant.status !== 'confirmed') return h('span', { class: 'muted' }, t('På venteliste'));
  if (participant.note_status !== 'submitted') {
    return h('span', { class: 'muted' }, t('Ikke sendt inn ({status})', { status: label('note_status', participant.note_status).toLowerCase() }));
  }
  return h('a', {
    href: `${seriesPath(series.id)}/notes/${participant.user_id}`,
    'aria-label': t('Les notatet til {name}', { name: participant.name }),
  }, t('Les notatet'));
}

function participantsTable(series, participants) {
  const confirmed = participants.filter((p) => p.status === 'confirmed');
  const done = confirmed.filter(attendedAll).length;
  const columns = [
    ['name', t('Navn')],
    ['municipality', t('Kommune')],
    ['status', t('Påmelding')],
    ['note', t('Refleksjonsnotat')],
    ...series.sessions.map((s) => [`session-${s.number}`, t('Samling {number}', { number: s.number })]),
    ['completed', t('Fullført')],
  ];
  const cell = (key, p) => {
    if (key === 'name') return p.name;
    if (key === 'municipality') return p.municipality?.name || '–';
    if (key === 'status') return badge(p.status);
    if (key === 'note') return noteCell(series, p);
    if (key === 'completed') return attendedAll(p) ? t('Ja, alle tre') : t('Nei');
    const value = p.attendance[Number(key.slice('session-'.length)) - 1];
    return h('span', { class: `fac-mark fac-mark-${value}` }, value === undefined || value === null ? '–' : attendanceWord(value));
  };
  return [
    h('p', { id: 'fac-completed' },
      confirmed.length
        ? t('{done} av {count} påmeldte har deltatt på alle tre samlingene og fullført modul 5.', { done, count: confirmed.length })
        : t('Ingen er påmeldt ennå.')),
    participants.length
      ? dataTable({ id: 'fac-participants', caption: t('Deltakere ({count} påmeldt)', { count: confirmed.length }), columns, rows: participants, cell })
      : null,
  ];
}

/**
 * One participant's toggle for one session. Every tap is saved at once; taps made while a
 * save is under way are gathered into the next save, and a failed save puts the toggle back
 * to what the server has, saying why.
 */
function attendanceToggle({ series, session, participant, enabled, onSaved }) {
  const index = session.number - 1;
  let saved = participant.attendance[index] ?? null;
  let wanted = saved;
  let queue = Promise.resolve();
  const stateId = `fac-state-${participant.user_id}`;
  const stateText = h('span', { class: 'fac-row-state' });
  const status = h('span', { class: 'save-status fac-save', role: 'status' });
  const button = h('button', {
    type: 'button',
    class: 'fac-toggle',
    'aria-describedby': stateId,
    disabled: !enabled,
  },
  h('span', { class: 'fac-box', 'aria-hidden': 'true' }),
  h('span', { class: 'fac-name' }, participant.name),
  h('span', { class: 'fac-place' }, participant.municipality?.name || ''));
  const show = (value) => {
    button.setAttribute('aria-pressed', String(value === true));
    stateText.textContent = attendanceWord(value);
  };
  const say = (text, state) => {
    status.textContent = text;
    status.dataset.state = state;
  };
  const save = async () => {
    if (wanted === saved) {
      say(t('Lagret.'), 'saved');
      return;
    }
    const value = wanted;
    try {
      const now = await api(`/facilitator/series/${series.id}/sessions/${session.number}/attendance`, {
        method: 'PUT',
        body: [{ user_id: participant.user_id, attended: value }],
      });
      saved = value;
      onSaved(participant.user_id, now);
    } catch (error) {
      wanted = saved;
      show(saved);
      say(t('Ble ikke lagret: {reason}', { reason: attendanceError(error) }), 'error');
      return;
    }
    if (wanted === saved) say(t('Lagret.'), 'saved');
  };
  button.addEventListener('click', () => {
    wanted = wanted !== true;
    show(wanted);
    say(t('Lagrer …'), 'saving');
    queue = queue.then(save);
  });
  show(saved);
  return h('li', { class: 'fac-row' },
    button,
    h('p', { class: 'fac-row-info', id: stateId }, stateText, ' ', status));
}

function attendanceError(error) {
  if (error instanceof ApiError && error.code === 'validation_failed') {
    return t('Deltakeren er ikke lenger påmeldt serien. Last siden på nytt.');
  }
  if (error instanceof ApiError && error.code === 'not_found') {
    return t('Fant ikke samlingen. Den kan være endret; last siden på nytt.');
  }
  return explain(error);
}

function attendancePanel({ series, participants, chosen, onSaved }) {
  const session = series.sessions.find((s) => s.number === chosen);
  const state = sessionState(session);
  const confirmed = participants.filter((p) => p.status === 'confirmed');
  // Attendance is for a session that has begun: a future session cannot have been attended,
  // and marking it ahead could issue certificates before anyone took part.
  const enabled = state === 'running' || state === 'finished';
  let explanation;
  if (state === 'cancelled') {
    explanation = alertBox(t('Samling {number} er avlyst. Det føres ikke oppmøte for den.', { number: session.number }), 'info');
  } else if (state === 'upcoming') {
    explanation = alertBox(t('Samling {number} har ikke startet ennå. Oppmøte kan føres fra den starter, {when}.', { number: session.number, when: when(session) }), 'info');
  } else {
    explanation = h('p', { class: 'hint', id: 'fac-attendance-hint' },
      state === 'running'
        ? t('Samlingen pågår. Trykk på en deltaker for å merke hen som til stede, og trykk igjen for å fjerne merket. Hvert trykk lagres med en gang.')
        : t('Trykk på en deltaker for å merke hen som til stede eller ikke. Hvert trykk lagres med en gang, og du kan rette senere.'));
  }
  const room = session.join_url && (state === 'running' || state === 'upcoming')
    ? h('p', {}, h('a', { href: session.join_url }, t('Møterommet for samling {number}', { number: session.number })))
    : null;
  return h('div', { class: 'fac-attendance', id: 'fac-attendance-panel' },
    h('h3', {}, t('Samling {number}: {when}', { number: session.number, when: when(session) })),
    room,
    explanation,
    confirmed.length
      ? h('ul', { class: 'plain fac-rows', 'aria-label': t('Oppmøte samling {number}', { number: session.number }) },
        confirmed.map((p) => attendanceToggle({ series, session, participant: p, enabled, onSaved })))
      : h('p', { class: 'muted' }, t('Ingen er påmeldt serien.')));
}

const shortDate = (iso) => new Intl.DateTimeFormat(locale(), { timeZone: 'Europe/Oslo', day: 'numeric', month: 'short' }).format(new Date(iso));

function sessionChooser(series, chosen, onChoose) {
  return h('fieldset', { class: 'fac-chooser' },
    h('legend', {}, t('Velg samling')),
    series.sessions.map((s) => {
      const id = `fac-session-${s.number}`;
      const input = h('input', {
        type: 'radio', name: 'fac-session', id, value: String(s.number), checked: s.number === chosen,
        onchange: () => onChoose(s.number),
      });
      return h('label', { for: id, class: 'fac-choice' },
        input,
        h('span', {},
          h('span', { class: 'fac-choice-title' }, t('Samling {number}', { number: s.number })),
          h('span', { class: 'fac-choice-date' }, shortDate(s.starts_at)),
          h('span', { class: 'fac-choice-date' }, sessionStateWord(sessionState(s)))));
    }));
}

export async function seriesScreen(query, id) {
  const [list, participants] = await Promise.all([
    ledSeries(),
    api(`/facilitator/series/${id}/participants`).catch((error) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }),
  ]);
  const series = list.find((s) => s.id === id);
  if (!series || !participants) {
    notFound(t('Fant ikke serien'), t('Serien finnes ikke, eller du leder den ikke.'));
    return;
  }
  let chosen = defaultSession(series, query.get('session'));
  let current = participants;
  const overview = h('div', { id: 'fac-overview' });
  const panel = h('div');
  const drawOverview = () => overview.replaceChildren(...participantsTable(series, current));
  // A saved mark changes the overview below, not the toggles (which already show it).
  // Saves of different people run side by side; each answer is taken for its own person only,
  // so an answer arriving late cannot undo a newer mark of someone else.
  const onSaved = (userId, fresh) => {
    const mine = fresh.find((p) => p.user_id === userId);
    current = current.map((p) => (p.user_id === userId && mine ? mine : p));
    drawOverview();
  };
  const drawPanel = () => {
    panel.replaceChildren(attendancePanel({ series, participants: current, chosen, onSaved }));
    // A session about to start opens its toggles when it starts, without a reload.
    const session = series.sessions.find((s) => s.number === chosen);
    const wait = Date.parse(session.starts_at) - Date.now();
    if (!session.cancelled && wait > 0 && wait < 12 * 60 * 60 * 1000) {
      setTimeout(() => {
        if (panel.isConnected && chosen === session.number) drawPanel();
      }, wait + 1000);
    }
  };
  const choose = (number) => {
    chosen = number;
    // Kept in the address, so a reload stays on the same session; no new history entry.
    const url = new URL(location.href);
    url.searchParams.set('session', String(number));
    history.replaceState(null, '', url.pathname + url.search);
    drawPanel();
  };
  drawOverview();
  drawPanel();
  const state = seriesState(series);
  // Attendance first: during the webinar it is what the facilitator opens the page for.
  render(series.title,
    h('p', { class: 'breadcrumb' }, h('a', { href: '/facilitator' }, t('Webinarseriene dine'))),
    h('p', { class: 'fac-summary' }, stateBadge(state), ' ', seatsText(series)),
    state === 'cancelled'
      ? alertBox(t('Serien er avlyst.'), 'info')
      : h('section', { 'aria-labelledby': 'fac-attendance-heading' },
        h('h2', { id: 'fac-attendance-heading' }, t('Oppmøte')),
        sessionChooser(series, chosen, choose),
        panel),
    h('section', { 'aria-labelledby': 'fac-participants-heading' },
      h('h2', { id: 'fac-participants-heading' }, t('Deltakere')),
      overview),
    h('section', { 'aria-labelledby': 'fac-sessions-heading' },
      h('h2', { id: 'fac-sessions-heading' }, t('Samlinger')),
      sessionList(series)));
}

/** Plain text as paragraphs: a blank line separates them, a single line break stays one. */
function paragraphs(text) {
  return text.split(/\n\s*\n/).map((part) => part.trim()).filter(Boolean).map((part) => h('p', {}, part));
}

export async function noteScreen(query, seriesId, userId) {
  let note;
  let list;
  try {
    [list, note] = await Promise.all([
      ledSeries(),
      api(`/facilitator/series/${seriesId}/participants/${userId}/reflection-note`),
    ]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      render(t('Notatet er ikke tilgjengelig'),
        h('p', {}, t('Deltakeren har ikke sendt inn et refleksjonsnotat, eller er ikke påmeldt en serie du leder. Utkast vises aldri.')),
        h('p', {}, h('a', { href: seriesPath(seriesId) }, t('Tilbake til serien'))));
      return;
    }
    throw error;
  }
  const series = list.find((s) => s.id === seriesId);
  let submitted = t('Sendt inn.');
  if (note.submitted_at && note.version > 1) {
    submitted = t('Sendt inn {when} (versjon {version}).', { when: formatDateTime(note.submitted_at), version: note.version });
  } else if (note.submitted_at) {
    submitted = t('Sendt inn {when}.', { when: formatDateTime(note.submitted_at) });
  } else if (note.version > 1) {
    submitted = t('Sendt inn (versjon {version}).', { version: note.version });
  }
  render(t('Refleksjonsnotat fra {name}', { name: note.name }),
    h('p', { class: 'breadcrumb' },
      h('a', { href: '/facilitator' }, t('Webinarseriene dine')), ' / ',
      h('a', { href: seriesPath(seriesId) }, series ? series.title : t('Serien'))),
    alertBox(t('Lesingen er registrert. Mentoren kan se i sin tilgangslogg at du har lest notatet.'), 'info'),
    h('p', { class: 'muted' }, submitted),
    h('article', { class: 'card fac-note', 'aria-label': t('Notatet til {name}', { name: note.name }) }, paragraphs(note.body)),
    h('p', {}, h('a', { href: seriesPath(seriesId) }, t('Tilbake til deltakerne'))));
}
