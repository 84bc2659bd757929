"""The engine's pool hands connections back without asyncpg's session reset (a round trip
after every transaction), in the web server and the job workers alike."""

from portal.piccolo_conf import PortalEngine


async def test_a_released_connection_is_not_reset(migrated: str) -> None:
    engine = PortalEngine(config={"dsn": migrated})
    await engine.start_connection_pool(min_size=1, max_size=1)
    try:
        async with engine.pool.acquire() as connection:
            await connection.execute("SET application_name = 'kept'")
        async with engine.pool.acquire() as connection:
            # asyncpg's reset (RESET ALL among others) would have put the default back
            assert await connection.fetchval("SHOW application_name") == "kept"
    finally:
        await engine.close_connection_pool()
