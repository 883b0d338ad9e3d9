// The time zone form: when the person has chosen none, offer this device's own zone with a
// button (hidden without script), so that nobody scrolls through five hundred places.
(function () {
  var button = document.getElementById("use-device-zone");
  var select = document.getElementById("zoneinfo");
  if (!button || !select || !window.Intl) {
    return;
  }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var option = zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]');
  // Nothing to offer when the device is where the page already is (no zone chosen is UTC).
  if (!option || select.value === zone || (zone === "UTC" && select.value === "")) {
    return;
  }
  button.textContent = button.dataset.label.replace("@zone@", option.textContent);
  button.hidden = false;
  button.addEventListener("click", function () {
    select.value = zone;
    select.form.requestSubmit();
  });
})();
