"""Key pairs (`os-keypairs`): create (generated, or imported from a public key),
list, show, delete; a user's own, or any user's for an admin (2.10+ `user_id`).

Versions: 2.2 adds `type` (ssh or x509) and makes create 201 and delete 204; 2.10
the `user_id` parameter; 2.35 `limit`/`marker` paging sorted by name. Generated
keys are RSA 2048 (ssh) or a self-signed certificate (x509), as Nova makes them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tessera.api import Context, RequestVersion, authorize, errors
from tessera.api.compute._common import Cloud, isotime_micro, next_link, page, parse_limit
from tessera.db.api import server_queries as sq

router = APIRouter(tags=["keypairs"])
_R = "os_compute_api:os-keypairs:"


class KeyPairCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255, pattern=r"^[\w\-\. @]+$")
    public_key: str | None = None
    type: Literal["ssh", "x509"] | None = None
    user_id: str | None = None


class CreateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keypair: KeyPairCreate


def _colon_hex(digest: bytes) -> str:
    return ":".join("%02x" % b for b in digest)


def ssh_fingerprint(public_key: str) -> str:
    """Nova's fingerprint of an ssh public key: the colon-separated MD5 of its blob
    (400 if the key does not parse)."""
    parts = public_key.strip().split()
    try:
        blob = base64.b64decode(parts[1], validate=True)
        from cryptography.hazmat.primitives.serialization import load_ssh_public_key
        load_ssh_public_key(public_key.strip().encode())
    except (IndexError, binascii.Error, ValueError, TypeError):
        raise errors.BadRequest("Keypair data is invalid: failed to generate "
                                "fingerprint") from None
    return _colon_hex(hashlib.md5(blob, usedforsecurity=False).digest())


def x509_fingerprint(pem: str) -> str:
    from cryptography import x509
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise errors.BadRequest("Keypair data is invalid: failed to generate "
                                "fingerprint") from None
    return _colon_hex(hashlib.sha1(cert.public_bytes(_der()),
                                   usedforsecurity=False).digest())


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding
    return Encoding.DER


def generate(kind: str, name: str) -> tuple[str, str]:
    """A new key pair: (private key PEM, public key or certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    if kind == "ssh":
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH)
        return private, public.decode() + " Generated-by-Tessera"
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


def _user(request: Request, context: Any, version: Any, given: str | None = None) -> str:
    user = given or (request.query_params.get("user_id") if version >= (2, 10) else None)
    return user or context.user_id


def _view(kp: sq.KeyPair, version: Any, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"name": kp.name, "public_key": kp.public_key,
                            "fingerprint": kp.fingerprint}
    if version >= (2, 2):
        body["type"] = kp.type
    if full:
        body.update({"user_id": kp.user_id, "created_at": isotime_micro(kp.created_at),
                     "updated_at": None, "deleted": False, "deleted_at": None,
                     "id": kp.id})
    return body


@router.post("/os-keypairs", summary="Create or import a key pair")
def create(body: CreateBody, request: Request, context: Context, version: RequestVersion,
           cloud: Cloud) -> Response:
    k = body.keypair
    if k.type is not None and version < (2, 2):
        raise errors.BadRequest("Additional properties are not allowed ('type' was "
                                "unexpected)")
    if k.user_id is not None and version < (2, 10):
        raise errors.BadRequest("Additional properties are not allowed ('user_id' was "
                                "unexpected)")
    user = _user(request, context, version, k.user_id)
    authorize(context, _R + "create", {"user_id": user})
    kind = k.type or "ssh"
    private = None
    if k.public_key:
        public = k.public_key.strip()
        fingerprint = ssh_fingerprint(public) if kind == "ssh" else x509_fingerprint(public)
    else:
        private, public = generate(kind, k.name)
        fingerprint = ssh_fingerprint(public) if kind == "ssh" else x509_fingerprint(public)
    with cloud.router.api() as s:
        if len(sq.list_keypairs(s, user)) >= 100:
            raise errors.Forbidden("Quota exceeded, too many key pairs.")
        try:
            kp = sq.create_keypair(s, sq.KeyPair(name=k.name, user_id=user,
                                                 fingerprint=fingerprint, public_key=public,
                                                 type=kind))
        except sq.KeyPairExists:
            raise errors.Conflict("Key pair '%s' already exists." % k.name) from None
    out = _view(kp, version)
    out["user_id"] = user
    if private is not None:
        out["private_key"] = private
    from fastapi.responses import JSONResponse
    return JSONResponse({"keypair": out}, status_code=201 if version >= (2, 2) else 200)


@router.get("/os-keypairs", summary="List key pairs")
def index(request: Request, context: Context, version: RequestVersion, cloud: Cloud
          ) -> dict[str, Any]:
    user = _user(request, context, version)
    authorize(context, _R + "index", {"user_id": user})
    with cloud.router.api() as s:
        pairs = sq.list_keypairs(s, user)
    more = False
    if version >= (2, 35):
        q = request.query_params
        pairs, more = page(pairs, lambda p: p.name, q.get("marker"),
                           parse_limit(q.get("limit")))
    body: dict[str, Any] = {"keypairs": [{"keypair": _view(p, version)} for p in pairs]}
    if more and pairs:
        body["keypairs_links"] = next_link(request, "os-keypairs", pairs[-1].name)
    return body


@router.get("/os-keypairs/{name}", summary="Show a key pair")
def show(name: str, request: Request, context: Context, version: RequestVersion,
         cloud: Cloud) -> dict[str, Any]:
    user = _user(request, context, version)
    authorize(context, _R + "show", {"user_id": user})
    with cloud.router.api() as s:
        try:
            kp = sq.get_keypair(s, user, name)
        except sq.KeyPairNotFound as exc:
            raise errors.NotFound(str(exc)) from None
    return {"keypair": _view(kp, version, full=True)}


@router.delete("/os-keypairs/{name}", summary="Delete a key pair")
def delete(name: str, request: Request, context: Context, version: RequestVersion,
           cloud: Cloud) -> Response:
    user = _user(request, context, version)
    authorize(context, _R + "delete", {"user_id": user})
    with cloud.router.api() as s:
        try:
            sq.delete_keypair(s, user, name)
        except sq.KeyPairNotFound as exc:
            raise errors.NotFound(str(exc)) from None
    return Response(status_code=204 if version >= (2, 2) else 202)
