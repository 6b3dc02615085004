"""The order of checks of every v1 call (spec section 2), apart from HTTP and threads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flipshelf.api.v1 import signature
from flipshelf.api.v1.call import Action
from flipshelf.api.v1.envelope import CALLBACK, Encoding, Format
from flipshelf.api.v1.params import Params
from flipshelf.domain.accounts import Account
from flipshelf.domain.errors import BadRequest, InvalidAction, InvalidSignature, MissingParameter

MANDATORY = ("apiKey", "signature", "action")
# HMAC mode's nonce: long enough to be unguessable, short enough to store, no characters that
# need encoding.
HMAC_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}", re.ASCII)
STRICT_NONCE_MAX = 64


@dataclass(frozen=True)
class Transport:
    """How the request arrived: what the verb rules look at."""

    method: str
    multipart: bool
    urlencoded: bool
    file_parts: int = 0


def encoding_of(params: Params) -> Encoding:
    """The format answers are written in; JSON until the request's choice is known to be valid."""
    wanted = params.get("format") or "json"
    try:
        chosen = Format(wanted)
    except ValueError:
        return Encoding()
    callback = params.get("callback") or ""
    if chosen is Format.JSONP and not CALLBACK.fullmatch(callback):
        return Encoding()
    return Encoding(chosen, callback)


def check_mandatory(params: Params) -> tuple[str, str, str]:
    missing = [name for name in MANDATORY if params.present(name) is None]
    if missing:
        raise MissingParameter(f"missing {', '.join(missing)}")
    return params.values["apiKey"], params.values["signature"], params.values["action"]


def find_action(actions: dict[str, Action], name: str) -> Action:
    action = actions.get(name)
    if action is None:
        raise InvalidAction(f"unknown action {name[:60]!r}")
    return action


def check_verb(action: Action, transport: Transport, lenient: bool) -> None:
    """The reference's letter: GET without a file, multipart POST for uploads. Lenient (the
    default): a urlencoded or multipart POST body is accepted for every action too, since
    clients of the live service send them; a file part still reaches upload actions only."""
    form_post = transport.method == "POST" and (transport.multipart or transport.urlencoded)
    if action.upload:
        if transport.method == "POST" and (transport.multipart or (lenient and form_post)):
            return
        raise BadRequest(f"{action.name} needs POST multipart/form-data")
    if transport.file_parts:
        raise BadRequest(f"{action.name} takes no file")
    if transport.method == "GET" or (lenient and form_post):
        return
    raise BadRequest(f"{action.name} needs GET")


def check_well_formed(params: Params) -> None:
    if params.problems:
        raise BadRequest(params.problems[0])
    method = params.present("signatureMethod")
    if method is not None and method != signature.HMAC_METHOD:
        raise BadRequest(f"signatureMethod must be {signature.HMAC_METHOD} or absent")
    wanted = params.get("format")
    if wanted is not None and wanted not in {f.value for f in Format}:
        raise BadRequest("format must be json, jsonp or xml")
    if wanted == Format.JSONP.value:
        callback = params.present("callback")
        if callback is None:
            raise MissingParameter("jsonp needs a callback")
        if not CALLBACK.fullmatch(callback):
            raise BadRequest("callback is not a valid JavaScript name")


def uses_hmac(params: Params) -> bool:
    return params.present("signatureMethod") == signature.HMAC_METHOD


def check_signature(account: Account, secret: str, params: Params, given: str) -> None:
    """HMAC when the call says so (any key may), else MD5 unless the key is HMAC-only."""
    if uses_hmac(params):
        if not signature.hmac_verify(secret, params.values, given):
            raise InvalidSignature("HMAC signature does not match")
        return
    if account.hmac_only:
        raise InvalidSignature("this key signs with HMAC-SHA256 only")
    if not signature.verify(secret, params.values, given):
        raise InvalidSignature("signature does not match")


def check_freshness(account: Account, params: Params, now: datetime, window: int) -> str | None:
    """Strict-mode keys and HMAC calls also sign `timestamp` and `nonce`; answers the nonce to
    remember (None: nothing to remember)."""
    hmac_mode = uses_hmac(params)
    if not (account.strict or hmac_mode):
        return None
    stamp, nonce = params.present("timestamp"), params.present("nonce")
    if stamp is None or nonce is None or not stamp.isascii() or not stamp.isdigit():
        raise InvalidSignature("timestamp and nonce must be signed")
    if abs(now.timestamp() - int(stamp)) > window:
        raise InvalidSignature("timestamp outside the accepted window")
    if hmac_mode and not HMAC_NONCE.fullmatch(nonce):
        raise InvalidSignature("an HMAC nonce is 16 to 64 characters of [A-Za-z0-9_-]")
    if len(nonce) > STRICT_NONCE_MAX:
        raise InvalidSignature("nonce longer than 64 characters")
    return nonce
