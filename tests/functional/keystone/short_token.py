"""Print a token, from the Keystone set up in DIR, that expires after TTL seconds.

    build/keystone-venv/bin/python short_token.py DIR TTL USER PASSWORD PROJECT

It loads Keystone's own WSGI app in this process with DIR's keystone.conf plus a
`[token] expiration = TTL` override, on the same database and Fernet keys as the
running Keystone, so that Keystone validates the token and later finds it expired."""

import os
import sys
from pathlib import Path

directory, ttl, user, password, project = sys.argv[1:6]
override = Path(directory) / "short-token.conf"
override.write_text("[token]\nexpiration = %d\n" % int(ttl))
os.environ["OS_KEYSTONE_CONFIG_FILES"] = "%s;%s" % (Path(directory) / "keystone.conf",
                                                    override)
sys.argv = sys.argv[:1]

from keystone.wsgi.api import application  # noqa: E402
from werkzeug.test import Client  # noqa: E402

scope = {"project": {"name": project, "domain": {"id": "default"}}}
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
    "name": user, "domain": {"id": "default"}, "password": password}}}, "scope": scope}}
response = Client(application).post("/v3/auth/tokens", json=body)
if response.status_code != 201:
    sys.exit("keystone answered %s: %s" % (response.status, response.get_data(as_text=True)))
print(response.headers["X-Subject-Token"])
