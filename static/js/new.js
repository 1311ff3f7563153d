// New ticket: when the severity changes, show the deadlines and the out-of-hours choice for
// it (the same page, rendered by the server for that severity). Without this script the
// preview shown is for the severity the page was opened with; the server checks again.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('new-ticket');
    if (!form) { return; }
    form.querySelectorAll('input[name=severity]').forEach(function (radio) {
      radio.addEventListener('change', function () {
        fetch('/portal/new?severity=' + encodeURIComponent(radio.value), { credentials: 'same-origin' })
          .then(function (r) { if (r.status !== 200 || r.redirected) { throw new Error(); } return r.text(); })
          .then(function (html) {
            var page = new DOMParser().parseFromString(html, 'text/html');
            ['preview', 'critical-call'].forEach(function (id) {
              var fresh = page.getElementById(id);
              var here = document.getElementById(id);
              if (!fresh || !here) { return; }
              var chosen = form.querySelector('input[name=choice]:checked');
              here.replaceWith(fresh);
              if (chosen) {
                var again = form.querySelector('input[name=choice][value="' + chosen.value + '"]');
                if (again) { again.checked = true; }
              }
            });
          })
          .catch(function () { /* the preview stays as it was; the server decides on filing */ });
      });
    });
  });
}());
