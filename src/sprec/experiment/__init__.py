"""One experiment from one config: the pipeline and its stages, the run folder's layout, progress lines,
several seeds, and the SFT size curve."""
