// The client's entry: routes client paths to screens, keeps the menu, and sends anyone who is
// not signed in to the sign-in screen (and back where they were going afterwards). It also keeps
// the written form: the one remembered on this device until someone signs in, then theirs.

import { ApiError, api, isSignedIn, onSignedOut, signOut } from './api.js';
import { flushAll, forgetUnsaved } from './autosave.js';
import { initialLanguage, language, setLanguage, t, useCatalogue } from './i18n.js';
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
        await flushAll();
        forgetUnsaved();
        await signOut();
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
  try {
    await routeTo();
  } finally {
    if (mine === navigation) shown = mine;
    else if (shown === navigation) route();
  }
}

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
    try {
      menu(isSignedIn() ? await whoAmI() : null);
      // The profile's answer may just have changed the written form.
      shell();
      await screen(query, ...match.slice(1));
    } catch (error) {
      // A refused session has already sent the user to the sign-in screen.
      if (error instanceof ApiError && error.status === 401) return;
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
  const back = location.pathname + location.search;
  go(`/sign-in?next=${encodeURIComponent(back)}`, { replace: true });
});
auth.onSignedIn(() => {
  me = null;
});
// The main catalogue is part of the client from the start (fetched only for nynorsk).
useCatalogue();
await setLanguage(initialLanguage());
route();
