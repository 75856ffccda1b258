"""Group ``names``: study names, data folders, output folders and import targets that
would lead outside the project (or nowhere)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from fixtures import IMPORT_DATA
from harness import STUDY, World, cli_case

G = "names"
RUN = ["run", f"params/{STUDY}.yaml"]
STUDY_KEY = re.compile(r"\bstudy\b")
DATA_KEY = re.compile(r"\bdata\b")


def _study(value):
    def setup(w: World) -> None:
        doc = w.params_doc()
        doc["study"] = value(w) if callable(value) else value
        w.write_params(doc)

    return setup


STUDY_VALUES = {
    "study-dotdot-victim": "../../victim",
    "study-dotdot": "..",
    "study-dot": ".",
    "study-empty": "",
    "study-abs-dir": lambda w: str(w.victim / "abs"),
    "study-slash": "a/b",
    "study-uppercase": "Example",
    "study-unicode": "étude_liège",
    "study-65-chars": "a" * 65,
    "study-list": ["example", "other"],
    "study-mapping": {"name": "example"},
    "study-null": None,
    "study-number": 2023,
    "study-bool": True,
    "study-newline": "example\nrm",
    "study-trailing-newline": "example\n",
    "study-nul-byte": "exa\x00mple",
    "study-backslash": "a\\..\\b",
    "study-dash-leading": "-rf",
    "study-space": "my study",
    "study-dotfile": ".staging",
    "study-tilde": "~root",
}
for _name, _value in STUDY_VALUES.items():
    cli_case(G, _name, args=RUN, setup=_study(_value), mentions=["example.yaml", STUDY_KEY])


# --------------------------------------------------------------------------- data:
def _data(value):
    def setup(w: World) -> None:
        doc = w.params_doc()
        doc["data"] = value(w) if callable(value) else value
        w.write_params(doc)

    return setup


cli_case(
    G,
    "data-absolute-outside",
    args=RUN,
    setup=_data(lambda w: str(w.victim / "raw")),
    mentions=["example.yaml", DATA_KEY],
)
cli_case(
    G,
    "data-dotdot-outside",
    args=RUN,
    setup=_data("../victim/raw"),
    mentions=["example.yaml", DATA_KEY],
)
cli_case(
    G,
    "data-list-one-outside",
    args=RUN,
    setup=_data(lambda w: [f"data/raw/{STUDY}", str(w.victim / "raw")]),
    mentions=["example.yaml", DATA_KEY],
)
cli_case(G, "data-project-root", args=RUN, setup=_data("."), mentions=["example.yaml", DATA_KEY])
cli_case(
    G,
    "data-missing-folder",
    args=RUN,
    setup=_data("data/raw/nope"),
    mentions=["example.yaml", "data/raw/nope"],
)
cli_case(G, "data-number", args=RUN, setup=_data(12), mentions=["example.yaml", DATA_KEY])


def _data_symlink(w: World) -> None:
    os.symlink(w.victim / "raw", w.raw_root / "linked")
    set_path_doc = w.params_doc()
    set_path_doc["data"] = "data/raw/linked"
    w.write_params(set_path_doc)


cli_case(
    G, "data-symlink-outside", args=RUN, setup=_data_symlink, mentions=["example.yaml", "linked"]
)


def _file_link(name: str, target):
    def setup(w: World) -> None:
        path = w.raw / name
        path.unlink()
        os.symlink(target(w) if callable(target) else target, path)

    return setup


cli_case(
    G,
    "raw-file-symlink-etc-passwd",
    args=RUN,
    setup=_file_link("participants.csv", "/etc/passwd"),
    mentions=["participants.csv"],
)
cli_case(
    G,
    "raw-file-symlink-etc-passwd-validate",
    args=["validate", f"data/raw/{STUDY}"],
    setup=_file_link("participants.csv", "/etc/passwd"),
    mentions=["participants.csv"],
)
cli_case(
    G,
    "raw-file-symlink-victim-secret",
    args=RUN,
    setup=_file_link("segments.csv", lambda w: w.victim / "secret.txt"),
    mentions=["segments.csv"],
    forbidden=[re.compile("SECRET-")],
)
cli_case(
    G,
    "raw-codebook-symlink-outside",
    args=["validate", f"data/raw/{STUDY}"],
    setup=_file_link("codebook.yaml", lambda w: w.victim / "codebook.yaml"),
    mentions=["codebook.yaml"],
)


# ------------------------------------------------------------------ output folders
def _link_out(rel: str, target: str):
    def setup(w: World) -> None:
        path = w.project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(w.victim / target, path)

    return setup


cli_case(
    G,
    "reports-symlink-outside",
    args=RUN,
    setup=_link_out("reports", "reports"),
    mentions=["reports"],
)
cli_case(
    G,
    "reports-study-symlink-outside",
    args=RUN,
    setup=_link_out(f"reports/{STUDY}", "reports"),
    mentions=["reports"],
)
cli_case(
    G,
    "processed-symlink-outside",
    args=RUN,
    setup=_link_out("data/processed", "empty"),
    mentions=["processed"],
)
cli_case(
    G,
    "processed-study-symlink-outside",
    args=RUN,
    setup=_link_out(f"data/processed/{STUDY}", "empty"),
    mentions=["processed"],
)
cli_case(
    G,
    "staging-symlink-outside",
    args=RUN,
    setup=_link_out(".staging", "staging"),
    mentions=[".staging"],
)
cli_case(
    G,
    "staging-study-symlink-outside",
    args=RUN,
    setup=_link_out(f".staging/{STUDY}", "precious"),
    mentions=[".staging"],
)

# ------------------------------------------------------------------- params path
cli_case(
    G,
    "params-outside-project-absolute",
    args=lambda w: ["run", str(w.victim / "params.yaml")],
    mentions=["params.yaml"],
)
cli_case(
    G,
    "params-outside-project-relative",
    args=["run", "../victim/params.yaml"],
    mentions=["params.yaml"],
)


def _params_link(w: World) -> None:
    os.symlink(w.victim / "params.yaml", w.project / "params" / "linked.yaml")


cli_case(
    G,
    "params-symlink-outside",
    args=["run", "params/linked.yaml"],
    setup=_params_link,
    mentions=["linked.yaml"],
)
cli_case(G, "params-is-a-folder", args=["run", "params"], mentions=["params"])
cli_case(G, "params-missing", args=["run", "params/nope.yaml"], mentions=["nope.yaml"])

# ---------------------------------------------------------------------- new-site
cli_case(G, "new-site-dotdot", args=["new-site", "../x"], mentions=["../x"])
cli_case(G, "new-site-dotdot-victim", args=["new-site", "../../victim/pwned"], mentions=["victim"])
cli_case(
    G, "new-site-absolute", args=lambda w: ["new-site", str(w.victim / "pwned")], mentions=["pwned"]
)
cli_case(
    G, "new-site-from-etc", args=["new-site", "--from", "../../etc", "x"], mentions=["../../etc"]
)
cli_case(
    G,
    "new-site-from-victim",
    args=["new-site", "--from", "../../../victim", "x"],
    mentions=["victim"],
)
cli_case(
    G,
    "new-site-from-absolute",
    args=lambda w: ["new-site", "--from", str(w.victim), "x"],
    mentions=["victim"],
)
cli_case(G, "new-site-trailing-newline", args=["new-site", "newsite\n"], mentions=["newsite"])
cli_case(G, "new-site-65-chars", args=["new-site", "a" * 65], mentions=["a" * 65])
cli_case(G, "new-site-uppercase", args=["new-site", "NewSite"], mentions=["NewSite"])
cli_case(G, "new-site-existing", args=["new-site", STUDY], mentions=[STUDY])


def _raw_root_link(w: World) -> None:
    # data/raw is a link to a folder outside the project that holds a study
    shutil.move(str(w.raw_root), str(w.victim / "rawroot"))
    os.symlink(w.victim / "rawroot", w.raw_root)


cli_case(
    G,
    "new-site-raw-root-symlink-outside",
    args=["new-site", "fresh"],
    setup=_raw_root_link,
    mentions=["fresh"],
)


def _params_dir_link(w: World) -> None:
    shutil.move(str(w.project / "params"), str(w.victim / "paramsdir"))
    os.symlink(w.victim / "paramsdir", w.project / "params")


cli_case(
    G,
    "new-site-params-dir-symlink-outside",
    args=["new-site", "fresh"],
    setup=_params_dir_link,
    mentions=["params"],
)


# ------------------------------------------------------------------ import --out
TAGUETTE = IMPORT_DATA / "taguette" / "highlights_old.csv"


def _imp(out: str):
    return lambda w: ["import", "taguette", str(TAGUETTE), "--out", out]


def _out_file(w: World) -> None:
    (w.project / "data" / "raw" / "existing.csv").write_text("keep me\n", encoding="utf-8")


def _out_nonempty(w: World) -> None:
    (w.project / "data" / "raw" / "busy").mkdir()
    (w.project / "data" / "raw" / "busy" / "notes.txt").write_text("mine\n", encoding="utf-8")


def _out_link(w: World) -> None:
    os.symlink(w.victim / "empty", w.project / "data" / "raw" / "linked")


def _out_link_dangling(w: World) -> None:
    os.symlink(w.victim / "not-there", w.project / "data" / "raw" / "dangling")


cli_case(
    G,
    "import-out-existing-file",
    args=_imp("data/raw/existing.csv"),
    setup=_out_file,
    mentions=["existing.csv"],
)
cli_case(
    G,
    "import-out-nonempty-folder",
    args=_imp("data/raw/busy"),
    setup=_out_nonempty,
    mentions=["busy"],
)
cli_case(
    G, "import-out-symlink", args=_imp("data/raw/linked"), setup=_out_link, mentions=["linked"]
)
cli_case(
    G,
    "import-out-dangling-symlink",
    args=_imp("data/raw/dangling"),
    setup=_out_link_dangling,
    mentions=["dangling"],
)
cli_case(G, "import-out-existing-study", args=_imp(f"data/raw/{STUDY}"), mentions=[STUDY])


# ------------------------------------------ links inside the output folders (full runs)
def _out_file_link(rel: str):
    def setup(w: World) -> None:
        path = w.project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(w.victim / "precious" / "thesis.txt", path)

    return setup


def _out_file_hardlink(rel: str):
    def setup(w: World) -> None:
        path = w.project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.link(w.victim / "precious" / "thesis.txt", path)

    return setup


for _rel in (
    f"reports/{STUDY}/report.html",
    f"reports/{STUDY}/tables/codes.csv",
    f"reports/{STUDY}/manifest.json",
):
    cli_case(
        G,
        f"output-file-symlink-outside-{Path(_rel).name}",
        args=RUN,
        setup=_out_file_link(_rel),
        expect="error_or_ok",
        mentions=[Path(_rel).name],
        heavy=True,
        timeout=400,
    )
cli_case(
    G,
    "output-file-hardlink-outside-codes.csv",
    args=RUN,
    setup=_out_file_hardlink(f"reports/{STUDY}/tables/codes.csv"),
    expect="error_or_ok",
    mentions=["codes.csv"],
    heavy=True,
    timeout=400,
)
