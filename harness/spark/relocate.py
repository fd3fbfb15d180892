"""Relocate Java packages inside jars (what Maven's shade plugin does), for the one jar this machine needs it:
the Iceberg 3.5 runtime on PyPI was published with its shaded Jackson stripped, so Spark's own Jackson is
copied under Iceberg's shaded package name. No shading tool can be had from the registries here.

A class names other classes only in its constant pool (CONSTANT_Utf8 entries: class names, descriptors,
signatures, and string literals used for reflection), so rewriting those entries relocates it.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

# Sizes of the constant pool entries that are not CONSTANT_Utf8 (tag 1), by tag.
_FIXED_SIZES = {3: 4, 4: 4, 5: 8, 6: 8, 7: 2, 8: 2, 9: 4, 10: 4, 11: 4, 12: 4, 15: 3, 16: 2, 17: 4, 18: 4, 19: 2, 20: 2}
_DOUBLE_SLOT = (5, 6)  # Long and Double take two constant pool slots


class NotAClassFile(ValueError):
    """The bytes do not start with Java's class-file magic number."""


def relocate_class(data: bytes, old: str, new: str) -> bytes:
    """The class file `data` with every name under package `old` (slash form, e.g. "com/fasterxml/jackson")
    moved under `new`; dotted spellings in string constants move too."""
    if data[:4] != b"\xca\xfe\xba\xbe":
        raise NotAClassFile("not a Java class file")
    replacements = ((old.encode(), new.encode()), (old.replace("/", ".").encode(), new.replace("/", ".").encode()))
    out = bytearray(data[:10])
    count = struct.unpack(">H", data[8:10])[0]
    pos, index = 10, 1
    while index < count:
        tag = data[pos]
        if tag == 1:
            length = struct.unpack(">H", data[pos + 1:pos + 3])[0]
            text = data[pos + 3:pos + 3 + length]
            for before, after in replacements:
                if after not in text:
                    text = text.replace(before, after)
            out += bytes([1]) + struct.pack(">H", len(text)) + text
            pos += 3 + length
        else:
            size = _FIXED_SIZES[tag]
            out += data[pos:pos + 1 + size]
            pos += 1 + size
        index += 2 if tag in _DOUBLE_SLOT else 1
    return bytes(out + data[pos:])


def relocate_jars(sources: list[Path], old: str, new: str, target: Path) -> Path:
    """One jar holding the classes (and service files) of `sources`, relocated from `old` to `new`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    written: set[str] = set()
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as out:
        for source in sources:
            with zipfile.ZipFile(source) as jar:
                for entry in jar.infolist():
                    name = entry.filename
                    if entry.is_dir() or name.endswith("module-info.class") or name in written:
                        continue
                    if name.endswith(".class") and name.startswith(old + "/"):
                        out.writestr(new + name[len(old):], relocate_class(jar.read(name), old, new))
                    elif name.startswith("META-INF/services/" + old.replace("/", ".")):
                        dotted_old, dotted_new = old.replace("/", "."), new.replace("/", ".")
                        body = jar.read(name).decode().replace(dotted_old, dotted_new)
                        out.writestr(name.replace(dotted_old, dotted_new), body)
                    else:
                        continue
                    written.add(name)
    partial.replace(target)
    return target
