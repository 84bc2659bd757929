"""The product families of the host's catalogue, as people read them: delegation grants by
family, reports name each line's family."""

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
