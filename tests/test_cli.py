"""One command line over every domain: `pretrain-gnns --help` lists the commands, each command's --help
is complete, flags work in both spellings, domains are found installed, from a checkout without
installation and from a third-party package, and the engine names no domain."""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import pytest

from pretrain_gnns import api, cli
from pretrain_gnns.cli_args import ArgumentParser
from pretrain_gnns.domain import domains, get_domain
from pretrain_gnns.method import methods

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(argv, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["pretrain-gnns"])  # cli.main names the program in sys.argv[0]
    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def test_help_lists_every_command_and_domain(monkeypatch, capsys):
    code, out, _ = run_cli(["--help"], monkeypatch, capsys)
    assert code == 0
    for command in [*cli.COMMANDS, "data", "synthetic"]:
        assert f"\n  {command}" in out
    assert "--domain chem|bio" in out and "default: chem" in out


@pytest.mark.parametrize("domain", ["chem", "bio"])
def test_every_command_has_its_help(domain, monkeypatch, capsys):
    for command in get_domain(domain).commands:
        code, out, err = run_cli([command, "--domain", domain, "--help"], monkeypatch, capsys)
        assert code == 0, (command, err)
        assert out.startswith(f"usage: pretrain-gnns {command}"), (command, out[:200])
    for name in methods(domain):
        code, out, _ = run_cli(["pretrain", "--domain", domain, "--method", name, "--help"], monkeypatch, capsys)
        assert code == 0 and "--batch-size" in out and "--output-model-file" in out and "--batch_size" not in out


def test_zoo_lists_every_domain(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["pretrain-gnns"])
    cli.main(["zoo", "list", "--domain", "bio"])
    out = capsys.readouterr().out
    assert "gin_supervised_masking" in out
    assert {line.split()[1] for line in out.splitlines()[1:]} == {"bio"}


def test_unknown_command_or_domain_is_a_usage_error(monkeypatch, capsys):
    code, _, err = run_cli(["embed", "--domain", "bio"], monkeypatch, capsys)
    assert code == 2 and "bio domain has no 'embed' command" in err
    code, _, err = run_cli(["finetune", "--domain", "nosuch"], monkeypatch, capsys)
    assert code == 2 and "unknown domain 'nosuch'" in err and "chem, bio" in err


def test_both_spellings_of_every_flag():
    from chem.finetune import build_parser
    p = build_parser()
    dashed = p.parse_args(["--batch-size", "7", "--input-model-file", "x.pth", "--data-root", "d", "--lr-scale", "2"])
    under = p.parse_args(["--batch_size", "7", "--input_model_file", "x.pth", "--data_root", "d", "--lr_scale", "2"])
    assert vars(dashed) == vars(under)
    assert (dashed.batch_size, dashed.input_model_file, dashed.data_root, dashed.lr_scale) == (7, "x.pth", "d", 2.0)
    q = ArgumentParser(prog="x")
    q.add_argument("--num_layer", type=int)
    assert q.parse_args(["--num", "3"]).num_layer == 3  # an abbreviation of both spellings is not ambiguous


def test_original_scripts_show_the_originals_spelling(capsys):
    import chem.finetune
    with pytest.raises(SystemExit):
        chem.finetune.main(["--help"])
    out = capsys.readouterr().out
    assert "--batch_size" in out and "--input_model_file" in out and "--batch-size" not in out


def test_api_mirrors_the_command_line():
    assert api.to_argv("a", batch_size=32, quiet=True, resume=False, device=None, names=["x", "y"]) == \
        ["a", "--batch-size", "32", "--quiet", "--names", "x", "y"]
    fn, prefix = cli.resolve_command("finetune", "bio")
    assert fn.__module__ == "bio.finetune" and prefix == []


def test_engine_names_no_domain():
    """The acceptance grep: no import, import_module or string naming a domain package in pretrain_gnns/*.py."""
    hits = [f"{os.path.basename(path)}:{i}: {line.strip()}"
            for path in sorted(glob.glob(os.path.join(REPO, "pretrain_gnns", "*.py")))
            for i, line in enumerate(open(path), 1) if re.search(r"\b(chem|bio)\b", line)]
    assert not hits, "\n".join(hits)


def test_domains_are_found_from_a_checkout_without_installation():
    """No site-packages at all (-S): the checkout's setup.cfg names its domains."""
    code = "from pretrain_gnns.domain import domain_names; print(domain_names())"
    out = subprocess.run([sys.executable, "-S", "-c", code], cwd="/", env={**os.environ, "PYTHONPATH": REPO},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "['chem', 'bio']", out.stderr
    assert [d.name for d in domains()][:2] == ["chem", "bio"]


def test_a_third_party_package_adds_a_domain(tmp_path):
    pkg = tmp_path / "toydom"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "domain.py").write_text(
        "from pretrain_gnns.domain import Domain, register_domain\n\n\n"
        "class ToyDomain(Domain):\n    name = 'toydom'\n    commands = {'hello': 'toydom.hello:main'}\n"
        "    command_help = {'hello': 'say hello'}\n\n\nDOMAIN = register_domain(ToyDomain())\n")
    (pkg / "hello.py").write_text("def main(argv):\n    print('hello', *argv)\n")
    info = tmp_path / "toydom-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toydom\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pretrain_gnns.domains]\ntoydom = toydom.domain:DOMAIN\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), REPO])}
    listed = subprocess.run([sys.executable, "-m", "pretrain_gnns", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "say hello [toydom]" in listed.stdout and "--domain chem|bio|toydom" in listed.stdout, listed.stderr
    ran = subprocess.run([sys.executable, "-m", "pretrain_gnns", "hello", "--domain", "toydom", "world"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and ran.stdout.strip() == "hello world", ran.stderr
