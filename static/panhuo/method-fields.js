/* The plan form asks only what the chosen 盘活方式 needs: a field whose input carries data-for-methods="lease auction"
   shows when the form's method is one of those codes, and hides otherwise (a field with an error always shows). The
   server decides what is required either way; this only spares the clerk the other methods' questions. A static
   file, so the Content-Security-Policy needs no inline script. */
(function () {
  if (window.panhuoMethodFields) { window.panhuoMethodFields(); return; }
  function sync(form) {
    var method = form.elements.method;
    if (!method) return;
    form.querySelectorAll("[data-for-methods]").forEach(function (input) {
      var box = input.closest(".ph-field") || input;
      var wanted = input.dataset.forMethods.split(" ").indexOf(method.value) >= 0;
      box.hidden = !wanted && !box.classList.contains("ph-field--invalid");
    });
  }
  function start() {
    document.querySelectorAll("form [data-for-methods]").forEach(function (input) { sync(input.form); });
  }
  window.panhuoMethodFields = start;
  start();
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("turbo:load", start);
  document.addEventListener("change", function (event) {
    if (event.target.name === "method" && event.target.form) sync(event.target.form);
  });
})();
