"""All tables, imported together so that `Base.metadata` is complete."""

from optledger.storage.tables.attributes import AttributeDefinition, PersonAttribute
from optledger.storage.tables.audit import OperatorAudit
from optledger.storage.tables.base import Base
from optledger.storage.tables.companies import Company, Credential, ServerSecret
from optledger.storage.tables.delivery import Message, WorkerHeartbeat
from optledger.storage.tables.events import Event
from optledger.storage.tables.idempotency import IdempotentAnswer
from optledger.storage.tables.imports import ImportJob, ImportRefusal
from optledger.storage.tables.inbound import ConfirmationBlock, InboundMessage
from optledger.storage.tables.ledger import (
    LedgerLeaf,
    LedgerRedaction,
    LedgerSeal,
    LedgerVerification,
)
from optledger.storage.tables.operators import (
    Operator,
    OperatorCompany,
    OperatorToken,
    SignInFailure,
)
from optledger.storage.tables.people import Person, PersonIdentifier
from optledger.storage.tables.privacy import PrivacyKey, PrivacyRequest, Suppression
from optledger.storage.tables.subscriptions import (
    SignUpUnit,
    SubscriptionCount,
    SubscriptionList,
    SubscriptionRecord,
)
from optledger.storage.tables.webhooks import Webhook, WebhookDelivery, WebhookTopic

__all__ = [
    "AttributeDefinition",
    "Base",
    "Company",
    "ConfirmationBlock",
    "Credential",
    "Event",
    "IdempotentAnswer",
    "ImportJob",
    "ImportRefusal",
    "InboundMessage",
    "LedgerLeaf",
    "LedgerRedaction",
    "LedgerSeal",
    "LedgerVerification",
    "Message",
    "Operator",
    "OperatorAudit",
    "OperatorCompany",
    "OperatorToken",
    "Person",
    "PersonAttribute",
    "PersonIdentifier",
    "PrivacyKey",
    "PrivacyRequest",
    "ServerSecret",
    "SignInFailure",
    "SignUpUnit",
    "SubscriptionCount",
    "SubscriptionList",
    "SubscriptionRecord",
    "Suppression",
    "Webhook",
    "WebhookDelivery",
    "WebhookTopic",
    "WorkerHeartbeat",
]
