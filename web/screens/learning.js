// The learning path, a page of a module (text, film, exercises, reflection questions that save
// themselves), skipping module 1, and the literature list.

import { ApiError, api } from '../api.js';
import { autosave } from '../autosave.js';
import { alertBox, badge, confirmButton, go, h, render } from '../ui.js';

const pageHref = (module, slug) => `/modules/${module}/${slug}`;

export function hours(minutes) {
  if (minutes < 60) return `ca. ${minutes} minutter`;
  const value = Math.round(minutes / 30) / 2;
  return `ca. ${String(value).replace('.', ',')} timer`;
}

export async function pathScreen(user) {
  const path = await api('/path');
  const pages = path.modules.flatMap((m) => m.pages);
  const done = pages.filter((p) => p.status === 'completed').length;
  const firstName = (user?.name || '').split(' ')[0];

  const summary = h('section', { class: 'card summary', 'aria-label': 'Din fremdrift' },
    h('p', {}, path.completed
      ? 'Du har fullført læringsstien. Neste steg er å sende inn refleksjonsnotatet og melde deg på en webinarserie.'
      : `Du har fullført ${done} av ${pages.length} sider. Det er ${hours(path.minutes_left)} igjen.`),
    h('progress', { max: pages.length, value: done, 'aria-label': 'Sider fullført' }),
    path.resume
      ? h('p', {}, h('a', { class: 'button primary', href: pageHref(path.resume.module, path.resume.slug) },
        done === 0 ? 'Start: ' : 'Fortsett der du slapp: ', path.resume.title))
      : h('p', {}, h('a', { class: 'button primary', href: '/note' }, 'Til refleksjonsnotatet')));

  const modules = path.modules.map((module) => {
    const headingId = `module-${module.number}`;
    const skippable = module.skippable && !['completed', 'skipped'].includes(module.status);
    return h('section', { class: 'card module', 'aria-labelledby': headingId },
      h('h2', { id: headingId }, `Modul ${module.number}: ${module.title} `, badge(module.status)),
      h('p', { class: 'muted' }, module.summary),
      outcomes(module.outcomes),
      h('ol', { class: 'pages' }, module.pages.map((page) => h('li', { class: `page page-${page.status}` },
        page.status === 'locked'
          ? h('span', { class: 'locked-title' }, page.title)
          : h('a', { href: pageHref(module.number, page.slug) }, page.title),
        ' ', badge(page.status)))),
      skippable && confirmButton({
        label: `Hopp over modul ${module.number}`,
        question: 'Kjenner du opplæringspakken godt fra før, kan du hoppe over denne modulen. Den regnes da som fullført, og neste modul åpnes.',
        yes: 'Ja, hopp over modulen',
        action: async () => {
          await api(`/modules/${module.number}/skip`, { method: 'POST', body: {} });
          await pathScreen(user);
        },
      }));
  });

  render(firstName ? `Hei, ${firstName}` : 'Læringsstien',
    summary,
    h('h2', { class: 'section-title' }, 'Læringsstien'),
    h('p', { class: 'muted' }, 'Modulene tas i rekkefølge. En side åpnes når du har fullført siden før.'),
    modules,
    h('section', { class: 'card', 'aria-labelledby': 'literature' },
      h('h2', { id: 'literature' }, path.literature.title),
      h('p', {}, `${path.literature.references} lesetips, alltid tilgjengelig. `, h('a', { href: '/literature' }, 'Se litteraturlisten'))));
}

/** What a module teaches, folded: knowledge, skills and general competence. */
export function outcomes(list) {
  const kinds = [['knowledge', 'Kunnskap'], ['skills', 'Ferdigheter'], ['general_competence', 'Generell kompetanse']]
    .filter(([key]) => list?.[key]?.length);
  if (!kinds.length) return null;
  return h('details', { class: 'outcomes' }, h('summary', {}, 'Dette lærer du'),
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
  const facts = ['norsk teksting', `${minutes} min`];
  if (block.size_bytes) facts.push(megabytes(block.size_bytes));
  const transcript = block.transcript && h('details', { class: 'transcript' },
    h('summary', {}, 'Les hele teksten til filmen'), transcriptText(block.transcript));
  const notice = h('div', { class: 'film-notice' });
  const video = h('video', {
    controls: true, preload: 'none', src: block.src, poster: block.poster_url, width: 640, height: 360,
  },
  h('track', { kind: 'subtitles', srclang: 'nb', label: 'Norsk', src: block.subtitles_url, default: true }),
  h('p', {}, 'Nettleseren din kan ikke spille av filmen. ', h('a', { href: block.src }, 'Last ned filmen'), '.'));

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
    }, 'Prøv igjen');
    notice.append(
      alertBox('Filmen kan ikke spilles av nå. Kanskje er du uten nett, eller nettet du er på, stenger for filmen. Prøv igjen, eller les hele teksten til filmen nedenfor.'),
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
    saved: answer?.text || '',
    savedAt: answer?.updated_at,
    save: (text) => api(key, { method: 'PUT', body: { text } }),
  });
  return h('div', { class: 'reflection' },
    h('label', { for: id }, h('span', { class: 'kicker' }, 'Refleksjonsspørsmål'), block.question),
    textarea, status,
    h('p', { class: 'hint' }, 'Svarene dine er private og lagres mens du skriver.'));
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
    const wrap = h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': 'Tabell (kan rulles sidelengs)' });
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
      const box = h('aside', { class: 'exercise', 'aria-label': 'Øvelse' },
        h('p', { class: 'kicker' }, `Øvelse · ${hours(block.estimated_minutes || 10)}`));
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
    [page, answers] = await Promise.all([api(`/modules/${module}/pages/${slug}`), api('/me/answers')]);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'page_locked') {
      render('Siden er ikke åpnet ennå',
        alertBox('Læringsstien går i rekkefølge: denne siden åpnes når du har fullført siden før.', 'info'),
        h('p', {}, h('a', { class: 'button primary', href: '/path' }, 'Tilbake til læringsstien')));
      return;
    }
    if (error instanceof ApiError && error.code === 'not_found') {
      render('Fant ikke siden', h('p', {}, h('a', { href: '/path' }, 'Tilbake til læringsstien')));
      return;
    }
    throw error;
  }
  const mine = new Map(answers.filter((a) => a.module === module && a.page_slug === slug).map((a) => [a.question_id, a]));
  const body = pageContent(page, (block) => reflectionBlock(block, module, slug, mine.get(block.id)));

  const footer = h('div', { class: 'page-footer' });
  const next = page.next ? pageHref(page.next.module, page.next.slug) : '/path';
  if (page.status === 'completed') {
    footer.append(alertBox('Du har fullført denne siden.', 'success'),
      h('a', { class: 'button primary', href: next }, page.next ? `Neste: ${page.next.title}` : 'Tilbake til læringsstien'));
  } else {
    const errorArea = h('div');
    footer.append(errorArea, h('button', {
      type: 'button', class: 'primary', onclick: async (event) => {
        event.target.disabled = true;
        try {
          const result = await api(`/modules/${module}/pages/${slug}/completion`, { method: 'PUT', body: {} });
          go(result.next ? pageHref(result.next.module, result.next.slug) : '/path');
        } catch (error) {
          errorArea.replaceChildren(alertBox('Kunne ikke registrere at siden er fullført. Sjekk nettet og prøv igjen.'));
          event.target.disabled = false;
        }
      },
    }, page.next ? 'Fullført – gå til neste side' : 'Fullført – tilbake til læringsstien'));
  }

  render(page.title,
    h('p', { class: 'breadcrumb' }, h('a', { href: '/path' }, 'Læringsstien'), ` › Modul ${page.module.number}: ${page.module.title}`),
    h('p', { class: 'muted' }, `Lesetid ${hours(page.estimated_minutes)}`),
    body,
    footer,
    h('nav', { class: 'pager', 'aria-label': 'Sider i modulen' },
      page.prev ? h('a', { href: pageHref(page.prev.module, page.prev.slug), rel: 'prev' }, `‹ ${page.prev.title}`) : h('span'),
      h('a', { href: '/path' }, 'Oversikt')));
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
