// The desk's live parts: countdowns in business and wall-clock time, and the queue fetched
// again whenever the server says a ticket changed (server-sent events). Without this
// script the desk still works; it just does not move until reloaded.
(function () {
  'use strict';

  var offset = 0;      // server time minus this browser's time, in seconds
  var renderedAt = 0;  // when the rows on screen were rendered (browser ms)
  var loading = false;
  var again = false;

  function table() { return document.getElementById('queue-table'); }
  function say(text) {
    var el = document.getElementById('live-status');
    if (el) { el.textContent = text; }
  }

  function sync() {
    var t = table();
    if (!t) { return; }
    offset = Number(t.dataset.now) - Date.now() / 1000;
    renderedAt = Date.now();
  }

  // Wall-clock time in days and hours; business time (`hoursOnly`) in hours, since a
  // business day is not 24 hours.
  function words(secs, hoursOnly) {
    secs = Math.floor(secs);
    var d = hoursOnly ? 0 : Math.floor(secs / 86400);
    var h = Math.floor((secs - d * 86400) / 3600);
    var m = Math.floor((secs % 3600) / 60);
    if (d > 0) { return d + ' d ' + h + ' h'; }
    if (h > 0) { return h + ' h ' + (m < 10 ? '0' : '') + m + ' min'; }
    if (m > 0) { return m + ' min'; }
    return secs + ' s';
  }

  function tick() {
    var now = Date.now() / 1000 + offset;
    var elapsed = (Date.now() - renderedAt) / 1000;
    var refresh = false;
    document.querySelectorAll('.countdown').forEach(function (el) {
      var wall = Number(el.dataset.due) - now;
      var start = Number(el.dataset.business);
      var ticking = el.dataset.ticking === '1';
      var business = start - (ticking ? elapsed : 0);
      el.querySelector('.wall').textContent =
        wall >= 0 ? 'due in ' + words(wall) : words(-wall) + ' overdue';
      el.querySelector('.business').textContent =
        business >= 0 ? words(business, true) + ' left' : words(-business, true) + ' over';
      var until = Number(el.dataset.until);
      if ((until && now >= until) || (ticking && start >= 0 && business < 0)) { refresh = true; }
    });
    if (refresh) { load(); }
  }

  function load() {
    if (loading) { again = true; return; }
    loading = true;
    fetch('/desk/rows' + window.location.search, { credentials: 'same-origin' })
      .then(function (r) {
        if (r.redirected) { window.location.reload(); throw new Error('signed out'); }
        if (r.status !== 200) { throw new Error('status ' + r.status); }
        return r.text();
      })
      .then(function (html) {
        document.getElementById('queue').innerHTML = html;
        sync();
        tick();
      })
      .catch(function () { say('Could not refresh the queue; trying again with the next change.'); })
      .finally(function () {
        loading = false;
        if (again) { again = false; load(); }
      });
  }

  function listen() {
    if (!window.EventSource) { return; }
    var events = new EventSource('/desk/live');
    events.addEventListener('changed', function (e) {
      say('Live: changes appear as they happen.');
      var t = table();
      if (!t || Number(e.data) > Number(t.dataset.seen)) { load(); }
    });
    events.onerror = function () { say('Connection lost; reconnecting…'); };
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!table()) { return; }
    sync();
    tick();
    window.setInterval(tick, 1000);
    listen();
  });
}());
