from setuptools import find_packages, setup

setup(
    name="pretrain-gnns",
    version="0.1.0",
    description="Strategies for Pre-training Graph Neural Networks (Hu et al., ICLR 2020) "
    "on modern PyTorch / PyG 2.x / RDKit",
    packages=find_packages(include=["pretrain_gnns", "pretrain_gnns.*", "chem", "chem.*", "bio", "bio.*"]),
    # entry points (the pretrain-gnns command, the domains) are in setup.cfg
    python_requires=">=3.10",
    install_requires=[line.strip() for line in open("requirements.txt") if line.strip()],
    extras_require={"test": ["pytest>=7", "matplotlib>=3.7", "hypothesis>=6"], "plot": ["matplotlib>=3.7"],
                    "parquet": ["pyarrow>=12"]},
)
