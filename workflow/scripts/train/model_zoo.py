"""Parameter counts of the model zoo (100 classes, 32 px) beside the published ones."""

from kdgen.tables import write_table
from kdgen.train.tables import model_zoo_table
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input):
    write_table(model_zoo_table(num_classes=100, image_size=32), snakemake.output.csv, snakemake.output.md)
