"""The built-in networking service: networks whose binding says which VIF type their
ports get (bridge, tap, vhost-user), subnets with address pools, ports and security
groups, in the API database; `tessera.network.api` serves them as the Networking API
v2.0 subset at `/network`."""
