"""Every event code the portal writes to the audit log, and the writer of its sentence
(portal/audit/sentences.py): put together here, above the domains that write them."""

from portal.audit.sentences import Catalogue
from portal.billing.sentences import WRITERS as BILLING
from portal.clients.sentences import WRITERS as CLIENTS
from portal.organisations.sentences import WRITERS as ORGANISATIONS
from portal.partners.sentences import WRITERS as PARTNERS
from portal.renewals.sentences import WRITERS as RENEWALS
from portal.tenders.sentences import WRITERS as TENDERS
from portal.webhooks.sentences import WRITERS as WEBHOOKS

CATALOGUE: Catalogue = {
    **ORGANISATIONS,
    **CLIENTS,
    **BILLING,
    **PARTNERS,
    **RENEWALS,
    **TENDERS,
    **WEBHOOKS,
}
