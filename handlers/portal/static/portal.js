// Saldo's own few lines of script (served by Saldo, allowed by the CSP; everything works without
// it): confirmation dialogs and the loading state of payment buttons.
(function () {
  "use strict";
  // <button data-dialog="id"> opens <dialog id="id"> modally; [data-close] inside closes it.
  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog"));
      if (dialog && dialog.showModal) { e.preventDefault(); dialog.showModal(); }
      return;
    }
    var closer = e.target.closest("[data-close]");
    if (closer) {
      var d = closer.closest("dialog");
      if (d) { e.preventDefault(); d.close(); }
    }
  });
  // <button data-copy="id">: copies the text of #id to the clipboard (a key shown once, a
  // payment link); its label says data-copied for a moment.
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) { return; }
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied") || label;
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
  // A form with data-busy: its submit button shows the busy text and cannot be pressed twice.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-busy")) { return; }
    var button = e.submitter || form.querySelector("[type=submit]");
    if (!button) { return; }
    if (button.getAttribute("aria-busy") === "true") { e.preventDefault(); return; }
    button.setAttribute("aria-busy", "true");
    var text = form.getAttribute("data-busy");
    if (text) { button.textContent = text; }
  });
})();
