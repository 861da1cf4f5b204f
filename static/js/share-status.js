/* My shares, live. Rows on their way out (tr[data-in-flight]) are asked about at the page's
   data-share-status-url (?ids=3,4: the person's own shares only) and replaced in place as they
   move queued → posting → posted (with the link) or failed (with the reason and Retry).
   Polling backs off (1 s, ×1.5, at most 15 s; back to 1 s after a change), pauses while the
   tab is hidden and stops when nothing is in flight or after 15 minutes. Without JavaScript
   the page offers a Refresh link. No dependencies. */
(function () {
  "use strict";
  var table = document.querySelector("table[data-share-status-url]");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-share-status-url");
  var note = document.querySelector("[data-live-note]");
  var noteText = note && note.querySelector("[data-live-note-text]");
  var announcer = document.querySelector("[data-live-announce]");
  var FIRST = 1000, FACTOR = 1.5, MAX = 15000, GIVE_UP = 15 * 60 * 1000, MAX_ERRORS = 4;
  var delay = FIRST, started = Date.now(), timer = null, inFlightRequest = false, errors = 0;

  function watched() {
    return Array.prototype.map.call(table.querySelectorAll("tr[data-in-flight]"), function (row) {
      return row.getAttribute("data-share-id");
    });
  }

  function say(text, showRefresh) {
    if (!note) { return; }
    note.hidden = false;
    if (noteText) { noteText.textContent = text; }
    var refresh = note.querySelector("[data-live-refresh]");
    if (refresh) { refresh.hidden = !showRefresh; }
  }

  function stop(text) {
    clearTimeout(timer);
    timer = null;
    if (text) { say(text, true); } else if (note) { note.hidden = true; }
  }

  function schedule() {
    clearTimeout(timer);
    if (!watched().length) { stop(""); return; }
    if (Date.now() - started > GIVE_UP) { stop("Stopped updating by itself: refresh to see the latest."); return; }
    if (document.hidden) { return; } // visibilitychange starts again
    timer = setTimeout(poll, delay);
    delay = Math.min(delay * FACTOR, MAX);
  }

  function replaceRow(row, html) {
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var fresh = holder.querySelector("tr");
    if (!fresh) { return; }
    if (row.classList.contains("just-shared")) { fresh.classList.add("just-shared"); }
    var hadFocus = row.contains(document.activeElement);
    row.replaceWith(fresh);
    if (hadFocus) {
      var target = fresh.querySelector("button, a");
      if (target) { target.focus(); }
    }
  }

  function apply(data) {
    var changed = false, seen = {};
    (data.shares || []).forEach(function (share) {
      seen[share.id] = true;
      var row = table.querySelector('tr[data-share-id="' + share.id + '"]');
      if (!row) { return; }
      var summary = document.querySelector('[data-summary-for="' + share.id + '"]');
      if (row.getAttribute("data-share-status") === share.status) { return; }
      changed = true;
      replaceRow(row, share.row);
      if (summary) { summary.innerHTML = share.summary; }
      if (announcer) {
        var cell = table.querySelector('tr[data-share-id="' + share.id + '"] td[data-label=Network]');
        announcer.textContent = (cell ? cell.textContent + ": " : "") + share.status;
      }
    });
    // A share that is no longer this person's (deleted) is not asked about again.
    table.querySelectorAll("tr[data-in-flight]").forEach(function (row) {
      if (!seen[row.getAttribute("data-share-id")]) { row.removeAttribute("data-in-flight"); }
    });
    if (changed) { delay = FIRST; }
  }

  function poll() {
    var ids = watched();
    if (!ids.length) { stop(""); return; }
    if (inFlightRequest) { return; }
    inFlightRequest = true;
    fetch(url + "?ids=" + ids.join(","), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      redirect: "error", // a lapsed session is sent to the login page: stop, offer Refresh
      cache: "no-store",
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }).then(function (data) {
      inFlightRequest = false;
      errors = 0;
      apply(data);
      schedule();
    }, function () {
      inFlightRequest = false;
      errors += 1;
      if (errors >= MAX_ERRORS) { stop("Could not check for updates: refresh to see the latest."); return; }
      schedule();
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && watched().length && !inFlightRequest) {
      delay = FIRST;
      schedule();
    }
  });

  if (watched().length) {
    say("Updating as your shares go out…", false);
    schedule();
  }
})();
