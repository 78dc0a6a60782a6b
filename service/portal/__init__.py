"""The customer portal's state: single-use links and the browser sessions they open
(sessions.py). The pages themselves are in handlers/portal/; every number they show comes from
the same use cases as the JSON API."""
