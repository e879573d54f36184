"""Distil one student from its teachers' best checkpoints and evaluate its best checkpoint on val and test;
resumes from <run>/.resume after a kill."""

import json

import torch

from kdgen.distill.methods import build_method
from kdgen.distill.teachers import ClassifierTeacher, build_teacher
from kdgen.runtime import atomic_write_text, file_sha256, logged
from kdgen.train.classifier import load_split_data, train_and_save, write_evaluations
from kdgen.train.trainer import TrainConfig

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    w, p, out = snakemake.wildcards, snakemake.params, snakemake.output
    data = load_split_data(snakemake.input.images, snakemake.input.manifest, snakemake.input.splits, snakemake.input.get("subset"))
    paths = dict(zip([t["name"] for t in p.teachers], snakemake.input.teachers))
    teachers = {}
    for t, kind in zip(p.teachers, p.teacher_kinds):
        if kind is None:
            teachers[t["name"]] = ClassifierTeacher.from_checkpoint(paths[t["name"]], data.num_classes)
        else:  # a teacher of a study's kind (the xkd study's T_x), built as its kind says
            teachers[t["name"]] = build_teacher(kind["builder"], paths[t["name"]], snakemake.input, kind["settings"], data.num_classes)
    listing = [{**t, "checkpoint": paths[t["name"]], "sha256": file_sha256(paths[t["name"]])} for t in p.teachers]
    settings = {k: v for k, v in p.method.items() if k != "teacher_mode"}
    method = build_method(w.method, teachers, settings)
    cfg = TrainConfig(**p.training, augmentation=w.aug, seed=int(w.seed), device=p.device, precision=p.precision, teacher_mode=p.method["teacher_mode"])
    log.info("%s/%s, %s %s from %s", w.dataset, w.train_subset, w.method, w.student, ", ".join(f"{t['name']} {t['checkpoint']}" for t in listing))
    meta = {"method": w.method, "student": w.student, "teachers": list(paths.values())}
    train_and_save(w.arch, data, cfg, p.state_dir, out.best, out.last, out.metrics, out.timing, p.weights, method, meta, log.info)
    record = {"method": w.method, "name": w.student, **p.method, "teachers": listing}
    atomic_write_text(out.teachers, json.dumps(record, indent=2) + "\n")
    write_evaluations(out.best, data, {"val": out.val, "test": out.test}, p.eval_batch_size, p.device, p.precision, log.info)
