"""The chem pre-training methods, one module each; the registry imports every module here
(``ChemDomain.methods_package``), so a new method is one new file with one ``@register`` class."""
