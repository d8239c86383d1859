"""Install the dashboard's front-end assets for offline use.

Solara's page loads its JavaScript and CSS (requirejs, the Vuetify app, Font Awesome, the
grid layout Mesa's SolaraViz uses) from a public CDN through its own proxy, which keeps a
cache folder (``solara.server.settings.assets.proxy_cache_dir``, by default
``<venv>/share/solara/cdn``). Without internet the page stays blank. This step fills that
cache with the same files taken from the npm registry with ``npm pack`` (the ordinary
client), so the served page never needs the CDN.

Run it once after installing the ``dashboard`` extra::

    python -m model.dashboard.assets          # install (skips what is there)
    python -m model.dashboard.assets --check  # exit 1 if anything is missing

The package list is pinned to the solara version in ``pyproject.toml``; the step checks
that the installed solara still asks for exactly these versions and says so if not.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: npm packages solara 1.64.x's page (ipywidgets 8, Vuetify 2) and Mesa's grid load.
PACKAGES: tuple[str, ...] = (
    "requirejs@2.3.6",
    "@widgetti/solara-vuetify-app@10.1.1",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
)
#: a file inside each package that the page requests (proves the unpacking worked).
PROBE = {
    "requirejs@2.3.6": "require.js",
    "@widgetti/solara-vuetify-app@10.1.1": "dist/solara-vuetify-app8.min.js",
    "font-awesome@4.5.0": "css/font-awesome.min.css",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2": "dist/vue-grid-layout.umd.js",
}
MARKER = ".alliance-sim-complete"


def cache_dir() -> Path:
    """Solara's CDN cache folder (honours ``SOLARA_ASSETS_PROXY_CACHE_DIR``)."""
    from solara.server.settings import assets

    return Path(assets.proxy_cache_dir)


def referenced_by_solara(package: str) -> bool:
    """Whether the installed solara's templates or widgets name ``package`` at this version."""
    import solara

    root = Path(solara.__file__).parent
    for pattern in ("server/templates/*.j2", "widgets/vue/*.vue", "server/settings.py"):
        for path in root.glob(pattern):
            if package in path.read_text(encoding="utf-8", errors="ignore"):
                return True
    return False


def missing(target: Path) -> list[str]:
    """Packages not (completely) present in ``target``."""
    return [p for p in PACKAGES
            if not (target / p / MARKER).exists() or not (target / p / PROBE[p]).exists()]


def install(target: Path, npm: str = "npm") -> list[str]:
    """``npm pack`` each missing package and unpack it into ``target/<name>@<version>/``."""
    todo = missing(target)
    if not todo:
        return []
    if shutil.which(npm) is None:
        raise SystemExit(f"dashboard assets: '{npm}' not found; install Node.js and npm "
                         "(Debian: apt-get install -y npm) and run this again")
    with tempfile.TemporaryDirectory() as tmp:
        for package in todo:
            out = subprocess.run([npm, "pack", "--json", "--pack-destination", tmp, package],
                                 capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise SystemExit(f"dashboard assets: npm pack {package} failed: "
                                 f"{out.stderr.strip().splitlines()[-1:]}")
            filename = json.loads(out.stdout)[0]["filename"]
            dest = target / package
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            with tarfile.open(Path(tmp) / filename) as tar:
                for member in tar.getmembers():
                    parts = Path(member.name).parts[1:]  # strip the leading "package/"
                    if not parts or member.issym() or member.islnk():
                        continue
                    member.name = str(Path(*parts))
                    tar.extract(member, dest, filter="data")
            if not (dest / PROBE[package]).exists():
                raise SystemExit(f"dashboard assets: {package} has no {PROBE[package]}")
            (dest / MARKER).write_text(filename + "\n")
    return todo


def main(argv: list[str] | None = None) -> int:
    """Command line: install (default) or ``--check``."""
    parser = argparse.ArgumentParser(prog="python -m model.dashboard.assets",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only report; exit 1 if an asset is missing")
    args = parser.parse_args(argv)
    stale = [p for p in PACKAGES if not referenced_by_solara(p)]
    if stale:
        print("dashboard assets: the installed solara no longer asks for "
              f"{', '.join(stale)}; update PACKAGES in {__file__}", file=sys.stderr)
        return 1
    target = cache_dir()
    if args.check:
        gone = missing(target)
        print(f"dashboard assets in {target}: " + ("missing " + ", ".join(gone) if gone
                                                    else "complete"))
        return 1 if gone else 0
    done = install(target)
    print(f"dashboard assets in {target}: " + (f"installed {', '.join(done)}" if done
                                                else "already complete"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
