"""Share links: a whole scenario in one URL query parameter.

Format (version 1): ``"v1." + base64url(zlib(JSON))`` without padding, under the query parameter
:data:`PARAM` (``?s=v1.eJy...``). The JSON is the scenario document (``Scenario.to_dict()``) with
sorted keys and no spaces, so the same scenario always gives the same link. Decoding validates
every step and the scenario itself; any failure raises :class:`~tco.core.exceptions.ScenarioError` with
a message that says what was wrong. Sizes are bounded both ways (zip bombs are refused).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import zlib

from tco.core.exceptions import Problem, ScenarioError
from tco.scenario import Scenario, parse_scenario

PARAM = "s"  # the one query parameter
VERSION = "v1"
MAX_ENCODED_CHARS = 16 * 1024  # [characters] longest share string accepted
MAX_DECODED_BYTES = 16 * 1024  # [B] largest scenario JSON accepted
WHERE = "share link"
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def _error(message: str) -> ScenarioError:
    return ScenarioError([Problem(WHERE, None, None, message)])


def encode_scenario(scenario: Scenario) -> str:
    """A compact, URL-safe, versioned string for ``scenario``."""
    raw = json.dumps(scenario.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(raw) > MAX_DECODED_BYTES:
        raise _error(f"the scenario is {len(raw):,} bytes as JSON; a share link holds at most {MAX_DECODED_BYTES:,} "
                     "(save it as a file instead)")
    packed = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")
    return f"{VERSION}.{packed}"


def decode_scenario(text: str) -> Scenario:
    """The scenario in a share string; ScenarioError with a clear message when it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise _error("empty share string")
    text = text.strip()
    if len(text) > MAX_ENCODED_CHARS:
        raise _error(f"the share string is {len(text):,} characters; the limit is {MAX_ENCODED_CHARS:,}")
    version, dot, body = text.partition(".")
    if not dot:
        raise _error("not a share string (expected 'v1.' followed by the encoded scenario)")
    if version != VERSION:
        raise _error(f"unsupported share format '{version[:20]}' (this version reads {VERSION})")
    if not _B64URL.fullmatch(body):
        raise _error("the link is damaged: not valid base64url (was it cut or edited?)")
    try:
        body = body.rstrip("=")
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise _error("the link is damaged: not valid base64url (was it cut or edited?)") from None
    try:
        d = zlib.decompressobj()
        raw = d.decompress(packed, MAX_DECODED_BYTES + 1)
        if len(raw) > MAX_DECODED_BYTES or d.unconsumed_tail:
            raise _error(f"the scenario in the link is larger than {MAX_DECODED_BYTES:,} bytes")
        if not d.eof:
            raise _error("the link is damaged: compressed data is incomplete (was it cut?)")
    except zlib.error:
        raise _error("the link is damaged: not valid compressed data") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: [[[[... nested too deep
        raise _error("the link is damaged: the scenario is not valid JSON") from None
    return parse_scenario(doc, WHERE)


def share_query(scenario: Scenario) -> str:
    """``s=v1....`` (URL-safe already: base64url needs no escaping)."""
    return f"{PARAM}={encode_scenario(scenario)}"


def share_url(base_url: str, scenario: Scenario) -> str:
    """``base_url`` with the scenario's query parameter (any existing query is replaced)."""
    return f"{base_url.split('?', 1)[0]}?{share_query(scenario)}"


__all__ = ["PARAM", "VERSION", "MAX_ENCODED_CHARS", "MAX_DECODED_BYTES", "encode_scenario", "decode_scenario",
           "share_query", "share_url"]
