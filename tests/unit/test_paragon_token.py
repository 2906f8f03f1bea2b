"""The Paragon user token signer: key formats, claims, caching."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tools.paragon import (
    ParagonTokenSigner,
    me_url,
    proxy_base_url,
    signing_key,
    trust_signing_key,
    unwrap_output,
)
from tools.settings import SettingsError


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, fmt: serialization.PrivateFormat) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def test_pkcs1_key_with_escaped_newlines_signs(rsa_key: rsa.RSAPrivateKey) -> None:
    escaped = _pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL).replace("\n", "\\n")
    signer = ParagonTokenSigner("p1", escaped, clock=lambda: 1000.0)
    claims = jwt.decode(
        signer.token_for("u1"),
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience="useparagon.com/p1",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {"sub": "u1", "aud": "useparagon.com/p1", "iat": 1000, "exp": 1600}


def test_non_rsa_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(SettingsError, match="RSA"):
        ParagonTokenSigner("p1", _pem(key, serialization.PrivateFormat.PKCS8))


def test_repr_hides_the_key_and_tokens(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = ParagonTokenSigner("p1", _pem(rsa_key, serialization.PrivateFormat.PKCS8))
    token = signer.token_for("u1")
    assert token not in repr(signer) and token not in repr(signer._cache)
    assert "PRIVATE" not in repr(signer)


def test_forget_drops_the_cached_token(rsa_key: rsa.RSAPrivateKey) -> None:
    now = [1000.0]
    signer = ParagonTokenSigner("p1", _pem(rsa_key, serialization.PrivateFormat.PKCS8), clock=lambda: now[0])
    first = signer.token_for("u1")
    now[0] += 1
    assert signer.token_for("u1") == first
    signer.forget("u1")
    assert signer.token_for("u1") != first


def test_urls_and_wrapper() -> None:
    assert proxy_base_url("https://proxy.useparagon.com/", "p 1") == (
        "https://proxy.useparagon.com/projects/p%201/sdk/proxy/hubspot"
    )
    assert me_url("https://api.useparagon.com", "p1") == "https://api.useparagon.com/projects/p1/sdk/me"
    assert unwrap_output({"output": {"a": 1}}) == {"a": 1}
    assert unwrap_output({"output": 1, "other": 2}) == {"output": 1, "other": 2}


def test_a_signing_key_is_parsed_once_per_process(rsa_key: rsa.RSAPrivateKey) -> None:
    pem = _pem(rsa_key, serialization.PrivateFormat.PKCS8)
    first = signing_key(pem)
    assert signing_key(pem.replace("\n", "\\n")) is first  # escaped or not, the same text
    assert ParagonTokenSigner("p1", pem)._key is first
    assert ParagonTokenSigner("p2", pem)._key is first


def test_a_key_made_here_is_trusted_without_the_slow_check_and_a_bad_one_still_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = _pem(key, serialization.PrivateFormat.PKCS8)
    trust_signing_key(pem)
    assert signing_key(pem).private_numbers() == key.private_numbers()
    with pytest.raises(SettingsError, match="readable"):
        trust_signing_key("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(SettingsError, match="RSA"):
        trust_signing_key(_pem(ec.generate_private_key(ec.SECP256R1()), serialization.PrivateFormat.PKCS8))
