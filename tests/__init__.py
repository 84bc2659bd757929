from portal.database import pgserver

# the embedded server's package, imported quietly (portal/database.py) before the tests import
# its parts
pgserver()
