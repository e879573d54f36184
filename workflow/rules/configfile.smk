# The config file, read strictly before anything else: config.yaml (unless --configfile replaces it) is
# checked before Snakemake parses it, and every --configfile (which Snakemake parsed already) again for
# keys given twice; a problem is one line and the run stops (kdgen.config_file).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(str(workflow.current_basedir))), "workflow"))
from kdgen.config import ConfigError
from kdgen.config_file import load_config_file

try:
    for _path in workflow.overwrite_configfiles or ["config.yaml"]:
        if workflow.overwrite_configfiles or os.path.exists(_path):
            load_config_file(_path)
except ConfigError as err:
    print(err, file=sys.stderr)
    sys.exit(1)


# A --configfile on the command line replaces config.yaml instead of being merged into it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"
