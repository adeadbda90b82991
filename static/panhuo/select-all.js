/* A checkbox marked data-select-all="<selector>" ticks or clears every checkbox the selector finds. */
(function () {
  if (window.panhuoSelectAll) return;
  window.panhuoSelectAll = true;
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) return;
    document.querySelectorAll(box.dataset.selectAll).forEach(function (b) { b.checked = box.checked; });
  });
})();
