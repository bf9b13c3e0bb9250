// The outbox: what a mentor writes (page completions, answers, the note, the skip of module 1)
// is kept on the device in IndexedDB until the server has it, and sent one write at a time in
// the order it was made, each with its own Idempotency-Key, so a repeat never acts twice. It
// survives closing the browser: entries are sent again on the next start. See
// docs/decisions.md for what happens when the device's storage is full.

import { ApiError, api, userId } from './api.js';
import { t } from './i18n.js';
import {
  explain, formatDate, formatTime, h, modal,
} from './ui.js';

const DB = 'mentorsti-outbox';
const STORE = 'writes';
const TEXTS = ['answer', 'note'];
// Pauses between attempts after a failure grow from 2 s to 1 min; a return of the network
// (the `online` event) tries at once.
const FIRST_PAUSE = 2000;
const LONGEST_PAUSE = 60000;
// A send that hangs this long is given up and tried again, so it does not hold up the rest.
const SEND_TIMEOUT_MS = 30000;
// Read again after a text is saved, so the copy the service worker keeps for reading offline
// is the saved text (an older copy would start the field from old words and a false conflict).
const READ_BACK = { answer: '/me/answers', note: '/me/reflection-note' };

let database = null; // the open IndexedDB, or null when the browser gives none
let opening = null;
let owner = null; // whose entries are loaded
let entries = []; // that user's, in the order they are sent
let sending = null; // the entry on its way now
let draining = null;
let pause = FIRST_PAUSE;
let timer = null;
let unstored = false; // some writes live in this page only (storage full or off)
const refusals = []; // writes the server refused, for the screen to tell
const listeners = new Set();
// Changes to the list (loading, adding, removing) take turns, so none overwrites another's.
let turn = Promise.resolve();
function exclusive(work) {
  const run = turn.then(work);
  turn = run.catch(() => {});
  return run;
}
const channel = 'BroadcastChannel' in window ? new BroadcastChannel('mentorsti.outbox') : null;

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

/** The database, or null when IndexedDB cannot be used here (private mode in some browsers). */
function open() {
  if (database) return Promise.resolve(database);
  if (!opening) {
    opening = (async () => {
      try {
        const idb = indexedDB.open(DB, 1);
        idb.onupgradeneeded = () => {
          const store = idb.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true });
          store.createIndex('user', 'user');
        };
        database = await request(idb);
        // Another tab upgrading the database closes this one; it is opened again when needed.
        database.onversionchange = () => {
          database.close();
          database = null;
          opening = null;
        };
      } catch {
        database = null;
      }
      return database;
    })();
  }
  return opening;
}

async function transaction(mode, work) {
  const db = await open();
  if (!db) throw new DOMException('IndexedDB is not available', 'UnknownError');
  const tx = db.transaction(STORE, mode);
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = () => reject(tx.error || new DOMException('aborted', 'AbortError'));
    tx.onerror = () => reject(tx.error);
  });
  const result = await work(tx.objectStore(STORE));
  await done;
  return result;
}

const stored = (user) => transaction('readonly', (store) => request(store.index('user').getAll(user)));

/** Keeps `entry` on the device; false when it could not be (it then lives in this page only). */
async function keep(entry) {
  if (entry.memory) return false;
  try {
    const { memory, ...record } = entry;
    const seq = await transaction('readwrite', (store) => request(store.put(record)));
    entry.seq = seq;
    return true;
  } catch {
    // QuotaExceededError, or no IndexedDB at all: the write is kept here and sent as soon as
    // possible; the screen says the page must stay open until it is. An older record of it
    // (same key, older body) must not come back as a second write.
    entry.memory = true;
    unstored = true;
    if (entry.seq !== undefined) {
      await transaction('readwrite', (store) => request(store.delete(entry.seq))).catch(() => {});
    }
    return false;
  }
}

/**
 * Changes `entry` by `edit(record)` in one transaction with reading it, since another tab may
 * have changed or sent it meanwhile; `edit` returns false to leave it as it is. Resolves to
 * false when the entry is gone from the device or `edit` declined, else true (the entry then
 * holds what the device holds).
 */
async function change(entry, edit) {
  if (!entry.memory) {
    try {
      const record = await transaction('readwrite', async (store) => {
        const now = await request(store.get(entry.seq));
        if (!now || edit(now) === false) return null;
        await request(store.put(now));
        return now;
      });
      if (!record) return false;
      Object.assign(entry, record);
      return true;
    } catch {
      // Storage full (or gone): changed here, and kept in this page from now on.
    }
  }
  if (edit(entry) === false) return false;
  await keep(entry);
  return true;
}

async function drop(entry) {
  entries = entries.filter((e) => e !== entry);
  // An entry kept in this page may still have an older record on the device.
  if (entry.seq === undefined) return;
  try {
    await transaction('readwrite', (store) => request(store.delete(entry.seq)));
  } catch {
    // The database went away: the entry is gone from this page and would be sent again with
    // its key, which the server answers as before.
  }
}

const order = (a, b) => (a.created === b.created ? (a.seq ?? Infinity) - (b.seq ?? Infinity) : a.created < b.created ? -1 : 1);

/** Loads the signed-in user's entries (again), keeping those that live in this page only. */
const load = () => exclusive(loadNow);

async function loadNow() {
  const user = userId();
  if (user !== owner) {
    entries = [];
    refusals.length = 0;
    owner = user;
  }
  if (!user) return entries;
  let fromDevice = [];
  try {
    fromDevice = await stored(user);
  } catch {
    fromDevice = entries.filter((e) => !e.memory);
  }
  if (userId() !== user) return entries;
  // An entry on its way keeps its object, so its answer lands where the screen looks.
  const mine = new Map(entries.filter((e) => !e.memory && e.seq !== undefined).map((e) => [e.seq, e]));
  // A record left behind by an entry now kept in this page is that entry, not another write.
  const inPage = new Set(entries.filter((e) => e.memory).map((e) => e.seq));
  const merged = fromDevice.filter((record) => !inPage.has(record.seq)).map((record) => {
    const known = mine.get(record.seq);
    return known === sending ? known : Object.assign(known || {}, record);
  });
  entries = [...merged, ...entries.filter((e) => e.memory || e.seq === undefined)].sort(order);
  unstored = entries.some((e) => e.memory);
  return entries;
}

function notify(event = { type: 'change' }) {
  for (const listener of [...listeners]) listener(event);
  if (event.fromOtherTab) return;
  // The other tabs load the list again; a save also tells them the version it made, since a
  // tab may send what another typed.
  channel?.postMessage(event.type === 'saved'
    ? { type: 'saved', path: event.entry.path, data: event.data, etag: event.etag }
    : { type: 'change' });
}

channel?.addEventListener('message', async ({ data: message }) => {
  await load();
  if (message?.type === 'saved') {
    notify({
      type: 'saved', entry: { path: message.path }, data: message.data, etag: message.etag, fromOtherTab: true,
    });
  }
  notify({ type: 'change', fromOtherTab: true });
});

/**
 * Hears every change: `{type: 'change' | 'saved' | 'conflict' | 'refused', entry, data, etag}`;
 * `fromOtherTab` on a 'saved' another tab sent (its `entry` is then only `{path}`).
 */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The signed-in user's writes not yet answered by the server (after `ready()`), in order. */
export const pending = () => entries.slice();

/** Waits until the user's entries are loaded from the device. */
export async function ready() {
  await load();
  if (entries.some((e) => !e.conflict)) schedule(0);
  return entries.slice();
}

/** Whether some writes are kept in this page only (the device would not store them). */
export const onlyInThisPage = () => unstored && entries.some((e) => e.memory);

/** Forgets the writes the server refused, once the mentor has been told. */
export function dismissRefusals() {
  refusals.length = 0;
  notify();
}

const preconditionOf = (entry) => ({ ifMatch: entry.ifMatch, ifNoneMatch: entry.ifNoneMatch });

/**
 * Puts a write in the outbox and starts sending. `kind` is 'completion', 'answer', 'note' or
 * 'skip'; `ifMatch` (an etag) or `ifNoneMatch` ('*') is the version the text was written on;
 * `title` names the page for messages. A text for a path whose earlier text is not sent yet
 * takes that one's place; one sent without an answer yet is followed by a new entry.
 */
export async function write(options) {
  const entry = await exclusive(() => add(options));
  notify();
  schedule(0);
  return entry;
}

async function add({ kind, method = 'PUT', path, body = {}, ifMatch, ifNoneMatch, title }) {
  const user = userId();
  // Signed out (or the session refused): the writer keeps the text until someone signs in.
  if (!user) throw new DOMException('not signed in', 'InvalidStateError');
  await loadNow();
  if (TEXTS.includes(kind)) {
    const last = latestFor(path);
    // Not one that is on its way, here or in another tab (the check and the change are one).
    const merged = last && last !== sending && await change(last, (record) => {
      if (record.attempted && !record.conflict) return false;
      // A text held in a conflict waits for the mentor's choice, with the newest words.
      if (record.attempted) record.idempotencyKey = crypto.randomUUID();
      record.body = body;
      record.attempted = false;
      return true;
    });
    if (merged) return last;
    // Written on the same version as the text before it; its answer moves both on.
    await loadNow();
    const before = latestFor(path);
    if (before) ({ ifMatch, ifNoneMatch } = preconditionOf(before));
  }
  const entry = {
    user,
    method,
    path,
    body,
    idempotencyKey: crypto.randomUUID(),
    ifMatch: ifMatch || undefined,
    ifNoneMatch: ifMatch ? undefined : ifNoneMatch,
    kind,
    title,
    created: new Date().toISOString(),
    attempted: false,
  };
  // Strictly after everything before it, even within the same millisecond.
  const latest = entries.at(-1)?.created;
  if (latest && entry.created <= latest) entry.created = new Date(Date.parse(latest) + 1).toISOString();
  entries.push(entry);
  await keep(entry);
  return entry;
}

/** The newest text entry for `path` (a conflict included), or undefined. */
export const latestFor = (path) => entries.filter((e) => e.path === path).at(-1);

/** The entry for `path` held in a conflict, or undefined. */
export const conflictFor = (path) => entries.find((e) => e.path === path && e.conflict);

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(() => flush(), ms);
}

/** Sends what can be sent now, in order; resolves when the outbox is empty or waits. */
export function flush() {
  clearTimeout(timer);
  if (!draining) {
    const run = () => drain();
    // One tab at a time sends a user's writes; the others wait and read what is left.
    draining = (navigator.locks ? navigator.locks.request('mentorsti.outbox', run) : run())
      .finally(() => {
        draining = null;
      });
  }
  return draining;
}

function retryLater() {
  schedule(pause);
  pause = Math.min(pause * 2, LONGEST_PAUSE);
}

async function drain() {
  for (;;) {
    await load();
    const entry = entries.find((e) => !e.conflict);
    if (!entry || !owner) return;
    // Offline for sure: the `online` event sends. (While online the browser may still fail;
    // that is retried with growing pauses.)
    if (navigator.onLine === false) return;
    const outcome = await send(entry);
    if (outcome === 'wait') {
      retryLater();
      return;
    }
    if (outcome === 'stop') return;
    pause = FIRST_PAUSE;
  }
}

const keyRefused = (error) => error.status === 422 && (error.problem.errors || []).some((e) => e.field === 'Idempotency-Key');

/** Sends one entry: 'done', 'wait' (try again later) or 'stop' (signed out). */
async function send(entry) {
  sending = entry;
  // Marked as on its way in one step with reading what to send: another tab may have added
  // words to it, or sent it already.
  const claimed = await exclusive(() => change(entry, (record) => {
    record.attempted = true;
    record.failed = false;
  }));
  if (!claimed) {
    sending = null;
    await load();
    return 'done';
  }
  notify();
  const headers = { 'Idempotency-Key': entry.idempotencyKey };
  if (entry.ifMatch) headers['If-Match'] = entry.ifMatch;
  else if (entry.ifNoneMatch) headers['If-None-Match'] = entry.ifNoneMatch;
  try {
    const { data, etag } = await api(entry.path, {
      method: entry.method, body: entry.body, headers, tagged: true, signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await exclusive(async () => {
      await drop(entry);
      // Later texts for the same path were written on this one: they now build on its version.
      for (const later of entries.filter((e) => e.path === entry.path)) {
        await change(later, (record) => {
          record.ifMatch = etag;
          record.ifNoneMatch = undefined;
        });
      }
    });
    if (READ_BACK[entry.kind]) api(READ_BACK[entry.kind]).catch(() => {});
    notify({ type: 'saved', entry, data, etag });
    return 'done';
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return 'stop';
    if (!(error instanceof ApiError) || error.status >= 500 || [408, 409, 429].includes(error.status)) {
      // No answer (or "not now"): the screen says it waits for the connection, also after a reload.
      await exclusive(() => change(entry, (record) => {
        record.failed = true;
      }));
      return 'wait';
    }
    if (TEXTS.includes(entry.kind) && keyRefused(error)) {
      // The key went with other words before (a race between tabs): a text is safe to send
      // again with a new key, guarded by its version.
      await exclusive(() => change(entry, (record) => {
        record.idempotencyKey = crypto.randomUUID();
        record.attempted = false;
      }));
      return 'done';
    }
    if (error.status === 412) {
      await exclusive(async () => {
        entry.conflict = { current: error.problem.current || null, at: new Date().toISOString() };
        // Texts for the same path written after it join it: the choice is about the newest.
        for (const later of entries.filter((e) => e.path === entry.path && e !== entry)) {
          entry.body = later.body;
          await drop(later);
        }
        await keep(entry);
      });
      notify({ type: 'conflict', entry });
      return 'done';
    }
    // Refused for good (403 page_locked, 422, 404): dropped, and the screen says so.
    await exclusive(() => drop(entry));
    refusals.push({ entry, error });
    notify({ type: 'refused', entry, error });
    return 'done';
  } finally {
    sending = null;
    notify();
  }
}

/**
 * The first answer to `entry`, waiting at most `ms`: `{state: 'saved', data}`,
 * `{state: 'refused', error}`, `{state: 'conflict'}` or `{state: 'pending'}` (not answered in
 * time, e.g. offline: it is still sent later).
 */
export function settle(entry, ms = 4000) {
  if (!entries.includes(entry)) return Promise.resolve({ state: 'pending' });
  if (navigator.onLine === false) return Promise.resolve({ state: 'pending' });
  return new Promise((resolve) => {
    let off = () => {};
    const done = (value) => {
      clearTimeout(timeout);
      off();
      resolve(value);
    };
    const timeout = setTimeout(() => done({ state: 'pending' }), ms);
    off = subscribe((event) => {
      if (event.entry !== entry) return;
      if (event.type === 'saved') done({ state: 'saved', data: event.data });
      else if (event.type === 'refused') done({ state: 'refused', error: event.error });
      else if (event.type === 'conflict') done({ state: 'conflict' });
    });
  });
}

/** The mentor keeps their text in a conflict: it is sent again over the other version. */
export async function keepMine(entry) {
  await exclusive(async () => {
    // Sent over the version the mentor has now seen (without one, the text simply overwrites).
    entry.ifMatch = entry.conflict?.current?.etag || undefined;
    entry.ifNoneMatch = undefined;
    entry.conflict = undefined;
    entry.attempted = false;
    entry.idempotencyKey = crypto.randomUUID();
    await keep(entry);
  });
  notify();
  pause = FIRST_PAUSE;
  schedule(0);
}

/** The mentor takes the other version: their own entry is dropped. */
export async function takeTheirs(entry) {
  await exclusive(() => drop(entry));
  notify();
}

/** Removes the signed-in user's entries from this device (on signing out). */
export async function forget() {
  const user = owner;
  entries = [];
  refusals.length = 0;
  unstored = false;
  clearTimeout(timer);
  if (!user) return;
  try {
    await exclusive(() => transaction('readwrite', async (store) => {
      const keys = await request(store.index('user').getAllKeys(user));
      await Promise.all(keys.map((key) => request(store.delete(key))));
    }));
  } catch {
    // No database: nothing was stored.
  }
  notify();
}

window.addEventListener('online', () => {
  pause = FIRST_PAUSE;
  schedule(0);
});
window.addEventListener('offline', () => notify());
// Writes kept in this page only would be lost with it: the browser asks before closing.
window.addEventListener('beforeunload', (event) => {
  if (onlyInThisPage()) event.preventDefault();
});

// ---- What the screens show ----

const oslo = (iso) => (iso ? t('{date} kl. {time}', { date: formatDate(iso), time: formatTime(iso) }) : '');

/** What is not saved yet, in words. */
export function summary() {
  const waiting = entries.filter((e) => !e.conflict).length;
  const conflicts = entries.filter((e) => e.conflict).length;
  const sentences = [];
  if (!waiting && !conflicts) sentences.push(t('Alt er lagret.'));
  if (waiting) {
    if (navigator.onLine === false || entries.some((e) => e.failed)) {
      sentences.push(waiting === 1
        ? t('Ikke sendt ennå: 1 endring lagres når nettet er tilbake.')
        : t('Ikke sendt ennå: {n} endringer lagres når nettet er tilbake.', { n: waiting }));
    } else {
      sentences.push(waiting === 1 ? t('Lagrer 1 endring …') : t('Lagrer {n} endringer …', { n: waiting }));
    }
  }
  if (conflicts) {
    sentences.push(conflicts === 1
      ? t('1 tekst er endret et annet sted: åpne den og velg hvilken versjon du vil beholde.')
      : t('{n} tekster er endret et annet sted: åpne dem og velg hvilken versjon du vil beholde.', { n: conflicts }));
  }
  if (onlyInThisPage()) {
    sentences.push(t('Endringene kan ikke lagres på denne enheten (lagringsplassen er full eller slått av). La siden være åpen til alt er lagret.'));
  }
  return { text: sentences.join(' '), state: conflicts || onlyInThisPage() ? 'warning' : waiting ? 'pending' : 'saved' };
}

/** A completion the path rules refused when it came (the page before is not completed). */
export const pageLockedText = (title) =>
  t('Siden «{title}» kunne ikke registreres som fullført: den er ikke åpnet for deg ennå, fordi siden før ikke er fullført.', { title });

/** Why the server refused a write, for the mentor. */
function refusalText({ entry, error }) {
  const title = entry.title || '';
  if (entry.kind === 'completion') {
    return error.code === 'page_locked'
      ? pageLockedText(title)
      : t('Siden «{title}» kunne ikke registreres som fullført. Prøv igjen fra siden.', { title });
  }
  if (entry.kind === 'skip') return t('Modulen kunne ikke hoppes over: {reason}', { reason: explain(error) });
  return t('En tekst kunne ikke lagres: {reason}', { reason: explain(error) });
}

/**
 * The save state for the top of a screen: one line (a live region) saying whether everything
 * is saved, and what the server refused, if anything. Follows the outbox while it is shown.
 */
export function saveStatus() {
  const line = h('p', { class: 'outbox-status', role: 'status' });
  const problems = h('div', { class: 'outbox-refusals' });
  const box = h('div', { class: 'outbox' }, line, problems);
  let shownRefusals = -1;
  const draw = () => {
    if (!box.isConnected && box.dataset.drawn) {
      off();
      return;
    }
    box.dataset.drawn = 'true';
    const { text, state } = summary();
    if (line.textContent !== text) line.textContent = text;
    line.dataset.state = state;
    if (shownRefusals === refusals.length) return;
    shownRefusals = refusals.length;
    problems.replaceChildren();
    if (!refusals.length) return;
    problems.append(h('div', { class: 'notice notice-error', role: 'alert' },
      refusals.map((r) => h('p', {}, refusalText(r))),
      h('button', { type: 'button', class: 'secondary', onclick: () => dismissRefusals() }, t('Skjønner'))));
  };
  const off = subscribe(draw);
  draw();
  return box;
}

/** The words in a text's body or view: a note's `body`, an answer's `text`. */
export const textOf = (kind, view) => (kind === 'note' ? view?.body : view?.text) ?? '';

/**
 * The choice when the text was changed elsewhere (412): both versions with their times, and
 * "Behold min" or "Bruk den andre". `onTheirs(view)` puts the other version into the field.
 * Resolves when the mentor has chosen (or closed it: the choice then waits).
 */
export function conflictChoice(entry, { label, onTheirs, returnFocus }) {
  const current = entry.conflict?.current;
  const mine = textOf(entry.kind, entry.body);
  const theirs = textOf(entry.kind, current);
  return modal({
    'aria-labelledby': 'conflict-title',
    'aria-describedby': 'conflict-lead',
    returnFocus,
    content: [
      h('h2', { id: 'conflict-title' }, t('Teksten er endret et annet sted')),
      label && h('p', { class: 'conflict-label' }, label),
      h('p', { id: 'conflict-lead' }, t('Teksten er endret på en annen enhet eller i en annen fane etter at du begynte å skrive. Velg hvilken versjon du vil beholde.')),
      h('div', { class: 'conflict-versions' },
        // Each text is a region the keyboard can reach (a long one scrolls), named by its heading.
        h('div', {},
          h('h3', { id: 'conflict-mine' }, t('Din versjon')),
          h('p', { class: 'muted', id: 'conflict-mine-time' }, t('Skrevet {when}', { when: oslo(entry.created) })),
          h('div', {
            class: 'conflict-text', tabindex: '0', role: 'region', 'aria-labelledby': 'conflict-mine', 'aria-describedby': 'conflict-mine-time',
          }, mine || t('(tom)'))),
        h('div', {},
          h('h3', { id: 'conflict-theirs' }, t('Den andre versjonen')),
          h('p', { class: 'muted', id: 'conflict-theirs-time' }, current?.updated_at ? t('Lagret {when}', { when: oslo(current.updated_at) }) : t('Tiden er ukjent.')),
          h('div', {
            class: 'conflict-text', tabindex: '0', role: 'region', 'aria-labelledby': 'conflict-theirs', 'aria-describedby': 'conflict-theirs-time',
          }, theirs || t('(tom)')))),
    ],
    buttons: [
      [t('Behold min'), async () => {
        await keepMine(entry);
        return 'mine';
      }],
      [t('Bruk den andre'), async () => {
        await takeTheirs(entry);
        onTheirs?.(current);
        return 'theirs';
      }],
    ],
    // Escape closes without choosing: the text waits, and the field offers the choice again.
    cancelled: null,
  });
}

/**
 * Before signing out: sends what can be sent, and when something is still not sent, asks
 * whether to sign out anyway (the unsent writes are then removed from this device, which may
 * be shared). Resolves to true to go on signing out.
 */
export async function readyToSignOut() {
  await ready();
  if (entries.length && navigator.onLine !== false) {
    pause = FIRST_PAUSE;
    await Promise.race([flush(), new Promise((resolve) => { setTimeout(resolve, 8000); })]);
  }
  const left = entries.length;
  if (!left) return true;
  return modal({
    'aria-labelledby': 'sign-out-title',
    'aria-describedby': 'sign-out-lead',
    content: [
      h('h2', { id: 'sign-out-title' }, t('Noe er ikke lagret ennå')),
      h('p', { id: 'sign-out-lead' }, left === 1
        ? t('1 endring er ikke sendt til serveren ennå. Logger du ut nå, slettes den fra denne enheten og går tapt. Vil du heller vente til nettet er tilbake?')
        : t('{n} endringer er ikke sendt til serveren ennå. Logger du ut nå, slettes de fra denne enheten og går tapt. Vil du heller vente til nettet er tilbake?', { n: left })),
    ],
    buttons: [[t('Vent, ikke logg ut'), () => false], [t('Logg ut og slett endringene'), () => true]],
    cancelled: false,
  });
}

// On start (also after the browser was closed): what the last visit left is sent.
ready();
