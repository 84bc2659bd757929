"""The product families of the host's catalogue, as people read them. Delegation grants by
family, a plain user is given products, reports name each line's family."""

from __future__ import annotations

FAMILIES = {
    "domain": "Domains",
    "web_hosting": "Web hosting",
    "mail_service": "Mail service",
    "ksuite": "kSuite",
    "kdrive": "kDrive",
    "cloud_server": "Cloud servers",
    "vps": "VPS",
    "public_cloud": "Public cloud",
    "backup": "Backup",
}
