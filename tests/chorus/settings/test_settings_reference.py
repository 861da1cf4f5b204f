"""The README's settings reference (Operations) names every variable the settings read."""

import re
from pathlib import Path

from django.conf import settings

SETTINGS_DIR = Path(settings.BASE_DIR) / "chorus" / "settings"
# env.str("NAME", …), env.bool(…), require("NAME", …) and the helpers that wrap them.
READ = re.compile(r"""\b(?:env\.\w+|require|_\w+)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def variables_read() -> dict[str, set[str]]:
    return {path.name: set(READ.findall(path.read_text())) for path in sorted(SETTINGS_DIR.glob("*.py"))}


def reference_table() -> str:
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    start = readme.index("**Settings reference.**")
    return readme[start:readme.index("\n## ", start)]


def test_the_pattern_sees_the_settings():
    found = variables_read()
    assert {"SECRET_KEY", "TOKEN_ENCRYPTION_KEYS"} <= found["security.py"]
    assert "DATABASE_URL" in found["base.py"]
    assert "ANALYTICS_CLICK_RETENTION_DAYS" in found["analytics.py"]  # read through a helper


def test_every_variable_is_in_the_reference_under_its_module():
    table = reference_table()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+\.py)` \|.*$", table, re.MULTILINE)}
    missing = {
        module: sorted(name for name in names if f"`{name}`" not in rows.get(module, ""))
        for module, names in variables_read().items()
        if names
    }
    missing = {module: names for module, names in missing.items() if names}
    assert not missing, f"add these to the README's settings reference (Operations): {missing}"
