"""The .pyi stubs list what the module has, so editors complete the whole API."""

import ast
from pathlib import Path

import rtlat
from rtlat import _rtlat

PKG = Path(rtlat.__file__).parent


def stub_names(path):
    tree = ast.parse(path.read_text())
    names, classes = set(), {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.AnnAssign):
                    members.add(item.target.id)
                elif isinstance(item, ast.FunctionDef):
                    members.add(item.name)
            classes[node.name] = members
            names.add(node.name)
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names, classes


def test_package_stub_has_every_public_name():
    names, _ = stub_names(PKG / "__init__.pyi")
    assert set(rtlat.__all__) <= names
    assert (PKG / "py.typed").exists()


def test_module_stub_has_every_member():
    names, classes = stub_names(PKG / "_rtlat.pyi")
    public = {n for n in dir(_rtlat) if not n.startswith("__")}
    assert public <= names
    for name, members in classes.items():
        cls = getattr(_rtlat, name)
        if issubclass(cls, BaseException):
            continue
        actual = {n for n in dir(cls) if not n.startswith("_") or n in ("__getitem__", "__len__")}
        assert actual <= members | {"__getitem__", "__len__"}, name
        assert members <= actual | {"__init__", "__getitem__", "__len__"}, name
