"""Seeded pre-training loss curves of every method, chem and bio, recorded once and compared exactly.

A refactor of the method classes, the flags or the loop must not move a single number: each case
runs a script's ``main`` in this process on one thread (float sums depend on the thread count) and
returns its per-epoch records (loss and the method's metrics) and its report's config.

    python tests/loss_curves.py --check full     # every method on 500 molecules x 2 epochs
    python tests/loss_curves.py --record ci      # rewrite the small set test_loss_curves.py checks
    python tests/loss_curves.py --add-cpu ci     # the same code on another CPU kind: keep its curves too

The "full" set is the before/after check of a refactor (a few minutes on one core); the "ci" set is
small enough for the test suite.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(REPO, "tests", "data", "loss_curves.json")
# Not compared: where files are, and what depends on the machine.
VOLATILE_CONFIG = ("smiles_file", "data_root", "output_model_file", "device")
LOOP_KEYS = ("epoch", "seconds", "data_wait_s", "data_share", "molecules_per_s", "steps", "molecules",
             "peak_gpu_memory_mb")

# name -> (script module, its flags); {zinc}, {chembl}, {bio} are filled in at run time.
SIZES = {"full": {"n": 500, "epochs": 2, "batch": []},
         "ci": {"n": 60, "epochs": 2, "batch": ["--batch_size", "32"]}}
CASES = {
    "chem/attrmasking": ("chem.pretrain_attrmasking", ["--smiles-file", "{zinc}"]),
    "chem/attrmasking_edge": ("chem.pretrain_masking", ["--smiles-file", "{zinc}", "--mask_edge", "1"]),
    "chem/contextpred": ("chem.pretrain_contextpred", ["--smiles-file", "{zinc}"]),
    "chem/edgepred": ("chem.pretrain_edgepred", ["--smiles-file", "{zinc}"]),
    "chem/infomax": ("chem.pretrain_infomax", ["--smiles-file", "{zinc}"]),
    "chem/supervised": ("chem.pretrain_supervised", ["--smiles-file", "{chembl}", "--threshold", "6"]),
    "chem/graphmae": ("chem.pretrain", ["--method", "graphmae", "--smiles-file", "{zinc}"]),
    "chem/attrmasking_gcn": ("chem.pretrain_attrmasking", ["--smiles-file", "{zinc}", "--gnn_type", "gcn"]),
    "bio/masking": ("bio.pretrain_masking", ["--data-root", "{bio}"]),
    "bio/contextpred": ("bio.pretrain_contextpred", ["--data-root", "{bio}"]),
    "bio/edgepred": ("bio.pretrain_edgepred", ["--data-root", "{bio}"]),
    "bio/infomax": ("bio.pretrain_infomax", ["--data-root", "{bio}"]),
    # The original's --seed of this script is the split's (default 42); --runseed seeds the run.
    "bio/supervised": ("bio.pretrain_supervised", ["--data-root", "{bio}"]),
}
RUN_SEED_FLAG = {"bio/supervised": "--runseed"}
# The synthetic ego-networks of tests/bio_helpers.py TINY (12 species x 40 proteins).
BIO_SPEC = dict(proteins_per_species=40, annotated_fraction=0.5, test_annotated_fraction=0.8)


def shared_data() -> str:
    return os.environ.get("PRETRAIN_GNNS_SHARED") or os.path.join(os.path.dirname(REPO), "shared", "data")


def bio_root(workdir: str) -> str:
    from bio.synthetic import SyntheticSpec, make_synthetic_bio
    root = os.path.join(workdir, "bio")
    if not os.path.isdir(root):
        make_synthetic_bio(root, SyntheticSpec(**BIO_SPEC), verbose=False)
    return root


def run_case(name: str, size: str, workdir: str) -> dict:
    """{"history": per-epoch records without timings, "config": the report's config without paths}."""
    import torch
    module, flags = CASES[name]
    s = SIZES[size]
    paths = {"zinc": os.path.join(shared_data(), "zinc", "moses", "train.csv.gz"),
             "chembl": os.path.join(shared_data(), "chembl", "chembl_5thresh.csv.gz")}
    if "{bio}" in flags:
        paths["bio"] = bio_root(workdir)
    argv = [f.format(**paths) for f in flags] + [
        "--max-molecules", str(s["n"]), "--epochs", str(s["epochs"]), RUN_SEED_FLAG.get(name, "--seed"), "0", "--device", "cpu", "--quiet",
        "--output_model_file", os.path.join(workdir, name.replace("/", "_")), *s["batch"]]
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        report = importlib.import_module(module).main(argv)
    finally:
        torch.set_num_threads(before)
    history = [{k: v for k, v in h.items() if k not in LOOP_KEYS or k in ("epoch", "steps", "molecules")}
               for h in report["history"]]
    config = {k: v for k, v in report["config"].items() if k not in VOLATILE_CONFIG}
    return {"history": history, "config": config}


def load_fixture() -> dict:
    with open(FIXTURE) as f:
        return json.load(f)


# Another CPU's BLAS kernels round differently in the last digits, and two epochs carry that into the
# third or fourth digit. So a curve is recorded once per CPU kind it was checked on: "<size>" is the
# first, "<size>_other_cpus" holds further ones, each recorded from the same code and labelled with its
# ``cpu_kind``. On a CPU kind listed in "<size>_cpu_kinds" a run must match one of them bit for bit;
# on another (a new CI machine) it must come within CLOSE of one, with a note saying how to pin it.
CLOSE = 0.005  # measured across three CPU kinds: at most 0.1% apart


def cpu_kind() -> str:
    """What decides the rounding: torch's kernel level (AVX2, AVX512) and the CPU's feature flags."""
    import hashlib
    import torch
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1] for line in f if line.startswith("flags")), "")
    except OSError:
        pass
    digest = hashlib.sha1(" ".join(sorted(flags.split())).encode()).hexdigest()[:10]
    return f"{torch.backends.cpu.get_cpu_capability()}-{digest}"


def expected_curves(fixture: dict, size: str, name: str) -> list[dict]:
    return [fixture[size][name], *fixture.get(f"{size}_other_cpus", {}).get(name, [])]


def compare(fixture: dict, size: str, name: str, got: dict, kind: str | None = None) -> tuple[list[str], str]:
    """No differences when ``got`` matches one recorded curve exactly; else those to the recording of
    this CPU kind, or, none recorded for it, none when within CLOSE of one (with a note saying so)."""
    recorded = expected_curves(fixture, size, name)
    found = [differences(expected, got) for expected in recorded]
    if any(not d for d in found):
        return [], ""
    kind = kind or cpu_kind()
    if kind in recorded_kinds(fixture, size):
        return found[0], ""  # this CPU was recorded (its exact matches are not duplicated): exact only
    if any(not differences(expected, got, rel=CLOSE) for expected in recorded):
        return [], (f"{name}: no curve recorded on this CPU kind ({kind}); within {CLOSE:.1%} of a recorded one. "
                    f"Pin it bit for bit: python tests/loss_curves.py --add-cpu {size}")
    return found[0], ""


def recorded_kinds(fixture: dict, size: str) -> set[str]:
    """The CPU kinds whose every curve of this size is in the fixture (``--record``, ``--add-cpu``)."""
    return set(fixture.get(f"{size}_cpu_kinds", []))


# Keys the loop records since the fixture was made (the batches that learnt something, the data's
# hash for --resume): new information, not a change to the curve, so absent from the fixture is fine.
ADDED_KEYS = {"steps_learnt", "data_hash"}


def differences(expected: dict, got: dict, rel: float = 0.0) -> list[str]:
    """Exact comparison (NaN equals NaN): a refactor must reproduce every float bit for bit. With
    ``rel``, floats of the history may differ by that fraction; the config stays exact."""
    def same(a, b, rel: float = 0.0) -> bool:
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        if rel and isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=rel)
        return type(a) is type(b) and a == b
    out = []
    for i, (e, g) in enumerate(zip(expected["history"], got["history"])):
        for k in sorted(set(e) | set(g)):
            if k in ADDED_KEYS and k not in e:
                continue
            if not same(e.get(k), g.get(k), rel):
                out.append(f"epoch {i + 1} {k}: expected {e.get(k)!r}, got {g.get(k)!r}")
    if len(expected["history"]) != len(got["history"]):
        out.append(f"epochs: expected {len(expected['history'])}, got {len(got['history'])}")
    for k in sorted(set(expected["config"]) | set(got["config"])):
        if k in ADDED_KEYS and k not in expected["config"]:
            continue
        if not same(expected["config"].get(k), got["config"].get(k)):
            out.append(f"config {k}: expected {expected['config'].get(k)!r}, got {got['config'].get(k)!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--record", choices=sorted(SIZES), help="run the cases and write them into the fixture")
    action.add_argument("--add-cpu", choices=sorted(SIZES),
                        help="run the cases and keep this CPU's curve beside the recorded ones where it matches none "
                             "(the code unchanged, another CPU's rounding)")
    action.add_argument("--check", choices=sorted(SIZES), help="run the cases and compare them with the fixture")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    args = p.parse_args(argv)
    size = args.record or args.add_cpu or args.check
    fixture = load_fixture() if os.path.exists(FIXTURE) else {}
    failed = 0
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.cases.split(","):
            got = run_case(name, size, workdir)
            losses = [h.get("loss") for h in got["history"]]
            got["cpu_kind"] = cpu_kind()
            if args.record:
                # a new first recording: the other CPUs' ones were made from the code it replaces
                fixture.setdefault(size, {})[name] = got
                fixture.get(f"{size}_other_cpus", {}).pop(name, None)
                print(f"{name}: {losses}", flush=True)
            elif args.add_cpu:
                known = any(not differences(e, got) for e in expected_curves(fixture, size, name))
                if not known:
                    fixture.setdefault(f"{size}_other_cpus", {}).setdefault(name, []).append(got)
                print(f"{name}: {'already recorded' if known else 'added'} {losses}", flush=True)
            else:
                diffs, note = compare(fixture, size, name, got)
                failed += bool(diffs)
                print(f"{name}: {'DIFFERENT' if diffs else 'CLOSE' if note else 'SAME'} {losses}", flush=True)
                for d in diffs:
                    print("   ", d)
    if args.record or args.add_cpu:
        from pretrain_gnns.files import atomic_write
        # After --record the other kinds are only checked for closeness until --add-cpu runs there again.
        # (A curve a kind matched exactly is not stored twice, so the kinds are listed on their own.)
        ran_all = set(args.cases.split(",")) == set(CASES)
        kinds = ({cpu_kind()} if ran_all else set()) | (set() if args.record else recorded_kinds(fixture, size))
        fixture[f"{size}_cpu_kinds"] = sorted(kinds)
        os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
        with atomic_write(FIXTURE) as f:  # json.dump, not write_json: a NaN metric must stay NaN
            json.dump(fixture, f, indent=1, sort_keys=True)
            f.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, REPO)
    sys.exit(main())
