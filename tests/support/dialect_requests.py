"""The routes of the Attentive, legacy and inbound dialects as requests about one
company's subscriber: shared by the tenant matrix and the log tests."""

from __future__ import annotations

from typing import Any

PHONE = "+19148440171"
HOOK = "https://192.0.2.10/consent"

# Each route as a request about the first company's subscriber (`{key}`: its company
# key, `{request}`: one of its privacy requests, `{webhook}`: one of its webhooks).
REQUESTS: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("GET", "/v1/me"): ("/v1/me", None),
    ("GET", "/v1/messages"): (f"/v1/messages?to={PHONE}", None),
    ("GET", "/v1/privacy/delete-request/{request_id}"): (
        "/v1/privacy/delete-request/{request}",
        None,
    ),
    ("GET", "/v1/subscriptions"): (f"/v1/subscriptions?phone={PHONE}", None),
    ("GET", "/v1/subscriptions/proof"): (f"/v1/subscriptions/proof?phone={PHONE}", None),
    ("POST", "/1/subscribers/unsubscribe"): (
        "/1/subscribers/unsubscribe",
        {"phone": PHONE, "sendOptOutMessage": False},
    ),
    ("POST", "/inbound/sms/{company_key}"): ("/inbound/sms/{key}", {"from": PHONE, "body": "STOP"}),
    ("POST", "/v1/attributes/custom"): (
        "/v1/attributes/custom",
        {"properties": {"tier": "gold"}, "user": {"phone": PHONE}},
    ),
    ("POST", "/v1/identity-resolution/user-identifiers"): (
        "/v1/identity-resolution/user-identifiers",
        {"phone": PHONE, "clientUserId": "crm-1"},
    ),
    ("POST", "/v1/privacy/delete-request"): ("/v1/privacy/delete-request", {"subjectPhone": PHONE}),
    ("POST", "/v1/subscriptions"): (
        "/v1/subscriptions",
        {
            "user": {"phone": PHONE},
            "locale": {"language": "en", "country": "US"},
            "subscriptionType": "MARKETING",
            "singleOptIn": True,
        },
    ),
    ("POST", "/v1/subscriptions/eligibility"): (
        "/v1/subscriptions/eligibility",
        {"users": [{"phone": PHONE}]},
    ),
    ("POST", "/v1/subscriptions/unsubscribe"): (
        "/v1/subscriptions/unsubscribe",
        {"user": {"phone": PHONE}},
    ),
    ("GET", "/v1/webhooks"): ("/v1/webhooks", None),
    ("POST", "/v1/webhooks"): ("/v1/webhooks", {"url": HOOK, "events": ["sms.subscribed"]}),
    ("GET", "/v1/webhooks/{webhook_id}"): ("/v1/webhooks/{webhook}", None),
    ("PUT", "/v1/webhooks/{webhook_id}"): (
        "/v1/webhooks/{webhook}",
        {"url": "https://192.0.2.11/", "events": ["sms.unsubscribed"]},
    ),
    ("PATCH", "/v1/webhooks/{webhook_id}"): (
        "/v1/webhooks/{webhook}",
        {"url": "https://192.0.2.11/"},
    ),
    ("DELETE", "/v1/webhooks/{webhook_id}"): ("/v1/webhooks/{webhook}", None),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): ("/v1/webhooks/{webhook}/deliveries", None),
    ("POST", "/v2/user/attributes"): (
        "/v2/user/attributes",
        {"identifiers": {"phone": PHONE}, "attributes": {"tier": "gold"}},
    ),
}
