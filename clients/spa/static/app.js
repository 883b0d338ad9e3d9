// The single-page portal: everything a browser app does to sign in with Passport.
// oidc-client-ts talks to Passport directly from this origin: discovery and the JWKS
// (public documents), the token endpoint (code + PKCE, then the refresh_token grant), the
// userinfo endpoint and the revocation endpoint, each allowed by Passport's CORS for the
// origin of this client's redirect URI.

const config = await (await fetch("/config.json")).json();

const manager = new oidc.UserManager({
  authority: config.issuer,
  client_id: config.client_id,
  redirect_uri: `${location.origin}/callback`,
  post_logout_redirect_uri: `${location.origin}/`,
  response_type: "code", // with PKCE, which oidc-client-ts always sends
  scope: "openid email profile offline_access",
  // The ID token names the person (sub); the e-mail and profile come from userinfo.
  loadUserInfo: true,
  // With a refresh token, signinSilent() is the refresh_token grant, by fetch; Passport
  // rotates the refresh token each time.
  automaticSilentRenew: true,
  // Sign-out revokes the tokens (RFC 7009) before leaving for Passport's end-session page.
  revokeTokensOnSignout: true,
  userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
});

const $ = (id) => document.getElementById(id);
let refreshes = 0;

function tail(token) {
  return token ? `…${token.slice(-8)}` : "(none)";
}

function show(user) {
  const signedIn = Boolean(user && !user.expired);
  $("signed-in").hidden = !signedIn;
  $("signed-out").hidden = signedIn;
  $("status").textContent = signedIn ? "Signed in." : "Not signed in.";
  if (!signedIn) return;
  $("who").textContent = user.profile.email || user.profile.sub;
  $("claims").textContent = JSON.stringify(user.profile, null, 2);
  $("access-token").textContent = tail(user.access_token);
  $("access-token").dataset.value = user.access_token;
  $("refresh-token").textContent = tail(user.refresh_token);
  $("refresh-token").dataset.value = user.refresh_token || "";
  $("expires-in").textContent = String(user.expires_in);
  $("refreshes").textContent = `${refreshes} time${refreshes === 1 ? "" : "s"}`;
}

function failed(error) {
  $("status").textContent = `Error: ${error.message || error}`;
}

$("sign-in").addEventListener("click", () => manager.signinRedirect().catch(failed));

$("refresh").addEventListener("click", async () => {
  try {
    const user = await manager.signinSilent();
    refreshes += 1;
    show(user);
    $("status").textContent = "Refreshed.";
  } catch (error) {
    failed(error);
  }
});

$("userinfo").addEventListener("click", async () => {
  try {
    const user = await manager.getUser();
    const endpoint = await manager.metadataService.getUserInfoEndpoint();
    const answer = await fetch(endpoint, {
      headers: { Authorization: `Bearer ${user.access_token}` },
    });
    $("userinfo-answer").textContent = JSON.stringify(await answer.json(), null, 2);
    $("status").textContent = `Userinfo answered ${answer.status}.`;
  } catch (error) {
    failed(error);
  }
});

$("sign-out").addEventListener("click", () => manager.signoutRedirect().catch(failed));

manager.events.addUserLoaded(show);
manager.events.addUserUnloaded(() => show(null));
manager.events.addSilentRenewError(failed);

try {
  if (location.pathname === "/callback") {
    await manager.signinRedirectCallback();
    history.replaceState(null, "", "/");
  }
  show(await manager.getUser());
} catch (error) {
  show(null);
  failed(error);
}
