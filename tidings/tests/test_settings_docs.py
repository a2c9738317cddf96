"""Every environment variable the code reads is named in the README's table and in settings' docstring."""

import re
from pathlib import Path

from core.tests.shared_data import REPOSITORY
from tidings import settings

READ = re.compile(r"""os\.environ(?:\.get)?[\(\[]\s*["']((?:TIDINGS_|DATABASE_URL)[A-Z_]*)["']""")
APP_DIRS = [p for p in REPOSITORY.iterdir() if (p / "__init__.py").exists() or p.name == "tidings"]


def variables_read() -> set[str]:
    found = set()
    for folder in APP_DIRS:
        for path in folder.rglob("*.py"):
            if "tests" not in path.parts and "migrations" not in path.parts:
                found.update(READ.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_code_reads_variables_at_all():
    assert {"DATABASE_URL", "TIDINGS_ENV", "TIDINGS_KEEP_ARTICLES_DAYS"} <= variables_read()


def test_readme_and_settings_docstring_name_every_variable_the_code_reads():
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    docstring = settings.__doc__
    missing = {name: [where for where, text in (("README", readme), ("settings", docstring))
                      if not re.search(rf"\b{name}\b", text)] for name in variables_read()}  # fmt: skip
    assert {name: where for name, where in missing.items() if where} == {}


def test_only_settings_reads_the_environment():
    readers = {
        str(path.relative_to(REPOSITORY))
        for folder in APP_DIRS
        for path in folder.rglob("*.py")
        if "tests" not in path.parts and READ.search(path.read_text(encoding="utf-8"))
    }
    assert readers == {str(Path("tidings") / "settings.py")}
