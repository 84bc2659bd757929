"""What every domain builds on: who is acting (current.py), the reference data of countries,
languages and currencies (reference.py), the statuses several domains share (enums.py) and the
tokens of links and cookies (tokens.py), the host's calendar (days.py). It imports no domain
package."""
