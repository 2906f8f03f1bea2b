"""YAML from elsewhere is read within limits: no alias bombs, no huge, binary or non-UTF-8 files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools.yamlsafe import YamlRefused, load_file, read_text, safe_load

BOMB = """
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(YamlRefused, match="expands to more than"):
        safe_load(BOMB)


def test_a_few_honest_anchors_load() -> None:
    data = safe_load("base: &base {name: Acme}\nfirst: *base\nsecond: {<<: *base, domain: acme.com}\n")
    assert data["first"] == {"name": "Acme"}
    assert data["second"] == {"name": "Acme", "domain": "acme.com"}


def test_too_many_aliases_are_refused() -> None:
    text = "x: &x 1\nitems: [" + ", ".join(["*x"] * 300) + "]\n"
    with pytest.raises(YamlRefused, match="aliases"):
        safe_load(text)


def test_files_are_refused_when_large_binary_or_not_utf8(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 5000)
    with pytest.raises(YamlRefused, match="limit is 1,000"):
        read_text(big, max_bytes=1000)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"id: x\x00\x01\x02")
    with pytest.raises(YamlRefused, match="binary"):
        read_text(binary)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9".encode("latin-1"))
    with pytest.raises(YamlRefused, match=r"not UTF-8 text \(byte 0xe9 at offset 9\)"):
        load_file(latin)


def test_invalid_yaml_still_raises_yamls_own_error() -> None:
    with pytest.raises(yaml.YAMLError):
        safe_load("a: [unclosed")
