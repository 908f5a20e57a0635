"""Owners' personal data encrypted at rest: the registry key, field encryption and the keyed phone hash.

One 32-byte secret per install (the *registry key*) gives, through HKDF, an AES-256-GCM key for the encrypted
columns (owner name and phone, the dog's notes, sync shadows; see core/registry/models.py) and an HMAC-SHA256
key for `owners.phone_hash`, so that an owner is still found by phone. The secret lives in the operating
system's keyring (service "SavePets") when a real keyring exists, else in a key file readable only by the
service user, outside the data folder; never in the database and never in a backup. The database keeps only
the key's id (a one-way fingerprint) to say which key it needs.

Each encrypted value is bound to its place, (table, column, row id), given to AES-GCM as associated data (format
"v2:", see `place`): a value copied into another row or column does not decrypt there (UnreadableValue), so
someone who can write the database cannot move one owner's phone onto another owner, or a note into a name.
Values of the first format (v1, no associated data) are read only where the caller allows it: migration
0009_encrypt_with_aad, which re-encrypts them all, and a registry not yet upgraded to it (core/registry/db.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import SavePetsError

log = logging.getLogger(__name__)

KEYRING_SERVICE = "SavePets"
KEYRING_USER = "registry-key"
KEY_FILE_ENV = "SAVEPETS_KEY_FILE"
KEY_ID_META = "encryption_key_id"  # meta row: the id of the key a registry's data is encrypted with
_VERSION = b"\x01"  # v1 (before migration 0009): base64 of this byte, a 12-byte nonce, AES-256-GCM, no AAD
V2 = "v2:"  # v2: "v2:" and the base64 of a 12-byte nonce and AES-256-GCM with the value's place as AAD


class KeyMissing(SavePetsError):
    code = "key_missing"


class KeyMismatch(SavePetsError):
    code = "key_mismatch"


class UnreadableValue(SavePetsError):
    code = "unreadable_value"


def place(table: str, column: str, row_id: str) -> bytes:
    """The associated data binding a value to where it is stored: the table, the column, and the row's id (the
    table's primary key; the outbox's change_id). Length-prefixed, so no two places give the same bytes."""
    parts = [str(x).encode("utf-8") for x in (table, column, row_id)]
    return b"savepets/place/v2" + b"".join(len(x).to_bytes(4, "big") + x for x in parts)


def derive(secret: bytes, purpose: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=b"savepets/" + purpose).derive(secret)


class RegistryKey:
    """Encrypts and decrypts the registry's personal fields; hashes phone numbers for look-up."""

    def __init__(self, secret: bytes, source: str = "memory"):
        if len(secret) != 32:
            raise ValueError("a registry key is 32 bytes")
        self._aead = AESGCM(derive(secret, b"fields/v1"))
        self._mac = derive(secret, b"phone-hash/v1")
        self.key_id = derive(secret, b"key-id/v1", 8).hex()
        self.source = source  # where it came from, for messages ("keyring", a file path)

    @classmethod
    def generate(cls, source: str = "memory") -> tuple[RegistryKey, bytes]:
        secret = os.urandom(32)
        return cls(secret, source), secret

    def encrypt(self, text: str, aad: bytes | None = None) -> str:
        """`text` encrypted for the place `aad` (see `place`): the v2 format. Without `aad`, the v1 format of
        migration 0005, which nothing but the migrations writes any more."""
        nonce = os.urandom(12)
        if aad is None:
            return base64.b64encode(_VERSION + nonce + self._aead.encrypt(nonce, text.encode("utf-8"), None)).decode()
        return V2 + base64.b64encode(nonce + self._aead.encrypt(nonce, text.encode("utf-8"), aad)).decode()

    def decrypt(self, token: str, aad: bytes | None = None, *, legacy: bool = False) -> str:
        """The text of `token` read at the place `aad`. A v2 value needs its place and decrypts only there. A v1
        value (no place) is refused where a place is given unless `legacy`: once a registry is migrated (0009)
        every value is v2, and a v1 value found in it was put there by someone else."""
        try:
            if token.startswith(V2):
                raw = base64.b64decode(token[len(V2):], validate=True)
                if aad is None or len(raw) < 28:
                    raise ValueError("a v2 value is read with its place")
                return self._aead.decrypt(raw[:12], raw[12:], aad).decode("utf-8")
            if aad is not None and not legacy:
                raise UnreadableValue(
                    "A value in the registry is in the old format, not bound to its row and column (a registry "
                    "migrated by 0009_encrypt_with_aad holds none): it was put there from elsewhere, and is refused.",
                    key_id=self.key_id)
            raw = base64.b64decode(token, validate=True)
            if raw[:1] != _VERSION or len(raw) < 29:
                raise ValueError("not an encrypted value")
            return self._aead.decrypt(raw[1:13], raw[13:], None).decode("utf-8")
        except (InvalidTag, ValueError, AttributeError) as exc:
            raise UnreadableValue(f"A value in the registry cannot be decrypted with the registry key "
                                  f"{self.key_id} ({self.source}): it was encrypted with another key, or moved "
                                  "there from another row or column.", key_id=self.key_id) from exc

    def phone_hash(self, phone: str) -> str:
        """HMAC-SHA256 of the normalised (E.164) phone: equal phones, equal hashes; nothing to read back."""
        return hmac.new(self._mac, phone.encode("utf-8"), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------------------------ where it lives
def default_key_file() -> Path:
    """The key file used when no keyring exists: in the user's config folder, not in the data folder."""
    import platformdirs

    from core.settings import APP_NAME

    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "registry.key"


def _read_key_file(path: Path) -> RegistryKey:
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            try:
                path.chmod(0o600)
                log.warning("registry key file %s was readable by others; now 0600", path)
            except OSError:
                log.warning("registry key file %s is readable by others: chmod 600 it", path)
        secret = base64.b64decode(path.read_text().strip(), validate=True)
        return RegistryKey(secret, str(path))
    except (OSError, ValueError) as exc:
        raise KeyMissing(f"The registry key file {path} cannot be read: {exc}.", path=str(path)) from exc


def _write_key_file(path: Path) -> RegistryKey:
    """A new key in `path`, written whole (to a private temporary file, then linked into place, which fails if the
    file exists): two first starts at once both end up with the one key that won."""
    key, secret = RegistryKey.generate(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never widened by the umask
    try:
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(secret).decode() + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process made it first: use theirs
            return _read_key_file(path)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("made the registry key %s in %s", key.key_id, path)
    return key


def usable_keyring():
    """The system keyring when a real one exists (Windows, macOS, a desktop Secret Service), else None: where the
    registry key and a kiosk's API key (kiosk/credentials.py) may be kept."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        kr = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring setup is the same as none
        return None
    if isinstance(kr, fail.Keyring) or getattr(kr, "priority", 0) < 1 \
            or type(kr).__module__.startswith(("keyrings.alt", "keyring.backends.null")):
        return None  # keyrings.alt's files are plain text: the key file below is no worse and says so
    if type(kr).__name__ == "ChainerBackend" and not getattr(kr, "backends", None):
        return None
    return kr


def load_key(key_file: Path | str | None = None, *, create: bool) -> RegistryKey | None:
    """The registry key: from `key_file` (or $SAVEPETS_KEY_FILE) when given, else the default key file if one
    was made before, else the system keyring. With `create`, a key is made where it is missing (the keyring, or
    the default key file when there is no keyring); without, None when there is none."""
    key_file = key_file or os.environ.get(KEY_FILE_ENV) or None
    if key_file:
        path = Path(key_file).expanduser()
        if path.is_file():
            return _read_key_file(path)
        return _write_key_file(path) if create else None
    path = default_key_file()
    if path.is_file():
        return _read_key_file(path)
    kr = usable_keyring()
    if kr is not None:
        try:
            stored = kr.get_password(KEYRING_SERVICE, KEYRING_USER)
            if stored:
                return RegistryKey(base64.b64decode(stored, validate=True), "keyring")
            if create:
                _, secret = RegistryKey.generate("keyring")
                kr.set_password(KEYRING_SERVICE, KEYRING_USER, base64.b64encode(secret).decode())
                kept = kr.get_password(KEYRING_SERVICE, KEYRING_USER)  # what the keyring holds is the key
                if not kept:
                    raise RuntimeError("the keyring did not keep the key")
                key = RegistryKey(base64.b64decode(kept, validate=True), "keyring")
                log.info("made the registry key %s in the system keyring", key.key_id)
                return key
        except Exception as exc:  # noqa: BLE001 - locked or broken keyring: fall back to the key file
            log.warning("the system keyring cannot hold the registry key (%s); using a key file", exc)
    return _write_key_file(path) if create else None


def key_locations(key_file: Path | str | None = None) -> str:
    """Where load_key looks, in words, for error messages."""
    key_file = key_file or os.environ.get(KEY_FILE_ENV)
    if key_file:
        return f"the key file {key_file}"
    return f"the system keyring (service {KEYRING_SERVICE!r}) or the key file {default_key_file()}"


# ------------------------------------------------------------------------------------------------ backups
class WrongPassphrase(SavePetsError):
    code = "wrong_passphrase"


class DamagedArchive(SavePetsError):
    code = "damaged_archive"


class WeakPassphrase(SavePetsError):
    code = "weak_passphrase"


ARCHIVE_MAGIC = b"SAVEPETS-ENCRYPTED-BACKUP\x01\n"
CHUNK = 1 << 20  # plaintext bytes per sealed chunk
MIN_PASSPHRASE = 8
MIN_STRENGTH = 3  # zxcvbn's score (0-4) a new backup's passphrase needs: 3 is "safely unguessable"
_SCRYPT = {"n": 2 ** 17, "r": 8, "p": 1}  # about 0.3 s and 128 MB to try one passphrase (backups before: n=2**15)
# What a backup's header may ask for, checked before any of it is used: a crafted file cannot make a restore spend
# gigabytes or hours deriving its key, or read a huge header or chunk.
MAX_HEADER = 4096  # bytes of the JSON header
SCRYPT_N = (2 ** 14, 2 ** 18)  # a power of two in this range
SCRYPT_R = (1, 16)
SCRYPT_P = (1, 4)
SCRYPT_MEMORY = 256 << 20  # 128 * n * r bytes
SCRYPT_WORK = 2 ** 17 * 8 * 4  # n * r * p
SALT_BYTES = (16, 64)
CHUNK_BYTES = (1 << 10, 16 << 20)


def check_passphrase(passphrase: str) -> None:
    """A passphrase good enough for a new backup, or WeakPassphrase saying why (zxcvbn's feedback): a backup
    leaves the machine, and whoever holds it can try passphrases offline for as long as they like."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise WeakPassphrase(f"A backup passphrase has at least {MIN_PASSPHRASE} characters.")
    from zxcvbn import zxcvbn

    verdict = zxcvbn(passphrase, user_inputs=["savepets", "save pets", "backup", "kiosk", "registry", "dog"])
    if verdict["score"] < MIN_STRENGTH:
        feedback = verdict.get("feedback") or {}
        why = " ".join([feedback.get("warning") or "", *(feedback.get("suggestions") or [])]).strip()
        guessed = verdict.get("crack_times_display", {}).get("offline_slow_hashing_1e4_per_second")
        raise WeakPassphrase(
            f"This backup passphrase is too easy to guess (strength {verdict['score']} of 4, {MIN_STRENGTH} needed"
            + (f"; guessed offline in {guessed}" if guessed else "") + "). "
            + (why or "Use a longer passphrase: several uncommon words.") + " Nothing was written.",
            score=verdict["score"])


def _bounded(header, src) -> dict:
    """The header of a backup, every value it gives checked against what SavePets makes and accepts, before any
    is used (DamagedArchive naming what is out of range)."""
    if not isinstance(header, dict) or header.get("format") != 1 or header.get("kdf") != "scrypt":
        raise DamagedArchive(f"{src} is not a backup this version can read (unknown format).")

    def number(name, low, high):
        value = header.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise DamagedArchive(f"{src} is refused: its header gives {name}={value!r}, outside what SavePets "
                                 f"accepts ({low} to {high}); it was not made by SavePets, or was changed.")
        return value

    n, r, p = number("n", *SCRYPT_N), number("r", *SCRYPT_R), number("p", *SCRYPT_P)
    if n & (n - 1):
        raise DamagedArchive(f"{src} is refused: its header gives n={n}, not a power of two.")
    if 128 * n * r > SCRYPT_MEMORY or n * r * p > SCRYPT_WORK:
        raise DamagedArchive(f"{src} is refused: its header asks for scrypt n={n}, r={r}, p={p}, more memory or "
                             "work than SavePets spends on a passphrase.")
    number("chunk", *CHUNK_BYTES)
    try:
        salt = base64.b64decode(header.get("salt"), validate=True)
        nonce = base64.b64decode(header.get("nonce"), validate=True)
    except (TypeError, ValueError) as exc:
        raise DamagedArchive(f"{src} is damaged: its header's salt or nonce cannot be read.") from exc
    if not SALT_BYTES[0] <= len(salt) <= SALT_BYTES[1] or len(nonce) != 7:
        raise DamagedArchive(f"{src} is refused: its header's salt ({len(salt)} bytes) or nonce ({len(nonce)} "
                             "bytes) is not of a size SavePets makes.")
    return header


class PassphraseKeys:
    """The keys of one encrypted backup, from its passphrase and the salt in its header (scrypt, then HKDF):
    the archive's stream key, a check value that tells a wrong passphrase from a damaged file, and the registry
    key the archived registry's personal fields are re-encrypted with (never the machine's own key). The header
    is bounded (`_bounded`) before this derives anything from it."""

    def __init__(self, passphrase: str, header: dict):
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        salt = base64.b64decode(header["salt"])
        master = Scrypt(salt=salt, length=32, n=int(header["n"]), r=int(header["r"]),
                        p=int(header["p"])).derive(passphrase.encode("utf-8"))
        self.header = header
        self.stream = AESGCM(derive(master, b"backup/stream/v1"))
        self.check = derive(master, b"backup/check/v1")
        self.registry = RegistryKey(derive(master, b"backup/registry/v1"), "the backup's passphrase")

    @classmethod
    def new(cls, passphrase: str) -> PassphraseKeys:
        check_passphrase(passphrase)
        header = {"format": 1, "kdf": "scrypt", **_SCRYPT, "salt": base64.b64encode(os.urandom(16)).decode(),
                  "nonce": base64.b64encode(os.urandom(7)).decode(), "chunk": CHUNK}
        return cls(passphrase, header)

    def header_bytes(self) -> bytes:
        return json.dumps(self.header, sort_keys=True).encode()

    def _nonce(self, counter: int, final: bool) -> bytes:
        return base64.b64decode(self.header["nonce"]) + counter.to_bytes(4, "big") + (b"\x01" if final else b"\x00")


class SealedWriter(io.RawIOBase):
    """A file-like that encrypts what is written to it into `f`: the header, then chunks sealed with AES-256-GCM
    (the STREAM construction: a counter in each nonce and a last-chunk flag, so chunks can be neither reordered,
    dropped nor cut off unnoticed). Call close() to write the last chunk; `f` stays open."""

    def __init__(self, f, keys: PassphraseKeys):
        super().__init__()
        self._f, self._keys, self._buf, self._n = f, keys, bytearray(), 0
        header = keys.header_bytes()
        self._aad = header
        f.write(ARCHIVE_MAGIC + len(header).to_bytes(4, "big") + header
                + hmac.new(keys.check, header, hashlib.sha256).digest())

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buf += data
        while len(self._buf) > CHUNK:  # the last chunk is sealed by close(), even when empty
            self._seal(bytes(self._buf[:CHUNK]), final=False)
            del self._buf[:CHUNK]
        return len(data)

    def _seal(self, chunk: bytes, final: bool) -> None:
        self._f.write(self._keys.stream.encrypt(self._keys._nonce(self._n, final), chunk, self._aad))
        self._n += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buf), final=True)
            self._buf.clear()
        super().close()


def is_sealed(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(ARCHIVE_MAGIC)) == ARCHIVE_MAGIC


def unseal(src: Path, passphrase: str, dst) -> PassphraseKeys:
    """Decrypt a file SealedWriter made into the open binary file `dst`. WrongPassphrase when the passphrase is
    not this file's; DamagedArchive when the file was changed or cut short."""
    with open(src, "rb") as f:
        if f.read(len(ARCHIVE_MAGIC)) != ARCHIVE_MAGIC:
            raise DamagedArchive(f"{src} is not an encrypted SavePets backup.")
        length = int.from_bytes(f.read(4), "big")
        if length > MAX_HEADER:
            raise DamagedArchive(f"{src} is refused: its header claims {length} bytes (at most {MAX_HEADER}).")
        header_raw = f.read(length)
        try:
            header = json.loads(header_raw)
        except ValueError as exc:
            raise DamagedArchive(f"{src} is damaged: its header cannot be read.") from exc
        keys = PassphraseKeys(passphrase, _bounded(header, src))
        if not hmac.compare_digest(hmac.new(keys.check, header_raw, hashlib.sha256).digest(), f.read(32)):
            raise WrongPassphrase(f"Wrong passphrase for {src}: it is not the one this backup was made with.")
        size = int(header["chunk"]) + 16
        n, block = 0, f.read(size)
        while True:
            following = f.read(size)
            final = not following
            try:
                dst.write(keys.stream.decrypt(keys._nonce(n, final), block, header_raw))
            except InvalidTag as exc:
                raise DamagedArchive(f"{src} is damaged or cut short (at {n * CHUNK // 2**20} MB): "
                                     "it cannot be restored.") from exc
            if final:
                return keys
            n, block = n + 1, following
