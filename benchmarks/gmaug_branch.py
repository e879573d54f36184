"""Wall time of the gmaug branch for the embedded default (budget 10 min) and the smoke config (1 min), once
the datasets exist (see branch.py).

    python benchmarks/gmaug_branch.py [--cores 2] [--config default smoke] [--keep DIR]
"""

from branch import main

if __name__ == "__main__":
    main("gmaug")
