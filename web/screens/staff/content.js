// The administrator's course content: upload a content archive (every problem listed with file
// and line, warnings shown), preview a draft revision as mentors will see it, publish it, and
// the history of revisions.

import { ApiError, api } from '../../api.js';
import { locale, t } from '../../i18n.js';
import { alertBox, confirmButton, explain, go, h, render } from '../../ui.js';
import { hours, outcomes, pageContent } from '../learning.js';
import { dataTable, items } from './common.js';

// The server's limit for a content archive (films included).
const MAX_BYTES = 64 * 1024 * 1024;

/** Where a revision came from, in words (the API's code for a source not known here). */
const sourceText = (source) => ({
  upload: t('Opplastet arkiv'),
  server: t('Innholdsmappen på serveren'),
  bundled: t('Fulgte med tjenesten'),
})[source] || source;

const previewHref = (id) => `/admin/content/${id}`;
const previewPageHref = (id, module, slug) => `/admin/content/${id}/modules/${module}/${slug}`;

// Short enough for a table cell on a phone: "03.12.2026, 14:05".
const shortTime = (iso) => new Intl.DateTimeFormat(locale(), {
  timeZone: 'Europe/Oslo', dateStyle: 'short', timeStyle: 'short',
}).format(new Date(iso));

// Counts as whole phrases, one string for one and one for many.
const modulesText = (n) => (n === 1 ? t('1 modul') : t('{n} moduler', { n }));
const pagesText = (n) => (n === 1 ? t('1 side') : t('{n} sider', { n }));

/**
 * Problems or warnings as "file:line: reason". The reasons are the content checker's own
 * (English) sentences, so they are marked as English for screen readers.
 */
function problemList(list, id) {
  return h('ul', { class: 'content-problems', id }, list.map((p) => h('li', {},
    h('code', {}, p.line ? `${p.file}:${p.line}` : p.file), ': ', h('span', { lang: 'en' }, p.message))));
}

function uploadError(error) {
  if (error instanceof ApiError && error.code === 'payload_too_large') return t('Arkivet er større enn 64 MB, som er det største som kan lastes opp.');
  if (error instanceof ApiError && error.code === 'unsupported_media_type') return t('Filen må være et tar.gz-arkiv av innholdsmappen.');
  return explain(error);
}

/** The revision's state as a badge: the one mentors see, one seen before, or a draft. */
function stateBadge(revision) {
  if (revision.current) return h('span', { class: 'badge badge-completed' }, t('Publisert nå'));
  if (revision.published_at) return h('span', { class: 'badge badge-locked' }, t('Tidligere publisert'));
  return h('span', { class: 'badge badge-draft' }, t('Utkast'));
}

function history(revisions) {
  if (!revisions.length) return h('p', {}, t('Det finnes ingen versjoner ennå.'));
  return dataTable({
    id: 'content-revisions',
    caption: t('Versjoner av kurset, nyeste først'),
    columns: [['created_at', t('Lastet inn')], ['state', t('Status')], ['title', t('Kurs og kilde')], ['published_at', t('Publisert')],
      ['modules', t('Moduler')], ['pages', t('Sider')], ['total_minutes', t('Beregnet tid')]],
    rows: revisions,
    cell: (key, r) => {
      switch (key) {
        case 'created_at': return h('a', { href: previewHref(r.id), 'aria-label': t('Forhåndsvis versjonen fra {when}', { when: shortTime(r.created_at) }) }, shortTime(r.created_at));
        case 'title': return [h('span', {}, r.title), h('span', { class: 'content-source' }, sourceText(r.source))];
        case 'state': return stateBadge(r);
        case 'published_at': return r.published_at ? shortTime(r.published_at) : '–';
        case 'total_minutes': return hours(r.total_minutes);
        default: return String(r[key]);
      }
    },
  });
}

function draftSummary(draft) {
  const heading = h('h3', { tabindex: '-1' }, t('Utkastet er lagret'));
  const warnings = draft.warnings || [];
  return [heading, h('div', { class: 'content-imported' },
    alertBox(t('{title}: {modules}, {pages}, {time}. Utkastet er ikke publisert ennå.', {
      title: draft.title, modules: modulesText(draft.modules), pages: pagesText(draft.pages), time: hours(draft.total_minutes),
    }), 'success'),
    h('p', {}, h('a', { class: 'button primary', href: previewHref(draft.id) }, t('Forhåndsvis utkastet'))),
    warnings.length > 0 && [
      h('h4', {}, warnings.length === 1 ? t('1 merknad') : t('{n} merknader', { n: warnings.length })),
      h('p', { class: 'hint' }, t('Merknadene hindrer ikke publisering, men er verdt å se på.')),
      problemList(warnings, 'content-warnings'),
    ])];
}

function problemsSummary(problems) {
  const heading = h('h3', { tabindex: '-1' }, t('Innholdet ble ikke lastet opp'));
  return [heading,
    alertBox(problems.length === 1
      ? t('Kontrollen fant 1 feil, og ingenting er lagret. Rett feilen og last opp arkivet på nytt.')
      : t('Kontrollen fant {n} feil, og ingenting er lagret. Rett feilene og last opp arkivet på nytt.', { n: problems.length })),
    h('p', { class: 'hint' }, t('Hver feil står som fil:linje: årsak. Årsaken er kontrollens egen tekst, på engelsk.')),
    problemList(problems, 'content-problems')];
}

/** The upload: a file input and a button; the answer (draft or problems) shows below it. */
function uploadForm(onImported) {
  const input = h('input', {
    id: 'content-archive', name: 'archive', type: 'file', accept: '.tar.gz,.tgz,application/gzip', 'aria-describedby': 'content-archive-hint',
  });
  const button = h('button', { type: 'submit', class: 'primary' }, t('Last opp og kontroller'));
  const progress = h('p', { class: 'content-progress', role: 'status' });
  const result = h('div', { class: 'content-result' });
  const element = h('form', { 'aria-labelledby': 'content-upload', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'content-archive' }, t('Innholdsarkiv (.tar.gz)')),
      h('p', { class: 'hint', id: 'content-archive-hint' },
        t('Et tar.gz-arkiv av innholdsmappen med course.toml, modules/, literature/, subtitles/ og films/. Høyst 64 MB.')),
      input),
    button, progress);
  const show = (children) => {
    progress.textContent = '';
    result.replaceChildren(...children.flat().filter(Boolean));
    // The answer's heading takes focus at the top of the screen, so the list follows it.
    const heading = result.querySelector('h3');
    heading?.focus({ preventScroll: true });
    heading?.scrollIntoView({ block: 'start', behavior: 'instant' });
  };
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    const file = input.files[0];
    if (!file) {
      result.append(alertBox(t('Velg et arkiv (.tar.gz) først.')));
      input.focus();
      return;
    }
    if (file.size > MAX_BYTES) {
      result.append(alertBox(t('Arkivet er større enn 64 MB, som er det største som kan lastes opp.')));
      return;
    }
    button.disabled = true;
    progress.textContent = t('Laster opp og kontrollerer innholdet …');
    try {
      const draft = await api('/admin/content/import', { method: 'POST', body: file, contentType: 'application/gzip' });
      show(draftSummary(draft));
      await onImported();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'content_invalid') show(problemsSummary(error.problem.problems || []));
      else show([alertBox(uploadError(error))]);
    } finally {
      progress.textContent = '';
      button.disabled = false;
    }
  });
  return [element, result];
}

async function revisions() {
  return items(await api('/admin/content/revisions'));
}

export async function contentScreen(query) {
  const list = await revisions();
  const historyArea = h('div', {}, history(list));
  const published = list.find((r) => r.id === query.get('published') && r.current);
  render(t('Kursinnhold'),
    published && alertBox(t('Versjonen er publisert. Mentorene ser den nå.'), 'success'),
    h('p', { class: 'lead' }, t('Kurset skrives som markdown i innholdsmappen. Last opp en ny versjon, se den slik mentorene vil se den, og publiser den når den er klar.')),
    h('section', { class: 'card', 'aria-labelledby': 'content-upload' },
      h('h2', { id: 'content-upload' }, t('Last opp en ny versjon')),
      h('p', {}, t('Arkivet kontrolleres før det lagres. Er alt i orden, blir det et utkast som ingen mentorer ser før du publiserer det.')),
      uploadForm(async () => historyArea.replaceChildren(history(await revisions())))),
    h('section', { 'aria-labelledby': 'content-history' },
      h('h2', { id: 'content-history' }, t('Versjoner')),
      h('p', { class: 'muted' }, t('Mentorene ser versjonen som er publisert nå. Åpne en versjon for å forhåndsvise den eller publisere den.')),
      historyArea));
}

/** The banner over every preview: a draft is not what mentors see. */
function banner(revision) {
  if (revision?.current) return h('p', { class: 'content-banner content-banner-current' }, t('Publisert versjon – dette er det mentorene ser nå'));
  return h('p', { class: 'content-banner' }, t('Forhåndsvisning av utkast – ikke publisert'));
}

function revisionMissing() {
  render(t('Fant ikke versjonen'),
    h('p', {}, t('Versjonen finnes ikke, eller adressen er feil.')),
    h('p', {}, h('a', { href: '/admin/content' }, t('Til kursinnholdet'))));
}

async function revisionSummary(id) {
  return (await revisions()).find((r) => r.id === id) || null;
}

function previewModule(revisionId, module) {
  const headingId = `module-${module.number}`;
  return h('section', { class: 'card module', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, t('Modul {number}: {title}', { number: module.number, title: module.title })),
    h('p', { class: 'muted' }, module.summary),
    h('p', { class: 'content-facts' }, module.skippable
      ? t('{pages}, {time}. Kan hoppes over.', { pages: pagesText(module.pages.length), time: hours(module.estimated_minutes) })
      : `${pagesText(module.pages.length)}, ${hours(module.estimated_minutes)}.`),
    outcomes(module.outcomes),
    h('ol', { class: 'pages content-pages' }, module.pages.map((page) => h('li', {},
      h('a', { href: previewPageHref(revisionId, module.number, page.slug) }, page.title),
      h('span', { class: 'content-minutes' }, hours(page.estimated_minutes))))));
}

export async function previewScreen(query, revisionId) {
  let path;
  let revision;
  try {
    [path, revision] = await Promise.all([api(`/path?revision=${revisionId}`), revisionSummary(revisionId)]);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'not_found') return revisionMissing();
    throw error;
  }
  const pages = path.modules.reduce((sum, m) => sum + m.pages.length, 0);
  const minutes = path.modules.reduce((sum, m) => sum + m.estimated_minutes, 0);
  const publish = revision?.current
    ? null
    : confirmButton({
      label: t('Publiser denne versjonen'),
      question: t('Når du publiserer, ser alle mentorer denne versjonen med en gang. Sider som har samme slug som før, beholder mentorenes fremdrift. Vil du publisere?'),
      yes: t('Ja, publiser'),
      className: 'primary',
      action: async () => {
        await api(`/admin/content/revisions/${revisionId}/publish`, { method: 'POST', body: {} });
        go(`/admin/content?published=${revisionId}`);
      },
    });
  const loaded = revision && {
    loaded: shortTime(revision.created_at),
    source: sourceText(revision.source).toLowerCase(),
    published: revision.published_at && shortTime(revision.published_at),
  };
  render(t('Forhåndsvisning av kurset'),
    banner(revision),
    h('p', { class: 'breadcrumb' }, h('a', { href: '/admin/content' }, t('Kursinnhold')), ` › ${t('Forhåndsvisning')}`),
    h('section', { class: 'card', 'aria-label': t('Om versjonen') },
      revision && h('p', {}, h('strong', {}, revision.title), h('br'),
        revision.published_at
          ? t('Lastet inn {loaded} ({source}), publisert {published}.', loaded)
          : t('Lastet inn {loaded} ({source}).', loaded)),
      h('p', {}, t('{modules}, {pages}, {time} selvstudium.', { modules: modulesText(path.modules.length), pages: pagesText(pages), time: hours(minutes) })),
      publish),
    h('h2', { class: 'section-title' }, t('Læringsstien slik mentorene ser den')),
    h('p', { class: 'muted' }, t('Mentorene tar sidene i rekkefølge. Her er alle sidene åpne, så du kan lese dem.')),
    path.modules.map((module) => previewModule(revisionId, module)),
    h('section', { class: 'card', 'aria-labelledby': 'literature' },
      h('h2', { id: 'literature' }, path.literature.title),
      h('p', {}, t('{count} lesetips, alltid tilgjengelig for mentorene.', { count: path.literature.references }))));
  return undefined;
}

/** A reflection question as the mentor sees it, but nothing can be written in a preview. */
function previewReflection(block) {
  const id = `answer-${block.id}`;
  return h('div', { class: 'reflection' },
    h('label', { for: id }, h('span', { class: 'kicker' }, t('Refleksjonsspørsmål')), block.question),
    h('textarea', { id, rows: 3, disabled: true, 'aria-describedby': `${id}-hint` }),
    h('p', { class: 'hint', id: `${id}-hint` }, t('Her skriver mentoren svaret sitt. I forhåndsvisningen lagres ingenting.')));
}

export async function previewPageScreen(query, revisionId, module, slug) {
  let page;
  let revision;
  try {
    [page, revision] = await Promise.all([
      api(`/modules/${module}/pages/${slug}?revision=${revisionId}`), revisionSummary(revisionId)]);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'not_found') {
      render(t('Fant ikke siden'),
        h('p', {}, t('Siden finnes ikke i denne versjonen.')),
        h('p', {}, h('a', { href: previewHref(revisionId) }, t('Til forhåndsvisningen'))));
      return undefined;
    }
    throw error;
  }
  const neighbour = (ref, text) => h('a', { href: previewPageHref(revisionId, ref.module, ref.slug), rel: text === 'prev' ? 'prev' : 'next' },
    text === 'prev' ? `‹ ${ref.title}` : `${ref.title} ›`);
  render(page.title,
    banner(revision),
    h('p', { class: 'breadcrumb' },
      h('a', { href: '/admin/content' }, t('Kursinnhold')), ' › ',
      h('a', { href: previewHref(revisionId) }, t('Forhåndsvisning')),
      ` › ${t('Modul {number}: {title}', { number: page.module.number, title: page.module.title })}`),
    h('p', { class: 'muted' }, t('Lesetid {time}', { time: hours(page.estimated_minutes) })),
    pageContent(page, previewReflection),
    h('nav', { class: 'pager content-pager', 'aria-label': t('Sider i forhåndsvisningen') },
      page.prev ? neighbour(page.prev, 'prev') : h('span'),
      page.next ? neighbour(page.next, 'next') : h('span')),
    h('p', {}, h('a', { href: previewHref(revisionId) }, t('Tilbake til forhåndsvisningen'))));
  return undefined;
}
