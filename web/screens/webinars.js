// Module 5: webinar series to register for (seats, waitlist, cancelling), the mentor's own
// webinars with their times, join links and a calendar file, and the certificate.

import { ApiError, api, download } from '../api.js';
import { t } from '../i18n.js';
import {
  alertBox, badge, confirmButton, explain, formatDate, formatDateTime, formatTime, h, JOIN_OPENS_MINUTES, joinable,
  parts, render,
} from '../ui.js';

const JOIN_CHECK_MS = 30 * 1000;

/** Join links appear and go as sessions come near and end, while the screen stays open. */
let joinTimer;
function keepJoinLinksCurrent(slots) {
  clearInterval(joinTimer);
  if (!slots.length) return;
  joinTimer = setInterval(() => {
    if (!slots[0].element.isConnected) {
      clearInterval(joinTimer);
      return;
    }
    for (const slot of slots) slot.update();
  }, JOIN_CHECK_MS);
}

function joinSlot(session, slots) {
  const element = h('span', { class: 'join' });
  const slot = {
    element,
    shown: null,
    update() {
      const now = Date.now();
      const show = joinable(session, now);
      if (show === slot.shown) return;
      slot.shown = show;
      element.replaceChildren(...(show ? [
        h('span', { class: 'join-when' }, now < Date.parse(session.starts_at) ? t('Starter snart.') : t('Pågår nå.')),
        h('a', { class: 'button primary', href: session.join_url, 'aria-label': t('Bli med på samling {number}', { number: session.number }) }, t('Bli med')),
      ] : []));
    },
  };
  slot.update();
  slots.push(slot);
  return element;
}

/** The sessions with their times in Norwegian time; with `slots`, join links where near. */
function sessionList(sessions, slots) {
  return h('ol', { class: 'sessions' }, sessions.map((s) => h('li', {},
    h('span', { class: s.cancelled ? 'cancelled' : '' }, parts(t('Samling {number}: {time}', { number: s.number }), {
      time: h('time', { datetime: s.starts_at }, `${formatDateTime(s.starts_at)}–${formatTime(s.ends_at)}`),
    })),
    s.cancelled ? ` ${t('(avlyst)')}` : '',
    s.attended === true ? ` ${t('– deltatt')}` : '',
    slots && !s.cancelled ? joinSlot(s, slots) : null)));
}

function registrationError(error) {
  if (!(error instanceof ApiError)) return explain(error);
  switch (error.code) {
    case 'reflection_note_required':
      return t('Du må sende inn refleksjonsnotatet før du kan melde deg på.');
    case 'already_registered':
      return t('Du er allerede påmeldt en kommende serie. Meld deg av den først hvis du vil bytte.');
    case 'registration_closed':
      return t('Påmeldingen til denne serien er stengt.');
    default:
      return explain(error);
  }
}

/** Why registering is not possible now, said before anyone taps; null when it is. */
function refusalText(series) {
  if (series.cancelled) return h('p', { class: 'muted' }, t('Serien er avlyst.'));
  if (!series.registration_open) return h('p', { class: 'muted' }, t('Påmeldingen er stengt.'));
  switch (series.registration_refusal) {
    case 'reflection_note_required':
      return h('p', { class: 'refusal' }, t('Påmelding er ikke mulig ennå: du må først sende inn refleksjonsnotatet.'));
    case 'already_registered':
      return h('p', { class: 'refusal' }, t('Du er allerede påmeldt en kommende serie. Meld deg av den først hvis du vil bytte.'));
    case 'forbidden':
      return h('p', { class: 'muted' }, t('Bare mentorer kan melde seg på.'));
    case 'registration_closed':
      return h('p', { class: 'muted' }, t('Påmeldingen er stengt.'));
    default:
      return null;
  }
}

/** A series the mentor is not in: seats, and registering or why not. */
function seriesCard(series) {
  const headingId = `series-${series.id}`;
  const errorArea = h('div', { 'aria-live': 'polite' });
  const seats = series.seats_left > 0
    ? t('{left} av {capacity} plasser ledige.', { left: series.seats_left, capacity: series.capacity })
    : t('Fullt. {count} på venteliste.', { count: series.waitlist_length });
  const action = refusalText(series) || h('button', {
    type: 'button', class: 'primary', onclick: async (event) => {
      event.target.disabled = true;
      errorArea.replaceChildren();
      try {
        await api(`/webinar-series/${series.id}/registrations`, { method: 'POST', body: {} });
        await webinarsScreen();
      } catch (error) {
        errorArea.append(alertBox(registrationError(error)));
        event.target.disabled = false;
      }
    },
  }, series.seats_left > 0 ? t('Meld meg på') : t('Sett meg på ventelisten'));
  return h('section', { class: 'card series', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, series.title),
    h('p', { class: 'muted' }, t('Ledes av {name}.', { name: series.facilitator.name })),
    sessionList(series.sessions),
    h('p', {}, seats, series.registration_deadline ? ` ${t('Påmeldingsfrist {date}.', { date: formatDate(series.registration_deadline) })}` : ''),
    errorArea,
    action);
}

const begun = (sessions, now) => sessions.some((s) => Date.parse(s.starts_at) <= now);
// As the certificate is issued: all three sessions attended (a cancelled one is not attended).
const attendedAll = (webinar) => webinar.sessions.length === 3 && webinar.sessions.every((s) => s.attended === true);

/** A series the mentor is in (or was): status, sessions with join links, cancelling. */
function myCard(webinar, slots, now) {
  const headingId = `mine-${webinar.series_id}`;
  const over = !webinar.upcoming;
  const completed = over && webinar.status === 'confirmed' && attendedAll(webinar);
  const leave = (label, question, yes) => confirmButton({
    label, question, yes,
    action: async () => {
      await api(`/webinar-series/${webinar.series_id}/registrations/me`, { method: 'DELETE' });
      await webinarsScreen();
    },
  });
  let status;
  if (completed) {
    status = [h('p', {}, t('Du har deltatt på alle samlingene i serien.')), h('p', {}, h('a', { href: '/certificate' }, t('Se kursbeviset')))];
  } else if (over) {
    const attended = webinar.sessions.filter((s) => s.attended === true).length;
    status = h('p', {}, webinar.status === 'confirmed'
      ? t('Serien er avsluttet. Du deltok på {attended} av {total} samlinger. For kursbevis må du delta på alle samlingene i én serie.', { attended, total: webinar.sessions.length })
      : t('Serien er avsluttet. Du fikk ikke plass fra ventelisten.'));
  } else if (webinar.status === 'waitlisted') {
    status = [alertBox(t('Du står som nummer {position} på ventelisten. Du får e-post hvis du får plass.', { position: webinar.position }), 'info'),
      leave(t('Gå av ventelisten'), t('Vil du fjerne deg fra ventelisten?'), t('Ja, fjern meg'))];
  } else {
    status = [alertBox(t('Du er påmeldt denne serien.'), 'success'),
      !begun(webinar.sessions, now) && leave(t('Meld meg av'), t('Vil du melde deg av? Plassen går til den første på ventelisten.'), t('Ja, meld meg av'))];
  }
  // Once a series is over, "Påmeldt" no longer says anything: it is done, or it has ended.
  const shownBadge = completed ? badge('completed')
    : over ? h('span', { class: 'badge badge-cancelled' }, t('Avsluttet')) : badge(webinar.status);
  return h('li', {}, h('section', { class: 'card series', 'aria-labelledby': headingId },
    // The region is named by the title alone, the badge beside it being a status.
    h('h3', {}, h('span', { id: headingId }, webinar.title), ' ', shownBadge),
    sessionList(webinar.sessions, over ? null : slots),
    status));
}

export async function webinarsScreen() {
  const [series, mine] = await Promise.all([api('/webinar-series'), api('/me/webinars')]);
  const now = Date.now();
  const calendarError = h('div');
  // Each series once: those the mentor is in under "Mine webinarer" (still to come first),
  // the rest under "Kommende serier" while they have not begun (see docs/decisions.md).
  const own = mine.filter((w) => w.status !== 'cancelled').sort((a, b) => Number(b.upcoming) - Number(a.upcoming));
  const ownIds = new Set(own.map((w) => w.series_id));
  const registrable = (s) => s.registration_open && !s.cancelled;
  const open = series.filter((s) => !ownIds.has(s.id) && !s.my_registration && !begun(s.sessions, now))
    // Those still open for registration first; the API gives each group soonest first.
    .sort((a, b) => Number(registrable(b)) - Number(registrable(a)));
  const slots = [];
  render(t('Webinarer'),
    h('p', { class: 'lead' }, t('Modul 5 er tre webinarer på to timer med læring og refleksjon. Deltakerne i en serie blir en refleksjonsgruppe. Du må ha sendt inn refleksjonsnotatet for å melde deg på.')),
    h('p', { class: 'muted' }, t('Alle tider er norsk tid. «Bli med»-knappen kommer fram {minutes} minutter før hver samling.', { minutes: JOIN_OPENS_MINUTES })),
    h('section', { 'aria-labelledby': 'mine' },
      h('h2', { id: 'mine' }, t('Mine webinarer')),
      own.length
        ? [h('ul', { class: 'plain' }, own.map((w) => myCard(w, slots, now))),
          own.some((w) => w.status === 'confirmed' && w.upcoming) && h('button', {
            type: 'button', class: 'secondary', onclick: async () => {
              calendarError.replaceChildren();
              try {
                await download('/me/calendar.ics', 'mentoropplaering-webinarer.ics');
              } catch (error) {
                calendarError.append(alertBox(explain(error)));
              }
            },
          }, t('Last ned kalender (.ics)')), calendarError]
        : h('p', { class: 'muted' }, t('Du er ikke påmeldt noen serie ennå.'))),
    h('section', { 'aria-labelledby': 'upcoming' },
      h('h2', { id: 'upcoming' }, t('Kommende serier')),
      // The reason, and the way on, once above the series it holds back.
      open.some((s) => registrable(s) && s.registration_refusal === 'reflection_note_required') && h('p', { class: 'refusal' },
        t('Du kan melde deg på når du har sendt inn refleksjonsnotatet, og det kan du når læringsstien er fullført.'), ' ',
        h('a', { href: '/note' }, t('Gå til refleksjonsnotatet'))),
      open.length ? open.map(seriesCard) : h('p', { class: 'muted' }, t('Ingen nye serier er lagt ut ennå. Se innom igjen senere.'))));
  keepJoinLinksCurrent(slots);
}

export async function certificateScreen() {
  let certificate;
  try {
    certificate = await api('/me/certificate');
  } catch (error) {
    if (error instanceof ApiError && error.status < 500 && error.status !== 401) {
      render(t('Kursbevis'),
        h('p', {}, t('Du får kursbevis når du har fullført læringsstien, sendt inn refleksjonsnotatet og deltatt på alle tre samlingene i én webinarserie.')),
        h('p', {}, h('a', { href: '/path' }, t('Se hvor langt du har kommet'))));
      return;
    }
    throw error;
  }
  const downloadError = h('div');
  const revoked = certificate.status === 'revoked';
  render(t('Kursbevis'),
    // A revoked certificate is said to be so first: its check says so to anyone too.
    revoked && alertBox(t('Kursbeviset ble trukket tilbake {date} og gjelder ikke lenger. Spør koordinatoren din hvis du lurer på hvorfor.', { date: formatDate(certificate.revoked_on) }), 'info'),
    h('section', { class: 'card certificate', 'aria-label': t('Kursbevis') },
      h('p', { class: 'kicker' }, t('Kursbevis')),
      h('p', { class: 'certificate-name' }, certificate.name),
      h('p', {}, t('har fullført {programme}.', { programme: certificate.programme })),
      h('p', {}, t('Fullført {date}.', { date: formatDate(certificate.completed_on) })),
      h('p', { class: 'muted' }, parts(t('Kontrollkode: {code}'), { code: h('code', {}, certificate.verification_code) })),
      h('p', { class: 'muted' }, parts(t('Hvem som helst kan sjekke kursbeviset på {link}'), { link: h('a', { href: certificate.verify_url }, certificate.verify_url) }))),
    // The diploma: one A4 page in the mentor's written form, for the leader or the personnel
    // file; a revoked certificate has none.
    h('p', { class: 'certificate-actions' },
      !revoked && h('button', {
        type: 'button', class: 'primary', onclick: async () => {
          downloadError.replaceChildren();
          try {
            await download('/me/certificate.pdf', `kursbevis-${certificate.verification_code}.pdf`);
          } catch (error) {
            downloadError.append(alertBox(explain(error)));
          }
        },
      }, t('Last ned kursbeviset (PDF)')),
      h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, t('Skriv ut'))),
    downloadError);
}
