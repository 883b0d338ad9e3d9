// Confirmations in a dialog, for the destructive actions of the Passport pages.
//
// A form with data-confirm asks its question (data-confirm, and data-confirm-button for
// the button that goes ahead) in the page's dialog, #confirm-dialog, before it is sent.
// A link with data-dialog opens the dialog of the page it names instead of leading to the
// page that says the same (the social network switches). Without script the forms are
// sent and the links followed as they are: the owner check on the server protects the
// action, the dialog is a pause to think.
(function () {
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var question = document.getElementById("confirm-dialog-text");
  var yes = dialog.querySelector("[data-confirm-yes]");
  var pending = null;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.confirm || form.dataset.confirmed === "yes") {
      return;
    }
    event.preventDefault();
    pending = { form: form, submitter: event.submitter || null };
    question.textContent = form.dataset.confirm;
    yes.textContent = form.dataset.confirmButton || yes.dataset.label;
    dialog.showModal();
  });

  yes.addEventListener("click", function () {
    var asked = pending;
    pending = null;
    dialog.close();
    if (asked) {
      asked.form.dataset.confirmed = "yes";
      asked.form.requestSubmit(asked.submitter);
    }
  });

  document.querySelectorAll("a[data-dialog]").forEach(function (link) {
    var own = document.getElementById(link.dataset.dialog);
    if (!own || typeof own.showModal !== "function") {
      return;
    }
    link.addEventListener("click", function (event) {
      event.preventDefault();
      own.showModal();
    });
  });

  document.querySelectorAll("dialog [data-close]").forEach(function (button) {
    button.addEventListener("click", function () {
      pending = null;
      button.closest("dialog").close();
    });
  });
})();
