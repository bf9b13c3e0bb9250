// Saves a text while the user types, and says so. Each pause in the typing puts the text in the
// outbox (web/outbox.js), which keeps it on the device until the server has it and sends it when
// the network is there; until the outbox has it on the device, a copy is kept in localStorage
// with the version it is written on, so neither a lost connection, a reload nor a closed browser
// loses a word. A text changed elsewhere in the meantime (412) opens the choice between the two
// versions.

import { userId } from './api.js';
import { t } from './i18n.js';
import * as outbox from './outbox.js';
import { explain, formatDate, formatTime, h } from './ui.js';

const PREFIX = 'mentorsti.unsaved:';
// One saver per text: a screen opened again takes over from the one before.
const savers = new Map();

/** Puts every text typed so far in the outbox and sends what can be sent (before signing out). */
export async function flushAll() {
  await Promise.all([...savers.values()].map((saver) => saver.commit()));
  await outbox.flush();
}

/**
 * Sends what can be sent and, when something is still unsent, asks whether to sign out anyway.
 * Resolves to true to go on signing out (then call `forgetUnsaved`).
 */
export async function readyToSignOut() {
  await Promise.all([...savers.values()].map((saver) => saver.commit()));
  return outbox.readyToSignOut();
}

/**
 * Removes every unsaved text from this device: on signing out, since phones and nursing-home
 * PCs are shared and answers are private.
 */
export async function forgetUnsaved() {
  for (const saver of savers.values()) saver.retire();
  savers.clear();
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(PREFIX)) localStorage.removeItem(key);
  }
  await outbox.forget();
}

/**
 * Keeps the typed `text` in localStorage with `base`, the version it is written on, so a copy
 * restored on a later visit is sent on that version (and meets a newer one as a conflict).
 */
function remember(storageKey, text, base) {
  try {
    localStorage.setItem(storageKey, JSON.stringify({ text, base }));
  } catch {
    // Storage full: the saver still knows the text is typed, and the outbox keeps it in this page.
  }
}

/** The copy `remember` kept, `{text, base}` (base null: not known, so sent as a first text), or null. */
function recall(storageKey) {
  const kept = localStorage.getItem(storageKey);
  if (kept === null) return null;
  try {
    const copy = JSON.parse(kept);
    if (typeof copy?.text === 'string') return { text: copy.text, base: copy.base ?? null };
  } catch {
    // A copy from before the version was kept with it: the text alone.
  }
  return { text: kept, base: null };
}

/**
 * Wires `textarea` to the outbox, showing progress in `status` (a live region). `key` is the
 * API path the text is PUT to, `kind` 'answer' or 'note', `bodyOf(text)` the body to send.
 * `saved` is the server's copy, if any, `savedAt` when it was saved and `etag` its version
 * (null: there is none yet; undefined: unknown). `onSaved(view)` hears the server's answer.
 * `label` names the text in the conflict choice.
 */
export function autosave({
  textarea, status, key, kind, bodyOf, saved = '', savedAt, etag, label, onChange, onSaved,
}) {
  const storageKey = `${PREFIX}${userId()}:${key}`;
  const textIn = (body) => outbox.textOf(kind, body);
  const local = recall(storageKey);
  const queued = outbox.latestFor(key);
  const latest = queued ? textIn(queued.body) : saved;
  const restored = local !== null && local.text !== latest;
  // What the mentor wrote last wins: typed but not yet queued, else queued, else the server's.
  textarea.value = restored ? local.text : latest;
  // The version the text is written on. A copy kept from an earlier visit keeps its own: a text
  // changed elsewhere since then is a choice for the mentor, never overwritten unseen.
  let base = restored ? local.base : etag;
  let timer;
  let retired = false;
  let refusal = null;
  const forgetCopy = () => localStorage.removeItem(storageKey);
  if (local !== null && !restored) forgetCopy();
  // Typed and not yet in the outbox; known here too, for when localStorage refuses the copy.
  let typed = restored;
  const stillTyped = () => typed || localStorage.getItem(storageKey) !== null;
  // The words this field last put in the outbox: a save of them in another tab moves `base` on.
  let committed = queued ? latest : null;

  const show = (text, state) => {
    if (status.textContent !== text) status.textContent = text;
    status.dataset.state = state;
  };
  let savedTime = savedAt;
  const choose = h('button', { type: 'button', class: 'secondary conflict-open', hidden: true, onclick: () => openChoice() }, t('Velg versjon'));
  status.after(choose);

  /** The field's line follows the outbox: typed, queued, sending, held, refused or saved. */
  function draw() {
    const entry = outbox.latestFor(key);
    choose.hidden = !entry?.conflict;
    if (entry?.conflict) return show(t('Teksten er endret et annet sted. Velg hvilken versjon du vil beholde.'), 'conflict');
    if (refusal) return show(t('Ikke lagret: {reason} Teksten er tatt vare på på denne enheten.', { reason: refusal }), 'error');
    if (timer) return show(t('Lagres snart …'), 'pending');
    if (entry && entry.memory) return show(t('Ikke lagret på enheten: la siden være åpen til teksten er sendt.'), 'offline');
    if (entry && (navigator.onLine === false || entry.failed)) {
      return show(t('Ikke sendt ennå: ingen forbindelse. Teksten er lagret på enheten og sendes når nettet er tilbake.'), 'queued');
    }
    if (entry && entry.attempted) return show(t('Lagrer …'), 'saving');
    if (entry) return show(t('Lagret på enheten. Sendes straks …'), 'queued');
    if (stillTyped()) return show(t('Lagres snart …'), 'pending');
    if (savedTime) return show(t('Lagret kl. {time}', { time: formatTime(savedTime) }), 'saved');
    return show('', 'none');
  }

  /** Puts the text in the outbox now (if it changed). */
  async function commit() {
    clearTimeout(timer);
    timer = undefined;
    if (retired || !stillTyped()) return;
    const text = textarea.value;
    const inOutbox = outbox.latestFor(key);
    if (inOutbox && textIn(inOutbox.body) === text) {
      // The outbox has these words already (a copy kept while they live in this page only).
      typed = false;
      draw();
      return;
    }
    refusal = null;
    let entry;
    try {
      entry = await outbox.write({
        kind,
        method: 'PUT',
        path: key,
        body: bodyOf(text),
        ifMatch: base || undefined,
        // No version: the first text written for it here; refused when one exists elsewhere.
        ifNoneMatch: base === null ? '*' : undefined,
        title: label,
      });
    } catch {
      // Signed out meanwhile: the copy in localStorage waits for the next sign-in.
      draw();
      return;
    }
    committed = text;
    if (textarea.value === text) {
      typed = false;
      // Kept on the device by the outbox, the copy is not needed; kept in this page only, it
      // is, until the text is saved (a reload, or the phone closing the tab, would lose it).
      if (!entry.memory) forgetCopy();
    }
    draw();
  }

  let choosing = false;
  async function openChoice() {
    const entry = outbox.conflictFor(key);
    if (!entry || choosing || retired || !textarea.isConnected) return;
    choosing = true;
    await commit();
    const choice = await outbox.conflictChoice(outbox.conflictFor(key) || entry, {
      label,
      returnFocus: textarea,
      onTheirs: (current) => {
        forgetCopy();
        typed = false;
        textarea.value = textIn(current);
        base = current?.etag ?? base;
        savedTime = current?.updated_at;
        onChange?.(textarea.value);
      },
    });
    choosing = false;
    if (choice === null) choose.focus();
    draw();
  }

  let shown = false;
  const off = outbox.subscribe((event) => {
    if (retired) return;
    shown ||= textarea.isConnected;
    if (shown && !textarea.isConnected) {
      // Gone from the screen: what was typed goes to the outbox, which carries on without it.
      if (timer) commit();
      if (savers.get(storageKey) === saver) savers.delete(storageKey);
      saver.retire();
      return;
    }
    if (event.entry?.path === key) {
      if (event.type === 'saved') {
        const words = textIn(event.entry.body ?? event.data);
        // The next text builds on this version; later entries already do (the outbox moved them).
        // Another tab's save counts when it sent this field's words (else it is a conflict).
        if (!event.fromOtherTab || words === committed) {
          base = event.etag;
          savedTime = event.data?.updated_at || new Date().toISOString();
          onSaved?.(event.data);
        }
        const copy = recall(storageKey);
        if (copy?.text === words) forgetCopy();
        else if (copy) remember(storageKey, copy.text, base);
      } else if (event.type === 'refused') {
        refusal = explain(event.error);
        // Kept on the device (as typed) so that nothing is lost; sent with the next change.
        remember(storageKey, textarea.value, base);
      } else if (event.type === 'conflict') {
        openChoice();
      }
    }
    draw();
  });

  const saver = {
    commit,
    /** Saves now: queues the text and waits for the outbox. */
    async flush() {
      await commit();
      await outbox.flush();
    },
    retire: () => {
      retired = true;
      clearTimeout(timer);
      off();
    },
    get unsaved() {
      return stillTyped() || Boolean(outbox.latestFor(key));
    },
  };
  savers.get(storageKey)?.retire();
  savers.set(storageKey, saver);

  textarea.addEventListener('input', () => {
    remember(storageKey, textarea.value, base);
    typed = true;
    refusal = null;
    onChange?.(textarea.value);
    clearTimeout(timer);
    timer = setTimeout(commit, 800);
    draw();
  });
  // Leaving the field saves at once (keyboard users tab on to the next question).
  textarea.addEventListener('blur', () => commit());

  if (stillTyped()) {
    show(t('Lagrer tekst som ikke ble lagret sist …'), 'pending');
    commit();
  } else if (savedAt && !queued) {
    show(t('Sist lagret {date} kl. {time}', { date: formatDate(savedAt), time: formatTime(savedAt) }), 'saved');
  } else {
    draw();
  }
  // A choice left open last time (or found on the way) is offered again.
  if (outbox.conflictFor(key)) queueMicrotask(() => openChoice());
  return saver;
}
