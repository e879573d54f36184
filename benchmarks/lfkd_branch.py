"""Wall time of the lfkd branch for the embedded default and the smoke config (see branch.py).

    python benchmarks/lfkd_branch.py [--cores 2] [--config default smoke] [--keep DIR]
"""

from branch import main

if __name__ == "__main__":
    main("lfkd")
