// The administrator's webinar series: every series with its state, seats and waitlist; a new
// series of three sessions entered in Oslo time; changing a series (participants get updated
// invitations) and cancelling one.

import { ApiError, api } from '../../api.js';
import { dateText, locale, t } from '../../i18n.js';
import { alertBox, confirmButton, explain, formatDateTime, formatTime, go, h, render } from '../../ui.js';
import { dataTable, items, label, seriesState } from './common.js';

// ---- Oslo time ----------------------------------------------------------------------------

const OSLO = 'Europe/Oslo';
const osloParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: OSLO, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** Oslo's wall clock at the instant `ms` (milliseconds since the epoch), as numbers. */
function osloClock(ms) {
  const parts = Object.fromEntries(osloParts.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second),
  };
}

/** How many minutes Oslo is ahead of UTC at the instant `ms` (60 in winter, 120 in summer). */
function osloOffsetMinutes(ms) {
  const c = osloClock(ms);
  const asIfUtc = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second);
  return Math.round((asIfUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/**
 * The UTC instant (ISO 8601) of an Oslo date ("2027-04-07") and time ("13:00"), right on both
 * sides of a change to or from summer time. The offset is read from the browser's own time
 * zone data, first at the wall-clock time read as if it were UTC, then again at the instant that
 * gives: the two differ only within hours of a change, and the second is then the right one. A
 * time that does not exist (02:30 on the night clocks go forward) lands an hour later; one that
 * happens twice (02:30 on the night they go back) is taken the second time.
 */
export function osloToUtc(date, time) {
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minute] = time.split(':').map(Number);
  if (![year, month, day, hour, minute].every(Number.isInteger)) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = osloOffsetMinutes(wall);
  let instant = wall - first * 60000;
  const second = osloOffsetMinutes(instant);
  if (second !== first) instant = wall - second * 60000;
  return new Date(instant).toISOString();
}

const two = (n) => String(n).padStart(2, '0');

/** An instant as the Oslo date and time an `<input type="date">` and `type="time"` take. */
export function utcToOslo(iso) {
  const c = osloClock(Date.parse(iso));
  return { date: `${c.year}-${two(c.month)}-${two(c.day)}`, time: `${two(c.hour)}:${two(c.minute)}` };
}

// ---- series and their state ---------------------------------------------------------------

const stateBadge = (state) => h('span', { class: `badge series-state series-state-${state}` }, label('series', state));

const confirmedOf = (series) => (series.cancelled ? 0 : series.capacity - series.seats_left);
const seriesPath = (id) => `/admin/series/${id}`;

const shortDate = (iso) => dateText(new Intl.DateTimeFormat(locale(), { timeZone: OSLO, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(iso)));
const shortWhen = (session) => t('{date} kl. {time}', { date: shortDate(session.starts_at), time: formatTime(session.starts_at) });

/** "N deltakere" with the right number. */
const participants = (n) => (n === 1 ? t('1 deltaker') : t('{count} deltakere', { count: n }));

// A confirmation to show on the next screen (after creating, saving or cancelling).
let flash = null;

// ---- the list -----------------------------------------------------------------------------

export async function seriesListScreen() {
  const list = items(await api('/admin/webinar-series'));
  const newLink = h('p', {}, h('a', { href: '/admin/series/new', class: 'button primary' }, t('Ny webinarserie')));
  if (!list.length) {
    render(t('Webinarserier'), h('p', {}, t('Det finnes ingen webinarserier ennå.')), newLink);
    return;
  }
  const columns = [
    ['title', t('Serie')], ['state', t('Status')], ['facilitator', t('Veileder')], ['sessions', t('Samlinger (norsk tid)')],
    ['seats', t('Plasser tatt')], ['waitlist', t('Venteliste')],
  ];
  const cell = (key, series) => {
    switch (key) {
      case 'title': return h('a', { href: seriesPath(series.id) }, series.title);
      case 'state': return stateBadge(seriesState(series));
      case 'facilitator': return series.facilitator.name || '–';
      case 'sessions': return h('ol', { class: 'series-dates' }, series.sessions.map((s) => h('li', { class: s.cancelled ? 'cancelled' : '' },
        shortWhen(s), s.cancelled ? ` (${t('avlyst')})` : '')));
      case 'seats': return t('{count} av {total}', { count: confirmedOf(series), total: series.capacity });
      case 'waitlist': return String(series.waitlist_length);
      default: return '–';
    }
  };
  render(t('Webinarserier'),
    h('p', { class: 'lead' }, t('Alle seriene i modul 5: kommende, pågående, avsluttede og avlyste. Åpne en serie for å endre tider og lenker eller avlyse den.')),
    newLink,
    dataTable({ id: 'series-table', caption: t('Webinarserier ({count})', { count: list.length }), columns, rows: list, cell }));
}

// ---- the form, for a new series and for changing one ---------------------------------------

/** What the API found wrong with one field, in the reader's written form; `n` is the session's number. */
function problemText({ field, message }, confirmed) {
  const session = /^sessions\[(\d)\]\.(\w+)$/.exec(field);
  if (session) {
    const n = Number(session[1]) + 1;
    switch (session[2]) {
      case 'starts_at':
        if (message.includes('future')) return t('Samling {n} må ligge fram i tid – tidspunktet har allerede passert.', { n });
        if (message.includes('order')) return t('Samling {n} må begynne etter at samling {previous} er slutt. Samlingene må komme i rekkefølge og ikke overlappe.', { n, previous: n - 1 });
        return t('Samling {n}: dato og klokkeslett er ikke gyldige.', { n });
      case 'join_url': return t('Samling {n}: lenken må være en nettadresse som begynner med https://.', { n });
      case 'duration_minutes': return t('Samling {n}: varigheten må være fra 15 til 480 minutter.', { n });
      default: return t('Samling {n}: noe av det du fylte inn, er ikke gyldig.', { n });
    }
  }
  switch (field) {
    case 'title': return message.includes('blank') ? t('Skriv inn en tittel.') : t('Tittelen må være én linje på høyst 200 tegn.');
    case 'capacity': return message.includes('confirmed')
      ? t('Antall plasser kan ikke være lavere enn antall påmeldte ({confirmed}).', { confirmed })
      : t('Antall plasser må være et helt tall fra 1 til 100.');
    case 'facilitator_id': return t('Velg en veileder fra listen til å lede serien.');
    case 'registration_deadline': return message.includes('first session')
      ? t('Påmeldingsfristen må være før første samling.')
      : t('Påmeldingsfristen er ikke en gyldig dato.');
    case 'sessions': return t('En serie må ha nøyaktig tre samlinger.');
    default: return t('Noe av det du fylte inn, er ikke gyldig.');
  }
}

/** The input an API field belongs to. */
function inputFor(field) {
  const session = /^sessions\[(\d)\]\.(\w+)$/.exec(field);
  if (session) {
    const suffix = { starts_at: 'date', join_url: 'url', duration_minutes: 'duration' }[session[2]] || 'date';
    return `s${Number(session[1]) + 1}-${suffix}`;
  }
  return { title: 'title', capacity: 'capacity', facilitator_id: 'facilitator', registration_deadline: 'deadline-date' }[field];
}

/** A labelled input with room for its own error message below it. */
function input({ id, label, hint, ...attributes }) {
  const described = [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(' ');
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint && h('p', { class: 'hint', id: `${id}-hint` }, hint),
    h('input', { id, name: id, 'aria-describedby': described, ...attributes }),
    h('p', { class: 'series-field-error', id: `${id}-error` }));
}

/** A date and a time side by side, in Oslo time. */
function whenInputs(prefix, value, { required = true, disabled = false } = {}) {
  const { date, time } = value ? utcToOslo(value) : { date: '', time: '' };
  return h('div', { class: 'series-when' },
    input({ id: `${prefix}-date`, label: t('Dato'), type: 'date', value: date, required, disabled }),
    input({ id: `${prefix}-time`, label: t('Klokkeslett'), type: 'time', value: time, required, disabled }));
}

function sessionFieldset(n, session, now) {
  const held = session && Date.parse(session.starts_at) <= now;
  const cancelled = session?.cancelled;
  const locked = held || cancelled;
  return h('fieldset', { class: 'series-session' },
    h('legend', {}, t('Samling {number}', { number: n })),
    held && h('p', { class: 'hint' }, t('Samlingen er begynt eller holdt, og kan ikke flyttes.')),
    cancelled && h('p', { class: 'hint' }, t('Samlingen er avlyst.')),
    whenInputs(`s${n}`, session?.starts_at, { disabled: locked }),
    input({
      id: `s${n}-duration`, label: t('Varighet i minutter'), type: 'number', min: '15', max: '480', step: '5',
      inputmode: 'numeric', value: String(session?.duration_minutes ?? 120), required: true, disabled: locked,
    }),
    input({
      id: `s${n}-url`, label: t('Lenke til møtet'), type: 'url', inputmode: 'url', autocomplete: 'off',
      placeholder: 'https://', value: session?.join_url || '', required: true, disabled: locked,
    }));
}

/** What the admin filled in, read from the form, with the problems found before sending. */
function readForm(element) {
  const value = (id) => element.querySelector(`#${id}`).value.trim();
  const problems = [];
  const values = {
    title: value('title'),
    facilitator_id: value('facilitator'),
    capacity: value('capacity'),
    deadline: null,
    sessions: [],
  };
  if (!values.title) problems.push(['title', t('Skriv inn en tittel.')]);
  if (!values.facilitator_id) problems.push(['facilitator', t('Velg hvem som skal lede serien.')]);
  if (!/^\d+$/.test(values.capacity) || Number(values.capacity) < 1 || Number(values.capacity) > 100) {
    problems.push(['capacity', t('Antall plasser må være et helt tall fra 1 til 100.')]);
  }
  const [deadlineDate, deadlineTime] = [value('deadline-date'), value('deadline-time')];
  if (deadlineDate && deadlineTime) values.deadline = osloToUtc(deadlineDate, deadlineTime);
  else if (deadlineDate || deadlineTime) {
    problems.push(['deadline-date', t('Fyll inn både dato og klokkeslett for påmeldingsfristen, eller la begge stå tomme.')]);
  }
  for (const n of [1, 2, 3]) {
    const [date, time] = [value(`s${n}-date`), value(`s${n}-time`)];
    const startsAt = date && time ? osloToUtc(date, time) : null;
    if (!startsAt) problems.push([`s${n}-date`, t('Samling {n}: velg dato og klokkeslett.', { n })]);
    const duration = value(`s${n}-duration`);
    if (!/^\d+$/.test(duration) || Number(duration) < 15 || Number(duration) > 480) {
      problems.push([`s${n}-duration`, t('Samling {n}: varigheten må være fra 15 til 480 minutter.', { n })]);
    }
    const url = value(`s${n}-url`);
    if (!url) problems.push([`s${n}-url`, t('Samling {n}: skriv inn lenken til møtet.', { n })]);
    values.sessions.push({ starts_at: startsAt, duration_minutes: Number(duration), join_url: url });
  }
  return { values, problems };
}

/**
 * The series form. `submit(values)` sends it; a validation answer from the API is shown
 * field by field in words, beside the field and in a summary above the button.
 */
function seriesForm({ series, facilitators, submitLabel, submit }) {
  const now = Date.now();
  const confirmed = series ? confirmedOf(series) : 0;
  const summary = h('div', { class: 'series-problems' });
  const button = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const deadline = series?.registration_deadline;
  const element = h('form', { novalidate: true, 'aria-label': submitLabel, class: 'series-form' },
    input({ id: 'title', label: t('Tittel'), value: series?.title || '', maxlength: '200', required: true, autocomplete: 'off' }),
    h('div', { class: 'field' },
      h('label', { for: 'facilitator' }, t('Veileder')),
      h('select', { id: 'facilitator', name: 'facilitator', required: true, 'aria-describedby': 'facilitator-error' },
        h('option', { value: '' }, t('Velg veileder')),
        facilitators.map((f) => h('option', { value: f.id, selected: f.id === series?.facilitator.id }, f.name))),
      h('p', { class: 'series-field-error', id: 'facilitator-error' })),
    input({
      id: 'capacity', label: t('Antall plasser'), type: 'number', min: String(Math.max(1, confirmed)), max: '100', inputmode: 'numeric',
      value: String(series?.capacity ?? 12), required: true,
      hint: series ? t('{participants} er påmeldt nå.', { participants: participants(confirmed) }) : undefined,
    }),
    h('fieldset', { class: 'series-session' },
      h('legend', {}, t('Påmeldingsfrist (valgfri)')),
      h('p', { class: 'hint' }, series ? t('Norsk tid.') : t('Norsk tid. Står den tom, stenger påmeldingen 48 timer før første samling.')),
      whenInputs('deadline', deadline, { required: false })),
    h('p', { class: 'hint' }, t('Samlingene er i norsk tid. Deltakerne får en kalenderinvitasjon for hver samling.')),
    [1, 2, 3].map((n) => sessionFieldset(n, series?.sessions[n - 1], now)),
    summary,
    button);

  const show = (problems) => {
    for (const message of element.querySelectorAll('.series-field-error')) message.textContent = '';
    for (const control of element.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
    summary.replaceChildren();
    if (!problems.length) return;
    for (const [id, text] of problems) {
      const control = id && element.querySelector(`#${id}`);
      if (control) {
        control.setAttribute('aria-invalid', 'true');
        const message = element.querySelector(`#${id}-error`);
        message.textContent = message.textContent ? `${message.textContent} ${text}` : text;
      }
    }
    summary.append(h('div', { class: 'notice notice-error', role: 'alert' },
      h('p', {}, t('Rett opp dette før du lagrer:')),
      h('ul', {}, problems.map(([, text]) => h('li', {}, text)))));
    const first = problems.map(([id]) => id && element.querySelector(`#${id}`)).find((c) => c && !c.disabled);
    first?.focus();
  };

  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { values, problems } = readForm(element);
    show(problems);
    if (problems.length) return;
    button.disabled = true;
    try {
      await submit(values);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'validation_failed' && error.problem.errors?.length) {
        show(error.problem.errors.map((e) => [inputFor(e.field), problemText(e, confirmed)]));
      } else if (error instanceof ApiError && error.status === 409) {
        show([[null, t('Serien er avlyst og kan ikke endres.')]]);
      } else {
        show([[null, explain(error)]]);
      }
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

async function facilitatorsList() {
  return items(await api('/admin/users?role=facilitator'));
}

const backLink = () => h('p', { class: 'breadcrumb' }, h('a', { href: '/admin/series' }, t('Til webinarseriene')));

// ---- a new series -------------------------------------------------------------------------

export async function newSeriesScreen() {
  const facilitators = await facilitatorsList();
  render(t('Ny webinarserie'),
    backLink(),
    h('p', { class: 'lead' }, t('En serie har tre samlinger på to timer, noen uker fra hverandre. Deltakerne i en serie blir en refleksjonsgruppe.')),
    !facilitators.length && alertBox(t('Ingen har rollen veileder ennå. Gi noen rollen under «Brukere» før du oppretter en serie.'), 'info'),
    seriesForm({
      facilitators,
      submitLabel: t('Opprett serien'),
      submit: async (values) => {
        const created = await api('/admin/webinar-series', {
          method: 'POST',
          body: {
            title: values.title,
            capacity: Number(values.capacity),
            facilitator_id: values.facilitator_id,
            ...(values.deadline ? { registration_deadline: values.deadline } : {}),
            sessions: values.sessions,
          },
        });
        flash = t('Serien «{title}» er opprettet. Mentorene kan melde seg på nå.', { title: created.title });
        go(seriesPath(created.id));
      },
    }));
}

// ---- changing and cancelling a series -----------------------------------------------------

/** The PATCH body for what changed, and whether participants are told of it. */
function changeOf(series, values) {
  const change = {};
  if (values.title !== series.title) change.title = values.title;
  if (Number(values.capacity) !== series.capacity) change.capacity = Number(values.capacity);
  if (values.facilitator_id !== series.facilitator.id) change.facilitator_id = values.facilitator_id;
  if (values.deadline && Date.parse(values.deadline) !== Date.parse(series.registration_deadline)) {
    change.registration_deadline = values.deadline;
  }
  // All three, in order, so that the API's `sessions[i]` is session i + 1.
  const sessions = series.sessions.map((current, i) => {
    const wanted = values.sessions[i];
    const moved = { number: current.number };
    if (Date.parse(wanted.starts_at) !== Date.parse(current.starts_at)) moved.starts_at = wanted.starts_at;
    if (wanted.duration_minutes !== current.duration_minutes) moved.duration_minutes = wanted.duration_minutes;
    if (wanted.join_url !== current.join_url) moved.join_url = wanted.join_url;
    return moved;
  });
  const sessionsChanged = sessions.some((s) => Object.keys(s).length > 1);
  if (sessionsChanged) change.sessions = sessions;
  return { change, told: sessionsChanged || 'title' in change };
}

function savedText(updated, told) {
  if (!told) return t('Endringen er lagret.');
  const confirmed = confirmedOf(updated);
  if (!confirmed) return t('Endringen er lagret. Ingen er påmeldt ennå, så ingen invitasjoner sendes.');
  return t('Endringen er lagret. {participants} får oppdatert kalenderinvitasjon.', { participants: participants(confirmed) });
}

function sessionSummary(series) {
  return h('ol', { class: 'sessions series-dates' }, series.sessions.map((s) => h('li', {},
    h('span', { class: s.cancelled ? 'cancelled' : '' }, t('Samling {number}: {when}', { number: s.number, when: `${formatDateTime(s.starts_at)}–${formatTime(s.ends_at)}` })),
    s.cancelled ? ` (${t('avlyst')})` : '')));
}

function cancelQuestion(series) {
  const confirmed = confirmedOf(series);
  const waiting = series.waitlist_length;
  const values = { title: series.title, participants: participants(confirmed), waiting };
  if (confirmed && waiting) {
    return t('Vil du avlyse «{title}»? {participants} som er påmeldt og {waiting} på ventelisten får beskjed på e-post, og kalenderinvitasjonene trekkes tilbake. Dette kan ikke angres.', values);
  }
  if (confirmed) {
    return t('Vil du avlyse «{title}»? {participants} som er påmeldt får beskjed på e-post, og kalenderinvitasjonene trekkes tilbake. Dette kan ikke angres.', values);
  }
  if (waiting) {
    return t('Vil du avlyse «{title}»? {waiting} på ventelisten får beskjed på e-post, og kalenderinvitasjonene trekkes tilbake. Dette kan ikke angres.', values);
  }
  return t('Vil du avlyse «{title}»? Ingen er påmeldt ennå. Dette kan ikke angres.', values);
}

export async function editSeriesScreen(query, id) {
  let series;
  try {
    series = await api(`/admin/webinar-series/${id}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      render(t('Fant ikke serien'), h('p', {}, t('Serien finnes ikke, eller adressen er feil.')), backLink());
      return;
    }
    throw error;
  }
  const facilitators = series.cancelled ? [] : await facilitatorsList();
  // The series' own facilitator stays choosable even if they no longer have the role.
  if (!series.cancelled && !facilitators.some((f) => f.id === series.facilitator.id)) facilitators.unshift(series.facilitator);
  const state = seriesState(series);
  const notice = flash && alertBox(flash, 'success');
  flash = null;
  const confirmed = confirmedOf(series);
  const facts = h('ul', { class: 'series-facts' },
    h('li', {}, t('Status:'), ' ', stateBadge(state)),
    h('li', {}, t('Ledes av {name}', { name: series.facilitator.name || '–' })),
    h('li', {}, t('{confirmed} av {capacity} plasser tatt, {waiting} på venteliste', { confirmed, capacity: series.capacity, waiting: series.waitlist_length })),
    h('li', {}, t('Påmeldingsfrist: {when}', { when: formatDateTime(series.registration_deadline) })));

  if (series.cancelled) {
    render(series.title, backLink(), notice || alertBox(t('Serien er avlyst. Den kan ikke endres.'), 'info'), facts,
      h('h2', {}, t('Samlinger')), sessionSummary(series));
    return;
  }
  const form = seriesForm({
    series,
    facilitators,
    submitLabel: t('Lagre endringene'),
    submit: async (values) => {
      const { change, told } = changeOf(series, values);
      if (!Object.keys(change).length) {
        flash = t('Du har ikke endret noe.');
      } else {
        const updated = await api(`/admin/webinar-series/${id}`, { method: 'PATCH', body: change });
        flash = savedText(updated, told);
      }
      await editSeriesScreen(query, id);
    },
  });
  const cancel = state !== 'finished' && h('section', { class: 'series-cancel', 'aria-labelledby': 'series-cancel-heading' },
    h('h2', { id: 'series-cancel-heading' }, t('Avlys serien')),
    h('p', {}, t('Alle påmeldte og de på ventelisten får beskjed, og samlingene fjernes fra kalenderne deres.')),
    confirmButton({
      label: t('Avlys serien'),
      question: cancelQuestion(series),
      yes: t('Ja, avlys serien'),
      action: async () => {
        await api(`/admin/webinar-series/${id}`, { method: 'DELETE' });
        const waiting = series.waitlist_length;
        flash = confirmed || waiting
          ? t('Serien er avlyst. {participants} får beskjed på e-post.', { participants: participants(confirmed + waiting) })
          : t('Serien er avlyst.');
        await editSeriesScreen(query, id);
      },
    }));
  render(series.title, backLink(), notice, facts,
    h('h2', {}, t('Endre serien')),
    h('p', {}, t('Flytter du en samling eller endrer lenken, får alle påmeldte en oppdatert kalenderinvitasjon på e-post.')),
    form,
    cancel);
}
