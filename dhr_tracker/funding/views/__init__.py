"""Funding pages by feature; each module lists its own URL patterns.

Every view needs a verified second factor, fetches what it shows through an ``access_*`` fetcher
of ``funding.access`` (404 for anyone who may not see it) and asks the predicates for each action;
the services check again. Actions check access first and only then the method (``post_only``),
so a 404 never leaks through a 405.
"""
