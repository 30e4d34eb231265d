"""Message texts in the console: the listing with SMS counts, preview, save, reset,
refusals that keep what was typed, and one company's texts out of another's reach."""

from __future__ import annotations

import re

import httpx

from optledger.core.use_cases.audit import AuditFilter, list_audit
from tests.conftest import Tenant, make_tenant
from tests.support.console_forms import csrf_of, sign_in
from tests.support.operator_helpers import make_operator_without_token

EDIT = "/console/templates/edit?locale=en-US&kind=WELCOME"
GSM = "{company}: " + "Thanks for joining! " * 4
# The same words and an emoji: the whole text goes as UCS-2.
EMOJI = GSM + "🎉"


def sms_of(page: httpx.Response) -> tuple[int, int, str]:
    """(characters, segments, encoding) as the preview shows them."""
    found = re.search(
        r'class="characters">(\d+)<.*?class="segments">(\d+)<.*?class="encoding">([^<]+)<',
        page.text,
        re.S,
    )
    assert found is not None, page.text
    return int(found.group(1)), int(found.group(2)), found.group(3)


def row_of(listing: httpx.Response, locale: str, kind: str) -> str:
    found = re.search(rf'data-template="{locale}/{kind}".*?</tr>', listing.text, re.S)
    assert found is not None, listing.text
    return found.group(0)


async def post(console: httpx.AsyncClient, url: str, **fields: str) -> httpx.Response:
    """Post the form on the edit page of `url`'s locale and kind."""
    form = await console.get(EDIT)
    return await console.post(url, data={"csrf": csrf_of(form), **fields})


async def test_every_kind_per_locale_is_listed_with_its_sms(
    console: httpx.AsyncClient, operator: str
) -> None:
    listing = await console.get("/console/templates")
    assert listing.status_code == 200
    assert 'href="/console/templates" aria-current="page"' in listing.text
    for locale in ("en-US", "fr-CA"):
        for kind in ("CONFIRMATION_PROMPT", "WELCOME", "ALREADY_SUBSCRIBED", "HELP"):
            assert "built-in" in row_of(listing, locale, kind)
    # "Vous êtes": ê is outside GSM-7.
    assert "UCS-2" in row_of(listing, "fr-CA", "ALREADY_SUBSCRIBED")
    assert "GSM-7" in row_of(listing, "en-US", "HELP")


async def test_preview_counts_segments_and_save_keeps_the_text(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    shown = await console.get(EDIT)
    assert shown.status_code == 200
    assert "Reset to built-in" not in shown.text
    gsm = await post(console, EDIT, text=GSM, action="preview")
    assert gsm.status_code == 200
    # "Acme: Thanks for joining! ..." (the trailing space is not sent).
    assert sms_of(gsm) == (85, 1, "GSM-7")
    emoji = await post(console, EDIT, text=EMOJI, action="preview")
    assert sms_of(emoji) == (88, 2, "UCS-2")
    assert "Acme: Thanks for joining!" in emoji.text
    # A preview saves nothing.
    assert "built-in" in row_of(await console.get("/console/templates"), "en-US", "WELCOME")

    saved = await post(console, EDIT, text=EMOJI, action="save")
    assert saved.status_code == 303, saved.text
    page = await console.get(saved.headers["location"])
    assert "Saved" in page.text
    assert sms_of(page) == (88, 2, "UCS-2")
    row = row_of(await console.get("/console/templates"), "en-US", "WELCOME")
    assert "company" in row
    assert re.search(r'class="num segments"[^>]*>2 ', row)
    [entry] = await list_audit(
        tenant.database, AuditFilter(tenant.company_id, object_type="template")
    )
    assert (entry.action, entry.actor, entry.object_id) == (
        "template.set",
        operator,
        "en-US/WELCOME",
    )
    assert entry.changes["text"]["after"] == EMOJI


async def test_preview_fills_in_the_companys_values(
    console: httpx.AsyncClient, operator: str
) -> None:
    previewed = await post(
        console, EDIT, text="{company} welcomes you. {disclosure}", action="preview"
    )
    text = re.search(r'id="preview-text">([^<]*)<', previewed.text)
    assert text is not None
    assert text.group(1).startswith("Acme welcomes you. By subscribing you agree")
    assert "Msg &amp; data rates may apply" in text.group(1)
    assert "{disclosure}" not in text.group(1)
    assert "is filled in with the disclosure of unit" in previewed.text


async def test_reset_goes_back_to_the_built_in_text(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    assert (await post(console, EDIT, text=GSM, action="save")).status_code == 303
    shown = await console.get(EDIT)
    assert "Reset to built-in" in shown.text
    reset_url = "/console/templates/reset?locale=en-US&kind=WELCOME"
    forged = await console.post(reset_url, data={"csrf": "forged"})
    assert forged.status_code == 403
    reset = await console.post(reset_url, data={"csrf": csrf_of(shown)})
    assert reset.status_code == 303
    page = await console.get(reset.headers["location"])
    assert "Back to the built-in text" in page.text
    assert "Acme: You are now subscribed." in page.text
    assert "built-in" in row_of(await console.get("/console/templates"), "en-US", "WELCOME")
    actions = [e.action for e in await list_audit(tenant.database, AuditFilter(tenant.company_id))]
    assert actions[:2] == ["template.reset", "template.set"]


async def test_a_refused_text_comes_back_as_typed_with_the_reason(
    console: httpx.AsyncClient, operator: str
) -> None:
    cases = {
        "{company} and {coupon}": "unknown placeholders",
        "   ": "must not be empty",
        "{company": "malformed",
        "Ring\x07 the bell": "must not contain control characters",
        "x" * 1601: "at most 1600 characters",
    }
    for typed, reason in cases.items():
        for action in ("preview", "save"):
            refused = await post(console, EDIT, text=typed, action=action)
            assert refused.status_code == 400, (typed, action)
            assert 'role="alert"' in refused.text
            assert reason in refused.text, (typed, refused.text)
            assert typed.replace("\x07", "") in refused.text.replace("\x07", "")
            assert 'id="preview-text"' not in refused.text
    assert "built-in" in row_of(await console.get("/console/templates"), "en-US", "WELCOME")
    bad_locale = await console.get("/console/templates/edit?locale=english&kind=HELP")
    assert bad_locale.status_code == 400
    assert "must look like en-US" in bad_locale.text
    assert (await console.get("/console/templates/edit?locale=en-US&kind=NOPE")).status_code in (
        400,
        422,
    )


async def test_a_new_locale_starts_from_the_en_us_text(
    console: httpx.AsyncClient, operator: str
) -> None:
    url = "/console/templates/edit?locale=de-DE&kind=HELP"
    shown = await console.get(url)
    assert "Acme: Reply STOP to unsubscribe." in shown.text
    saved = await post(console, url, text="{company}: STOP zum Abmelden", action="save")
    assert saved.status_code == 303
    assert "company" in row_of(await console.get("/console/templates"), "de-DE", "HELP")


async def test_another_companys_operator_neither_sees_nor_changes_these_texts(
    tenant: Tenant, console: httpx.AsyncClient, operator: str
) -> None:
    assert (await post(console, EDIT, text=GSM, action="save")).status_code == 303
    other = await make_tenant(tenant.database, name="Other brand")
    await sign_in(console, await make_operator_without_token(tenant.database, [other.key]))
    theirs = await console.get("/console/templates")
    assert "Thanks for joining" not in theirs.text
    assert "built-in" in row_of(theirs, "en-US", "WELCOME")
    page = await console.get(EDIT)
    assert "Thanks for joining" not in page.text
    assert "Other brand: You are now subscribed." in page.text
    # Their changes and resets land in their own company only.
    assert (await post(console, EDIT, text="{company} hi", action="save")).status_code == 303
    reset = await console.post(
        "/console/templates/reset?locale=en-US&kind=WELCOME", data={"csrf": csrf_of(page)}
    )
    assert reset.status_code == 303
    await sign_in(console, operator)
    ours = await console.get("/console/templates")
    row = row_of(ours, "en-US", "WELCOME")
    assert "company" in row
    assert "Thanks for joining" in row
    mine = await list_audit(tenant.database, AuditFilter(tenant.company_id, object_type="template"))
    assert [entry.action for entry in mine] == ["template.set"]
