"""Pretrain the compact CLIP on a dataset's train images and WordNet captions through the classifier trainer
(ClipLoss; the best zero-shot val epoch kept), then measure retrieval on the held-out test pairs."""

import json

import numpy as np
import pandas as pd
import torch

from kdgen.data.store import load_dataset
from kdgen.data.wordnet import load_wordnet
from kdgen.runtime import atomic_write_text, logged
from kdgen.train.classifier import load_split_data, save_outputs
from kdgen.train.trainer import TrainConfig, derive_seed, fit
from kdgen.xkd.clip import (
    ContrastiveCaptions,
    ZeroShotClassifier,
    build_clip,
    encode_images,
    encode_texts,
    make_captions,
    retrieval_accuracy,
    template_embeddings,
    zero_shot_top1,
)
from kdgen.xkd.io import class_synsets, clip_bundle

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    p, inp, out = snakemake.params, snakemake.input, snakemake.output
    c, pre = p.clip, p.clip["pretrain"]
    ds = load_dataset(inp.images, inp.manifest)
    data = load_split_data(inp.images, inp.manifest, inp.splits)
    names = [cl.name.replace("_", " ") for cl in ds.classes]
    synsets = class_synsets(load_wordnet(p.nltk_data), ds.classes)
    captions = make_captions(ds.labels, synsets, ds.images, pre["seed"])
    split_of = np.full(len(ds.labels), "", dtype=object)
    for split in ("train", "val", "test"):
        split_of[data.split_ids(split).numpy()] = split
    table = pd.DataFrame({"id": np.arange(len(captions)), "split": split_of, "label": ds.labels, "caption": captions})
    atomic_write_text(out.captions, table.to_csv(index=False))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(pre["seed"], 3))
        bundle = build_clip(c["arch"], None)
    tokens = bundle.tokenizer(captions)
    model = ZeroShotClassifier.from_bundle(bundle, names)
    method = ContrastiveCaptions(tokens, torch.arange(len(captions)))
    cfg = TrainConfig(
        epochs=pre["epochs"], batch_size=pre["batch_size"], eval_batch_size=512, optimizer="adamw", lr=pre["lr"],
        weight_decay=pre["weight_decay"], schedule="cosine", warmup_epochs=pre["warmup_epochs"], augmentation=pre["augmentation"],
        seed=pre["seed"], device=p.device, precision=p.precision,
    )
    n_params = sum(t.numel() for t in bundle.model.parameters())
    log.info("compact CLIP %s (%.2fM parameters) on %d image-caption pairs, e.g. %r; %s", c["arch"], n_params / 1e6, len(data.train[0]), captions[int(data.split_ids("train")[0])], cfg)
    result = fit(model, *data.train, *data.val, cfg, p.state_dir, method=method, log=log.info, train_ids=data.split_ids("train"))
    log.info("best zero-shot val top-1 %.2f at epoch %d", result.best_val_top1, result.best_epoch)
    meta = {"kind": "compact_clip", "arch": c["arch"], "class_names": names, "parameters": n_params}
    save_outputs(model.cpu(), result, meta, p.state_dir, out.best, out.last, out.metrics, out.timing)

    # held-out pairs: the test images and their captions, with the best checkpoint
    best = clip_bundle(c, out.best)
    test_ids = data.split_ids("test").numpy()
    image_emb = encode_images(best, data.test[0], batch_size=c["batch_size"])
    text_emb = encode_texts(best, [captions[i] for i in test_ids], batch_size=c["batch_size"])
    scores = retrieval_accuracy(image_emb, text_emb)
    n, k = len(test_ids), len(names)
    scores.update(
        zero_shot_top1=zero_shot_top1(image_emb, template_embeddings(best, names), data.test[1]),
        chance_r1=100.0 / n, chance_r5=100.0 * min(5, n) / n, chance_top1=100.0 / k, n_pairs=n,
        best_epoch=result.best_epoch, val_zero_shot_top1=result.best_val_top1,
    )
    atomic_write_text(out.retrieval, json.dumps(scores, indent=2) + "\n")
    log.info("held-out retrieval: %s", ", ".join(f"{k} {v:.2f}" for k, v in scores.items()))
