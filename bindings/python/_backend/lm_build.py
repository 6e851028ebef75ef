"""A minimal PEP 517/660 build backend for the pure-Python libmatch binding.

It needs nothing beyond the standard library, so `pip install
./bindings/python` works offline (pip's isolated build environment has
nothing to download).  It builds a py3-none-any wheel of the `libmatch`
package, an sdist, and an editable wheel (a .pth file pointing here).
"""
import base64
import hashlib
import io
import os
import tarfile
import time
import zipfile

NAME = "libmatch"
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(HERE, NAME)


def _project():
    """name, version, summary, requires-python from pyproject.toml."""
    try:
        import tomllib
    except ImportError:              # Python < 3.11: the few keys we need
        meta = {}
        section = None
        with open(os.path.join(HERE, "pyproject.toml"), encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line.startswith("["):
                    section = line.strip("[]")
                elif section == "project" and "=" in line and not line.startswith("#"):
                    k, v = (x.strip() for x in line.split("=", 1))
                    if v.startswith('"'):
                        meta[k] = v.strip('"')
        return meta
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def _metadata():
    p = _project()
    lines = ["Metadata-Version: 2.1", "Name: %s" % p["name"], "Version: %s" % p["version"],
             "Summary: %s" % p.get("description", ""), "License: MIT"]
    if p.get("requires-python"):
        lines.append("Requires-Python: %s" % p["requires-python"])
    readme = os.path.join(HERE, "README.md")
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return p["version"], "\n".join(lines) + "\n\n" + body


def _package_files():
    """The package's files: its modules and py.typed (PEP 561), not the
    module that `make install` generates (_installed.py)."""
    for name in sorted(os.listdir(PACKAGE)):
        if name == "_installed.py":
            continue
        if name.endswith(".py") or name == "py.typed":
            yield os.path.join(PACKAGE, name), "%s/%s" % (NAME, name)


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _write_wheel(directory, files, tag="py3-none-any"):
    version, metadata = _metadata()
    dist = "%s-%s.dist-info" % (NAME, version)
    wheel_name = "%s-%s-%s.whl" % (NAME, version, tag)
    files = list(files) + [
        (dist + "/METADATA", metadata.encode("utf-8")),
        (dist + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: lm_build\nRoot-Is-Purelib: true\nTag: %s\n"
                           % tag).encode()),
        (dist + "/top_level.txt", (NAME + "\n").encode()),
    ]
    record = "".join("%s,%s,%d\n" % (arc, _digest(data), len(data)) for arc, data in files)
    record += dist + "/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in files + [(dist + "/RECORD", record.encode())]:
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return wheel_name


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- PEP 517 hooks ----

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(arc, _read(p)) for p, arc in _package_files()])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    pth = (HERE + "\n").encode("utf-8")
    return _write_wheel(wheel_directory, [("__editable__.%s.pth" % NAME, pth)])


def build_sdist(sdist_directory, config_settings=None):
    version, metadata = _metadata()
    base = "%s-%s" % (NAME, version)
    name = base + ".tar.gz"
    members = [("pyproject.toml", os.path.join(HERE, "pyproject.toml")),
               ("README.md", os.path.join(HERE, "README.md")),
               ("_backend/lm_build.py", os.path.abspath(__file__))]
    members += [(arc, p) for p, arc in _package_files()]
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as t:
        def add(arc, data):
            info = tarfile.TarInfo("%s/%s" % (base, arc))
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            t.addfile(info, io.BytesIO(data))
        add("PKG-INFO", metadata.encode("utf-8"))
        for arc, path in members:
            if os.path.exists(path):
                add(arc, _read(path))
    return name
