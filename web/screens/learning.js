// The learning path, a page of a module (text, film, exercises, reflection questions that save
// themselves), skipping module 1, and the literature list.

import { ApiError, api } from '../api.js';
import { autosave } from '../autosave.js';
import { locale, t } from '../i18n.js';
import * as outbox from '../outbox.js';
import {
  alertBox, badge, confirmButton, formatDateTime, formatTime, go, h, JOIN_OPENS_MINUTES, joinable, parts, render, STATUS,
} from '../ui.js';

const pageHref = (module, slug) => `/modules/${module}/${slug}`;
const completionPath = (module, slug) => `/modules/${module}/pages/${slug}/completion`;

/**
 * The path as it will be once the outbox's completions and skips are sent: the path rules of
 * src/learning/rules.rs applied again with them, so a page completed offline shows completed
 * (with `pending: true`) and the page after it opens. Pure.
 */
export function withPending(path, writes) {
  const completing = new Set(writes.filter((w) => w.kind === 'completion').map((w) => w.path));
  const skipping = new Set(writes.filter((w) => w.kind === 'skip').map((w) => Number(/^\/modules\/(\d+)\/skip$/.exec(w.path)?.[1])));
  if (!completing.size && !skipping.size) return path;
  const done = new Set();
  const skipped = new Set();
  const modules = path.modules.map((m) => ({
    ...m,
    pages: m.pages.map((p) => {
      const pending = completing.has(completionPath(m.number, p.slug)) && p.status !== 'completed';
      if (p.status === 'completed' || pending) done.add(p.slug);
      return { ...p, pending };
    }),
    pendingSkip: skipping.has(m.number) && m.status !== 'skipped',
  }));
  for (const m of modules) if (m.status === 'skipped' || (m.skippable && m.pendingSkip)) skipped.add(m.number);
  const moduleDone = (m) => skipped.has(m.number) || m.pages.every((p) => done.has(p.slug));
  const free = path.completed || modules.every(moduleDone);
  let previousDone = true;
  let resume = null;
  let minutesLeft = 0;
  let counted = 0;
  let completed = 0;
  for (const m of modules) {
    const open = free || previousDone;
    const count = m.pages.filter((p) => done.has(p.slug)).length;
    const all = count === m.pages.length;
    const isSkipped = skipped.has(m.number);
    let previousPage = true;
    for (const p of m.pages) {
      const isDone = done.has(p.slug);
      p.status = isDone ? 'completed' : free || isSkipped || (open && previousPage) ? 'available' : 'locked';
      if (!isDone && !isSkipped) {
        minutesLeft += p.estimated_minutes;
        if (!resume && p.status === 'available') resume = { module: m.number, slug: p.slug, title: p.title };
      }
      previousPage = isDone;
    }
    m.status = all ? 'completed' : isSkipped ? 'skipped' : !open ? 'locked' : count > 0 ? 'in_progress' : 'available';
    previousDone = all || isSkipped;
    if (m.status !== 'skipped') {
      counted += m.pages.length;
      completed += count;
    }
  }
  return {
    ...path, modules, completed: free, resume, minutes_left: minutesLeft, pages_counted: counted, pages_completed: completed,
  };
}

/** "Saved when the network is back", beside what the outbox still holds. */
const notYetSaved = () => h('span', { class: 'pending-save' }, t('lagres når nettet er tilbake'));

export function hours(minutes) {
  if (minutes === 1) return t('ca. 1 minutt');
  if (minutes < 60) return t('ca. {n} minutter', { n: minutes });
  const value = Math.round(minutes / 30) / 2;
  return value === 1 ? t('ca. 1 time') : t('ca. {n} timer', { n: String(value).replace('.', ',') });
}


const hasEnded = (session, now) => Date.parse(session.ends_at) <= now;

/**
 * The series the webinar steps of the tracker follow: the one that earned the certificate,
 * else the one the mentor is in now, else the last one they were in, else a waitlist place.
 */
function followedSeries(webinars, certificate) {
  const confirmed = webinars.filter((w) => w.status === 'confirmed');
  const attendedAll = (w) => w.sessions.length === 3 && w.sessions.every((s) => s.attended === true);
  return (certificate && confirmed.find(attendedAll))
    || confirmed.find((w) => w.upcoming)
    || confirmed[0]
    || webinars.find((w) => w.status === 'waitlisted' && w.upcoming)
    || null;
}

/**
 * Where the mentor is in the whole programme, as one next step: `page` (read on), `note`
 * (write or submit it), `register`, `waitlist`, `session` (the next one), `attendance` (all
 * sessions held, waiting for the facilitator's record), `again` (a session was missed) or
 * `certificate`. Pure, from the answers of /path, /me/reflection-note, /me/webinars and
 * /me/certificate (null before there is one).
 */
export function nextStep({ path, note, webinars, certificate }, now = Date.now()) {
  if (certificate) return { kind: 'certificate' };
  if (!path.completed) return { kind: 'page', page: path.resume };
  if (note.status !== 'submitted') return { kind: 'note', status: note.status };
  const active = webinars.find((w) => w.status === 'confirmed' && w.upcoming);
  if (active) {
    const session = active.sessions.find((s) => !s.cancelled && !hasEnded(s, now));
    if (session) return { kind: 'session', series: active, session };
  }
  const waiting = webinars.find((w) => w.status === 'waitlisted' && w.upcoming);
  if (waiting) return { kind: 'waitlist', series: waiting };
  const held = webinars.find((w) => w.status === 'confirmed' && !w.upcoming);
  if (held) {
    const live = held.sessions.filter((s) => !s.cancelled);
    if (live.some((s) => s.attended === false)) return { kind: 'again', series: held };
    if (live.some((s) => s.attended === null)) return { kind: 'attendance', series: held };
  }
  return { kind: 'register' };
}

const noteState = (status) => ({ none: t('Ikke påbegynt'), draft: t('Utkast'), submitted: t('Sendt inn') })[status];
const shortDateTime = (iso) => new Intl.DateTimeFormat(locale(), {
  timeZone: 'Europe/Oslo', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
}).format(new Date(iso));

/** The state of one webinar session of the followed series, in words. */
function sessionState(session, series, certificate, now) {
  if (!series) return certificate ? [t('Deltatt'), 'done'] : [t('Ikke påmeldt'), 'todo'];
  if (series.status === 'waitlisted') return [t('Venteliste'), 'todo'];
  if (session.attended === true || (certificate && series.sessions.every((s) => s.attended === true))) return [t('Deltatt'), 'done'];
  if (session.cancelled) return [t('Avlyst'), 'todo'];
  if (!hasEnded(session, now)) return [shortDateTime(session.starts_at), 'todo'];
  return session.attended === false ? [t('Ikke deltatt'), 'todo'] : [t('Oppmøte ikke registrert ennå'), 'todo'];
}

/** The whole programme as a list of steps, each with its state in words. */
function tracker({ path, note, webinars, certificate }, step, now) {
  const series = followedSeries(webinars, certificate);
  const steps = path.modules.map((module) => ({
    name: t('Modul {number}: {title}', { number: module.number, title: module.title }),
    state: STATUS[module.status],
    kind: ['completed', 'skipped'].includes(module.status) ? 'done' : 'todo',
    current: step.kind === 'page' && step.page?.module === module.number,
  }));
  steps.push({
    name: t('Refleksjonsnotat'),
    state: noteState(note.status) || note.status,
    kind: note.status === 'submitted' ? 'done' : 'todo',
    current: step.kind === 'note',
  });
  for (const number of [1, 2, 3]) {
    const session = series?.sessions.find((s) => s.number === number);
    const [state, kind] = sessionState(session || {}, session ? series : null, certificate, now);
    steps.push({
      name: t('Webinar {number}', { number }),
      state,
      kind,
      current: step.kind === 'session' && step.session.number === number,
    });
  }
  steps.push({
    name: t('Kursbevis'),
    state: certificate ? t('Mottatt') : t('Ikke ennå'),
    kind: certificate ? 'done' : 'todo',
    current: false, // with the certificate every step is done: nothing is "here" any more
  });
  return h('section', { class: 'card', 'aria-labelledby': 'programme' },
    h('h2', { id: 'programme' }, t('Hele opplæringen')),
    h('ol', { class: 'tracker' }, steps.map((s) => h('li', {
      class: `tracker-step tracker-${s.current ? 'current' : s.kind}`,
      'aria-current': s.current ? 'step' : undefined,
    },
    h('span', { class: 'tracker-name' }, s.name),
    ' ',
    h('span', { class: 'tracker-state' }, s.current ? t('{state} – du er her', { state: s.state }) : s.state)))));
}

const button = (href, text, attributes = {}) => h('p', {}, h('a', { class: 'button primary', href, ...attributes }, text));

/** The one thing to do next, with its button. */
function nextStepCard(step, path, now) {
  let body;
  switch (step.kind) {
    case 'certificate':
      body = [h('p', {}, t('Gratulerer! Du har fullført hele mentoropplæringen og fått kursbevis.')),
        button('/certificate', t('Se kursbeviset'))];
      break;
    case 'page':
      body = step.page
        ? [h('p', {}, path.pages_completed === 0
          ? t('Du er klar til å begynne på læringsstien: {time} med selvstudium.', { time: hours(path.minutes_left) })
          : t('Les neste side på læringsstien. Det er {time} igjen.', { time: hours(path.minutes_left) })),
          button(pageHref(step.page.module, step.page.slug), path.pages_completed === 0
            ? t('Start: {title}', { title: step.page.title })
            : t('Fortsett der du slapp: {title}', { title: step.page.title }))]
        : [h('p', {}, t('Fortsett på læringsstien nedenfor.'))];
      break;
    case 'note':
      body = step.status === 'draft'
        ? [h('p', {}, t('Læringsstien er fullført. Les gjennom utkastet ditt og send inn refleksjonsnotatet: det er billetten din til webinarene.')),
          button('/note', t('Til refleksjonsnotatet'))]
        : [h('p', {}, t('Læringsstien er fullført. Skriv refleksjonsnotatet og send det inn: det er billetten din til webinarene.')),
          button('/note', t('Skriv refleksjonsnotatet'))];
      break;
    case 'register':
      body = [h('p', {}, t('Refleksjonsnotatet er sendt inn. Meld deg på en webinarserie: tre webinarer på to timer, med den samme gruppen hver gang.')),
        button('/webinars', t('Meld deg på en webinarserie'))];
      break;
    case 'waitlist':
      body = [h('p', {}, t('Du står som nummer {position} på ventelisten til «{title}». Du får e-post hvis du får plass.', { position: step.series.position, title: step.series.title })),
        button('/webinars', t('Se webinarene'))];
      break;
    case 'session': {
      const { series, session } = step;
      const open = joinable(session, now);
      body = [
        h('p', {}, t('Webinar {number} av 3 i «{title}»:', { number: session.number, title: series.title })),
        h('p', { class: 'next-session' }, h('time', { datetime: session.starts_at },
          `${formatDateTime(session.starts_at)}–${formatTime(session.ends_at)}`)),
        open
          ? button(session.join_url, t('Bli med'), { rel: 'noopener' })
          : h('p', { class: 'muted' }, t('Knappen for å bli med kommer her {minutes} minutter før webinaret starter.', { minutes: JOIN_OPENS_MINUTES })),
        h('p', {}, h('a', { href: '/webinars' }, t('Se alle webinarene dine'))),
      ];
      break;
    }
    case 'attendance':
      body = [h('p', {}, t('Alle webinarene i «{title}» er holdt. Når kurslederen har registrert oppmøtet, får du kursbeviset.', { title: step.series.title })),
        h('p', {}, h('a', { href: '/webinars' }, t('Se webinarene dine')))];
      break;
    default: // 'again'
      body = [h('p', {}, t('Du deltok ikke på alle tre webinarene i «{title}». For å få kursbevis må du delta på alle tre i én serie.', { title: step.series.title })),
        button('/webinars', t('Meld deg på en ny serie'))];
  }
  return h('section', { class: 'card next-step', 'aria-labelledby': 'next-step' },
    h('h2', { id: 'next-step' }, t('Neste steg')), body);
}

async function certificateOrNull() {
  try {
    return await api('/me/certificate');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** "A, B og C" in the reader's form. */
const listOf = (names) => new Intl.ListFormat(locale(), { type: 'conjunction' }).format(names);

/** The progress on the path in words: pages of a skipped module are not counted. */
function pathProgress(path) {
  const skipped = path.modules.filter((m) => m.status === 'skipped').map((m) => t('Modul {number}', { number: m.number }));
  const total = path.pages_counted;
  const done = path.pages_completed;
  return [
    h('p', {}, path.completed
      // A revision may add pages after the path was done; it stays done.
      ? (done < total ? t('Du har fullført læringsstien.') : t('Du har fullført læringsstien: {done} av {total} sider.', { done, total }))
      : t('Du har fullført {done} av {total} sider. Det er {time} igjen.', { done, total, time: hours(path.minutes_left) }),
    skipped.length ? ` ${t('{modules} er hoppet over og telles ikke med.', { modules: listOf(skipped) })}` : ''),
    h('progress', { max: total, value: done, 'aria-label': t('Sider fullført') }),
  ];
}

/** The start page: where the mentor is in the programme and what to do next. `notice` is a
 *  confirmation of what just happened (after skipping module 1). */
export async function pathScreen(user, { notice } = {}) {
  const [served, note, webinars, certificate, writes] = await Promise.all([
    api('/path'), api('/me/reflection-note'), api('/me/webinars'), certificateOrNull(), outbox.ready(),
  ]);
  const path = withPending(served, writes);
  const now = Date.now();
  const facts = { path, note, webinars, certificate };
  const step = nextStep(facts, now);
  const firstName = (user?.name || '').split(' ')[0];

  const modules = path.modules.map((module) => {
    const headingId = `module-${module.number}`;
    const skippable = module.skippable && !['completed', 'skipped'].includes(module.status);
    return h('section', { class: 'card module', 'aria-labelledby': headingId },
      h('h2', { id: headingId }, t('Modul {number}: {title}', { number: module.number, title: module.title }), ' ', badge(module.status)),
      module.pendingSkip && h('p', { class: 'muted' }, notYetSaved()),
      h('p', { class: 'muted' }, module.summary),
      module.status === 'skipped' && h('p', {}, t('Du har hoppet over modulen. Sidene er åpne, så du kan lese dem når du vil.')),
      outcomes(module.outcomes),
      h('ol', { class: 'pages' }, module.pages.map((page) => h('li', { class: `page page-${page.status}` },
        page.status === 'locked'
          ? h('span', { class: 'locked-title' }, page.title)
          : h('a', { href: pageHref(module.number, page.slug) }, page.title),
        ' ', badge(page.status), page.pending && [' ', notYetSaved()]))),
      skippable && confirmButton({
        label: t('Hopp over modul {number}', { number: module.number }),
        question: t('Kjenner du opplæringspakken godt fra før, kan du hoppe over modul {number}. Den regnes da som fullført og telles ikke med i fremdriften, og modul {next} åpnes med en gang. Du kan ikke angre, men alle sidene i modulen er fortsatt åpne, så du kan lese dem når du vil.', { number: module.number, next: module.number + 1 }),
        yes: t('Ja, hopp over modulen'),
        action: async () => {
          const entry = await outbox.write({ kind: 'skip', method: 'POST', path: `/modules/${module.number}/skip`, body: {} });
          const outcome = await outbox.settle(entry);
          if (outcome.state === 'refused') throw outcome.error;
          const done = t('Modul {number} er hoppet over. Modul {next} er åpnet. Sidene i modul {number} er fortsatt åpne for deg.', { number: module.number, next: module.number + 1 });
          await pathScreen(user, {
            notice: outcome.state === 'saved' ? done : `${done} ${t('Det lagres når nettet er tilbake.')}`,
          });
        },
      }));
  });

  const confirmation = notice && h('p', { class: 'notice notice-success', role: 'status', tabindex: '-1' }, notice);
  render(firstName ? t('Hei, {name}', { name: firstName }) : t('Læringsstien'),
    outbox.saveStatus(),
    confirmation,
    nextStepCard(step, path, now),
    tracker(facts, step, now),
    h('h2', { class: 'section-title' }, t('Læringsstien')),
    pathProgress(path),
    h('p', { class: 'muted' }, path.completed
      ? t('Hele stien er gjort, så alle sidene er åpne.')
      : t('Modulene tas i rekkefølge. En side åpnes når du har fullført siden før.')),
    modules,
    h('section', { class: 'card', 'aria-labelledby': 'literature' },
      h('h2', { id: 'literature' }, path.literature.title),
      h('p', {}, t('{count} lesetips, alltid tilgjengelig.', { count: path.literature.references }), ' ', h('a', { href: '/literature' }, t('Se litteraturlisten')))));
  // What just happened is read out first, before the rest of the screen.
  confirmation?.focus({ preventScroll: true });
  return path; // for reading ahead (app.js)
}

/** What a module teaches, folded: knowledge, skills and general competence. */
export function outcomes(list) {
  const kinds = [['knowledge', t('Kunnskap')], ['skills', t('Ferdigheter')], ['general_competence', t('Generell kompetanse')]]
    .filter(([key]) => list?.[key]?.length);
  if (!kinds.length) return null;
  return h('details', { class: 'outcomes' }, h('summary', {}, t('Dette lærer du')),
    kinds.map(([key, label]) => [h('h3', {}, label), h('ul', {}, list[key].map((item) => h('li', {}, item)))]));
}

/** Bytes in megabytes, the way a data plan counts them: "0,7 MB". */
export function megabytes(bytes) {
  const value = bytes / 1e6;
  return `${value < 10 ? value.toFixed(1).replace('.', ',') : Math.round(value)} MB`;
}

/** The transcript, a paragraph a line; "Navn: …" lines name who speaks. */
function transcriptText(text) {
  return text.split(/\n+/).filter((line) => line.trim()).map((line) => {
    const speaker = /^([^:\[\]]{1,40}): (.*)$/.exec(line);
    return speaker ? h('p', {}, h('strong', {}, `${speaker[1]}:`), ` ${speaker[2]}`) : h('p', {}, line);
  });
}

// A film that does not start loading this long after it stalls is given up on, with a message.
const STALL_MS = 15000;

function filmBlock(block) {
  const minutes = Math.max(1, Math.round(block.duration_seconds / 60));
  const facts = [t('norsk teksting'), t('{minutes} min', { minutes })];
  if (block.size_bytes) facts.push(megabytes(block.size_bytes));
  const transcript = block.transcript && h('details', { class: 'transcript' },
    h('summary', {}, t('Les hele teksten til filmen')), transcriptText(block.transcript));
  const notice = h('div', { class: 'film-notice' });
  const video = h('video', {
    controls: true, preload: 'none', src: block.src, poster: block.poster_url, width: 640, height: 360,
  },
  // The subtitles' own form, as the server names it: a revision without nynorsk serves bokmål.
  h('track', { kind: 'subtitles', srclang: /[?&]language=nn\b/.test(block.subtitles_url) ? 'nn' : 'nb', label: t('Norsk'), src: block.subtitles_url, default: true }),
  h('p', {}, parts(t('Nettleseren din kan ikke spille av filmen. {link}.'), { link: h('a', { href: block.src }, t('Last ned filmen')) })));

  let stallTimer;
  const failed = () => {
    clearTimeout(stallTimer);
    if (notice.childElementCount) return;
    const retry = h('button', {
      type: 'button', class: 'secondary', onclick: () => {
        notice.replaceChildren();
        video.src = block.src;
        video.load();
        video.play().catch(() => {});
      },
    }, t('Prøv igjen'));
    notice.append(
      alertBox(t('Filmen kan ikke spilles av nå. Kanskje er du uten nett, eller nettet du er på, stenger for filmen. Prøv igjen, eller les hele teksten til filmen nedenfor.')),
      retry);
    if (transcript) transcript.open = true;
  };
  video.addEventListener('error', failed);
  video.addEventListener('stalled', () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => { if (video.readyState < 3) failed(); }, STALL_MS);
  });
  for (const event of ['progress', 'canplay', 'playing']) video.addEventListener(event, () => clearTimeout(stallTimer));

  return h('figure', { class: 'film' },
    video,
    h('figcaption', {}, block.title, h('span', { class: 'film-facts' }, ` (${facts.join(', ')})`)),
    notice,
    transcript);
}

function reflectionBlock(block, module, slug, answer) {
  const id = `answer-${block.id}`;
  const status = h('p', { class: 'save-status', id: `${id}-status`, role: 'status', 'aria-live': 'polite' });
  const textarea = h('textarea', { id, rows: 5, maxlength: 20000, 'aria-describedby': `${id}-status` });
  const key = `/modules/${module}/pages/${slug}/answers/${block.id}`;
  autosave({
    textarea,
    status,
    key,
    kind: 'answer',
    label: block.question,
    saved: answer?.text || '',
    savedAt: answer?.updated_at,
    // No answer yet: the first is written with If-None-Match (also when the answers could not
    // be read offline, so an answer written elsewhere is never overwritten unseen).
    etag: answer ? answer.etag : null,
    bodyOf: (text) => ({ text }),
  });
  return h('div', { class: 'reflection' },
    h('label', { for: id }, h('span', { class: 'kicker' }, t('Refleksjonsspørsmål')), block.question),
    textarea, status,
    h('p', { class: 'hint' }, t('Svarene dine er private og lagres mens du skriver.')));
}

/**
 * A page's body as a mentor sees it: the server's sanitised HTML with its films and exercises
 * in place, and each reflection question made by `reflection(block)`.
 */
export function pageContent(page, reflection) {
  const body = h('div', { class: 'content' });
  body.innerHTML = page.html; // sanitised by the server when the content was published
  // Wide tables scroll sideways on a phone, in a region the keyboard can reach.
  for (const table of body.querySelectorAll('table')) {
    const wrap = h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': t('Tabell (kan rulles sidelengs)') });
    table.replaceWith(wrap);
    wrap.append(table);
  }
  const blocks = new Map(page.blocks.map((b) => [`${b.type}:${b.id}`, b]));
  for (const slot of body.querySelectorAll('.block[data-block-type]')) {
    const block = blocks.get(`${slot.dataset.blockType}:${slot.dataset.blockId}`);
    if (!block) continue;
    if (block.type === 'film') slot.replaceWith(filmBlock(block));
    else if (block.type === 'reflection') slot.replaceWith(reflection(block));
    else if (block.type === 'exercise') {
      const box = h('aside', { class: 'exercise', 'aria-label': t('Øvelse') },
        h('p', { class: 'kicker' }, t('Øvelse · {time}', { time: hours(block.estimated_minutes || 10) })));
      box.insertAdjacentHTML('beforeend', block.html);
      slot.replaceWith(box);
    }
  }
  return body;
}

export async function pageScreen(module, slug) {
  let page;
  let answers;
  try {
    [page, answers] = await Promise.all([
      api(`/modules/${module}/pages/${slug}`),
      // Offline with the page kept but not the answers: the fields start from what is on the device.
      api('/me/answers').catch((error) => {
        if (error instanceof ApiError) throw error;
        return [];
      }),
      outbox.ready(),
    ]);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'page_locked') {
      const first = error.problem.next_page;
      render(t('Siden er ikke åpnet ennå'),
        alertBox(t('Læringsstien går i rekkefølge: denne siden åpnes når du har fullført siden før.'), 'info'),
        first && h('p', {}, parts(t('Neste side du kan lese, er {link}.'), { link: h('a', { href: pageHref(first.module, first.slug) }, first.title) })),
        h('p', {}, h('a', { class: 'button primary', href: '/path' }, t('Tilbake til læringsstien'))));
      return;
    }
    if (error instanceof ApiError && error.code === 'not_found') {
      render(t('Fant ikke siden'), h('p', {}, h('a', { href: '/path' }, t('Tilbake til læringsstien'))));
      return;
    }
    throw error;
  }
  const mine = new Map(answers.filter((a) => a.module === module && a.page_slug === slug).map((a) => [a.question_id, a]));
  const body = pageContent(page, (block) => reflectionBlock(block, module, slug, mine.get(block.id)));

  const footer = h('div', { class: 'page-footer' });
  const next = page.next ? pageHref(page.next.module, page.next.slug) : '/path';
  const nextLink = () => h('a', { class: 'button primary', href: next }, page.next ? t('Neste: {title}', { title: page.next.title }) : t('Tilbake til læringsstien'));
  const completedOffline = () => {
    const notice = h('p', { class: 'notice notice-success', role: 'status', tabindex: '-1' },
      t('Du har fullført denne siden.'), ' ', notYetSaved());
    footer.replaceChildren(notice, nextLink());
    return notice;
  };
  const path = completionPath(module, slug);
  if (page.status === 'completed') {
    footer.append(alertBox(t('Du har fullført denne siden.'), 'success'), nextLink());
  } else if (outbox.pending().some((w) => w.path === path)) {
    completedOffline();
  } else {
    const errorArea = h('div');
    footer.append(errorArea, h('button', {
      type: 'button', class: 'primary', onclick: async (event) => {
        event.target.disabled = true;
        errorArea.replaceChildren();
        const entry = await outbox.write({ kind: 'completion', path, body: {}, title: page.title });
        const outcome = await outbox.settle(entry);
        if (outcome.state === 'saved') {
          const result = outcome.data;
          go(result?.next ? pageHref(result.next.module, result.next.slug) : '/path');
        } else if (outcome.state === 'refused') {
          outbox.dismissRefusals(); // told here, where it happened
          errorArea.replaceChildren(alertBox(outcome.error.code === 'page_locked'
            ? outbox.pageLockedText(page.title)
            : t('Kunne ikke registrere at siden er fullført. Sjekk nettet og prøv igjen.')));
          event.target.disabled = false;
        } else {
          // Offline (or slow): shown completed now, sent by the outbox when it can.
          completedOffline().focus({ preventScroll: true });
        }
      },
    }, page.next ? t('Fullført – gå til neste side') : t('Fullført – tilbake til læringsstien')));
  }

  render(page.title,
    outbox.saveStatus(),
    h('p', { class: 'breadcrumb' }, h('a', { href: '/path' }, t('Læringsstien')), ` › ${t('Modul {number}: {title}', { number: page.module.number, title: page.module.title })}`),
    h('p', { class: 'muted' }, t('Lesetid {time}', { time: hours(page.estimated_minutes) })),
    body,
    footer,
    h('nav', { class: 'pager', 'aria-label': t('Sider i modulen') },
      page.prev ? h('a', { href: pageHref(page.prev.module, page.prev.slug), rel: 'prev' }, `‹ ${page.prev.title}`) : h('span'),
      h('a', { href: '/path' }, t('Oversikt'))));
}

export async function literatureScreen() {
  const literature = await api('/literature');
  render(literature.title,
    h('p', { class: 'lead' }, literature.intro),
    h('ul', { class: 'references' }, literature.references.map((ref) => h('li', { class: 'card' },
      h('p', { class: 'reference' }, `${ref.authors} (${ref.year}). `,
        ref.url ? h('a', { href: ref.url, rel: 'noopener' }, ref.title) : h('cite', {}, ref.title),
        ref.publisher ? `. ${ref.publisher}.` : '.'),
      h('p', { class: 'muted' }, ref.why)))));
}
