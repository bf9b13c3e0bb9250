// Saves a text while the user types, and says so. Until the server has the text, a copy is kept
// in localStorage, so neither a lost connection nor a reload loses a word; failed saves are
// retried with growing pauses, and at once when the browser is back online.

import { ApiError, userId } from './api.js';
import { t } from './i18n.js';
import { explain, formatDate, formatTime } from './ui.js';

const PREFIX = 'mentorsti.unsaved:';
// One saver per text: a screen opened again takes over from the one before.
const savers = new Map();

window.addEventListener('online', () => {
  for (const saver of savers.values()) saver.retryNow();
});

/** Saves what can be saved now (before signing out). */
export async function flushAll() {
  await Promise.all([...savers.values()].map((saver) => saver.flush()));
}

/**
 * Removes every unsaved text from this device: on signing out, since phones and nursing-home
 * PCs are shared and answers are private.
 */
export function forgetUnsaved() {
  for (const saver of savers.values()) saver.retire();
  savers.clear();
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(PREFIX)) localStorage.removeItem(key);
  }
}

/**
 * Wires `textarea` to `save(text)`, showing progress in `status` (a live region).
 * `key` names the text (the API path it is saved to); `saved` is the server's copy, if any,
 * and `savedAt` when it was saved. `onSaved(answer)` hears the server's answer to each save.
 */
export function autosave({ textarea, status, key, save, saved = '', savedAt, onChange, onSaved }) {
  const storageKey = `${PREFIX}${userId()}:${key}`;
  const local = localStorage.getItem(storageKey);
  let dirty = local !== null && local !== saved;
  let saving = false;
  let timer;
  let pause = 2000;
  textarea.value = dirty ? local : saved;
  if (!dirty) localStorage.removeItem(storageKey);

  const show = (text, state) => {
    status.textContent = text;
    status.dataset.state = state;
  };
  const schedule = (ms) => {
    clearTimeout(timer);
    timer = setTimeout(flush, ms);
  };

  let inflight = null;
  /** Saves now, after any save under way; the caller may check `unsaved` afterwards. */
  async function flush() {
    clearTimeout(timer);
    while (inflight) await inflight;
    if (!dirty) return;
    inflight = attempt();
    try {
      await inflight;
    } finally {
      inflight = null;
    }
  }

  async function attempt() {
    saving = true;
    dirty = false;
    const text = textarea.value;
    show(t('Lagrer …'), 'saving');
    try {
      const answer = await save(text);
      pause = 2000;
      if (!retired) onSaved?.(answer);
      if (textarea.value === text) localStorage.removeItem(storageKey);
      if (!dirty) {
        show(t('Lagret kl. {time}', { time: formatTime(new Date().toISOString()) }), 'saved');
        if (!textarea.isConnected && savers.get(storageKey) === saver) savers.delete(storageKey);
      }
    } catch (error) {
      dirty = true;
      // Signed out (401) is not retried: the text waits on the device for the next sign-in.
      const retry = !(error instanceof ApiError) || error.status >= 500 || error.status === 429;
      if (retired) {
        // Another screen for the same text has taken over.
      } else if (retry) {
        show(t('Ikke lagret: ingen forbindelse. Teksten er tatt vare på, og vi prøver igjen automatisk.'), 'offline');
        schedule(pause);
        pause = Math.min(pause * 2, 30000);
      } else {
        show(t('Ikke lagret: {reason} Teksten er tatt vare på på denne enheten.', { reason: explain(error) }), 'error');
      }
    } finally {
      saving = false;
    }
  }

  let retired = false;
  const saver = {
    flush,
    retire: () => {
      retired = true;
      dirty = false;
      clearTimeout(timer);
    },
    retryNow: () => {
      if (dirty) schedule(0);
      else if (!textarea.isConnected && savers.get(storageKey) === saver) savers.delete(storageKey);
    },
    get unsaved() {
      return dirty || saving;
    },
  };
  savers.get(storageKey)?.retire();
  savers.set(storageKey, saver);

  textarea.addEventListener('input', () => {
    localStorage.setItem(storageKey, textarea.value);
    dirty = true;
    show(t('Lagres snart …'), 'pending');
    onChange?.(textarea.value);
    schedule(800);
  });
  // Leaving the field saves at once (keyboard users tab on to the next question).
  textarea.addEventListener('blur', () => dirty && schedule(0));

  if (dirty) {
    show(t('Lagrer tekst som ikke ble lagret sist …'), 'pending');
    schedule(0);
  } else if (savedAt) {
    show(t('Sist lagret {date} kl. {time}', { date: formatDate(savedAt), time: formatTime(savedAt) }), 'saved');
  }
  return saver;
}
