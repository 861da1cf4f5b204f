"""Nothing encrypted escapes key rotation: every encrypted column is found from the models,
and no code encrypts outside ``EncryptedTextField`` without being known here."""

import ast
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from core.crypto import EncryptedTextField
from core.keyrotation import encrypted_columns

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "venv", "tests", "migrations", "node_modules", "var", "static", "templates", "__pycache__"}

# Names any code may take from core.crypto: the field (rotated by discovery) and its error.
FIELD_API = {"EncryptedTextField", "DecryptionError"}
# Modules that may use the raw functions (encrypt, decrypt, rotate, fernet, key_index...),
# each with why what it stores is still rotated. A new entry needs a reason here AND the
# rotation must cover what it stores (core/keyrotation.py).
KNOWN_RAW_USERS = {
    "core/crypto.py": "the field itself",
    "core/keyrotation.py": "the rotation: rewrites only what EncryptedTextField columns hold",
}


def raw_crypto_uses(source: str) -> set[str]:
    """What a module takes from core.crypto beyond the field, or from cryptography.fernet."""
    uses: set[str] = set()
    module_aliases: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "core.crypto":
            uses |= {f"core.crypto.{a.name}" for a in node.names if a.name not in FIELD_API}
        elif isinstance(node, ast.ImportFrom) and node.module == "core":
            module_aliases |= {a.asname or a.name for a in node.names if a.name == "crypto"}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "core.crypto":
                    module_aliases.add(alias.asname or "core.crypto")
                if alias.name.startswith("cryptography.fernet"):
                    uses.add(alias.name)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cryptography"):
            if node.module == "cryptography.fernet" or any(a.name == "fernet" for a in node.names):
                uses.add("cryptography.fernet")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) in module_aliases | {"core.crypto"}:
            if node.attr not in FIELD_API:
                uses.add(f"core.crypto.{node.attr}")
    return uses


@pytest.mark.parametrize(("source", "found"), [
    ("from core.crypto import EncryptedTextField, DecryptionError", set()),
    ("import core.crypto\nx = core.crypto.EncryptedTextField()", set()),
    ("from core.crypto import encrypt", {"core.crypto.encrypt"}),
    ("from core import crypto as c\nc.decrypt(v)", {"core.crypto.decrypt"}),
    ("import core.crypto\ncore.crypto.fernet().encrypt(b'')", {"core.crypto.fernet"}),
    ("from cryptography.fernet import Fernet", {"cryptography.fernet"}),
    ("from cryptography import fernet", {"cryptography.fernet"}),
])
def test_the_scan_sees_raw_encryption(source, found):
    assert raw_crypto_uses(source) == found


def production_modules() -> list[Path]:
    return [
        path for path in ROOT.rglob("*.py")
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts[:-1])
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    ]


def test_no_code_encrypts_outside_the_field_unless_known():
    modules = production_modules()
    assert ROOT / "core" / "crypto.py" in modules and ROOT / "advocacy" / "models" / "accounts.py" in modules
    unknown = {}
    for path in modules:
        name = path.relative_to(ROOT).as_posix()
        uses = raw_crypto_uses(path.read_text())
        if uses and name not in KNOWN_RAW_USERS:
            unknown[name] = sorted(uses)
    assert not unknown, (
        "These modules encrypt outside EncryptedTextField, so key rotation may miss what they store: "
        f"{unknown}. Store it in an EncryptedTextField, or make core/keyrotation.py rotate it and list the "
        "module in KNOWN_RAW_USERS."
    )


@pytest.mark.django_db
def test_every_encrypted_column_in_the_schema_is_rotated():
    """The migrations' own record of the schema (not the model classes) agrees."""
    state = MigrationLoader(connection, ignore_no_migrations=True).project_state()
    in_schema = {
        f"{model_state.app_label}.{model_state.name}.{name}"
        for model_state in state.models.values()
        if not model_state.options.get("proxy")
        for name, field in model_state.fields.items()
        if isinstance(field, EncryptedTextField)
    }
    rotated = {column.label for column in encrypted_columns()}
    assert in_schema, "the scan found no encrypted column at all"
    assert in_schema <= rotated, f"encrypted in the schema but not rotated: {sorted(in_schema - rotated)}"
