"""Pairwise subject identifiers (OIDC Core §8): each sector knows a person by an identifier
of its own, everywhere a `sub` reaches its portals; the sector_identifier_uri is checked
at registration (§8.1)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from ..support import registration
from ..support.delivery import for_client, logout_tokens_for, run_worker, verify_logout_token
from ..support.devices import device, signed_in
from ..support.documents import Documents
from ..support.relying_party import RelyingParty


@pytest.fixture
def site():
    with Documents() as documents:
        yield documents


def registered(live_server, redirect_uri: str, **metadata) -> RelyingParty:
    info = registration.registered(
        live_server.url,
        client_name="Pairwise portal",
        redirect_uris=[redirect_uri],
        grant_types=["authorization_code", "refresh_token"],
        **metadata,
    )
    return registration.portal_of(live_server.url, info, scope="openid email offline_access")


def sign_in(portal: RelyingParty, person) -> dict:
    with device(portal.issuer) as browser:
        return portal.sign_in(browser, person.email, person.password, prompt="consent")


def test_discovery_offers_pairwise(live_server):
    server = requests.get(live_server.url + "/.well-known/openid-configuration").json()
    assert server["subject_types_supported"] == ["public", "pairwise"]


def test_each_sector_knows_the_person_by_its_own_sub_everywhere(live_server, person, site):
    public = registered(live_server, "https://public.example/cb")
    shop = registered(live_server, "https://shop.example/cb", subject_type="pairwise")
    bank = registered(live_server, "https://bank.example/cb", subject_type="pairwise")
    # One sector: the portals its sector_identifier_uri lists know the person alike.
    uris = ["https://m.shop.example/cb", "https://www.shop.example/cb"]
    sector = site.publish("/shop-uris.json", uris)
    mobile, web = (
        registered(live_server, uri, subject_type="pairwise", sector_identifier_uri=sector)
        for uri in uris
    )
    subs = {}
    for name, portal in {"public": public, "shop": shop, "bank": bank}.items():
        tokens = sign_in(portal, person)
        sub = portal.verify_id_token(tokens["id_token"])["sub"]
        subs[name] = sub
        # The same sub in userinfo, introspection of both tokens, and a refresh's ID token.
        assert portal.userinfo(tokens["access_token"]).json()["sub"] == sub
        assert portal.introspect(tokens["access_token"])["sub"] == sub
        assert portal.introspect(tokens["refresh_token"])["sub"] == sub
        refreshed = portal.refresh(tokens["refresh_token"]).json()
        assert portal.verify_id_token(refreshed["id_token"])["sub"] == sub
    assert subs["public"] == person.sub
    assert len(set(subs.values())) == 3
    # The sector of a sector_identifier_uri is its host: both portals share it.
    mobile_sub = mobile.verify_id_token(sign_in(mobile, person)["id_token"])["sub"]
    assert mobile_sub == web.verify_id_token(sign_in(web, person)["id_token"])["sub"]
    assert mobile_sub not in subs.values() and len(mobile_sub) == 43


def test_logout_token_and_id_token_hint_carry_the_pairwise_sub(live_server, person, receiver):
    portal = registered(
        live_server,
        "https://shop.example/cb",
        subject_type="pairwise",
        backchannel_logout_uri=receiver.url + "/backchannel-logout",
        post_logout_redirect_uris=["https://shop.example/bye"],
    )
    with device(live_server.url) as browser:
        tokens = portal.sign_in(browser, person.email, person.password)
        sub = portal.verify_id_token(tokens["id_token"])["sub"]
        assert sub != person.sub
        # The hint names this session for this portal: no confirmation page.
        page = browser.open(
            portal.metadata["end_session_endpoint"]
            + "?"
            + urlencode(
                {
                    "id_token_hint": tokens["id_token"],
                    "post_logout_redirect_uri": "https://shop.example/bye",
                }
            )
        )
        assert page.status == 302, page.text[:300]
        assert not signed_in(browser)
    client_id = portal.client.client_id
    run_worker(live_server, lambda: receiver.wait_for(1, 0, for_client(client_id)), passes=5)
    [token] = logout_tokens_for(receiver.snapshot(), client_id)
    assert verify_logout_token(live_server.url, token)[1]["sub"] == sub


@pytest.mark.parametrize(
    ("document", "described"),
    [
        (["https://elsewhere.example/cb"], "does not list the redirect URI"),
        ({"redirect_uris": ["https://shop.example/cb"]}, "JSON array"),
        (None, "answered 404"),
    ],
)
def test_registration_refuses_a_sector_that_does_not_list_the_redirect_uris(
    live_server, site, document, described
):
    uri = site.publish("/uris.json", document) if document is not None else site.url + "/none"
    answer = registration.register(
        live_server.url,
        redirect_uris=["https://shop.example/cb"],
        subject_type="pairwise",
        sector_identifier_uri=uri,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_client_metadata"
    assert described in answer.json()["error_description"]


def test_redirect_uris_on_several_hosts_need_a_sector(live_server):
    answer = registration.register(
        live_server.url,
        redirect_uris=["https://a.example/cb", "https://b.example/cb"],
        subject_type="pairwise",
    )
    assert answer.status_code == 400
    assert "sector_identifier_uri" in answer.json()["error_description"]


def test_a_change_of_redirect_uris_is_checked_against_the_sector_again(live_server, site):
    sector = site.publish("/uris.json", ["https://shop.example/cb"])
    portal = registered(
        live_server,
        "https://shop.example/cb",
        subject_type="pairwise",
        sector_identifier_uri=sector,
    )
    info = portal.client.metadata
    changed = requests.put(
        info["registration_client_uri"],
        json={
            "client_id": info["client_id"],
            "redirect_uris": ["https://shop.example/cb", "https://other.example/cb"],
            "subject_type": "pairwise",
            "sector_identifier_uri": sector,
        },
        headers={"Authorization": "Bearer " + info["registration_access_token"]},
        timeout=10,
    )
    assert changed.status_code == 400, changed.text
    assert changed.json()["error"] == "invalid_client_metadata"
