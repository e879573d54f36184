"""Train one crossmodal teacher T_x (text arm, seed) on feature rows through the classifier trainer; resumable."""

import numpy as np
import torch

from kdgen.runtime import logged
from kdgen.train.classifier import save_outputs
from kdgen.train.trainer import TrainConfig, derive_seed, fit
from kdgen.xkd.crossmodal import CrossmodalLoss, CrossmodalTeacher
from kdgen.xkd.io import crossmodal_meta, load_embeddings, split_ids, teacher_rows

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    w, p, inp, out = snakemake.wildcards, snakemake.params, snakemake.input, snakemake.output
    seed, t = int(w.seed), p.teacher
    emb = load_embeddings(inp.embeddings)
    train_rows, train_y, train_ids = teacher_rows(emb, split_ids(inp.splits, "train", inp.get("subset")), w.arm, seed)
    val_rows, val_y, _ = teacher_rows(emb, split_ids(inp.splits, "val"), w.arm, seed)
    with np.load(inp.vocabulary) as z:
        vocab = torch.from_numpy(z["emb"]).float()
    class_text = torch.from_numpy(emb.class_text).float()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, 5))
        model = CrossmodalTeacher(vocab, class_text, t["tau"], t["hidden"], seed=derive_seed(seed, 5), standardise=t["standardise"])
    cfg = TrainConfig(
        epochs=t["epochs"], batch_size=t["batch_size"], eval_batch_size=2048, optimizer="adamw", lr=t["lr"],
        weight_decay=t["weight_decay"], schedule="cosine", warmup_epochs=0, seed=seed, device=p.device,
        precision=p.precision, inputs="features", selection="top1_loss",
    )
    method = CrossmodalLoss(t["hierarchical"], t["regulariser"])
    log.info("T_x %s seed %d: %d train, %d val rows of width %d, vocabulary of %d nouns; %s", w.arm, seed, len(train_rows), len(val_rows), train_rows.shape[1], len(vocab), model)
    result = fit(model, train_rows, train_y, val_rows, val_y, cfg, p.state_dir, method=method, progress=False, log=log.info, train_ids=train_ids)
    log.info("best validation top-1 %.2f at epoch %d", result.best_val_top1, result.best_epoch)
    meta = crossmodal_meta(w.arm, seed, model)
    save_outputs(model.cpu(), result, meta, p.state_dir, out.best, out.last, out.metrics, out.timing)
