"""The shared figure helpers (the house style, dataset cards, learning curves); each study draws its own
figures in ``kdgen/<study>/figures.py``."""
