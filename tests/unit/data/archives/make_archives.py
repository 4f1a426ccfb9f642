#!/usr/bin/python3
# Writes the archives of test_data_extract_names.cpp, as the tools users have write them:
# Python's zipfile (flags non-ASCII names UTF-8, as Windows, macOS and 7-Zip do), pax and GNU tar
# with UTF-8 names, a macOS-style zip (NFD names), and names that are not UTF-8.
# Run from this folder: /usr/bin/python3 make_archives.py
import io
import tarfile
import time
import unicodedata
import zipfile

NAMES = ["café/naïve.txt", "日本語/データ.csv", "emoji-🙂.txt", "plain.txt"]
STAMP = (2020, 9, 13, 12, 26, 40)


def zip_of(path, names):
    with zipfile.ZipFile(path, "w") as z:
        for name in names:
            z.writestr(zipfile.ZipInfo(name, STAMP), name.encode())


def tar_of(path, fmt, names, encoding="utf-8"):
    with tarfile.open(path, "w", format=fmt, encoding=encoding) as t:
        for name in names:
            data = name.encode(encoding, "surrogateescape")
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_600_000_000
            t.addfile(info, io.BytesIO(data))


def patched(path, good, bad):  # the same archive with a name's bytes replaced
    data = open(path, "rb").read()
    assert len(good) == len(bad) and good in data
    open(path, "wb").write(data.replace(good, bad))


zip_of("utf8.zip", NAMES)
tar_of("utf8-pax.tar", tarfile.PAX_FORMAT, NAMES)
tar_of("utf8-gnu.tar", tarfile.GNU_FORMAT, NAMES)
zip_of("nfd.zip", [unicodedata.normalize("NFD", "café.txt")])
zip_of("bad-flagged.zip", ["ok.txt", "caXé.txt"])  # flagged UTF-8, then made invalid
patched("bad-flagged.zip", "caXé.txt".encode(), b"ca\xff\xc3\xa9.txt")
tar_of("latin1-gnu.tar", tarfile.GNU_FORMAT, ["ok.txt", "caf\xe9.txt"], encoding="latin-1")
