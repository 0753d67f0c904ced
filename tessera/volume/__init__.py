"""The built-in block storage service: a Block Storage API v3 subset (what the
`openstack` CLI, the SDK and the compute service use) over volumes kept in the API
database and sparse files under the data dir.

- `service`: volumes and attachments in the API database, and the status rules (a
  volume that is not multi-attach is reserved for one server only); `types`: volume
  types and their extra specs; `errors`: what the service refuses.
- `store.FileStore`: one sparse file per volume.
- `client.VolumeClient`: what a compute service calls to connect and release
  attachments.
- `api.router`: the FastAPI router served at `/volume` (`microversion`, `views`).
"""
