// The client's entry: routes client paths to screens, keeps the menu, and sends anyone who is
// not signed in to the sign-in screen (and back where they were going afterwards). It also keeps
// the written form: the one remembered on this device until someone signs in, then theirs.
// And it runs the app around the screens: a slow navigation says it is loading, one that finds
// no network keeps what was shown and offers to try again, and the service worker (sw.js) keeps
// the app and what the mentor reads on the device, with a new version taken when the person says.

import { ApiError, api, isSignedIn, onSignedOut, signOut, userId } from './api.js';
import { flushAll, forgetUnsaved, readyToSignOut } from './autosave.js';
import { initialLanguage, language, setLanguage, t, useCatalogue } from './i18n.js';
import { onlyInThisPage } from './outbox.js';
import { alertBox, explain, go, h, onNavigate, render } from './ui.js';
import * as auth from './screens/auth.js';
import * as learning from './screens/learning.js';
import { noteScreen } from './screens/note.js';
import { profileScreen } from './screens/profile.js';
import { certificateScreen, webinarsScreen } from './screens/webinars.js';

let me = null;
/** The signed-in person's profile; the first answer after signing in sets the written form. */
async function whoAmI() {
  if (!me) {
    const answer = await api('/me');
    // The profile's form wins over the device's (a profile from before forms were chosen: bokmål).
    const wanted = answer.language || 'nb';
    if (wanted !== language()) await setLanguage(wanted);
    me = answer;
  }
  return me;
}

/** The person chose another written form on the profile (`updated`): the screen is drawn again in it. */
async function languageChanged(updated) {
  me = updated;
  await setLanguage(updated.language || 'nb');
  await route();
}

// Staff screens are modules of their own, fetched only when a staff member opens one, so a
// mentor's phone never downloads them (nor their nynorsk catalogue).
const staff = (module, screen) => async (...args) => {
  await useCatalogue('staff');
  const loaded = await import(`./screens/staff/${module}.js`);
  return loaded[screen](...args);
};

// Each role starts where its work is.
const START = { coordinator: '/coordinator', facilitator: '/facilitator', admin: '/admin' };

async function home() {
  if (!isSignedIn()) return auth.signIn(new URLSearchParams());
  const user = await whoAmI();
  const start = START[user.role];
  if (start) {
    go(start, { replace: true });
    return undefined;
  }
  return learning.pathScreen(user);
}

const ID = '([0-9a-f-]{36})';

const ROUTES = [
  [/^\/$/, home],
  [/^\/sign-in$/, (q) => auth.signIn(q), true],
  [/^\/sign-in\/complete$/, (q) => auth.signInComplete(q), true],
  [/^\/forgot-password$/, () => auth.forgotPassword(), true],
  [/^\/reset-password$/, (q) => auth.resetPassword(q), true],
  [/^\/sign-in-link$/, (q) => auth.signInLink(q), true],
  [/^\/invitation$/, (q) => auth.acceptInvitation(q), true],
  [/^\/verify-email$/, (q) => auth.verifyEmail(q), true],
  [/^\/path$/, async () => learning.pathScreen(await whoAmI())],
  [/^\/modules\/(\d+)\/([a-z0-9-]+)$/, (q, n, slug) => learning.pageScreen(Number(n), slug)],
  [/^\/literature$/, () => learning.literatureScreen()],
  [/^\/note$/, () => noteScreen()],
  [/^\/webinars$/, () => webinarsScreen()],
  [/^\/certificate$/, () => certificateScreen()],
  [/^\/certificate\/([A-Za-z0-9-]{1,40})$/, (q, code) => auth.verifyCertificate(code), true],
  [/^\/profile$/, async () => profileScreen(await whoAmI(), { saved: (updated) => { me = updated; }, languageChanged })],
  [/^\/coordinator$/, staff('coordinator', 'overviewScreen')],
  [/^\/coordinator\/municipalities$/, staff('coordinator', 'municipalitiesScreen')],
  [/^\/coordinator\/invitations$/, staff('invitations', 'invitationsScreen')],
  [/^\/coordinator\/progress$/, staff('progress', 'progressScreen')],
  [/^\/facilitator$/, staff('facilitator', 'seriesListScreen')],
  [new RegExp(`^/facilitator/series/${ID}$`), staff('facilitator', 'seriesScreen')],
  [new RegExp(`^/facilitator/series/${ID}/notes/${ID}$`), staff('facilitator', 'noteScreen')],
  [/^\/admin$/, staff('admin', 'ushtsScreen')],
  [/^\/admin\/users$/, staff('admin', 'usersScreen')],
  [/^\/admin\/series$/, staff('series', 'seriesListScreen')],
  [/^\/admin\/series\/new$/, staff('series', 'newSeriesScreen')],
  [new RegExp(`^/admin/series/${ID}$`), staff('series', 'editSeriesScreen')],
  [/^\/admin\/content$/, staff('content', 'contentScreen')],
  [new RegExp(`^/admin/content/${ID}$`), staff('content', 'previewScreen')],
  [new RegExp(`^/admin/content/${ID}/modules/(\\d+)/([a-z0-9-]+)$`), staff('content', 'previewPageScreen')],
];

// Built when drawn, so the labels follow the written form. Everyone's last item is the profile.
const menus = () => ({
  mentor: [['/path', t('Læringsstien')], ['/literature', t('Litteratur')], ['/note', t('Notat')], ['/webinars', t('Webinarer')], ['/certificate', t('Kursbevis')]],
  coordinator: [['/coordinator', t('Oversikt')], ['/coordinator/municipalities', t('Kommuner')], ['/coordinator/invitations', t('Invitasjoner')], ['/coordinator/progress', t('Fremdrift')]],
  facilitator: [['/facilitator', t('Webinarserier')]],
  admin: [['/admin', t('USHT-er')], ['/coordinator', t('Oversikt')], ['/admin/series', t('Webinarserier')], ['/admin/content', t('Innhold')], ['/admin/users', t('Brukere')]],
});

/** The menu item for where the user is: the longest one the path starts with. */
function currentItem(links) {
  const path = location.pathname === '/' ? links[0][0] : location.pathname;
  const matching = links.map(([href]) => href).filter((href) => path === href || path.startsWith(`${href}/`));
  return matching.sort((a, b) => b.length - a.length)[0];
}

function menu(user) {
  const nav = document.getElementById('nav');
  document.getElementById('menu-toggle')?.remove();
  if (!user) {
    nav.hidden = true;
    nav.replaceChildren();
    return;
  }
  const all = menus();
  const links = [...(all[user.role] || all.mentor), ['/profile', t('Profil')]];
  const here = currentItem(links);
  const list = h('ul', {},
    links.map(([href, text]) => h('li', {}, h('a', { href, 'aria-current': here === href ? 'page' : undefined }, text))),
    h('li', {}, h('button', {
      type: 'button', class: 'link', onclick: async () => {
        // What is not sent yet is sent first, or the person chooses to wait.
        if (!(await readyToSignOut())) return;
        await forgetUnsaved();
        await signOut();
        await forgetReading();
        me = null;
        go('/sign-in');
      },
    }, t('Logg ut'))));
  // On a phone the menu folds behind one button, so the screen starts with its content.
  const toggle = h('button', {
    type: 'button', id: 'menu-toggle', class: 'menu-toggle', 'aria-expanded': 'false', 'aria-controls': 'nav', onclick: () => {
      toggle.setAttribute('aria-expanded', String(toggle.getAttribute('aria-expanded') !== 'true'));
    },
  }, t('Meny'));
  nav.before(toggle);
  nav.replaceChildren(list);
  nav.hidden = false;
}

// Staff screens wait for several answers before they draw, so a screen left behind can finish
// after the one the user went on to. When that happens after the newest one is shown, the
// newest is drawn again.
let navigation = 0;
let shown = 0;
async function route() {
  const mine = ++navigation;
  // The screen on show stays until the next is drawn; a slow one says that it is coming.
  const slow = setTimeout(() => mine === navigation && loading(true), LOADING_AFTER_MS);
  try {
    await routeTo();
  } finally {
    clearTimeout(slow);
    if (mine === navigation) {
      shown = mine;
      loading(false);
    } else if (shown === navigation) route();
  }
}

const LOADING_AFTER_MS = 300;

function loading(on) {
  const main = document.getElementById('main');
  const status = document.getElementById('loading');
  if (!on) {
    main.removeAttribute('aria-busy');
    status.replaceChildren();
    return;
  }
  main.setAttribute('aria-busy', 'true');
  status.replaceChildren(h('div', { class: 'loading-bar', 'aria-hidden': 'true' }), h('p', { class: 'loading-text' }, t('Laster …')));
}

/** Whether an error says the service could not be reached (no network, or the worker's 503). */
function unreachable(error) {
  if (error instanceof ApiError) return error.status === 0 || error.status === 503;
  // fetch() and import() reject with a TypeError when the network is down; a TypeError from a
  // mistake in the code is not that, and still shows "Noe gikk galt".
  return error instanceof TypeError && (!navigator.onLine || /fetch|network|load failed|import/i.test(error.message));
}

// Whether the worker answered the navigation under way (or a later request) with a kept copy.
let keptCopy = false;

/**
 * The banner saying the service cannot be reached and what is shown is what was last loaded,
 * with "Prøv igjen"; it also tries again by itself when the browser is back online.
 */
function showUnreachable() {
  const region = document.getElementById('connection');
  const text = t('Får ikke kontakt med tjenesten. Det du ser, er det som sist ble lastet.');
  const shown = region.querySelector('p');
  if (shown) {
    shown.textContent = text;
    return;
  }
  region.replaceChildren(h('div', { class: 'banner banner-offline' },
    h('p', {}, text),
    h('button', { type: 'button', class: 'secondary', onclick: () => route() }, t('Prøv igjen'))));
}

function hideUnreachable() {
  const region = document.getElementById('connection');
  // Focus on "Prøv igjen" goes to the new screen's heading (render), not to the page's end.
  if (region.contains(document.activeElement)) document.getElementById('main').focus({ preventScroll: true });
  region.replaceChildren();
}

window.addEventListener('online', () => {
  // Not while someone types: drawing the screen again would take the field from under them.
  const typing = document.activeElement?.matches('#main :is(input, textarea, select)');
  if (document.getElementById('connection').firstChild && !typing) route();
});
// Listened to from the start: the worker may answer the first screen's requests from its store.
navigator.serviceWorker?.addEventListener('message', (event) => {
  if (event.data?.type !== 'kept-copy') return;
  keptCopy = true;
  showUnreachable();
});

async function routeTo() {
  shell();
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  for (const [pattern, screen, open] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    if (!open && !isSignedIn()) {
      go(`/sign-in?next=${encodeURIComponent(path + location.search)}`, { replace: true });
      return;
    }
    keptCopy = false;
    try {
      menu(isSignedIn() ? await whoAmI() : null);
      // The profile's answer may just have changed the written form.
      shell();
      const shownPath = await screen(query, ...match.slice(1));
      if (keptCopy) showUnreachable();
      else hideUnreachable();
      if (isSignedIn()) readAhead(path, shownPath);
    } catch (error) {
      // A refused session has already sent the user to the sign-in screen.
      if (error instanceof ApiError && error.status === 401) return;
      if (unreachable(error)) {
        // What the mentor was reading stays; only a first screen has nothing to keep.
        if (!document.querySelector('#main h1')) {
          render(t('Ingen forbindelse'), h('p', {}, t('Denne siden er ikke lagret på enheten. Den vises når du har nett igjen.')));
        }
        showUnreachable();
        return;
      }
      render(t('Noe gikk galt'), alertBox(explain(error)), h('p', {}, h('a', { href: '/' }, t('Til forsiden'))));
    }
    return;
  }
  render(t('Fant ikke siden'), h('p', {}, t('Denne adressen finnes ikke.')), h('p', {}, h('a', { href: '/' }, t('Til forsiden'))));
}

/** The page around the screens (index.html is written in bokmål) in the current form. */
function shell() {
  document.querySelector('.skip-link').textContent = t('Hopp til innholdet');
  document.querySelector('.brand').textContent = t('Mentoropplæring');
  document.getElementById('nav').setAttribute('aria-label', t('Hovedmeny'));
  document.querySelector('meta[name="description"]')
    ?.setAttribute('content', t('Opplæring for mentorer i kommunale helse- og omsorgstjenester.'));
}

// Links inside the client navigate without reloading; downloads, new tabs and the API do not.
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href]');
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (link.origin !== location.origin || link.target || link.hasAttribute('download')) return;
  if (link.pathname.startsWith('/api/') || link.pathname.startsWith('/docs')) return;
  event.preventDefault();
  go(link.pathname + link.search);
});

window.addEventListener('popstate', route);
onNavigate(route);
onSignedOut(() => {
  me = null;
  forgetReading();
  const back = location.pathname + location.search;
  go(`/sign-in?next=${encodeURIComponent(back)}`, { replace: true });
});
auth.onSignedIn(() => {
  me = null;
  // What someone else read on this device is not for the one who signs in now.
  forgetReading({ except: userId() });
});

// ---- Offline: the service worker, reading ahead, and new versions ----

// This page's version: the assets' digest in its address, `/assets/<version>/app.js`.
const VERSION = new URL(import.meta.url).pathname.split('/')[2];

/** Asks `worker` (it answers on a message channel); null when it does not answer in time. */
function ask(worker, message) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), 3000);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.postMessage(message, [channel.port2]);
  });
}

/**
 * Removes the API answers kept on this device for reading offline: every user's, or all but
 * `except`'s (phones and nursing-home PCs are shared, and answers are private). The worker
 * keeps them, so it removes them.
 */
async function forgetReading({ except } = {}) {
  const worker = (await navigator.serviceWorker?.getRegistration().catch(() => null))?.active;
  if (worker) await ask(worker, { type: 'forget', except });
}

/** Whether the worker keeps a copy of `/api/v1<path>` for the signed-in user. */
const kept = (path) => ask(navigator.serviceWorker.controller, {
  type: 'kept', user: userId(), url: new URL(`/api/v1${path}`, location.origin).href, form: language(),
});

const READ_AHEAD = 2;
/**
 * After a page of the path (or the path itself) is shown, the next pages that are open are
 * fetched, so they can be read offline too; not on a connection that asks to save data, and
 * not the ones kept already. `shown` is the learning path the screen showed, if it showed one.
 */
async function readAhead(path, shown) {
  const page = /^\/modules\/(\d+)\/([a-z0-9-]+)$/.exec(path);
  if (!page && path !== '/path' && path !== '/') return;
  if (!navigator.serviceWorker?.controller || !navigator.onLine || navigator.connection?.saveData) return;
  if (me?.role !== 'mentor') return;
  try {
    const learningPath = shown?.modules ? shown : await api('/path');
    const pages = learningPath.modules.flatMap((m) => m.pages.map((p) => ({ module: m.number, ...p })));
    const here = page
      ? pages.findIndex((p) => p.module === Number(page[1]) && p.slug === page[2])
      : pages.findIndex((p) => p.module === learningPath.resume?.module && p.slug === learningPath.resume?.slug) - 1;
    if (here < -1) return;
    const next = pages.slice(here + 1, here + 1 + READ_AHEAD).filter((p) => p.status !== 'locked');
    for (const p of next) {
      const address = `/modules/${p.module}/pages/${p.slug}`;
      if (!(await kept(address))) await api(address);
    }
  } catch {
    // Reading ahead is a kindness; the page the mentor opens is fetched in its own time.
  }
}

/** The version a worker serves. */
const workerVersion = (worker) => ask(worker, { type: 'version' });

let reloading = false;

/**
 * "En ny versjon er klar." with a button: the page is never reloaded by itself (someone may be
 * typing); when the person asks, what is typed is saved first, then `takeOver()` lets the new
 * version in, and the page reloads when it has.
 */
function offerNewVersion(takeOver) {
  const region = document.getElementById('update');
  if (region.firstChild) return;
  const note = h('p', {}, t('En ny versjon er klar.'));
  region.replaceChildren(h('div', { class: 'banner banner-update' },
    note,
    h('button', {
      type: 'button', class: 'primary', onclick: async (event) => {
        event.target.disabled = true;
        // Saved texts are kept on the device as well; the wait is for those under way.
        await Promise.race([flushAll(), new Promise((resolve) => { setTimeout(resolve, 3000); })]);
        if (onlyInThisPage()) {
          // What the device would not store lives in this page only: a reload would lose it.
          note.textContent = `${t('En ny versjon er klar.')} ${t('Noe av det du har skrevet, er bare lagret i denne siden. Last inn på nytt når alt er lagret.')}`;
          event.target.disabled = false;
          return;
        }
        reloading = true;
        takeOver();
        // Should the new worker never take over, the page still loads the new version.
        setTimeout(() => location.reload(), 4000);
      },
    }, t('Last inn på nytt'))));
}

/** A new worker is installed and waits: the same version as this page goes in quietly. */
async function newWorkerWaits(registration) {
  const waiting = registration.waiting;
  if (!waiting) return;
  const takeOver = () => waiting.postMessage({ type: 'take-over' });
  // This page came from the network with the new version already (the worker waited for it).
  if ((await workerVersion(waiting)) === VERSION) takeOver();
  else offerNewVersion(takeOver);
}

/** What this page loaded from the assets before a worker kept them (a nynorsk catalogue, say). */
function keepLoaded() {
  for (const entry of performance.getEntriesByType('resource')) {
    if (new URL(entry.name).pathname.startsWith(`/assets/${VERSION}/`)) fetch(entry.name).catch(() => {});
  }
}

const UPDATE_CHECK_MS = 60 * 60 * 1000;

async function startWorker() {
  if (!navigator.serviceWorker) return;
  let registration;
  try {
    registration = await navigator.serviceWorker.register('/sw.js', { scope: '/', updateViaCache: 'none' });
  } catch {
    // No worker here (a private window, say): the client works online as before.
    return;
  }
  navigator.serviceWorker.addEventListener('controllerchange', async () => {
    if (reloading) {
      location.reload();
      return;
    }
    const controller = navigator.serviceWorker.controller;
    if (!controller) return;
    // Another tab let a new version in: this page still runs the old one.
    if ((await workerVersion(controller)) !== VERSION) offerNewVersion(() => location.reload());
    else keepLoaded();
  });
  if (navigator.serviceWorker.controller) keepLoaded();
  newWorkerWaits(registration);
  registration.addEventListener('updatefound', () => {
    const installing = registration.installing;
    installing?.addEventListener('statechange', () => {
      if (installing.state === 'installed' && navigator.serviceWorker.controller) newWorkerWaits(registration);
    });
  });
  // A page left open for days still hears of a new version.
  let checked = Date.now();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || !navigator.onLine || Date.now() - checked < UPDATE_CHECK_MS) return;
    checked = Date.now();
    registration.update().catch(() => {});
  });
  // An installed app is the mentor's own: its kept pages should not be cleared to make room.
  if (matchMedia('(display-mode: standalone)').matches) navigator.storage?.persist?.()?.catch(() => {});
}

// The main catalogue is part of the client from the start (fetched only for nynorsk).
useCatalogue();
await setLanguage(initialLanguage());
await route();
startWorker();
