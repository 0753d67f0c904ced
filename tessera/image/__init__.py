"""The built-in image service: an Image API v2 subset (what the `openstack` CLI and
SDK use) over images kept in the API database and a file store under the data dir.

- `store.FileStore`: image data on disk, with md5 `checksum` and sha512 `os_hash_value`.
- `service`: queries on the `images` table (returning `Image` objects), and the check
  of `hw_*` properties with the placement core's rules.
- `api.router`: the FastAPI router served at `/image`.
"""
