// The print button of the transfer slip (no inline script: the pages' CSP allows none).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
