/*
 * Practice pages: install as a web app, and never lose an answer given on a bad connection.
 *
 * Progressive enhancement: without this script (or without localStorage, fetch or
 * SubmitEvent.submitter) the choice form is submitted as plain HTML, as before.
 *
 * The answer queue, for the form marked `data-answer-queue` (the scenario page):
 *
 * - A click on a choice is first written to localStorage, under a key per form action (so per
 *   attempt) and node: a second click for the same moment, in this tab or another, replaces
 *   the first instead of adding one. The entry keeps the step number the form showed.
 * - Online, the form is then submitted as usual: a real page load, as without the script.
 *   When the next page shows a later step of that run (or its end), the answer has arrived and
 *   its entry is dropped unsent. When the post fails on a bad connection, the service worker
 *   sends the browser back to the page, where the entry waits.
 * - Offline (navigator.onLine false), the submission is stopped: the choice buttons are
 *   disabled and the live region says the answer will be sent later.
 * - The queue is sent when the browser comes back online, every RETRY_MS while something
 *   waits, and when a practice page loads: each answer is posted with fetch as the form would
 *   post it, and leaves the queue only when the server took it (the redirect ends on the page
 *   it came from) or refused it for good (a 4xx). Then the page reloads to show the next step.
 *
 * Sending an answer twice is harmless: the server ignores an answer for a node the run has left.
 * Every text a person sees comes from the page (data-* attributes rendered through gettext).
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const PREFIX = "vakwerk.practice.answer:";
  const PROBE = PREFIX + "probe";
  const LOCK = "vakwerk.practice.answers";
  const RELOADED_KEY = "vakwerk.practice.reloaded-elsewhere";
  const MISSES_KEY = "vakwerk.practice.offline-page-while-online";
  const RETRY_MS = 20000;
  const TIMEOUT_MS = 10000;

  function registerServiceWorker() {
    const url = script && script.dataset.serviceWorker;
    if (!url || !("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker.register(url, { scope: script.dataset.scope }).catch(() => {
      // Without a worker the pages work as before, only not offline.
    });
  }

  // The offline page stands in for the page asked for: load that one when the connection is
  // back (and that page sends what waits in the queue). "Online" only means a network is
  // there, so first ask the server something small, and ask again a little later if it fails.
  function reloadWhenOnline(probeUrl) {
    let probing = false;
    async function probe() {
      if (probing || !navigator.onLine) {
        return;
      }
      probing = true;
      try {
        await fetch(probeUrl, { cache: "no-store", credentials: "same-origin" });
        location.reload();
      } catch (error) {
        setTimeout(probe, 5000);
      } finally {
        probing = false;
      }
    }
    window.addEventListener("online", probe);
    // Shown while the browser says it is online: the network was not there for this page yet
    // (it can lag behind the "online" event, which will not come again), or the connection is
    // bad. Probe by itself, waiting longer each time this happens in a row so that a
    // connection that stays bad does not make the page reload over and over.
    if (navigator.onLine) {
      const inRow = sessionOnlineMisses();
      setTimeout(probe, Math.min(1000 * 2 ** inRow, 60000));
    }
  }

  function sessionOnlineMisses() {
    try {
      const misses = Number(window.sessionStorage.getItem(MISSES_KEY) || 0);
      window.sessionStorage.setItem(MISSES_KEY, String(misses + 1));
      return misses;
    } catch (error) {
      return 6; // no session storage: wait the longest
    }
  }

  registerServiceWorker();
  if (script && script.dataset.reloadWhenOnline) {
    reloadWhenOnline(script.dataset.reloadWhenOnline);
    return;
  }
  try {
    window.sessionStorage.removeItem(MISSES_KEY); // a real page came: the row of misses ends
  } catch (error) {
    // no session storage: the offline page waits the longest
  }

  function localStore() {
    try {
      const store = window.localStorage;
      store.setItem(PROBE, "1");
      store.removeItem(PROBE);
      return store;
    } catch (error) {
      return null; // storage disabled or full: the form posts as plain HTML
    }
  }

  const store = localStore();
  if (!store || !window.fetch || !window.FormData) {
    return;
  }
  const form = document.querySelector("form[data-answer-queue]");
  const formStep = form ? Number(form.dataset.step) : null;
  const region = document.querySelector(".vakwerk-answer-queue[role='status']");
  let pendingHere = false; // an answer given on this page waits in the queue
  let busy = false;
  let again = false;
  let retryTimer = null;

  function queued() {
    const entries = [];
    const keys = [];
    for (let index = 0; index < store.length; index += 1) {
      keys.push(store.key(index));
    }
    for (const key of keys) {
      if (key && key.startsWith(PREFIX) && key !== PROBE) {
        try {
          entries.push([key, JSON.parse(store.getItem(key))]);
        } catch (error) {
          store.removeItem(key);
        }
      }
    }
    return entries;
  }

  function waitingHere() {
    return queued().some(([, entry]) => entry.page === location.pathname);
  }

  // An answer given on this page's run arrived when the page shows a later step, or the end.
  function dropArrived() {
    for (const [key, entry] of queued()) {
      if (entry.page === location.pathname && (formStep === null || formStep > entry.step)) {
        store.removeItem(key);
      }
    }
  }

  function disableChoices() {
    if (form) {
      form.querySelectorAll("button.vakwerk-choice").forEach((button) => {
        button.disabled = true;
      });
    }
  }

  function showQueued() {
    if (!region || !region.dataset.queuedMessage || region.childElementCount) {
      return;
    }
    const paragraph = document.createElement("p");
    paragraph.className = "utrecht-paragraph";
    paragraph.textContent = region.dataset.queuedMessage;
    region.classList.add("utrecht-alert", "utrecht-alert--warning");
    region.append(paragraph);
  }

  function currentCsrfToken(entry) {
    // A token from this page is valid for the session of now (a login in between renews it).
    const input = document.querySelector("input[name='csrfmiddlewaretoken']");
    return input && input.value ? input.value : entry.csrf;
  }

  async function post(entry) {
    const body = new FormData();
    body.set("csrfmiddlewaretoken", currentCsrfToken(entry));
    body.set("node", entry.node);
    body.set("choice", entry.choice);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      return await fetch(entry.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        redirect: "follow",
        signal: abort.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  // Sends what waits, one answer after another. Says whether the queue changed, whether the
  // connection failed, and whether an answer ended on another page (a login page).
  async function sendAll() {
    const outcome = { changed: false, offline: false, elsewhere: false };
    for (const [key, entry] of queued()) {
      if (!navigator.onLine) {
        outcome.offline = true;
        break;
      }
      if (store.getItem(key) === null) {
        continue; // another tab sent it meanwhile
      }
      let response;
      try {
        response = await post(entry);
      } catch (error) {
        outcome.offline = true; // no connection, or no answer in time: the answer waits
        break;
      }
      const status = response.status;
      if (response.ok && new URL(response.url).pathname === entry.page) {
        store.removeItem(key);
        outcome.changed = true;
      } else if (response.ok) {
        outcome.elsewhere = true; // e.g. logged out: keep the answer, show that page
        break;
      } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        store.removeItem(key); // refused for good; the reloaded page shows where things stand
        outcome.changed = true;
      } else {
        outcome.offline = true; // the server is in trouble: try again later
        break;
      }
    }
    return outcome;
  }

  // Reload (to the login page, say) at most once a minute for this, so an odd server answer
  // cannot cause a loop. Says whether it reloads.
  function reloadAfterElsewhere() {
    try {
      const last = Number(window.sessionStorage.getItem(RELOADED_KEY) || 0);
      if (Date.now() - last < 60000) {
        return false;
      }
      window.sessionStorage.setItem(RELOADED_KEY, String(Date.now()));
    } catch (error) {
      return false;
    }
    location.reload();
    return true;
  }

  async function flush() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    let outcome;
    try {
      // One tab at a time, so two open practice pages do not send the same answer together.
      outcome = navigator.locks ? await navigator.locks.request(LOCK, sendAll) : await sendAll();
    } finally {
      busy = false;
    }
    if (outcome.changed || (pendingHere && !waitingHere())) {
      location.reload();
      return;
    }
    if (outcome.elsewhere && reloadAfterElsewhere()) {
      return;
    }
    if (outcome.offline || outcome.elsewhere) {
      if (pendingHere) {
        showQueued();
      }
      if (retryTimer === null) {
        retryTimer = setTimeout(() => {
          retryTimer = null;
          flush();
        }, RETRY_MS);
      }
    }
    if (again) {
      again = false;
      flush();
    }
  }

  function onChoice(event) {
    const button = event.submitter;
    if (!button || !button.classList.contains("vakwerk-choice")) {
      return; // not a choice: let the browser submit
    }
    const data = new FormData(form);
    const entry = {
      url: new URL(form.action, location.href).pathname,
      node: String(data.get("node") || ""),
      choice: button.value,
      csrf: String(data.get("csrfmiddlewaretoken") || ""),
      page: location.pathname,
      step: formStep,
    };
    try {
      store.setItem(PREFIX + entry.url + "#" + entry.node, JSON.stringify(entry));
    } catch (error) {
      return; // could not keep it: let the browser submit
    }
    if (navigator.onLine) {
      return; // submit as usual; the entry is kept in case the post fails on the way
    }
    event.preventDefault();
    pendingHere = true;
    disableChoices();
    showQueued();
    flush();
  }

  if (form && "SubmitEvent" in window && "submitter" in SubmitEvent.prototype) {
    form.addEventListener("submit", onChoice);
  }
  dropArrived();
  if (form && waitingHere()) {
    pendingHere = true;
    disableChoices();
  }
  window.addEventListener("online", flush);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      dropArrived();
      flush();
    }
  });
  // Another tab sent the answer this page waits for.
  window.addEventListener("storage", (event) => {
    if (pendingHere && event.key && event.key.startsWith(PREFIX) && !waitingHere()) {
      location.reload();
    }
  });
  if (queued().length) {
    flush();
  }
})();
