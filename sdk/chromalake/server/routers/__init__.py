"""One powertools Router per concept; each module's ``router(engine, settings)`` builds it."""
