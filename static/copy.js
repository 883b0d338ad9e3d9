// Copy buttons: [data-copy] names the element whose text the button copies, and
// [data-status] the live region that then says so, in the page's language.
(function () {
  if (!navigator.clipboard || !window.isSecureContext) {
    return; // The buttons stay hidden; the text stays selectable.
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.status);
    if (!source || !status) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "";
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { status.textContent = button.dataset.copied; },
        function () { status.textContent = button.dataset.failed; }
      );
    });
  });
})();
