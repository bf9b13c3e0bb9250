// Module 5: webinar series to register for (seats, waitlist, cancelling), the mentor's own
// webinars with a calendar file, and the certificate.

import { ApiError, api, download } from '../api.js';
import { alertBox, badge, confirmButton, explain, formatDate, formatDateTime, formatTime, h, render } from '../ui.js';

function sessionList(sessions) {
  return h('ol', { class: 'sessions' }, sessions.map((s) => h('li', {},
    h('span', { class: s.cancelled ? 'cancelled' : '' }, `Samling ${s.number}: ${formatDateTime(s.starts_at)}–${formatTime(s.ends_at)}`),
    s.cancelled ? ' (avlyst)' : '',
    s.attended === true ? ' – deltatt' : '')));
}

function registrationError(error) {
  if (!(error instanceof ApiError)) return explain(error);
  switch (error.code) {
    case 'reflection_note_required':
      return 'Du må sende inn refleksjonsnotatet før du kan melde deg på.';
    case 'already_registered':
      return 'Du er allerede påmeldt en kommende serie. Meld deg av den først hvis du vil bytte.';
    case 'registration_closed':
      return 'Påmeldingen til denne serien er stengt.';
    default:
      return explain(error);
  }
}

function seriesCard(series) {
  const headingId = `series-${series.id}`;
  const mine = series.my_registration;
  const errorArea = h('div', { 'aria-live': 'polite' });
  const seats = series.seats_left > 0
    ? `${series.seats_left} av ${series.capacity} plasser ledige.`
    : `Fullt. ${series.waitlist_length} på venteliste.`;
  let action;
  if (mine && mine.status === 'confirmed') {
    action = [alertBox('Du er påmeldt denne serien.', 'success'), confirmButton({
      label: 'Meld meg av',
      question: 'Vil du melde deg av? Plassen går til den første på ventelisten.',
      yes: 'Ja, meld meg av',
      action: async () => {
        await api(`/webinar-series/${series.id}/registrations/me`, { method: 'DELETE' });
        await webinarsScreen();
      },
    })];
  } else if (mine && mine.status === 'waitlisted') {
    action = [alertBox(`Du står som nummer ${mine.position} på ventelisten. Du får e-post hvis du får plass.`, 'info'), confirmButton({
      label: 'Gå av ventelisten',
      question: 'Vil du fjerne deg fra ventelisten?',
      yes: 'Ja, fjern meg',
      action: async () => {
        await api(`/webinar-series/${series.id}/registrations/me`, { method: 'DELETE' });
        await webinarsScreen();
      },
    })];
  } else if (series.registration_open && !series.cancelled) {
    action = h('button', {
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
    }, series.seats_left > 0 ? 'Meld meg på' : 'Sett meg på ventelisten');
  } else {
    action = h('p', { class: 'muted' }, series.cancelled ? 'Serien er avlyst.' : 'Påmeldingen er stengt.');
  }
  return h('section', { class: 'card series', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, series.title),
    h('p', { class: 'muted' }, `Ledes av ${series.facilitator.name}.`),
    sessionList(series.sessions),
    h('p', {}, seats, series.registration_deadline ? ` Påmeldingsfrist ${formatDate(series.registration_deadline)}.` : ''),
    errorArea,
    action);
}

export async function webinarsScreen() {
  const [series, mine] = await Promise.all([api('/webinar-series'), api('/me/webinars')]);
  const calendarError = h('div');
  const own = mine.filter((w) => w.status !== 'cancelled');
  render('Webinarer',
    h('p', { class: 'lead' }, 'Modul 5 er tre webinarer på to timer med læring og refleksjon. Deltakerne i en serie blir en refleksjonsgruppe. Du må ha sendt inn refleksjonsnotatet for å melde deg på.'),
    h('section', { 'aria-labelledby': 'mine' },
      h('h2', { id: 'mine' }, 'Mine webinarer'),
      own.length
        ? [h('ul', { class: 'plain' }, own.map((w) => h('li', { class: 'card' },
          h('h3', {}, w.title, ' ', badge(w.status)),
          w.status === 'waitlisted' && w.position ? h('p', {}, `Nummer ${w.position} på ventelisten.`) : null,
          sessionList(w.sessions)))),
        h('button', {
          type: 'button', class: 'secondary', onclick: async () => {
            calendarError.replaceChildren();
            try {
              await download('/me/calendar.ics', 'mentoropplaering-webinarer.ics');
            } catch (error) {
              calendarError.append(alertBox(explain(error)));
            }
          },
        }, 'Last ned kalender (.ics)'), calendarError]
        : h('p', { class: 'muted' }, 'Du er ikke påmeldt noen serie ennå.')),
    h('section', { 'aria-labelledby': 'upcoming' },
      h('h2', { id: 'upcoming' }, 'Kommende serier'),
      series.length ? series.map(seriesCard) : h('p', { class: 'muted' }, 'Ingen serier er lagt ut ennå. Se innom igjen senere.')));
}

export async function certificateScreen() {
  let certificate;
  try {
    certificate = await api('/me/certificate');
  } catch (error) {
    if (error instanceof ApiError && error.status < 500 && error.status !== 401) {
      render('Kursbevis',
        h('p', {}, 'Du får kursbevis når du har fullført læringsstien, sendt inn refleksjonsnotatet og deltatt på alle tre samlingene i én webinarserie.'),
        h('p', {}, h('a', { href: '/path' }, 'Se hvor langt du har kommet')));
      return;
    }
    throw error;
  }
  render('Kursbevis',
    h('section', { class: 'card certificate', 'aria-label': 'Kursbevis' },
      h('p', { class: 'kicker' }, 'Kursbevis'),
      h('p', { class: 'certificate-name' }, certificate.name),
      h('p', {}, `har fullført ${certificate.programme}.`),
      h('p', {}, `Fullført ${formatDate(certificate.completed_on)}.`),
      h('p', { class: 'muted' }, 'Kontrollkode: ', h('code', {}, certificate.verification_code)),
      h('p', { class: 'muted' }, 'Hvem som helst kan sjekke kursbeviset på ', h('a', { href: certificate.verify_url }, certificate.verify_url))),
    h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, 'Skriv ut'));
}
