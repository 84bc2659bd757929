"""The Partner Portal: the reseller space of the partner programme."""

import os

# Piccolo finds its engine through this module path, wherever the portal is run from.
os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")
