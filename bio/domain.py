"""The bio domain: protein ego-networks (the original's bio/), whose edges carry the evidence.

Everything the engine needs to know about ego-networks is declared here; the engine finds this
object through the ``pretrain_gnns.domains`` entry point, or when the ``bio`` package is imported.
"""
from __future__ import annotations

import argparse
from typing import Any, Mapping

from pretrain_gnns.domain import Domain, register_domain


class BioDomain(Domain):
    name = "bio"
    order = 1
    units = "ego-networks"
    methods_package = "bio.methods"
    model_module = "bio.model"
    commands = {"pretrain": "bio.pretrain:main", "finetune": "bio.finetune:main", "data": "bio.loader:main",
                "synthetic": "bio.synthetic:main"}
    command_help = {"data": "convert the original's processed files, or build ego-networks from PPI and GO tables",
                    "synthetic": "write SYNTHETIC ego-networks (or their raw tables) in the real format, for trying things"}
    # The original's released bio models at its commit 8b20528: every one a 5-layer, 300-wide encoder, JK last.
    released = (
        ("gat", "masking", "bio/model_architecture/gat_masking.pth", "6a706540fcded0c131db5a51fa5b7bef0c9d0c8e", 3769706, 'e66e1a7b3dee10643f94fab3a6c4d95cde5158b21996474157cbfbb4cf73ed33'),
        ("gat", "supervised_masking", "bio/model_architecture/gat_supervised_masking.pth", "b8d89777ca47cb57545271147f54242708ddc1b9", 3769706, 'ff64776c575aa57eaf4e13b5ac6f1a2724ef2feef9815cbe9430ca488b31ce78'),
        ("gcn", "masking", "bio/model_architecture/gcn_masking.pth", "5015278aa4c2562249380285480a9ccfe046555f", 1872071, '8eafe626642a8edd59f8455f9ba15666390fd20eb08206cdcec007f37e035a82'),
        ("gcn", "supervised_masking", "bio/model_architecture/gcn_supervised_masking.pth", "a0bf25c735bf141e11a6be07c6fdc99eaab4380f", 1872071, '0335e9ec597c0c96f666400b01ba6c0095d5168734187f3196a48a1ab03bfba4'),
        ("graphsage", "masking", "bio/model_architecture/graphsage_masking.pth", "5a337ab008295c1a579b53f63930d9042d3c8d8e", 1872071, '662f87cbbd38fae3db538df8bc9b61160278c669545baf70faa1a6d0737cde91'),
        ("graphsage", "supervised_masking", "bio/model_architecture/graphsage_supervised_masking.pth", "465a39ab692223b82ce02e693f8b1edf690a8d2e", 1872071, 'd03101b1a88838eb1be4715f41a4871a4460615bc58976d78cca7a04d69e55ff'),
        ("gin", "contextpred", "bio/model_gin/contextpred.pth", "990280d32edf61f63f4d958b58093f6013af46f7", None, None),
        ("gin", "edgepred", "bio/model_gin/edgepred.pth", "ae51404ee0d2eaa14af94f1cce787fc0be034b27", None, None),
        ("gin", "infomax", "bio/model_gin/infomax.pth", "83e35a46ab22eb2a6a037e87095c5c410caf83e8", None, None),
        ("gin", "masking", "bio/model_gin/masking.pth", "f004bc3d56fba7592dca844889f1d8f6b24d181c", None, None),
        ("gin", "supervised", "bio/model_gin/supervised.pth", "c05d8a069de76dcab6de7798ef23ebd472e240aa", None, None),
        ("gin", "supervised_contextpred", "bio/model_gin/supervised_contextpred.pth", "bb69c1617bf388c03f45ee1832ce9ca70cb222e5", None, None),
        ("gin", "supervised_edgepred", "bio/model_gin/supervised_edgepred.pth", "a7976f61647043b83ca4d600e11d420490d8303f", None, None),
        ("gin", "supervised_infomax", "bio/model_gin/supervised_infomax.pth", "a871b4151e42b7468ef76ca5c3ec37c0e494ba41", None, None),
        ("gin", "supervised_masking", "bio/model_gin/supervised_masking.pth", "77063d1ae581f1beece3e4109b9faa23e862c2fb", None, None),
    )

    def owns_state(self, state: Mapping[str, Any]) -> bool:
        return any(k.endswith("edge_encoder.weight") or "input_node_embeddings" in k for k in state)

    def emb_dim_of(self, state: Mapping[str, Any]) -> int | None:
        embedding = state.get("gnns.0.input_node_embeddings.weight")
        return None if embedding is None else int(embedding.shape[1])

    def default_pretrain_dataset(self, method_cls: type) -> str:
        return "supervised" if method_cls.needs_labels else "unsupervised"

    def pretrain_data_config(self, method_cls: type) -> type:
        from bio.pretrain_data import data_config
        return data_config(method_cls.needs_labels)

    def add_pretrain_data_args(self, parser: argparse.ArgumentParser, method_cls: type) -> None:
        from bio.pretrain_data import add_data_args
        add_data_args(parser, method_cls.needs_labels)

    def load_pretrain_dataset(self, cfg, method_cls: type):
        from bio.pretrain_data import load_bio_pretrain_dataset
        dataset = load_bio_pretrain_dataset(cfg, method_cls.needs_labels)
        cfg.data.synthetic = bool(getattr(dataset, "synthetic", False))  # a view may not say; recorded in the report
        return dataset

    def describe(self, dataset) -> str:
        return f"{len(dataset)} ego-networks{' (SYNTHETIC)' if getattr(dataset, 'synthetic', False) else ''}"


BIO = register_domain(BioDomain())
