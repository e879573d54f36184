"""Wall time of the xkd branch for the embedded default and the smoke config (see branch.py); the image
teachers T_m it shares with lfkd are built first and not timed.

    python benchmarks/xkd_branch.py [--cores 2] [--config default smoke] [--keep DIR]
"""

from branch import main

if __name__ == "__main__":
    main("xkd")
