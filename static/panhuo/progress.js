/* Polls a job's progress JSON every second and fills the parts of each box marked data-role, then reloads the page
   when the job is finished. A box: <div data-progress-url="…" data-done-key="…" data-total-key="…"
   data-finished-key="…">. A static file, so the Content-Security-Policy needs no inline script. */
(function () {
  // Turbo runs this file again on every visit to a page that includes it: set up once, look for boxes each time.
  if (window.panhuoProgressStart) { window.panhuoProgressStart(); return; }
  function watch(box) {
    if (box.dataset.progressWatched) return;
    box.dataset.progressWatched = "1";
    function part(role) { return box.querySelector('[data-role="' + role + '"]'); }
    function show(role, value) { if (part(role)) { part(role).textContent = value; } }
    function tick() {
      if (!document.body.contains(box)) return;  // the user has moved on to another page
      fetch(box.dataset.progressUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (d) {
          show("label", d.status_label);
          show("done", d[box.dataset.doneKey]);
          show("total", d[box.dataset.totalKey]);
          show("percent", d.percent);
          if (part("bar")) { part("bar").style.width = d.percent + "%"; }
          if (d[box.dataset.finishedKey]) {
            if (window.Turbo) { window.Turbo.visit(window.location.href, {action: "replace"}); }
            else { window.location.reload(); }
          } else {
            setTimeout(tick, 1000);
          }
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 1000);
  }
  /* Reloads a page once after a pause while something on it is being made (data-reload-after="3000"). */
  function reloadLater(el) {
    if (el.dataset.reloadWatched) return;
    el.dataset.reloadWatched = "1";
    setTimeout(function () {
      if (!document.body.contains(el)) return;
      var url = el.dataset.reloadUrl || window.location.href;
      if (window.Turbo) { window.Turbo.visit(url, {action: "replace"}); } else { window.location.assign(url); }
    }, parseInt(el.dataset.reloadAfter, 10) || 3000);
  }
  function start() {
    document.querySelectorAll("[data-progress-url]").forEach(watch);
    document.querySelectorAll("[data-reload-after]").forEach(reloadLater);
  }
  window.panhuoProgressStart = start;
  start();
  document.addEventListener("turbo:load", start);
})();
