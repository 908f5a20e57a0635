"""Training tools: the only code that imports PyTorch (the `train` extra: pip install -e '.[train]').

model: the network; train: the shipped recipe (savepets train); export: torch weights -> the ONNX files the
product runs, checked against torch on real photos."""
