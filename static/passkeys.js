// Passkeys (WebAuthn): the ceremonies the Passport page and the sign-in page ask for. The
// server makes every challenge and checks every answer (server/domain/passkeys.py); this
// file only carries them between it and the browser's authenticator.
"use strict";

function csrfToken(form) {
  const field = form && form.querySelector("input[name=csrf_token]");
  return field ? field.value : "";
}

async function postJSON(url, body, token) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  return { ok: response.ok, body: await response.json() };
}

function supported() {
  return (
    window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function"
  );
}

function say(element, text) {
  if (!element) return;
  element.textContent = text;
  element.hidden = !text;
}

async function addPasskey(event) {
  const form = event.target;
  event.preventDefault();
  const error = document.getElementById("passkey-error");
  if (!supported()) return say(error, form.dataset.unsupported);
  say(error, "");
  const asked = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    credentials: "same-origin",
  });
  const options = await asked.json();
  if (!asked.ok) return say(error, options.error);
  let credential;
  try {
    credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    });
  } catch (failure) {
    return say(error, form.dataset.cancelled);
  }
  const name = form.querySelector("input[name=name]").value;
  const added = await postJSON(
    form.dataset.add,
    { name: name, credential: credential.toJSON() },
    csrfToken(form),
  );
  if (!added.ok) return say(error, added.body.error);
  window.location.assign(added.body.redirect);
}

async function signIn(form, mediation, abort) {
  const error = document.getElementById("passkey-error");
  const asked = await fetch(form.dataset.options, {
    method: "POST",
    headers: { "X-CSRFToken": csrfToken(form) },
    credentials: "same-origin",
  });
  const options = await asked.json();
  const request = { publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) };
  if (mediation) request.mediation = mediation;
  if (abort) request.signal = abort.signal;
  let credential;
  try {
    credential = await navigator.credentials.get(request);
  } catch (failure) {
    if (!mediation) say(error, form.dataset.cancelled);
    return;
  }
  const next = form.querySelector("input[name=next]");
  const done = await postJSON(
    form.dataset.signIn,
    { credential: credential.toJSON(), next: next ? next.value : "" },
    csrfToken(form),
  );
  if (!done.ok) return say(error, done.body.error);
  window.location.assign(done.body.redirect);
}

document.addEventListener("DOMContentLoaded", async () => {
  const add = document.getElementById("add-passkey");
  if (add) add.addEventListener("submit", addPasskey);
  const second = document.getElementById("passkey-second-step");
  if (second && supported()) {
    second.hidden = false;
    second.addEventListener("submit", (event) => {
      event.preventDefault();
      signIn(second, null, null);
    });
  }
  const login = document.getElementById("passkey-sign-in");
  if (!login || !supported()) return;
  login.hidden = false;
  let waiting = null;
  // Conditional UI: the browser offers passkeys in the login field's autofill.
  if (await PublicKeyCredential.isConditionalMediationAvailable?.()) {
    waiting = new AbortController();
    signIn(login, "conditional", waiting);
  }
  login.addEventListener("submit", (event) => {
    event.preventDefault();
    if (waiting) waiting.abort();
    waiting = null;
    signIn(login, null, null);
  });
});
