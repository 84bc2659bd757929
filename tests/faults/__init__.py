from portal.database import pgserver

# imported quietly (portal/database.py) before tests/factories/servers.py imports its parts
pgserver()
