"""Training tools: the only code that imports PyTorch (the `train` extra: pip install -e '.[train]').

recipes: the shipped recipes, stage by stage (savepets train); train: one stage; model: the network; augment and
batches: the training views; export: torch weights -> the ONNX files the product runs, checked against torch on
real photos."""
