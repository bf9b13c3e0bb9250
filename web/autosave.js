// Saves a text while the user types, and says so. Until the server has the text, a copy is kept
// in localStorage, so neither a lost connection nor a reload loses a word; failed saves are
// retried with growing pauses, and at once when the browser is back online.

import { ApiError } from './api.js';
import { explain, formatDate, formatTime } from './ui.js';

const PREFIX = 'mentorsti.unsaved:';
const savers = new Set();

window.addEventListener('online', () => {
  for (const saver of savers) saver.retryNow();
});

/**
 * Wires `textarea` to `save(text)`, showing progress in `status` (a live region).
 * `key` names the text (the API path it is saved to); `saved` is the server's copy, if any,
 * and `savedAt` when it was saved.
 */
export function autosave({ textarea, status, key, save, saved = '', savedAt, onChange }) {
  const storageKey = PREFIX + key;
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

  async function flush() {
    clearTimeout(timer);
    if (saving || !dirty) return;
    saving = true;
    dirty = false;
    const text = textarea.value;
    show('Lagrer …', 'saving');
    try {
      await save(text);
      pause = 2000;
      if (textarea.value === text) localStorage.removeItem(storageKey);
      if (dirty) schedule(0);
      else {
        show(`Lagret kl. ${formatTime(new Date().toISOString())}`, 'saved');
        if (!textarea.isConnected) savers.delete(saver);
      }
    } catch (error) {
      dirty = true;
      const retry = !(error instanceof ApiError) || error.status >= 500 || error.status === 429 || error.status === 401;
      if (retry) {
        show('Ikke lagret: ingen forbindelse. Teksten er tatt vare på, og vi prøver igjen automatisk.', 'offline');
        schedule(pause);
        pause = Math.min(pause * 2, 30000);
      } else {
        show(`Ikke lagret: ${explain(error)} Teksten er tatt vare på på denne enheten.`, 'error');
      }
    } finally {
      saving = false;
    }
  }

  const saver = {
    flush,
    retryNow: () => {
      if (dirty) schedule(0);
      else if (!textarea.isConnected) savers.delete(saver);
    },
    get unsaved() {
      return dirty || saving;
    },
  };
  savers.add(saver);

  textarea.addEventListener('input', () => {
    localStorage.setItem(storageKey, textarea.value);
    dirty = true;
    show('Lagres snart …', 'pending');
    onChange?.(textarea.value);
    schedule(800);
  });
  // Leaving the field saves at once (keyboard users tab on to the next question).
  textarea.addEventListener('blur', () => dirty && schedule(0));

  if (dirty) {
    show('Lagrer tekst som ikke ble lagret sist …', 'pending');
    schedule(0);
  } else if (savedAt) {
    show(`Sist lagret ${formatDate(savedAt)} kl. ${formatTime(savedAt)}`, 'saved');
  }
  return saver;
}
