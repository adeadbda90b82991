/* A sub-type list that follows its category: <select data-subtype-of="category"> shows only the options whose
   data-category is the value of the form's field of that name, and clears a choice that no longer fits when the
   category changes. The server refuses a pair that does not fit either way. A static file, so the
   Content-Security-Policy needs no inline script. */
(function () {
  // Turbo runs this file again on every visit to a page that includes it: set up once, filter the lists each time.
  if (window.panhuoSubtypeFilter) { window.panhuoSubtypeFilter(); return; }
  function filter(select, clear) {
    var category = select.form && select.form.elements[select.dataset.subtypeOf];
    if (!category) return;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;  // the empty choice is always offered
      // On load a refused choice stays, shown beside its error; once the category changes it goes.
      var shown = option.dataset.category === category.value || (!clear && option.selected);
      option.hidden = !shown;
      option.disabled = !shown;
    });
    var chosen = select.options[select.selectedIndex];
    if (chosen && chosen.disabled) select.value = "";
  }
  function start() {
    document.querySelectorAll("select[data-subtype-of]").forEach(function (select) { filter(select, false); });
  }
  window.panhuoSubtypeFilter = start;
  start();
  document.addEventListener("turbo:load", start);
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.form) return;
    field.form.querySelectorAll("select[data-subtype-of]").forEach(function (select) {
      if (select.dataset.subtypeOf === field.name) filter(select, true);
    });
  });
})();
