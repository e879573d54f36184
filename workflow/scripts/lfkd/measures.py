"""Measure one dataset's lfkd models (teacher pool, students, no-KD students) on the held-out split."""

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from kdgen.lfkd.measures import augmentation_affinity, observe, overfitting, student_measures, teacher_pair_rows
from kdgen.lfkd.tables import grid_rows
from kdgen.distill.teachers import ClassifierTeacher
from kdgen.metrics.agreement import top1
from kdgen.metrics.attention import coverage
from kdgen.runtime import atomic_path, logged
from kdgen.train.classifier import load_split_data
from kdgen.train.trainer import predict_logits, resolve_device

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    p, out = snakemake.params.lfkd, snakemake.output
    data = load_split_data(snakemake.input.images, snakemake.input.manifest, snakemake.input.splits, snakemake.input.get("subset"))
    images, labels = getattr(data, p["split"])
    grid = torch.from_numpy(np.sort(np.random.default_rng(p["seed"]).choice(len(images), min(p["grid_images"], len(images)), replace=False)))
    methods, device = p["attention"], str(resolve_device(snakemake.params.device))
    models, seen = {}, {}
    for m, path in tqdm(list(zip(p["models"], snakemake.input.checkpoints)), desc="observe models", disable=None):
        key = ("teacher", m["aug"], m["seed"]) if m["role"] == "teacher" else ("student", m["config"], m["seed"])
        # a checkpoint that fails to load, or predicts other classes, is an error naming the file
        models[key] = ClassifierTeacher.from_checkpoint(path, data.num_classes).classifier.to(device)
        seen[key] = observe(models[key], images, methods, p["threshold"], grid, device=device)
    log.info("observed %d models on %d %s images", len(models), len(images), p["split"])

    pool = {(k[1], k[2]): seen[k] for k in seen if k[0] == "teacher"}
    references = [models[k] for k in models if k[0] == "teacher" and k[1] == p["affinity_reference"]]
    val_images, val_labels = data.val
    affinity = {aug: augmentation_affinity(references, val_images, val_labels, aug, p["seed"], device=device) for aug in dict.fromkeys(a for a, _ in pool)}
    teacher_rows = []
    for (aug, seed), obs in pool.items():
        row = {"aug": aug, "seed": seed, "top1": 100 * top1(obs.logits, labels), "affinity": affinity[aug]}
        teacher_rows.append({**row, **{f"coverage_{m}": coverage(obs.masks[m]) for m in methods}})
    log.info("Affinity (reference %s): %s", p["affinity_reference"], {a: round(v, 3) for a, v in affinity.items()})

    student_rows = []
    test_images, test_labels = data.test
    for m in p["models"]:
        if m["role"] != "student":
            continue
        key = ("student", m["config"], m["seed"])
        teachers = [pool[aug, seed] for aug, seed in m["teachers"]]
        row = student_measures(seen[key], teachers, labels, methods, p["ece_bins"], p["seed"])
        row["affinity_teachers"] = float(np.mean([affinity[aug] for aug, _ in m["teachers"]])) if m["teachers"] else float("nan")
        val_logits = seen[key].logits if p["split"] == "val" else predict_logits(models[key], val_images, device=device)
        val_top1 = 100 * top1(val_logits, val_labels)
        test_top1 = 100 * top1(predict_logits(models[key], test_images, device=device), test_labels)
        gaps = overfitting(models[key], *data.train, val_top1, m["aug"], p["seed"], device=device)
        described = " + ".join(f"T{k} {aug}/seed-{seed}" for k, (aug, seed) in enumerate(m["teachers"], 1)) or "none (no KD)"
        student_rows.append(
            {"config": m["config"], "kind": m["kind"], "aug": m["aug"], "seed": m["seed"], "teachers": described,
             "val_top1": val_top1, "test_top1": test_top1, **gaps, **row}
        )
        log.info("%s seed %d: top-1 %.1f, fidelity %.1f, clean gap %.1f", m["config"], m["seed"], row["top1"], row["fidelity"], gaps["overfit_clean"])

    arrays = {"images": images[grid].numpy(), "labels": labels[grid].numpy(), "rows": np.array(grid_rows(p["models"]))}
    for key, obs in seen.items():
        for method, maps in obs.grid_maps.items():
            arrays[f"{key[0]}/{key[1]}/seed-{key[2]}/{method}"] = maps
    dataset = snakemake.wildcards.dataset
    for path, rows in ((out.students, student_rows), (out.teachers, teacher_rows), (out.pairs, teacher_pair_rows(pool, methods))):
        with atomic_path(path) as tmp:
            pd.DataFrame(rows).assign(dataset=dataset).pipe(lambda f: f[["dataset", *[c for c in f if c != "dataset"]]]).round(6).to_csv(tmp, index=False)
    with atomic_path(out.maps) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
