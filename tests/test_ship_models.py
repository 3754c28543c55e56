"""scripts/ship_models.py: the recreate line of a full-corpus model and of a model stacked on one."""
from __future__ import annotations

import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("ship_models", os.path.join(REPO, "scripts", "ship_models.py"))
ship_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ship_models)


def test_a_full_corpus_model_is_recreated_with_every_molecule():
    config = {"method": "attrmasking", "seed": 0, "precision": "bf16", "max_molecules": None, "epochs": 3}
    assert ship_models.recreate_command("gin_attrmasking", config) == \
        'SEED=0 PRECISION=bf16 MOLECULES=all NODE_EPOCHS=3 METHODS=attrmasking SUPERVISED="" scripts/pretrain_zoo.sh OUT'


def test_a_stacked_model_names_its_base_budget_and_both_precisions():
    base = {"method": "contextpred", "seed": 0, "precision": "bf16", "max_molecules": None, "epochs": 3}
    config = {"method": "supervised", "seed": 0, "precision": "fp32", "max_molecules": None, "epochs": 20,
              "input_model_file": "/x/gin_contextpred.epoch3.pth"}
    assert ship_models.base_stem(config["input_model_file"]) == "gin_contextpred"
    assert ship_models.recreate_command("gin_supervised_contextpred", config, base) == (
        "SEED=0 PRECISION=bf16 SUP_PRECISION=fp32 SUP_EPOCHS=20 SUPERVISED=supervised_contextpred "
        "MOLECULES=all NODE_EPOCHS=3 METHODS=contextpred scripts/pretrain_zoo.sh OUT")
