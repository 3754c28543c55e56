"""The chem domain: molecules as graphs of atoms and bonds (the original's chem/).

Everything the engine needs to know about molecules is declared here; the engine finds this object
through the ``pretrain_gnns.domains`` entry point, or when the ``chem`` package is imported.
"""
from __future__ import annotations

from typing import Any, Mapping

from pretrain_gnns.domain import Domain, register_domain


class ChemDomain(Domain):
    name = "chem"
    order = 0  # the default domain
    units = "molecules"
    methods_package = "chem.methods"
    model_module = "chem.model"
    commands = {"pretrain": "chem.pretrain:main", "finetune": "chem.finetune:main", "embed": "chem.embed:main",
                "predict": "chem.predict:main", "probe": "chem.probe:main", "download": "chem.download:main",
                "demo": "chem.demo:main"}
    # The original's released chem models at its commit 8b20528: every one a 5-layer, 300-wide encoder, JK last.
    released = (
        ("gat", "contextpred", "chem/model_architecture/gat_contextpred.pth", "206a124bcbf3f3a32f27d61650f4c56397e7b024", 3931687, 'de030068b3cb8b5d2d4da09fd377fac0a111f401904d3806104874e058bc4af8'),
        ("gat", "supervised", "chem/model_architecture/gat_supervised.pth", "c6d3b3ead159768f5eefbd96ab77e361285b9d49", 3931687, '62edee2aaf82c82e24236fe0124d93d975c4cb7b5e01280bc63050c606f64541'),
        ("gat", "supervised_contextpred", "chem/model_architecture/gat_supervised_contextpred.pth", "c44701db22d9261a9c6cdbb1f560fb21c53d5308", 3931687, 'ad433c867915b166fbc98154d763eaa83fa53cd60bf3a3b0c2086a0ef7dc684e'),
        ("gcn", "contextpred", "chem/model_architecture/gcn_contextpred.pth", "11d1815f41cbca02a4ba457f08211f319bb1e1fd", 2040025, 'ff1d9c5e5c198b8faf8af576c303808853e3f55a52aed7ae27964e3c8635a81a'),
        ("gcn", "supervised", "chem/model_architecture/gcn_supervised.pth", "ceec38e7569ac6efc24af47a62f65eb742fba02f", 2040025, '8fb73bcce4991d6778e7309474505fcf2e5ff69f5debf166a5e6b91edf3f1493'),
        ("gcn", "supervised_contextpred", "chem/model_architecture/gcn_supervised_contextpred.pth", "6eecc9fa46331d5016060a8f75bfe9ac246c2fdd", 2040025, '49cf0465e623c14fc802cdc67b47cbb78326f43fc7991afe6a14e1ff471755d5'),
        ("graphsage", "contextpred", "chem/model_architecture/graphsage_contextpred.pth", "1db4e11e17af0514f6bbea9444f5160940d1423d", 2040025, '63976e7795ae3ab46fc97c40a047ce1c4b13e243c2f8ef9125e78c7fabee9279'),
        ("graphsage", "supervised", "chem/model_architecture/graphsage_supervised.pth", "fd51375f5fed325c79af8891a6522a7759224705", 2040025, '9e2572f66e4e3c6a21b1e897c642b545abc8c6cbab1d56888c37f963b0c6da4b'),
        ("graphsage", "supervised_contextpred", "chem/model_architecture/graphsage_supervised_contextpred.pth", "0b5199c51d0639a227142cf0b5607d86dbbc694a", 2040025, 'aca7caa7c15a0e478b57d5d2cca84d8bda6d4500614bd96486b84739bff3929b'),
        ("gin", "contextpred", "chem/model_gin/contextpred.pth", "60912ba5a4562639c0492dd3e446b2da5a828c2d", None, None),
        ("gin", "edgepred", "chem/model_gin/edgepred.pth", "2a5311ea63caa598130aec65c64bc0ae09779856", None, None),
        ("gin", "infomax", "chem/model_gin/infomax.pth", "779a0924f02cc347d11b8c92f21ecfda289f7b70", None, None),
        ("gin", "masking", "chem/model_gin/masking.pth", "821fce4a9e77fc1a1794ee0859499d0087a56e5e", None, None),
        ("gin", "supervised", "chem/model_gin/supervised.pth", "b0257d2181fcddf100db41bf982dc7dad1313ad5", None, None),
        ("gin", "supervised_contextpred", "chem/model_gin/supervised_contextpred.pth", "f2b12b211eace32c070c241b5047484f8fec9b7a", None, None),
        ("gin", "supervised_edgepred", "chem/model_gin/supervised_edgepred.pth", "2cae8e4b2207f8de1b2ec1ab25a1cdef29ab76a7", None, None),
        ("gin", "supervised_infomax", "chem/model_gin/supervised_infomax.pth", "eda3919ca23386527aacf4480b0b49bdaaf4a963", None, None),
        ("gin", "supervised_masking", "chem/model_gin/supervised_masking.pth", "1f8de843feb5b51e73488a95096283028820583e", None, None),
    )

    def owns_state(self, state: Mapping[str, Any]) -> bool:
        return "x_embedding1.weight" in state  # atoms are embedded by type

    def emb_dim_of(self, state: Mapping[str, Any]) -> int | None:
        embedding = state.get("x_embedding1.weight")
        return None if embedding is None else int(embedding.shape[1])

    @property
    def log_tag(self) -> str:
        return ""  # the original's chem log lines carry no domain

    def default_pretrain_dataset(self, method_cls: type) -> str:
        return "chembl_filtered" if method_cls.needs_labels else "zinc_standard_agent"

    def pretrain_data_config(self, method_cls: type) -> type:
        from chem.pretrain_data import data_config
        return data_config(method_cls.needs_labels)

    def load_pretrain_dataset(self, cfg, method_cls: type):
        from chem.pretrain_data import load_pretrain_dataset
        return load_pretrain_dataset(cfg, labels=method_cls.needs_labels)


CHEM = register_domain(ChemDomain())
