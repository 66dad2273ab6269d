// pakn: small scripts for every page. No build step, no inline script (the CSP forbids it).
"use strict";

// Asks before an action that closes an item or deletes a setting (forms with data-confirm).
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The live queue: every page of a signed-in user asks /live/changes every few seconds what
// changed since its last answer (review/live_views.py says why a poll and not a stream).
// Counts in the queue's tabs follow; the queue page reloads its list when something moved
// (queue.js registers pakn.onChange); an urgent item nobody has touched raises a notification
// with a sound, once per tab, and the tab's title shows how many wait; a reply of this user
// that failed is notified once. window.pakn.refresh() polls at once (the tests call it).
(function () {
  var signedIn = document.querySelector("nav.mainnav");
  var script = document.currentScript;
  if (!signedIn || !script || !window.fetch) {
    return;
  }
  var base = script.src.replace(/static\/pakn\.js(\?.*)?$/, "");
  var queue = document.getElementById("queue");
  var store = window.sessionStorage;
  var baseTitle = document.title;
  var pollMs = 1000 * Number((queue && queue.getAttribute("data-poll-seconds")) || 10);
  var timer = null;
  var audio = null;
  var pakn = (window.pakn = window.pakn || {});
  pakn.shown = []; // notifications raised by this page, newest last (also for the tests)
  pakn.beeps = 0;

  function load(key) {
    try {
      return JSON.parse(store.getItem("pakn." + key) || "null");
    } catch (e) {
      return null;
    }
  }
  function save(key, value) {
    try {
      store.setItem("pakn." + key, JSON.stringify(value));
    } catch (e) {
      /* private mode: the tab simply forgets */
    }
  }

  // Browsers start sound only after the user touched the page: the first click or key does.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    audio = audio || new Context();
    if (audio.state === "suspended") {
      audio.resume();
    }
  }
  document.addEventListener("click", unlockAudio);
  document.addEventListener("keydown", unlockAudio);

  function beep() {
    pakn.beeps += 1;
    if (!audio || audio.state !== "running") {
      return;
    }
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.25, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  }

  function notify(note, urgent) {
    pakn.shown.push({ title: note.title, body: note.body, url: note.url });
    if (!("Notification" in window) || Notification.permission !== "granted") {
      return;
    }
    try {
      var shown = new Notification(note.title, {
        body: note.body,
        tag: note.url,
        requireInteraction: urgent,
      });
      shown.onclick = function () {
        window.focus();
        window.location.href = note.url;
      };
    } catch (e) {
      // Phones only notify through a service worker: the title and the sound still tell.
    }
  }

  function showCounts(counts, texts) {
    Object.keys(counts || {}).forEach(function (view) {
      document.querySelectorAll('[data-count-of="' + view + '"]').forEach(function (el) {
        // The server's words ("10.000", "hơn 10.000") when it sends them, else the number.
        el.textContent = texts && texts[view] != null ? texts[view] : String(counts[view]);
      });
    });
  }

  function apply(data) {
    var seen = load("urgentSeen");
    var first = seen === null;
    seen = seen || [];
    var fresh = data.urgent.filter(function (u) {
      return seen.indexOf(u.id) < 0;
    });
    if (!first) {
      fresh.forEach(function (u) {
        notify(u, true);
      });
      if (fresh.length) {
        beep();
      }
    }
    save("urgentSeen", seen.concat(fresh.map((u) => u.id)).slice(-200));
    var told = load("repliesSeen") || [];
    data.replies.forEach(function (r) {
      if (told.indexOf(r.key) < 0) {
        notify(r, false);
        told.push(r.key);
      }
    });
    save("repliesSeen", told.slice(-200));
    document.title = (data.urgent.length ? "(" + data.urgent.length + ") " : "") + baseTitle;
    var before = JSON.stringify(load("counts"));
    save("counts", data.counts);
    showCounts(data.counts, data.count_texts);
    save("cursor", data.cursor);
    var moved = data.changed || (before !== "null" && before !== JSON.stringify(data.counts));
    if (moved && typeof pakn.onChange === "function") {
      return pakn.onChange();
    }
    return null;
  }

  function refresh() {
    window.clearTimeout(timer);
    var cursor = load("cursor") || (queue && queue.getAttribute("data-live-cursor")) || "";
    var url = base + "live/changes?since=" + encodeURIComponent(cursor);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        return data ? apply(data) : null;
      })
      .catch(function () {
        return null; // offline for a moment: the next poll tries again
      })
      .then(function () {
        timer = window.setTimeout(refresh, pollMs);
      });
  }
  pakn.refresh = refresh;

  // The opt-in: browsers only ask for permission from a click.
  var optin = document.querySelector("[data-notify-optin]");
  var state = document.querySelector("[data-notify-state]");
  function showPermission() {
    if (!optin || !("Notification" in window)) {
      return;
    }
    var permission = Notification.permission;
    optin.hidden = permission !== "default";
    if (state) {
      state.hidden = permission === "default";
      state.textContent = optin.getAttribute(permission === "granted" ? "data-on" : "data-blocked");
    }
  }
  if (optin) {
    optin.addEventListener("click", function () {
      unlockAudio();
      Notification.requestPermission().then(showPermission);
    });
    showPermission();
  }

  if (load("counts") === null && queue) {
    // This tab's first page: what is on screen is known, only what comes next is news.
    save("cursor", queue.getAttribute("data-live-cursor"));
  }
  pakn.ready = refresh(); // settles once the first answer is applied
})();
