"""Group ``importers``: REFI-QDA projects that reach for files outside themselves, zip
bombs and lying archives, XML entity attacks, damaged REDCap, SPSS/Stata and Taguette
exports. Every failure must exit 2 and leave ``--out`` exactly as found (absent or empty),
so that a retry is not refused."""

from __future__ import annotations

import os
import shutil
import struct
import zipfile
from pathlib import Path

from fixtures import (
    BILLION_LAUGHS,
    FIRST_MEMBER,
    FIRST_SOURCE,
    IMPORT_DATA,
    QDPX_MADE,
    corrupted,
    garbage,
    lie_about_size,
    make_fifo,
    many_members,
    nested_codes_qde,
    qde_text,
    qdpx_with_big_member,
    read_rows,
    rows_text,
    sav_with_case_count,
    truncated,
    with_doctype,
    write_qdpx,
    write_rows,
)
from harness import (
    Ctx,
    Outcome,
    World,
    cli_case,
    diff_states,
    error_problems,
    outcome,
    register,
    run_cli,
    success_problems,
    tree_state,
)

G = "importers"
OUT = "data/raw/imp"


def _file(name: str, data: bytes):
    """A builder writing ``data`` to inputs/``name``."""

    def build(w: World) -> Path:
        path = w.inputs / name
        path.write_bytes(data)
        return path

    return build


def _copy(src: Path, name: str):
    def build(w: World) -> Path:
        return Path(shutil.copy2(src, w.inputs / name))

    return build


_count = [0]


def _imp(
    kind: str,
    name: str,
    builder,
    *,
    extra_args=(),
    mentions=(),
    forbidden=(),
    time_limit=None,
    timeout=120,
    expect="error",
    empty_out: bool | None = None,
    check=None,
    mention_file: bool = True,
):
    """Register an import case: ``builder(w) -> Path`` makes the file in ``inputs/``.
    Every other case finds ``--out`` as an existing empty folder (it must stay so)."""
    _count[0] += 1
    pre_create = (_count[0] % 2 == 0) if empty_out is None else empty_out
    holder: dict[str, Path] = {}

    def setup(w: World) -> None:
        holder["file"] = builder(w)
        if pre_create:
            (w.project / OUT).mkdir(parents=True)

    def args(w: World):
        return ["import", kind, str(holder["file"]), "--out", OUT, *extra_args]

    def want(w: World):
        return [holder["file"].name, *mentions] if mention_file else list(mentions)

    def avoid(w: World):
        return [w.secret, *forbidden]

    cli_case(
        G,
        name,
        args=args,
        setup=setup,
        mentions=want,
        forbidden=avoid,
        time_limit=time_limit,
        timeout=timeout,
        expect=expect,
        check=check,
        raw_ignore=f"project/{OUT}",
    )


# ---------------------------------------------------------------------------- QDPX
def _qdpx(qde_fn=None, **kw):
    """A builder of inputs/project.qdpx from the test fixture's project.qde."""

    def build(w: World) -> Path:
        qde = qde_fn(w, qde_text()) if qde_fn else None
        return write_qdpx(w.inputs / "project.qdpx", qde, **kw)

    return build


def _ref(new_ref):
    def fn(w: World, qde: str) -> str:
        ref = new_ref(w) if callable(new_ref) else new_ref
        assert FIRST_SOURCE in qde
        return qde.replace(FIRST_SOURCE, f'plainTextPath="{ref}"', 1)

    return fn


def _base(base, ref):
    def fn(w: World, qde: str) -> str:
        b = base(w) if callable(base) else base
        qde = _ref(ref)(w, qde)
        return qde.replace("<Project ", f'<Project basePath="{b}" ', 1)

    return fn


_imp(
    "qdpx", "qdpx-file-url-etc-passwd", _qdpx(_ref("file:///etc/passwd")), forbidden=["root:x:0:0"]
)
_imp("qdpx", "qdpx-file-url-victim-secret", _qdpx(_ref(lambda w: f"file://{w.victim}/secret.txt")))
_imp(
    "qdpx",
    "qdpx-basepath-root",
    _qdpx(_base("/", "relative://etc/passwd")),
    forbidden=["root:x:0:0"],
)
_imp("qdpx", "qdpx-basepath-victim", _qdpx(_base(lambda w: str(w.victim), "relative://secret.txt")))
_imp("qdpx", "qdpx-relative-dotdot", _qdpx(_ref("relative://../../secret")))
_imp(
    "qdpx",
    "qdpx-relative-sources-dotdot",
    _qdpx(_ref("relative://sources/../../../victim/secret.txt")),
)
_imp("qdpx", "qdpx-internal-dotdot", _qdpx(_ref("internal://../../../victim/secret.txt")))
_imp(
    "qdpx",
    "qdpx-internal-absolute",
    _qdpx(_ref("internal:///etc/passwd")),
    forbidden=["root:x:0:0"],
)
_imp("qdpx", "qdpx-windows-drive-path", _qdpx(_ref("C:\\Users\\me\\secret.txt")))
_imp("qdpx", "qdpx-http-url", _qdpx(_ref("http://127.0.0.1:9/secret.txt")), time_limit=10)
_imp(
    "qdpx",
    "qdpx-zip-slip-referenced",
    _qdpx(
        _ref("internal://../../evil.txt"),
        extra={"sources/../../evil.txt": b"P01: evil text\n" * 10},
    ),
)


def _no_evil(w: World, p) -> list[str]:
    hits = [str(x) for x in w.root.rglob("evil*.txt")]
    hits += [x for x in ("/tmp/evil-abs.txt",) if os.path.exists(x)]
    return [f"zip member extracted to {hits}"] if hits else []


_imp(
    "qdpx",
    "qdpx-zip-slip-unreferenced",
    _qdpx(extra={"../../evil.txt": b"evil\n", "sources/../../../evil2.txt": b"evil\n"}),
    expect="error_or_ok",
    check=_no_evil,
)
_imp(
    "qdpx",
    "qdpx-absolute-member-unreferenced",
    _qdpx(extra={"/tmp/evil-abs.txt": b"evil\n"}),
    expect="error_or_ok",
    check=_no_evil,
)


def _lie_small(w: World) -> Path:
    path = qdpx_with_big_member(w.inputs / "lie.qdpx", FIRST_MEMBER, 150 * 2**20)
    lie_about_size(path, FIRST_MEMBER, 1000)
    return path


def _lie_huge(w: World) -> Path:
    path = write_qdpx(w.inputs / "lie.qdpx")
    lie_about_size(path, FIRST_MEMBER, 0xF0000000)
    return path


_imp("qdpx", "qdpx-declared-size-lie-small", _lie_small, time_limit=20)
_imp("qdpx", "qdpx-declared-size-lie-huge", _lie_huge, time_limit=10)
_imp(
    "qdpx",
    "qdpx-zip-bomb-300mb",
    lambda w: qdpx_with_big_member(w.inputs / "bomb.qdpx", FIRST_MEMBER, 300 * 2**20),
    time_limit=10,
)


def _qde_bomb(w: World) -> Path:
    path = w.inputs / "bigqde.qdpx"
    qde = qde_text().encode()
    head, tail = qde.split(b"<Users>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("project.qde", "w", force_zip64=True) as fh:
            fh.write(head)
            chunk = b" " * (1 << 20)
            for _ in range(250):
                fh.write(chunk)
            fh.write(b"<Users>" + tail)
    return path


_imp("qdpx", "qdpx-project-qde-250mb", _qde_bomb, time_limit=10)
_imp("qdpx", "qdpx-codes-nested-5000", _qdpx(lambda w, q: nested_codes_qde(5000)), time_limit=10)
_imp(
    "qdpx", "qdpx-codes-nested-100000", _qdpx(lambda w, q: nested_codes_qde(100_000)), time_limit=20
)
_imp(
    "qdpx",
    "qdpx-xxe-etc-passwd",
    _qdpx(
        lambda w, q: with_doctype(
            q, '<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"
        )
    ),
    forbidden=["root:x:0:0"],
)
_imp(
    "qdpx",
    "qdpx-xxe-victim-secret",
    _qdpx(
        lambda w, q: with_doctype(
            q, f'<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file://{w.victim}/secret.txt">]>', "&xxe;"
        )
    ),
)
_imp(
    "qdpx",
    "qdpx-xxe-parameter-entity",
    _qdpx(
        lambda w, q: with_doctype(
            q, f'<!DOCTYPE Project [<!ENTITY % p SYSTEM "file://{w.victim}/secret.txt"> %p;]>'
        )
    ),
)
_imp(
    "qdpx",
    "qdpx-billion-laughs",
    _qdpx(lambda w, q: with_doctype(q, BILLION_LAUGHS, "&lol9;")),
    time_limit=10,
)
_imp("qdpx", "qdpx-no-project-qde", _qdpx(skip={"project.qde"}))
_imp("qdpx", "qdpx-not-a-zip", _file("garbage.qdpx", garbage(8192)))
_imp("qdpx", "qdpx-empty-file", _file("empty.qdpx", b""))


def _trunc_qdpx(w: World) -> Path:
    src = write_qdpx(w.inputs / "full.qdpx")
    out = truncated(src, w.inputs / "truncated.qdpx", 0.6)
    src.unlink()
    return out


_imp("qdpx", "qdpx-truncated-zip", _trunc_qdpx)
_imp("qdpx", "qdpx-malformed-xml", _qdpx(lambda w, q: q.replace("</Users>", "", 1)))
_imp(
    "qdpx",
    "qdpx-negative-start",
    _qdpx(lambda w, q: q.replace('startPosition="54"', 'startPosition="-54"', 1)),
)
_imp(
    "qdpx",
    "qdpx-huge-end-position",
    _qdpx(lambda w, q: q.replace('endPosition="88"', 'endPosition="999999999999999999999"', 1)),
)
_imp(
    "qdpx",
    "qdpx-120000-members",
    lambda w: many_members(w.inputs / "many.qdpx", 120_000),
    time_limit=20,
)


def _encrypted(w: World) -> Path:
    path = write_qdpx(w.inputs / "locked.qdpx")
    data = bytearray(path.read_bytes())
    name = FIRST_MEMBER.encode()
    for sig, flag_at, nlen_at, name_at in ((b"PK\x03\x04", 6, 26, 30), (b"PK\x01\x02", 8, 28, 46)):
        pos = 0
        while (pos := data.find(sig, pos)) >= 0:
            nlen = struct.unpack_from("<H", data, pos + nlen_at)[0]
            if data[pos + name_at : pos + name_at + nlen] == name:
                flags = struct.unpack_from("<H", data, pos + flag_at)[0]
                struct.pack_into("<H", data, pos + flag_at, flags | 0x1)
            pos += 4
    path.write_bytes(bytes(data))
    return path


_imp("qdpx", "qdpx-encrypted-member", _encrypted)


def _bare_qde_link(w: World) -> Path:
    folder = w.inputs / "bare"
    (folder / "sources").mkdir(parents=True)
    shutil.copy2(QDPX_MADE / "project.qde", folder / "project.qde")
    for src in (QDPX_MADE / "sources").iterdir():
        shutil.copy2(src, folder / "sources" / src.name)
    target = folder / "sources" / Path(FIRST_MEMBER).name
    target.unlink()
    os.symlink(w.victim / "secret.txt", target)
    return folder / "project.qde"


_imp("qdpx", "qdpx-bare-qde-source-symlink-outside", _bare_qde_link)


@register(G, "qdpx-retry-after-failed-import")
def _retry(ctx: Ctx) -> Outcome:
    w = ctx.world()
    bomb = qdpx_with_big_member(w.inputs / "bomb.qdpx", FIRST_MEMBER, 300 * 2**20)
    good = write_qdpx(w.inputs / "good.qdpx")
    before = tree_state(w.root)
    p1 = run_cli(w, ["import", "qdpx", str(bomb), "--out", OUT])
    mid = tree_state(w.root)
    probs = [f"first import: {x}" for x in error_problems(p1, [bomb.name])]
    d = diff_states(before, mid)
    if d:
        probs.append(f"first import changed the world ({d})")
    p2 = run_cli(w, ["import", "qdpx", str(good), "--out", OUT])
    probs += [f"retry: {x}" for x in success_problems(p2)]
    if p2.rc == 0 and not (w.project / OUT / "codebook.yaml").is_file():
        probs.append("retry wrote no codebook.yaml")
    return outcome(
        "qdpx-retry-after-failed-import",
        probs,
        "failed import left nothing; retry imported",
        p1.seconds + p2.seconds,
    )


# --------------------------------------------------------------------------- REDCap
RC = IMPORT_DATA / "redcap"


def _redcap(data_fn=None, dict_fn=None, name="rc"):
    """Copy simple__data.csv / simple__dictionary.csv to inputs/, edited by the functions
    (each gets the rows and returns rows or bytes)."""

    def build(w: World) -> Path:
        data, dictionary = w.inputs / f"{name}_data.csv", w.inputs / f"{name}_dictionary.csv"
        for src, dest, fn in (
            (RC / "simple__data.csv", data, data_fn),
            (RC / "simple__dictionary.csv", dictionary, dict_fn),
        ):
            if fn is None:
                shutil.copy2(src, dest)
                continue
            out = fn(read_rows(src))
            if isinstance(out, bytes):
                dest.write_bytes(out)
            else:
                write_rows(dest, out)
        return data

    return build


def _redcap_case(name, data_fn=None, dict_fn=None, mention_dictionary=False, extra=(), **kw):
    _count[0] += 1
    pre_create = _count[0] % 2 == 0

    def setup(w: World) -> None:
        _redcap(data_fn, dict_fn)(w)
        if pre_create:
            (w.project / OUT).mkdir(parents=True)

    def args(w: World):
        return [
            "import",
            "redcap",
            str(w.inputs / "rc_data.csv"),
            "--dictionary",
            str(w.inputs / "rc_dictionary.csv"),
            "--out",
            OUT,
            *extra,
        ]

    mentions = [
        "rc_dictionary.csv" if mention_dictionary else "rc_data.csv",
        *kw.pop("mentions", ()),
    ]
    cli_case(
        G,
        name,
        args=args,
        setup=setup,
        mentions=mentions,
        forbidden=lambda w: [w.secret],
        raw_ignore=f"project/{OUT}",
        **kw,
    )


def _dup_field(rows):
    age = next(r for r in rows if r and r[0] == "age")
    return rows + [list(age)]


_redcap_case(
    "redcap-duplicate-field", dict_fn=_dup_field, mention_dictionary=True, mentions=["age"]
)
_redcap_case("redcap-empty-data", data_fn=lambda rows: b"")
_redcap_case("redcap-empty-dictionary", dict_fn=lambda rows: b"", mention_dictionary=True)
_redcap_case("redcap-garbage-data", data_fn=lambda rows: garbage(4096, seed=21))
_redcap_case(
    "redcap-garbage-dictionary",
    dict_fn=lambda rows: garbage(4096, seed=22),
    mention_dictionary=True,
)
_redcap_case(
    "redcap-dictionary-without-field-type",
    dict_fn=lambda rows: [r[:3] + r[4:] for r in rows],
    mention_dictionary=True,
)
_redcap_case(
    "redcap-dictionary-20001-fields",
    dict_fn=lambda rows: (
        rows + [[f"f{i}", "demographics", "", "text", f"F {i}"] + [""] * 13 for i in range(20_001)]
    ),
    mention_dictionary=True,
    time_limit=30,
)
_redcap_case(
    "redcap-data-unclosed-quote",
    data_fn=lambda rows: (rows_text(rows[:2]) + '3,"open,never closed\n').encode(),
)
_redcap_case("redcap-unknown-event", extra=["--event", "no_such_event"], mentions=["no_such_event"])


# ---------------------------------------------------------------------------- SPSS
SP = IMPORT_DATA / "spss"
SAV = SP / "pyreadstat__basic__sample.sav"
DTA = SP / "pyreadstat__missing_data__missing_test.dta"

_imp("spss", "spss-truncated", lambda w: truncated(SAV, w.inputs / "truncated.sav", 0.6))
_imp("spss", "spss-truncated-header", lambda w: truncated(SAV, w.inputs / "header.sav", 0.05))
_imp("spss", "spss-corrupt-body", lambda w: corrupted(SAV, w.inputs / "corrupt.sav", 0.3))
_imp("spss", "spss-garbage", _file("garbage.sav", garbage(4096, seed=31)))
_imp("spss", "spss-empty", _file("empty.sav", b""))
_imp("spss", "spss-csv-renamed", _copy(RC / "simple__data.csv", "renamed.sav"))
_imp(
    "spss",
    "spss-case-count-lie",
    lambda w: sav_with_case_count(SAV, w.inputs / "lie.sav", 2**31 - 1),
    expect="error_or_ok",
    time_limit=20,
)
_imp("stata", "stata-truncated", lambda w: truncated(DTA, w.inputs / "truncated.dta", 0.5))
_imp("stata", "stata-garbage", _file("garbage.dta", garbage(4096, seed=41)))
_imp(
    "spss",
    "spss-unknown-encoding",
    _copy(SAV, "sample.sav"),
    extra_args=["--encoding", "no-such-encoding"],
    mentions=["no-such-encoding"],
)
_imp(
    "spss",
    "spss-unknown-id-column",
    _copy(SAV, "sample.sav"),
    extra_args=["--id-column", "no_such_var"],
    mentions=["no_such_var"],
)

# ------------------------------------------------------------------------- Taguette
TG = IMPORT_DATA / "taguette" / "highlights_old.csv"


def _tg(fn, name="highlights.csv"):
    def build(w: World) -> Path:
        out = fn(TG.read_text(encoding="utf-8"))
        path = w.inputs / name
        path.write_bytes(out if isinstance(out, bytes) else out.encode("utf-8"))
        return path

    return build


_imp(
    "taguette",
    "taguette-unclosed-quote",
    _tg(lambda t: t + '14,P03_interview.docx,Teamwork,"We never closed this\n15,P03,Teamwork,x\n'),
)
_imp("taguette", "taguette-missing-columns", _tg(lambda t: "id,document\n1,P01.docx\n"))
_imp("taguette", "taguette-garbage", _tg(lambda t: garbage(4096, seed=51)))
_imp("taguette", "taguette-empty", _tg(lambda t: b""))
_imp("taguette", "taguette-header-only", _tg(lambda t: t.splitlines()[0] + "\n"))
_imp(
    "taguette",
    "taguette-bad-participant-pattern",
    _tg(lambda t: t),
    extra_args=["--participant-pattern", "(unclosed"],
    mentions=["(unclosed"],
)
_imp(
    "taguette",
    "taguette-nul-bytes",
    _tg(lambda t: t.replace("Common language", "Common\x00language", 1)),
)

# -------------------------------------------------------------------------- generic
_imp("taguette", "import-missing-file", lambda w: w.inputs / "not-there.csv")
_imp(
    "qdpx",
    "import-file-is-a-folder",
    lambda w: (w.inputs / "folder.qdpx").mkdir() or w.inputs / "folder.qdpx",
)
_imp(
    "taguette",
    "import-fifo",
    lambda w: make_fifo(w.inputs / "pipe.csv") or w.inputs / "pipe.csv",
    time_limit=10,
    timeout=30,
)


# ------------------------------------------------------------------- sizes and names
_imp(
    "taguette",
    "taguette-10mb-highlight",
    _tg(lambda t: t + '14,P03_interview.docx,Teamwork,"' + "w" * 10_000_000 + '"\n'),
    expect="error_or_ok",
    time_limit=30,
)


def _wide_sav(w: World) -> Path:
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame({f"v{i}": [1.0] for i in range(20_001)})
    path = w.inputs / "wide.sav"
    pyreadstat.write_sav(frame, str(path))
    return path


_imp("spss", "spss-20001-variables", _wide_sav, time_limit=30)
_imp(
    "taguette",
    "import-study-option-traversal",
    _tg(lambda t: t),
    extra_args=["--study", "../../victim"],
    mentions=["../../victim"],
    mention_file=False,
)
_imp(
    "taguette",
    "import-study-option-uppercase-newline",
    _tg(lambda t: t),
    extra_args=["--study", "Study\nName"],
    mentions=["Study"],
    mention_file=False,
)
_imp(
    "taguette",
    "import-site-option-traversal",
    _tg(lambda t: t),
    extra_args=["--site", "../../victim"],
    expect="error_or_ok",
    mentions=["../../victim"],
    mention_file=False,
)
