"""What the deployment tests share: the files under deploy/, the variables the code reads, and the
app run as a deployment runs it, in its own process, against this test run's database."""

import ast
import functools
import re
import runpy
import sys
from pathlib import Path

from tests.sharing.conftest import clean_storage, world  # noqa: F401  (fixtures for the header tests)

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PYTHON = sys.executable


# Read by the libraries the app uses rather than by its settings, and documented for that reason.
READ_BY_LIBRARIES = {
    "AWS_ACCESS_KEY_ID": "boto3",
    "AWS_SECRET_ACCESS_KEY": "boto3",
    "AWS_SHARED_CREDENTIALS_FILE": "boto3",
    "PGPASSFILE": "libpq",
}
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list", "env_choice", "env_secret"}
ENV_EXAMPLE = DEPLOY / "env.production.example"


def _literal_name(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_os_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)


@functools.cache
def variables_read() -> dict[str, str]:
    """Every environment variable our code reads by name, with the file that reads it.

    Reads go through the typed helpers of ``dhr_tracker.environment`` (``env_secret`` also reads
    ``NAME_FILE``) or ``os.environ``/``os.getenv`` with a literal name.
    """
    files = [path for package in ("dhr_tracker", "sharing", "audit") for path in (REPO / package).rglob("*.py")]
    found: dict[str, str] = {}
    for path in [*files, DEPLOY / "gunicorn.conf.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str | None] = []
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                first = _literal_name(node.args[0])
                if called in ENV_READERS:
                    names = [first, f"{first}_FILE" if first and called == "env_secret" else None]
                elif called == "getenv" or (
                    called == "get" and isinstance(func, ast.Attribute) and _is_os_environ(func.value)
                ):
                    names = [first]
            elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and isinstance(node.ctx, ast.Load):
                names = [_literal_name(node.slice)]
            for name in filter(None, names):
                found.setdefault(name, str(path.relative_to(REPO)))
    return found


def example_assignments() -> dict[str, tuple[str, bool]]:
    """Each variable the production example documents: its example value and whether it is set (not commented)."""
    documented: dict[str, tuple[str, bool]] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(#?)([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            documented[match[2]] = (match[3], not match[1])
    return documented


NGINX_SITE = DEPLOY / "nginx" / "dhr-tracker.conf"


def nginx_directives(text: str) -> str:
    """The configuration without its comments (nginx's "#" to the end of the line, outside quotes)."""
    return "\n".join(re.sub(r"""^((?:[^#"']|"[^"]*"|'[^']*')*)#.*$""", r"\1", line) for line in text.splitlines())


def nginx_added_headers() -> dict[str, tuple[str, str, bool]]:
    """Each header nginx adds: the variable it adds, the map's source variable, and whether it is ``always``."""
    config = nginx_directives(NGINX_SITE.read_text(encoding="utf-8"))
    maps = dict(re.findall(r"map\s+\$(\S+)\s+\$(\S+)\s*\{", config))
    maps = {variable: source for source, variable in maps.items()}
    added: dict[str, tuple[str, str, bool]] = {}
    for name, value, always in re.findall(r"add_header\s+(\S+)\s+(\S+)(\s+always)?\s*;", config):
        variable = value.removeprefix("$")
        added[name] = (variable, maps.get(variable, ""), bool(always))
    return added


def nginx_map_entries(variable: str) -> dict[str, str]:
    """The entries of the map that sets ``$variable``: source value to result."""
    config = nginx_directives(NGINX_SITE.read_text(encoding="utf-8"))
    body = re.search(r"map\s+\$\S+\s+\$" + re.escape(variable) + r"\s*\{(.*?)\}", config, re.DOTALL)
    assert body, f"no map sets ${variable}"
    return dict(re.findall(r'("[^"]*"|\S+)\s+"([^"]*)"\s*;', body[1]))


def nginx_fallback_values() -> dict[str, str]:
    """What nginx sends for each header it adds when the response has none: the map's value for ""."""
    return {name: nginx_map_entries(variable)['""'] for name, (variable, _, _) in nginx_added_headers().items()}


def gunicorn_settings() -> dict[str, object]:
    """deploy/gunicorn.conf.py's settings with their defaults (no GUNICORN_* variables set here)."""
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def readable_by_app() -> set[str]:
    """Every variable an app container may usefully be given."""
    return set(variables_read()) | set(READ_BY_LIBRARIES)


# Names whose values are secrets wherever they appear.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|_KEYS?$|ACCESS_KEY")
INTERPOLATION = re.compile(r"\$\{[A-Z][A-Z0-9_]*(?::?[?-][^}]*)?\}")
