"""Training tools: the only code that imports PyTorch (the `train` extra: pip install -e '.[train]').

recipes: the shipped recipes, stage by stage (savepets train); train: one stage; finish: after a stage, its ONNX
export, operating point, held-out report and install; model: the network; augment and batches: the training views;
export: torch weights -> the ONNX files the product runs, checked against torch on real photos.

Each imports only from those listed after it (recipes -> train -> finish -> export -> ...): the import-linter
contract "Training tools in layers" in pyproject.toml."""
